# Sourced by fuzz/run.sh and fuzz/long_run.sh: sets FUZZER to the request_fuzzer binary, and
# defines keep_artifacts.
# FUZZER given: that binary. Otherwise it is built with clang++ (libFuzzer and ASan) in
# build-fuzz/ beside the sources. Needs `root` (the source folder) set by the caller.
if [ -z "${FUZZER:-}" ]; then
  cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Fuzz \
    "-DCMAKE_CXX_FLAGS_FUZZ=-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address" \
    -DKNEECOACH_FUZZ=ON -DKNEECOACH_BUILD_TESTS=OFF >/dev/null
  cmake --build "$root/build-fuzz" --target request_fuzzer --parallel "$(nproc)"
  FUZZER=$root/build-fuzz/fuzz/request_fuzzer
fi
[ -x "$FUZZER" ] || { echo "fuzz: no fuzzer at $FUZZER"; exit 1; }

# Copies what libFuzzer left in `work` (crash, timeout, leak, out-of-memory inputs) into
# fuzz/regressions/, to be committed with the fix. Needs `here` (the fuzz folder).
keep_artifacts() {
  local work=$1 f
  for f in "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "$here/regressions/"
    echo "fuzz: $(basename "$f") copied to fuzz/regressions/ (commit it with the fix)"
  done
}
