// Internal to the engine: the pain-monitoring actions for one exercise prescription
// (clinical.md, "Actions"), run after each report of it and again when the next morning's
// check-in turns that report AMBER or RED:
//
//   RED                       -> swap painful dynamic work (pain during above the amber
//                                maximum) for the ladder's isometric; else one rung down;
//                                else volume at red_volume_fraction with the range limited
//   AMBER x ambers_to_regress -> regress one variable (previous range, else volume cut)
//   AMBER                     -> hold (repeat the dose)
//   under dose x N            -> simplify (volume cut)
//   GREEN x greens_to_progress-> back to the exercise swapped away from, if any; else
//   (confirmed: timeline.h)      progress one variable one step (progression.h); decided
//                                when the last of them is confirmed, usually by the next
//                                morning's check-in, which then carries the decision
//
// Return-to-run stages follow running.h instead.
#pragma once

#include "kneecoach/v1/program.pb.h"
#include "service/domain/evaluation.h"
#include "service/domain/timeline.h"

namespace kneecoach {

// `latest` is the prescription's latest report with its effective light. Acts at once on
// RED, AMBER and under dose; a GREEN report waits for its confirmation.
void AdaptPrescription(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest);

// The confirmed GREEN streak of `p` grew in this event from `before` to `now` (Streaks of
// ev.before() and ev.timeline()); `latest` is its newest confirmed GREEN report. Steps up
// (or back from an isometric swap) at greens_to_progress; a locked prescription is noted
// once per streak.
void OnConfirmedGreen(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest,
                      const Streaks& now, const Streaks& before);

// A decision of `kind` by `rule` on `latest`, with the pain inputs and both reasons filled.
v1::Decision DecisionOn(v1::DecisionKind kind, absl::string_view rule, const ReportEntry& latest,
                        std::string patient_reason, std::string clinician_reason);

}  // namespace kneecoach
