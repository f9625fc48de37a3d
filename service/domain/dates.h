// Local calendar dates. A patient's day is their own: sessions, frequency rules and
// baselines all count in the patient's IANA time zone, as absl::CivilDay.
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace kneecoach {

// Parses "YYYY-MM-DD" strictly (no normalisation of 2026-02-30).
absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text);

// Formats as "YYYY-MM-DD".
std::string FormatLocalDate(absl::CivilDay day);

// Loads an IANA zone ("Europe/London"). NotFound-free: an unknown name is
// INVALID_ARGUMENT, since it is always a caller's input.
absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name);

// The local date at instant `t` in `zone`.
absl::CivilDay LocalDateAt(absl::Time t, absl::TimeZone zone);

}  // namespace kneecoach
