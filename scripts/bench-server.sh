# Sourced by scripts/bench.sh and scripts/bench-ab.sh: starting the real server for a
# benchmark run.

# start_bench_server SERVER_BIN SOURCE_DB RUN_DB LOG: starts SERVER_BIN on 127.0.0.1 on a
# fresh copy of SOURCE_DB at RUN_DB, logging to LOG, and waits until it listens and has
# made the first round of today's plans (the steady state; the round runs in the background
# at start, at low priority). Sets port, server_pid and token (a clinic admin of the
# seeded clinic). SERVER_FLAGS pass on to the server.
start_bench_server() {
  local server=$1 source=$2 run=$3 log=$4
  rm -f "$run" "$run-wal" "$run-shm" "$log"
  cp "$source" "$run"
  token=$("$server" --db="$run" --bootstrap_admin="Bench Admin" --bootstrap_clinic=bench \
            2>/dev/null | tail -n 1 || true)
  "$server" --listen=127.0.0.1:0 --db="$run" ${SERVER_FLAGS:-} >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "bench: $server did not start:"; cat "$log"; exit 1; }
  for _ in $(seq 1200); do
    grep -q "plans prepared" "$log" 2>/dev/null && break
    sleep 0.1
  done
  grep -h "plans prepared" "$log" >&2 || echo "bench: today's plans were not ready after 120 s" >&2
}
