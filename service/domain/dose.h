// Dose checks shared by the library loader, program creation and clinician overrides.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "kneecoach/v1/exercise.pb.h"
#include "service/domain/errors.h"

namespace kneecoach {

// Adds a violation under `prefix` (e.g. "prescription.dose") for every field out of its
// range (sets 0..10, reps 0..100, hold 0..600 s, rest 0..600 s, duration 0..7200 s,
// load 0..500 kg, flexion 0..150 degrees, run/walk 0..3600 s, RPE 0..10), and one if the
// dose has no work at all (none of reps, hold, duration, run set).
void ValidateDose(const ::kneecoach::v1::Dose& dose, absl::string_view prefix,
                  FieldViolations& violations);

// Whether two doses are the same in every field (MessageDifferencer::Equals without its
// reflection, which cost 7% of the server's CPU in durable reports, in the engine's streaks).
bool SameDose(const ::kneecoach::v1::Dose& a, const ::kneecoach::v1::Dose& b);

// "3 x 10", "5 x 45 s hold, rest 120 s", "run 1 min / walk 4 min x 6", "20 min" ...
std::string DescribeDose(const ::kneecoach::v1::Dose& dose);

}  // namespace kneecoach
