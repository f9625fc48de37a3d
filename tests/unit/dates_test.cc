#include "service/domain/dates.h"

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace kneecoach {
namespace {

TEST(Dates, ParsesAndFormatsRoundTrip) {
  auto day = ParseLocalDate("2026-03-01");
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(FormatLocalDate(*day), "2026-03-01");
}

TEST(Dates, RejectsNonDates) {
  for (const char* text : {"", "2026-02-30", "2026-2-01", "20260201", "2026-13-01", "x"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseLocalDate(text).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// The direct parser and formatter (years 1000-9999) agree with absl's for every day of
// several years, leap days included, and the years outside fall back to absl's.
TEST(Dates, AgreeWithAbslEveryDay) {
  for (absl::CivilDay day(1999, 12, 1); day < absl::CivilDay(2033, 1, 1); ++day) {
    const std::string text = absl::FormatCivilTime(day);
    ASSERT_EQ(FormatLocalDate(day), text);
    auto parsed = ParseLocalDate(text);
    ASSERT_TRUE(parsed.ok()) << text;
    ASSERT_EQ(*parsed, day);
  }
  for (absl::CivilDay day : {absl::CivilDay(999, 12, 31), absl::CivilDay(1000, 1, 1),
                             absl::CivilDay(9999, 12, 31), absl::CivilDay(10000, 1, 1)}) {
    EXPECT_EQ(FormatLocalDate(day), absl::FormatCivilTime(day));
    absl::CivilDay reference;
    const std::string text = FormatLocalDate(day);
    const bool absl_parses = text.size() == 10 && absl::ParseCivilTime(text, &reference);
    EXPECT_EQ(ParseLocalDate(text).ok(), absl_parses) << text;
  }
  for (const char* text : {"2024-02-29", "2000-02-29"}) EXPECT_TRUE(ParseLocalDate(text).ok());
  for (const char* text :
       {"2023-02-29", "1900-02-29", "2026-04-31", "2026-00-10", "2026-10-00", "2026-1a-01",
        "2026-01-0x", "0999-01-01", "2026-01-01x", "2026/01/01", " 026-01-01"}) {
    EXPECT_FALSE(ParseLocalDate(text).ok()) << text;
  }
}

TEST(Dates, LocalDateFollowsTheZone) {
  auto tokyo = LoadZone("Asia/Tokyo");
  auto la = LoadZone("America/Los_Angeles");
  ASSERT_TRUE(tokyo.ok());
  ASSERT_TRUE(la.ok());
  absl::Time t = absl::FromCivil(absl::CivilSecond(2026, 6, 1, 20, 0, 0), absl::UTCTimeZone());
  EXPECT_EQ(FormatLocalDate(LocalDateAt(t, *tokyo)), "2026-06-02");
  EXPECT_EQ(FormatLocalDate(LocalDateAt(t, *la)), "2026-06-01");
}

TEST(Dates, UnknownZoneIsInvalidArgument) {
  EXPECT_EQ(LoadZone("Mars/Olympus").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadZone("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kneecoach
