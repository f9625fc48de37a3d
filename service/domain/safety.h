// Internal to the engine: red flags, stop rules and the clinician alert rules
// (clinical.md, "Red flags and stop rules"; thresholds from rules.alerts).
//
// Pause the program at once and alert (in any approval mode):
//   - any red flag at a check-in, including swelling, locking or giving way: IMMEDIATE
//     (same-day care) for the first group of RedFlag, URGENT review for the rest;
//   - RED red_sessions_in_a_row times in a row (sessions, or one prescription's reports),
//     counted when the report at hand is itself RED (so a resumed program is not paused
//     again by the reds that paused it);
//   - RED still present red_persisting_hours after it began: every day with a report since
//     then had a RED (days without reports do not break the run).
// Alert only:
//   - usual pain up by usual_pain_rise_points or more against the earliest usual pain
//     reported in the usual_pain_window_days before;
//   - adherence below min_adherence over adherence_window_days: days with a reported
//     session / sessions planned (the window divided by the shortest min_days_between in
//     force among active prescriptions);
//   - no meaningful change after no_change_after_weeks, judged on each measure that can be:
//     pain, when the median morning pain of the first baseline window minus that of the
//     last is below meaningful_pain_change (not judged when the first median is itself
//     below meaningful_pain_change: no room to see such a change); AKPS, when the latest
//     score minus the first is below meaningful_akps_change and the two are at least
//     no_change_after_weeks apart (not judged when meaningful_akps_change is 0, or the first
//     score is within it of the maximum). Either unchanged raises it, once per program.
// An alert is not repeated within its window (usual pain, adherence).
#pragma once

#include <string>
#include <vector>

#include "kneecoach/v1/report.pb.h"
#include "service/domain/evaluation.h"

namespace kneecoach {

void CheckRedFlags(Evaluation& ev, const v1::MorningCheckIn& check_in);

// `event_red`: the session or check-in at hand is RED. `red_prescriptions`: the
// prescriptions whose report at hand is (now) RED.
void CheckRedInARow(Evaluation& ev, bool event_red,
                    const std::vector<std::string>& red_prescriptions);
void CheckRedPersisting(Evaluation& ev, bool event_red);

void CheckUsualPain(Evaluation& ev, const v1::MorningCheckIn& check_in);
void CheckAdherence(Evaluation& ev);
void CheckNoMeaningfulChange(Evaluation& ev);

}  // namespace kneecoach
