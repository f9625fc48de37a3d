#!/usr/bin/env bash
# End to end: starts the real kneecoach-server on a free port with a temporary database and
# drives it through the kneecoach CLI, checking exit codes, JSON output and idempotent retry.
#
#   tests/e2e/cli_e2e.sh SERVER_BIN CLI_BIN        (ctest: e2e_cli)
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 SERVER_BIN CLI_BIN" >&2
  exit 2
fi
SERVER_BIN=$1
CLI_BIN=$2
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kneecoach-e2e.XXXXXX")
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

CHECKS=0
pass() {
  CHECKS=$((CHECKS + 1))
  echo "ok $CHECKS - $*"
}
fail() {
  echo "FAIL: $*" >&2
  for f in out err; do
    if [[ -s "$WORK/$f" ]]; then echo "--- last command std$f:" >&2; cat "$WORK/$f" >&2; fi
  done
  echo "--- server log (tail):" >&2
  tail -n 40 "$WORK/server.log" >&2 || true
  exit 1
}

# run EXPECTED_EXIT CLI_ARGS...: runs the CLI, output in $WORK/out and $WORK/err.
run() {
  local expected=$1
  shift
  local rc=0
  "$CLI_BIN" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  if [[ "$rc" -ne "$expected" ]]; then
    fail "kneecoach $* exited $rc, expected $expected"
  fi
}

# jq-free JSON reading: `field EXPR` evaluates EXPR (Python, on the document `d`) over the
# JSON in $WORK/out and prints the result.
field() {
  "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
    "$WORK/out" "$1"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# --- credentials: a server with access control gets a bootstrap admin, whose token every ---
# --- call then sends (KNEECOACH_TOKEN, read by the CLI and the Python example) -------------
server_help=$("$SERVER_BIN" --helpfull 2>&1 || true)
AUTH=no
if [[ "$server_help" == *--bootstrap_admin* ]]; then
  AUTH=yes
  "$SERVER_BIN" --db="$WORK/kc.db" --bootstrap_admin="E2E Admin" --bootstrap_clinic=e2e \
    >"$WORK/server.log" 2>&1 || fail "kneecoach-server --bootstrap_admin failed"
  KNEECOACH_TOKEN=$(awk 'NF { last = $NF } END { print last }' "$WORK/server.log")
  export KNEECOACH_TOKEN
fi

# --- start the server on a free port; retry with another port if it loses the race --------
for attempt in 1 2 3; do
  PORT=$(free_port)
  "$SERVER_BIN" --listen="127.0.0.1:$PORT" --db="$WORK/kc.db" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  export KNEECOACH_SERVER="127.0.0.1:$PORT"
  up=no
  for _ in $(seq 1 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    if "$CLI_BIN" --timeout=1 exercises list --page-size=1 >/dev/null 2>&1; then
      up=yes
      break
    fi
    sleep 0.1
  done
  [[ "$up" == yes ]] && break
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  echo "server did not come up on port $PORT (attempt $attempt)" >&2
done
[[ -n "$SERVER_PID" ]] || fail "kneecoach-server did not answer within 10 s"
pass "server answers on 127.0.0.1:$PORT (database $WORK/kc.db)"

if [[ "$AUTH" == yes ]]; then
  KNEECOACH_TOKEN="" run 1 exercises list
  grep -q "^error: UNAUTHENTICATED: " "$WORK/err" || fail "a call without a token was not refused"
  pass "without a token: exit 1 UNAUTHENTICATED; with the bootstrap admin's token: answers"
fi

# --- help and the exercise library ---------------------------------------------------------
run 0 --help
for cmd in "exercises list" "patients create" "today PROGRAM" "report PROGRAM" "alerts ack NAME" \
  "whoami" "users create" "tokens create USER" "enroll CODE" "audit" "patients erase PATIENT"; do
  grep -q "  $cmd " "$WORK/out" || fail "--help does not list '$cmd'"
done
pass "--help lists the commands"

run 0 --json exercises list --all
n=$(field 'len(d.get("exercises", []))')
[[ "$n" -ge 50 ]] || fail "exercises list --all --json returned $n exercises, expected >= 50"
[[ "$(field 'd.get("next_page_token", "")')" == "" ]] || fail "--all left a next_page_token"
pass "exercises list --all --json: $n exercises in one document"

run 0 exercises list --category=isometric
grep -q "isometric" "$WORK/out" || fail "exercises list --category=isometric printed no isometric"
pass "exercises list --category=isometric prints a table"

run 0 exercises get quad-set
grep -q "Quad set" "$WORK/out" || fail "exercises get quad-set does not show its name"
pass "exercises get quad-set (short id) shows the exercise"

# --- a patient and a program ---------------------------------------------------------------
run 0 --json patients create --name="E2E Runner" --clinic=e2e --tz=Europe/London --side=left
PATIENT=$(field 'd["patient"]["name"]')
[[ "$PATIENT" == patients/* ]] || fail "patients create returned name '$PATIENT'"
[[ "$(field 'd["patient"]["clinic"]')" == "clinics/e2e" ]] || fail "clinic not qualified"
pass "patients create -> $PATIENT"

run 0 --json patients get "${PATIENT#patients/}"
[[ "$(field 'd["patient"]["display_name"]')" == "E2E Runner" ]] || fail "patients get by short id"
pass "patients get by short id"

run 0 --json programs create --patient="${PATIENT#patients/}"
PROGRAM=$(field 'd["program"]["name"]')
[[ "$PROGRAM" == programs/* ]] || fail "programs create returned name '$PROGRAM'"
[[ "$(field 'd["program"]["state"]')" == "PROGRAM_STATE_ACTIVE" ]] || fail "new program not active"
rx=$(field 'len(d["program"].get("prescriptions", []))')
[[ "$rx" -ge 1 ]] || fail "new program has no prescriptions"
pass "programs create -> $PROGRAM, active, $rx prescriptions"
P=${PROGRAM#programs/}

# --- today's session -----------------------------------------------------------------------
run 0 --json today "$P"
items=$(field 'len(d["session"].get("items", []))')
[[ "$items" -ge 1 ]] || fail "today's session has no items"
FIRST_ITEM=$(field 'd["session"]["items"][0]["display_name"]')
pass "today --json: $items exercises due"

run 0 today "$P"
grep -q "day 1" "$WORK/out" || fail "today does not show the program day"
grep -Eq " x |min" "$WORK/out" || fail "today shows no dose"
pass "today (text) shows day and doses"

# --- the Python example for integrators (needs python3-grpcio, protoc, grpc_python_plugin) --
EXAMPLE="$(cd "$(dirname "$0")/../.." && pwd)/clients/examples/python/today.py"
if "$PY" -c 'import grpc' 2>/dev/null && command -v protoc >/dev/null &&
  command -v grpc_python_plugin >/dev/null; then
  "$PY" "$EXAMPLE" "$P" --server="$KNEECOACH_SERVER" >"$WORK/out" 2>"$WORK/err" ||
    fail "clients/examples/python/today.py failed"
  grep -qF "$FIRST_ITEM" "$WORK/out" || fail "today.py does not list '$FIRST_ITEM'"
  pass "clients/examples/python/today.py prints today's session"
else
  echo "skip - clients/examples/python/today.py (needs python3-grpcio, protoc, grpc_python_plugin)"
fi

# --- report twice with the same request id: stored once ------------------------------------
run 0 --json report "$P" --all-pain=2 --request-id=e2e-report-1
first=$(field 'd["session"]["name"]')
light=$(field 'd["session"].get("traffic_light", "")')
[[ -n "$first" ]] || fail "report returned no session name"
[[ "$light" =~ ^TRAFFIC_LIGHT_(GREEN|AMBER|RED)$ ]] || fail "report returned no traffic light"
pass "report --all-pain=2 -> $first ($light)"

run 0 --json report "$P" --all-pain=2 --request-id=e2e-report-1
[[ "$(field 'd["session"]["name"]')" == "$first" ]] || fail "retry returned another session"
pass "report retried with the same --request-id returns the same session"

run 0 --json history "$P"
n=$(field 'len(d.get("sessions", []))')
[[ "$n" -eq 1 ]] || fail "history has $n sessions after a retried report, expected exactly 1"
pass "history --json: exactly one session stored"

run 0 history "$P"
grep -q "${first##*/}" "$WORK/out" || fail "history (text) does not list the session"
pass "history (text) lists the session"

# --- morning check-in ----------------------------------------------------------------------
run 0 --json checkin "$P" --pain=2 --usual=3 --worst=4 --request-id=e2e-checkin-1
[[ -n "$(field 'd["check_in"]["name"]')" ]] || fail "checkin returned no name"
pass "checkin -> $(field 'd["check_in"]["name"]')"

run 0 --json checkins "$P"
[[ "$(field 'len(d.get("check_ins", []))')" -eq 1 ]] || fail "checkins does not list one check-in"
pass "checkins lists the check-in"

# --- outcome measures ----------------------------------------------------------------------
run 0 akps
grep -q "^4. Stairs" "$WORK/out" || fail "akps does not print the stairs item"
grep -q "Slight pain when descending (8)" "$WORK/out" || fail "akps does not print points"
pass "akps prints the questionnaire"

run 0 today "$P"
grep -q "^Due: the knee questionnaire (AKPS)" "$WORK/out" || fail "today does not ask for the AKPS on day 1"
pass "today asks for the AKPS on the program's first day"

# The second option of every item: 3+3+3+8+4+8+7+8+8+8+6+3+3 = 72.
run 0 --json outcome "$P" --akps=1,1,1,1,1,1,1,1,1,1,1,1,1 --request-id=e2e-akps-1
[[ "$(field 'd["outcome"]["value"]')" -eq 72 ]] || fail "outcome --akps did not score 72"
pass "outcome --akps -> scored 72"
run 0 --json outcome "$P" --akps=1,1,1,1,1,1,1,1,1,1,1,1,1 --request-id=e2e-akps-1
run 0 today "$P"
grep -q "AKPS" "$WORK/out" && fail "today still asks for the AKPS once it is recorded"
run 0 outcome "$P" --step-downs=12 --request-id=e2e-steps-1
grep -q "step-down-30s 12" "$WORK/out" || fail "outcome --step-downs printed: $(cat "$WORK/out")"
run 0 --json outcomes "$P"
[[ "$(field 'len(d["outcomes"])')" -eq 2 ]] || fail "outcomes does not list exactly two after a retry"
run 0 --json outcomes "$P" --kind=akps
[[ "$(field 'len(d["outcomes"])')" -eq 1 ]] || fail "outcomes --kind=akps does not list one"
pass "outcomes lists each once, filtered by kind"
run 2 outcome "$P" --akps=1,1,1 --request-id=e2e-akps-bad
grep -q "akps_choices" "$WORK/err" || fail "a short AKPS: the error does not name akps_choices"
run 2 outcome "$P" --rating=5 --request-id=e2e-rating-bad
grep -q "outcome.value" "$WORK/err" || fail "rating 5: the error does not name outcome.value"
pass "bad outcomes -> exit 2, naming the field"

run 0 --json progress "$P"
[[ "$(field 'd["progress"]["weeks"][0]["sessions_done"]')" -eq 1 ]] || fail "progress: week 1 does not count the one session"
[[ "$(field 'd["progress"]["weeks"][0]["akps"]')" -eq 72 ]] || fail "progress: week 1 does not show the AKPS"
run 0 progress "$P"
grep -q "^WEEK" "$WORK/out" && grep -q "AKPS change" "$WORK/out" || fail "progress (text) prints no table"
run 2 progress "$P" --weeks=60
grep -q "weeks" "$WORK/err" || fail "progress --weeks=60: the error does not name weeks"
pass "progress: the week's session and AKPS; --weeks=60 -> exit 2"

# --- bad inputs ----------------------------------------------------------------------------
run 2 checkin "$P" --pain=11 --request-id=e2e-checkin-bad
grep -q "^error: INVALID_ARGUMENT: " "$WORK/err" || fail "pain 11: no INVALID_ARGUMENT line"
grep -q "morning_pain" "$WORK/err" || fail "pain 11: the error does not name morning_pain"
pass "checkin --pain=11 -> exit 2, names morning_pain"

run 2 report "$P" --all-pain=11 --request-id=e2e-report-bad
grep -q "pain_during" "$WORK/err" || fail "report pain 11: the error does not name pain_during"
pass "report --all-pain=11 -> exit 2, names pain_during"

# Patient-scoped ids outside the caller's reach, including ones that never existed, are
# PERMISSION_DENIED: a caller learns nothing about what exists outside their scope.
run 1 patients get no-such-patient
grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "unknown patient: no PERMISSION_DENIED line"
pass "patients get unknown -> exit 1 PERMISSION_DENIED"

run 1 today no-such-program
grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "unknown program: no PERMISSION_DENIED line"
pass "today unknown program -> exit 1 PERMISSION_DENIED"

run 3 exercises get no-such-exercise
pass "exercises get unknown -> exit 3"

run 2 report "$P" --item=bogus
pass "report --item without a pain -> exit 2 (usage)"

# --- decisions, alerts, pause/resume -------------------------------------------------------
run 0 --json decisions "$P"
pass "decisions --json: $(field 'len(d.get("decisions", []))') decisions"

run 0 decisions "$P"
pass "decisions (text)"

run 0 --json history "$P"
sessions_before_pause=$(field 'len(d.get("sessions", []))')
RX=$(field 'd["sessions"][0]["reports"][0]["prescription"]')
# Truncated to the second, so strictly before the pause that follows.
BEFORE_PAUSE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run 0 --json programs pause "$P" --reason="e2e pause"
[[ "$(field 'd["program"]["state"]')" == "PROGRAM_STATE_PAUSED" ]] || fail "pause did not pause"
[[ -n "$(field 'd["program"].get("pause_time", "")')" ]] || fail "pause recorded no pause_time"
run 0 --json today "$P"
[[ "$(field 'd["session"].get("program_paused", False)')" == "True" ]] || fail "paused today"
[[ "$(field 'len(d["session"].get("items", []))')" -eq 0 ]] || fail "paused today lists exercises"
run 0 today "$P"
grep -q "^PAUSED: no exercises today.$" "$WORK/out" || fail "today (text) does not say PAUSED"
grep -q "Your program is paused: e2e pause" "$WORK/out" || fail "today (text) does not say why"
grep -q "^  1\. " "$WORK/out" && fail "today (text) lists exercises while paused"
pass "today on a paused program: PAUSED, the reason, no exercises"

# A session done now, after the pause: refused in plain words, nothing recorded.
run 1 report "$P" --item="$RX:2" --request-id=e2e-report-paused
grep -q "^Your program is paused until your physiotherapist reviews it, so this session was not recorded. Please contact your physiotherapist" "$WORK/err" ||
  fail "report after the pause: not the plain refusal"
grep -q "FAILED_PRECONDITION" "$WORK/err" && fail "report after the pause shows a status code"
run 1 report "$P" --all-pain=2 --request-id=e2e-report-paused-all
grep -q "^Your program is paused: e2e pause" "$WORK/err" || fail "report --all-pain while paused: no reason"
grep -q "^Nothing was recorded" "$WORK/err" || fail "report --all-pain while paused: not 'Nothing was recorded'"
run 0 --json history "$P"
[[ "$(field 'len(d.get("sessions", []))')" -eq "$sessions_before_pause" ]] || fail "a refused report was stored"
pass "report after the pause -> exit 1, the plain refusal, nothing stored"

# A session done before the pause, synced late: stored, changing nothing, and said so.
run 0 report "$P" --item="$RX:2" --performed="$BEFORE_PAUSE" --request-id=e2e-report-before-pause
grep -q "does not change your exercises" "$WORK/out" || fail "report before the pause: no message"
grep -q "^Decisions:" "$WORK/out" && fail "report before the pause made decisions"
run 0 --json history "$P"
[[ "$(field 'len(d.get("sessions", []))')" -eq $((sessions_before_pause + 1)) ]] || fail "the report done before the pause was not stored"
run 2 report "$P" --item="$RX:2" --performed=yesterday
pass "report --performed before the pause: stored, no decisions, the message says so"

run 0 --json programs resume "$P" --reason="e2e resume"
[[ "$(field 'd["program"]["state"]')" == "PROGRAM_STATE_ACTIVE" ]] || fail "resume did not resume"
pass "programs pause / today paused / resume"

# --- a red flag at check-in pauses the program and raises an alert; acknowledge, resume ----
run 0 --json checkin "$P" --pain=3 --red-flag=new-swelling --request-id=e2e-checkin-red
[[ "$(field 'len(d.get("alerts", []))')" -ge 1 ]] || fail "red flag raised no alert"
run 0 --json programs get "$P"
[[ "$(field 'd["program"]["state"]')" == "PROGRAM_STATE_PAUSED" ]] || fail "red flag: not paused"
pass "checkin --red-flag=new-swelling pauses the program and raises an alert"

run 0 --json alerts --program="$P" --unacknowledged
ALERT=$(field 'd["alerts"][0]["name"]')
run 0 alerts --unacknowledged
grep -q "red-flag" "$WORK/out" || fail "alerts (text) does not show the red-flag alert"
pass "alerts --unacknowledged lists $ALERT"

short_alert="$P/${ALERT##*/}"
run 0 alerts ack "$short_alert" --note="e2e: phoned the patient"
grep -q " by E2E Admin: e2e: phoned the patient" "$WORK/out" ||
  fail "alerts ack does not name who acknowledged it"
run 0 --json alerts --program="$P" --unacknowledged
[[ "$(field 'len(d.get("alerts", []))')" -eq 0 ]] || fail "alert still unacknowledged after ack"
pass "alerts ack $short_alert (short name) acknowledges it"

run 0 decisions "$P"
grep -q "pause" "$WORK/out" || fail "decisions does not show the safety pause"
run 0 --json programs resume "$P" --reason="e2e: reviewed"
[[ "$(field 'd["program"]["state"]')" == "PROGRAM_STATE_ACTIVE" ]] || fail "resume after red flag"
pass "decisions shows the pause; programs resume reactivates"

run 0 protocols list
grep -q "protocols/default" "$WORK/out" || fail "protocols list has no protocols/default"
pass "protocols list shows protocols/default"

# --- roles: a physiotherapist, an enrolled patient's phone, the audit trail, export, erasure --
if [[ "$AUTH" == yes ]]; then
  # Tokens go to files (mode 0600) and are read with --token-file, which beats the admin's
  # $KNEECOACH_TOKEN; commands without it run as the admin.
  PHYSIO_TOKEN="$WORK/physio.token"
  PATIENT_TOKEN="$WORK/patient.token"
  # keep_secret FILE: the secret a command printed (stdout), checked and stored in FILE.
  keep_secret() {
    [[ "$(wc -l <"$WORK/out")" -eq 1 ]] || fail "the secret is not alone on stdout"
    grep -q "shown only once" "$WORK/err" || fail "no warning to store the secret"
    (umask 077 && cp "$WORK/out" "$1")
  }

  run 0 --json whoami
  [[ "$(field 'd["user"]["role"]')" == "ROLE_CLINIC_ADMIN" ]] || fail "whoami: admin's role"
  pass "whoami as the bootstrap admin: ROLE_CLINIC_ADMIN"

  run 0 --json users create --name="E2E Physio" --role=physio
  PHYSIO=$(field 'd["user"]["name"]')
  [[ "$(field 'd["user"]["role"]')" == "ROLE_PHYSIOTHERAPIST" ]] || fail "users create: role"
  run 0 users list
  grep -Eq "^${PHYSIO#users/} +physiotherapist " "$WORK/out" || fail "users list lacks $PHYSIO"
  pass "users create --role=physio -> $PHYSIO; users list shows them"

  run 0 tokens create "${PHYSIO#users/}" --name="e2e laptop" --days=7
  keep_secret "$PHYSIO_TOKEN"
  pass "tokens create: the secret alone on stdout, a warning to store it on stderr"

  run 0 --json --token-file="$PHYSIO_TOKEN" whoami
  [[ "$(field 'd["user"]["name"]')" == "$PHYSIO" ]] || fail "--token-file: not the physio"
  [[ "$(field 'd["user"]["role"]')" == "ROLE_PHYSIOTHERAPIST" ]] || fail "whoami: physio's role"
  KNEECOACH_TOKEN="" KNEECOACH_TOKEN_FILE="$PHYSIO_TOKEN" run 0 --json whoami
  [[ "$(field 'd["user"]["name"]')" == "$PHYSIO" ]] || fail "KNEECOACH_TOKEN_FILE: not the physio"
  pass "whoami as the physio (--token-file, KNEECOACH_TOKEN_FILE): ROLE_PHYSIOTHERAPIST"

  run 1 --token-file="$PHYSIO_TOKEN" today "$P"
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "physio saw an unassigned program"
  run 0 --json patients assign "${PATIENT#patients/}" --physio="${PHYSIO#users/}"
  [[ "$(field 'd["patient"]["physiotherapists"]')" == "['$PHYSIO']" ]] || fail "assign"
  run 0 --token-file="$PHYSIO_TOKEN" today "$P"
  pass "physio refused an unassigned patient's program; patients assign -> allowed"

  run 0 --json --token-file="$PHYSIO_TOKEN" patients create --name="E2E Phone" --clinic=e2e \
    --tz=Europe/London --side=right
  PATIENT2=$(field 'd["patient"]["name"]')
  [[ "$(field 'd["patient"]["physiotherapists"]')" == "['$PHYSIO']" ]] || fail "not auto-assigned"
  run 0 --json --token-file="$PHYSIO_TOKEN" programs create --patient="${PATIENT2#patients/}"
  PROGRAM2=$(field 'd["program"]["name"]')
  P2=${PROGRAM2#programs/}
  pass "as the physio: patients create -> $PATIENT2 (assigned to them), programs create -> $PROGRAM2"

  run 0 --token-file="$PHYSIO_TOKEN" enrollment-code "${PATIENT2#patients/}"
  CODE=$(awk '{ print $1 }' "$WORK/out")
  [[ "$CODE" =~ ^KC-[A-Z0-9]{4}-[A-Z0-9]{4}$ ]] || fail "enrollment-code printed '$CODE'"
  grep -q "expires 20" "$WORK/out" || fail "enrollment-code does not show its expiry"
  pass "enrollment-code -> $CODE with its expiry"

  run 0 enroll "$CODE" --device="e2e phone"
  keep_secret "$PATIENT_TOKEN"
  grep -q "enrolled $PATIENT2 as users/" "$WORK/err" || fail "enroll does not name the patient"
  run 1 enroll "$CODE"
  grep -q "^error: UNAUTHENTICATED: " "$WORK/err" || fail "an enrollment code worked twice"
  pass "enroll CODE -> the patient's token, once; the code is then UNAUTHENTICATED"

  run 0 --json --token-file="$PATIENT_TOKEN" whoami
  PATIENT_USER=$(field 'd["user"]["name"]')
  [[ "$(field 'd["user"]["role"]')" == "ROLE_PATIENT" ]] || fail "whoami: patient's role"
  [[ "$(field 'd["user"]["patient"]')" == "$PATIENT2" ]] || fail "whoami: patient's record"
  pass "whoami as the patient: ROLE_PATIENT, $PATIENT2"

  run 0 --token-file="$PATIENT_TOKEN" today "$P2"
  grep -q "day 1" "$WORK/out" || fail "the patient's today does not show day 1"
  run 0 --json --token-file="$PATIENT_TOKEN" report "$P2" --all-pain=1 --request-id=e2e-phone-1
  SESSION2=$(field 'd["session"]["name"]')
  pass "as the patient: today and report their own program -> $SESSION2"

  # history numbers the program's days as today does: day 1 is the first day.
  run 0 --json --token-file="$PATIENT_TOKEN" today "$P2"
  TODAY_DAY=$(field 'd["session"]["program_day"]')
  run 0 --json --token-file="$PATIENT_TOKEN" history "$P2"
  [[ "$(field 'd["sessions"][0]["program_day"]')" == "$TODAY_DAY" ]] ||
    fail "history numbers the day $(field 'd["sessions"][0].get("program_day")'), today $TODAY_DAY"
  run 0 --token-file="$PATIENT_TOKEN" history "$P2"
  awk -v s="${SESSION2##*/}" -v d="$TODAY_DAY" '$NF == s && $2 == d { ok = 1 } END { exit !ok }' \
    "$WORK/out" || fail "history (text) does not show day $TODAY_DAY for $SESSION2"
  pass "history shows the session on day $TODAY_DAY, as today numbers it"

  # programs list without --patient: what the caller may see.
  run 0 --json --token-file="$PATIENT_TOKEN" programs list
  [[ "$(field 'sorted(p["name"] for p in d.get("programs", []))')" == "['$PROGRAM2']" ]] ||
    fail "the patient's programs list is not exactly their own program"
  run 0 --json --token-file="$PHYSIO_TOKEN" programs list
  [[ "$(field 'sorted(p["name"] for p in d.get("programs", []))')" == \
     "$(printf "%s\n" "$PROGRAM" "$PROGRAM2" | sort | "$PY" -c 'import sys; print(sorted(sys.stdin.read().split()))')" ]] ||
    fail "the physio's programs list is not their two patients' programs"
  run 0 --json programs list
  [[ "$(field 'len(d.get("programs", []))')" -ge 2 ]] || fail "the admin's programs list"
  pass "programs list without --patient: the patient's own, the physio's caseload, the clinic's"

  run 1 --token-file="$PATIENT_TOKEN" patients list
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "patient listed patients"
  run 1 --token-file="$PATIENT_TOKEN" today "$P"
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "patient saw another's program"
  pass "the patient is refused patients list and another patient's program (PERMISSION_DENIED)"

  run 1 --token-file="$PATIENT_TOKEN" audit
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "patient read the audit trail"
  run 0 audit
  grep -E "$PATIENT_USER \(patient\) +SessionService/ReportSession +$PROGRAM2 +e2e-phone-1$" \
    "$WORK/out" >/dev/null || fail "audit lacks the patient's report with its request id"
  pass "audit (admin only) shows the patient's report with request id e2e-phone-1"

  run 0 --json tokens list "${PATIENT_USER#users/}"
  PHONE=$(field 'd["tokens"][0]["name"]')
  run 0 tokens revoke "$(echo "$PHONE" | cut -d/ -f2,4)"
  grep -q "$PHONE revoked" "$WORK/out" || fail "tokens revoke did not say so"
  run 1 --token-file="$PATIENT_TOKEN" today "$P2"
  grep -q "^error: UNAUTHENTICATED: " "$WORK/err" || fail "a revoked token still works"
  pass "tokens revoke $PHONE -> the patient's token is UNAUTHENTICATED"

  run 0 --token-file="$PHYSIO_TOKEN" enrollment-code "${PATIENT2#patients/}"
  run 0 enroll "$(awk '{ print $1 }' "$WORK/out")" --device="e2e new phone"
  keep_secret "$PATIENT_TOKEN"
  run 0 --token-file="$PATIENT_TOKEN" patients export "${PATIENT2#patients/}"
  "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$WORK/out" ||
    fail "patients export is not JSON"
  grep -qF "\"$SESSION2\"" "$WORK/out" || fail "patients export lacks $SESSION2"
  pass "a new phone enrolls; patients export as the patient is JSON with $SESSION2"

  run 2 patients erase "${PATIENT2#patients/}"
  grep -q "reason" "$WORK/err" || fail "erase without --reason: the error does not name reason"
  run 1 --token-file="$PHYSIO_TOKEN" patients erase "${PATIENT2#patients/}" --reason="e2e"
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "a physio erased a patient"
  run 0 patients erase "${PATIENT2#patients/}" --reason="e2e: the patient asked"
  run 1 patients get "${PATIENT2#patients/}"
  grep -q "^error: PERMISSION_DENIED: " "$WORK/err" || fail "an erased patient is still there"
  run 1 --token-file="$PATIENT_TOKEN" today "$P2"
  pass "patients erase: needs --reason and an admin; then $PATIENT2 is gone"
fi

echo "e2e: $CHECKS checks passed"
