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
//     then had a RED (days without reports do not break the run);
//   - pain sustained high, URGENT review (clinical.md: "pain ... sustained above 7/10"): a
//     day's pain above sustained_pain_above on sustained_pain_days days with check-ins in a
//     row, the check-in at hand's among them. A day's pain is the highest morning or usual
//     pain of its check-ins: morning pain is the daily measure (the fixed test the baseline
//     is built on), usual pain the patient's own word for their typical pain. Worst pain is
//     a peak, not a level; pain during or after an exercise is provoked by the load and
//     judged by the traffic light (RED above 5 during), whose RED rules already pause. So
//     days without a check-in, with or without a session, neither break nor extend the
//     run. Days an earlier such alert counted (up to its pain_high_until input) and days
//     more than kHistoryDays back do not count. Off at 0 days;
//   - usual pain rising fast, URGENT review ("pain rising fast"): up by
//     usual_pain_fast_rise_points or more against the lowest usual pain reported in the
//     usual_pain_fast_window_days before; not repeated within that window. Off at 0 points.
//   These two raise PAIN_SUSTAINED_HIGH / USUAL_PAIN_RISING_FAST with the red flag
//   RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN and the urgent-review advice. On a check-in,
//   ticked red flags come first, then rising fast, then sustained high: the first that
//   pauses is the one raised.
// Rules that pause do nothing on a paused program, except red flags (always alerted).
// Alert only:
//   - usual pain up by usual_pain_rise_points or more against the earliest usual pain
//     reported in the usual_pain_window_days before; not raised when a rising-fast alert
//     was raised in that window (it paused for the same rise). A rise alerted here that goes
//     on to reach the fast rule's points within its days still pauses;
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

// On a check-in; see the rules above.
void CheckPainSustainedHigh(Evaluation& ev, const v1::MorningCheckIn& check_in);
void CheckUsualPainRisingFast(Evaluation& ev, const v1::MorningCheckIn& check_in);

void CheckUsualPain(Evaluation& ev, const v1::MorningCheckIn& check_in);
void CheckAdherence(Evaluation& ev);
void CheckNoMeaningfulChange(Evaluation& ev);

}  // namespace kneecoach
