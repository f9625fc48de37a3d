#include "service/domain/dates.h"

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
