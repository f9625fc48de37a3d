#include "service/domain/dates.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kneecoach {

namespace {

// The digits of text[from, from + n) as a number; -1 if any is not a digit.
int Digits(absl::string_view text, size_t from, size_t n) {
  int value = 0;
  for (size_t i = from; i < from + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

absl::Status NotADate(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("not a calendar date in YYYY-MM-DD form: \"", text, "\""));
}

}  // namespace

// Both are called for every session and check-in the engine reads (a durable report parses
// dozens): years 1000-9999 are handled here directly, the rest by absl's parser and
// formatter, which agree on those years (tests/unit/dates_test.cc) and took 340-440 ns for a
// parse (their parse and the format that checks it) against 6-8 ns here.
absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    const int year = Digits(text, 0, 4);
    const int month = Digits(text, 5, 2);
    const int day = Digits(text, 8, 2);
    if (year >= 1000 && month >= 0 && day >= 0) {
      const absl::CivilDay parsed(year, month, day);  // normalizes 02-30 to 03-02
      if (month >= 1 && day >= 1 && parsed.month() == month && parsed.day() == day) {
        return parsed;
      }
      return NotADate(text);
    }
  }
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || FormatLocalDate(day) != text) {
    return NotADate(text);
  }
  return day;
}

std::string FormatLocalDate(absl::CivilDay day) {
  if (day.year() < 1000 || day.year() > 9999) return absl::FormatCivilTime(day);
  std::string text = "0000-00-00";
  auto put = [&text](size_t end, int64_t value) {
    for (size_t i = end; value > 0; value /= 10) text[--i] = static_cast<char>('0' + value % 10);
  };
  put(4, day.year());
  put(7, day.month());
  put(10, day.day());
  return text;
}

absl::StatusOr<absl::TimeZone> LoadZone(absl::string_view name) {
  absl::TimeZone zone;
  if (name.empty() || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown IANA time zone: \"", name, "\""));
  }
  return zone;
}

absl::CivilDay LocalDateAt(absl::Time t, absl::TimeZone zone) { return absl::ToCivilDay(t, zone); }

}  // namespace kneecoach
