// SimulateProgram's bounds (issue 16, findings 1 and 5): a simulation refuses more work than
// its limits, stops when its caller stops waiting, and refuses program modules outside the
// rules it runs with.
#include <climits>

#include "gmock/gmock.h"
#include "service/domain/simulate.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach::testing {
namespace {

v1::SimulateProgramRequest Days(int n) {
  v1::SimulateProgramRequest request;
  *request.mutable_protocol() = DefaultProtocol();
  request.set_start_date("2026-03-02");
  for (int i = 0; i < n; ++i) {
    auto* e = request.add_events();
    e->set_local_date(FormatLocalDate(absl::CivilDay(2026, 3, 2) + i));
    e->mutable_check_in()->set_morning_pain(1);
  }
  return request;
}

TEST(SimulateLimitsTest, TooManyEventsOrPrescriptionsAreRefused) {
  SimulationLimits limits;
  limits.max_events = 5;
  EXPECT_TRUE(Simulate(TestLibrary(), Days(5), limits).ok());
  auto refused = Simulate(TestLibrary(), Days(6), limits);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("events"));

  v1::SimulateProgramRequest many = Days(1);
  for (int i = 0; i < 4; ++i) {
    many.mutable_program()->add_prescriptions()->set_exercise("exercises/quad-set");
  }
  limits.max_prescriptions = 3;
  EXPECT_EQ(Simulate(TestLibrary(), many, limits).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SimulateLimitsTest, StopsWhenTheCallerStopsWaiting) {
  int asked = 0;
  SimulationLimits limits;
  limits.check = [&asked]() -> absl::Status {
    return ++asked > 3 ? absl::DeadlineExceededError("deadline") : absl::OkStatus();
  };
  auto result = Simulate(TestLibrary(), Days(50), limits);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(asked, 4);  // stopped at once, not after the 50 events
}

TEST(SimulateLimitsTest, CadenceIsCheckedAgainstTheProgramsOwnRules) {
  v1::SimulateProgramRequest request = Days(1);
  *request.mutable_program()->mutable_rules() = DefaultProtocol().rules();
  request.mutable_program()->mutable_rules()->mutable_cadence()->mutable_steps()->RemoveLast();
  request.mutable_program()->mutable_cadence()->set_enabled(true);
  request.mutable_program()->mutable_cadence()->set_step_index(
      DefaultProtocol().rules().cadence().steps_size() - 1);
  auto result = Simulate(TestLibrary(), request);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr("step_index"));
  request.mutable_program()->mutable_cadence()->set_step_index(INT_MAX);
  request.mutable_program()->clear_rules();
  EXPECT_EQ(Simulate(TestLibrary(), request).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kneecoach::testing
