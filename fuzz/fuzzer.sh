# Sourced by fuzz/run.sh and fuzz/long_run.sh: sets FUZZER to the request_fuzzer binary.
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
