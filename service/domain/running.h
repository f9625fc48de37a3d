// Internal to the engine: return to run (clinical.md, "Return to run") and the optional
// cadence module. A run-stage prescription is one whose exercise is listed in
// rules.return_to_run.stages; it is judged by the running traffic light and moves along
// that list (stage 8 appears twice: 20 then 30 min continuous).
//
//   GREEN x greens_to_advance    -> next stage, once the last of them is confirmed (the
//                                   next morning's check-in; timeline.h)
//   AMBER                        -> repeat the stage
//   stopped run (stopped_early,   -> stages_back stages back next time
//   or pain above stop_run_pain_above)
//   RED                          -> rest (no running for rest_hours_after_red, i.e. until
//                                   two full calendar days have passed for 48 h) and
//                                   stages_back back, stages_back_severe if pain during was
//                                   above severe_pain_above
//   next morning still above     -> stages_back_severe back from the stage that was run
//   baseline after a RED run        (pain "still present after 24 h": the next morning is
//                                   the first time the engine hears of it)
//   RED x red_sessions_in_a_row  -> clinician (safety.h)
// Runs are not simplified for being short: a run cut short is a stopped run. The rest after
// a RED run is a safety measure kept in the engine's own counters (progress.rest_until_date):
// it applies in approval mode and to locked prescriptions too; stage changes do not.
//
// Cadence (only when program.cadence is enabled with the patient's own baseline_spm, or a
// run reports cadence_spm to take as baseline): targets are baseline x (1 + step) for the
// protocol's steps (+5%, then +10%); GREEN runs at the target count towards the next step
// once confirmed by their next morning (a run AMBER or RED then counts as a miss);
// non_responder_runs in a row that miss the target or are not GREEN switch the module off
// (only ~35% of runners respond). Cadence changes are cues, not loads: they apply in any
// approval mode.
#pragma once

#include "kneecoach/v1/program.pb.h"
#include "service/domain/evaluation.h"
#include "service/domain/timeline.h"

namespace kneecoach {

// After a run is reported (`run.effective` is the run's own light): RED, stopped and AMBER
// act at once; a GREEN run waits for its confirmation (timeline.h).
void AdaptRunStage(Evaluation& ev, v1::Prescription& p, const ReportEntry& run);

// The confirmed GREEN streak of run-stage `p` grew in this event to `greens`; `run` is its
// newest confirmed GREEN run: the next stage at greens_to_advance.
void OnConfirmedGreenRuns(Evaluation& ev, v1::Prescription& p, const ReportEntry& run, int greens);

// A run at the cadence target that was GREEN on its own is confirmed in this event
// (`run.effective` now includes its next morning): counts towards the next step if still
// GREEN, as a miss otherwise.
void OnConfirmedCadenceRun(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run);

// Whether a run counts for the cadence module at its current target (GREEN on its own
// light and at or above the target, or no cadence measured).
bool AtCadenceTarget(const Evaluation& ev, const ReportEntry& run);

// When the next morning's check-in is AMBER or RED after `run` (`run.effective` includes it).
void AdaptRunStageNextMorning(Evaluation& ev, v1::Prescription& p, const ReportEntry& run);

// The cadence module after a run is reported.
void AdaptCadence(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run);

}  // namespace kneecoach
