#!/usr/bin/env bash
# Regenerates the seed inputs of fuzz/corpus/ from the text protos below: byte 0 picks the
# use case (index in UseCases() of request_fuzzer.cc; +128 aims it at the seeded program),
# the rest is the request in protobuf binary (protoc --encode). Run after changing either.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
proto=$(dirname "$here")/proto
seed() {  # NAME SELECTOR MESSAGE TEXT
  { printf "\\x$(printf %02x "$2")"
    printf '%s' "$4" | protoc -I "$proto" -I /usr/include --encode="kneecoach.v1.$3" \
      kneecoach/v1/exercise_library_service.proto kneecoach/v1/patient.proto \
      kneecoach/v1/program.proto kneecoach/v1/session.proto kneecoach/v1/decision.proto \
      kneecoach/v1/protocol.proto kneecoach/v1/outcome.proto; } >"$here/corpus/$1"
}
seed list-exercises 0 ListExercisesRequest 'page_size: 5 category: EXERCISE_CATEGORY_ISOMETRIC'
seed get-exercise 1 GetExerciseRequest 'name: "exercises/wall-sit-30-45"'
seed create-patient 5 CreatePatientRequest \
  'patient { display_name: "Sam" clinic: "clinics/demo" time_zone: "Europe/London" affected_sides: KNEE_SIDE_LEFT } request_id: "r1"'
seed create-program $((128 + 8)) CreateProgramRequest 'program { patient: "x" } request_id: "r2"'
seed update-program $((128 + 11)) UpdateProgramRequest \
  'program { name: "x" approval_mode: APPROVAL_MODE_CLINICIAN_APPROVAL } update_mask { paths: "approval_mode" }'
seed update-prescription $((128 + 12)) UpdatePrescriptionRequest \
  'prescription { name: "x" locked: true } update_mask { paths: "locked" } reason: "knee sore"'
seed pause $((128 + 13)) PauseProgramRequest 'name: "x" reason: "flare-up"'
seed simulate $((128 + 18)) SimulateProgramRequest \
  'start_date: "2026-03-02" events { local_date: "2026-03-03" check_in { morning_pain: 5 } }'
seed today $((128 + 19)) GetTodaySessionRequest 'program: "x"'
seed report $((128 + 20)) ReportSessionRequest \
  'program: "x" request_id: "r3" reports { prescription: "x" sets_done: 3 reps_done: 10 pain_during: 3 pain_after_1h: 4 }'
seed report-red $((128 + 20)) ReportSessionRequest \
  'program: "x" request_id: "r4" reports { prescription: "x" sets_done: 1 pain_during: 8 }'
seed check-in $((128 + 21)) ReportMorningCheckInRequest \
  'check_in { program: "x" morning_pain: 6 swelling: true } request_id: "r5"'
seed list-sessions $((128 + 22)) ListSessionsRequest 'program: "x" page_size: 2'
seed list-alerts $((128 + 24)) ListAlertsRequest 'page_size: 3'
seed questionnaire 32 GetQuestionnaireRequest 'name: "questionnaires/akps"'
seed outcome-akps $((128 + 33)) RecordOutcomeRequest \
  'outcome { program: "x" kind: OUTCOME_KIND_AKPS akps_choices: [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2] } request_id: "r6"'
seed outcome-rating $((128 + 33)) RecordOutcomeRequest \
  'outcome { program: "x" kind: OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE value: 2 local_date: "2026-03-02" } request_id: "r7"'
seed list-outcomes $((128 + 34)) ListOutcomesRequest 'program: "x" kind: OUTCOME_KIND_AKPS page_size: 2'
# The program modules and multi-event simulations (issue 16): a runner with the cadence
# module through eight runs, as a simulation and (use case "events", aimed; the odd last
# byte picks the seeded runner) as real reports on the stored program.
RUNS='events { local_date: "2026-03-02" session { pain_during: 0 pain_after_1h: 0 completion: 0.85 } } events { local_date: "2026-03-04" session { pain_during: 0 pain_after_1h: 0 completion: 0.85 } } events { local_date: "2026-03-06" session { pain_during: 1 pain_after_1h: 1 completion: 0.85 } } events { local_date: "2026-03-08" session { pain_during: 0 pain_after_1h: 0 completion: 0.85 } } events { local_date: "2026-03-10" session { pain_during: 5 pain_after_1h: 5 completion: 0.85 } } events { local_date: "2026-03-12" session { pain_during: 0 pain_after_1h: 0 completion: 0.85 } } events { local_date: "2026-03-14" session { pain_during: 0 pain_after_1h: 0 completion: 0.85 } } events { local_date: "2026-03-16" session { pain_during: 2 pain_after_1h: 2 completion: 0.85 } }'
seed simulate-runner-cadence 18 SimulateProgramRequest \
  "start_date: \"2026-03-02\" program { phase: PHASE_RETURN_TO_RUN prescriptions { exercise: \"exercises/run-walk-stage-1\" } cadence { enabled: true baseline_spm: 160 step_index: -1 } } $RUNS"
seed events-runner-cadence $((128 + 36)) SimulateProgramRequest \
  "start_date: \"2026-03-02\" program { cadence { enabled: true baseline_spm: 150 step_index: 0 } } $RUNS events { local_date: \"2026-03-19\" check_in { morning_pain: 3 } }"
echo "fuzz: $(ls "$here/corpus" | wc -l) seeds in fuzz/corpus/"
