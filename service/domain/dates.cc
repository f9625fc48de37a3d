#include "service/domain/dates.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kneecoach {

absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatLocalDate(day) != text) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a calendar date in YYYY-MM-DD form: \"", text, "\""));
  }
  return day;
}

std::string FormatLocalDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown IANA time zone: \"", name, "\""));
  }
  return zone;
}

absl::CivilDay LocalDateAt(absl::Time t, absl::TimeZone zone) { return absl::ToCivilDay(t, zone); }

}  // namespace kneecoach
