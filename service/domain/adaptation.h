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
//                                progress one variable one step (progression.h)
//
// Return-to-run stages follow running.h instead.
#pragma once

#include "kneecoach/v1/program.pb.h"
#include "service/domain/evaluation.h"
#include "service/domain/timeline.h"

namespace kneecoach {

// `latest` is the prescription's latest report with its effective light.
void AdaptPrescription(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest);

// A decision of `kind` by `rule` on `latest`, with the pain inputs and both reasons filled.
v1::Decision DecisionOn(v1::DecisionKind kind, absl::string_view rule, const ReportEntry& latest,
                        std::string patient_reason, std::string clinician_reason);

}  // namespace kneecoach
