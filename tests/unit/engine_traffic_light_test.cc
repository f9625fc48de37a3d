// The traffic light at its boundaries: pain during 3 vs 4 and 5 vs 6 (running 2 vs 3 and
// 3 vs 4), pain 1 h after vs the baseline, morning baseline + 1 vs + 2, the baseline as the
// median of the last 7 mornings, and the session as the worst of its exercises.
#include "service/domain/traffic_light.h"

#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::kneecoach::testing::CheckIn;
using ::kneecoach::testing::DefaultProtocol;
using ::kneecoach::testing::EngineHarness;
using ::kneecoach::testing::MakePrescription;
using ::kneecoach::testing::MakeProgram;
using ::kneecoach::testing::Report;

constexpr v1::TrafficLight kGreen = v1::TRAFFIC_LIGHT_GREEN;
constexpr v1::TrafficLight kAmber = v1::TRAFFIC_LIGHT_AMBER;
constexpr v1::TrafficLight kRed = v1::TRAFFIC_LIGHT_RED;
constexpr v1::TrafficLight kUnset = v1::TRAFFIC_LIGHT_UNSPECIFIED;

const v1::TrafficLightRules& ExerciseRules() {
  return DefaultProtocol().rules().exercise_traffic_light();
}
const v1::TrafficLightRules& RunningRules() {
  return DefaultProtocol().rules().running_traffic_light();
}

TEST(EngineTrafficLight, PainDuringBoundaries) {
  struct Case {
    bool running;
    int pain;
    v1::TrafficLight light;
  };
  const Case cases[] = {
      {false, 0, kGreen}, {false, 3, kGreen}, {false, 4, kAmber},
      {false, 5, kAmber}, {false, 6, kRed},   {false, 10, kRed},
      {true, 2, kGreen},  {true, 3, kAmber},  {true, 4, kRed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.running ? "running" : "exercise", " pain ", c.pain));
    EXPECT_EQ(PainDuringLight(c.pain, c.running ? RunningRules() : ExerciseRules()), c.light);
  }
}

TEST(EngineTrafficLight, PainAfterOneHourAgainstBaseline) {
  struct Case {
    std::optional<int> after;
    double baseline;
    v1::TrafficLight light;
  };
  const Case cases[] = {
      {std::nullopt, 2, kUnset}, {1, 2, kGreen}, {2, 2, kGreen}, {3, 2, kAmber},
      {3, 2.5, kAmber},          {0, 0, kGreen}, {1, 0, kAmber},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("after ", c.after.value_or(-1), " baseline ", c.baseline));
    EXPECT_EQ(PainAfterLight(c.after, c.baseline, ExerciseRules()), c.light);
  }
}

TEST(EngineTrafficLight, ReportIsTheWorseOfDuringAndAfter) {
  struct Case {
    int during;
    std::optional<int> after;
    v1::TrafficLight light;
  };
  const Case cases[] = {
      {3, 2, kGreen}, {3, 3, kAmber}, {4, 2, kAmber}, {6, 2, kRed}, {2, std::nullopt, kGreen},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("during ", c.during, " after ", c.after.value_or(-1)));
    v1::ExerciseReport r;
    r.set_pain_during(c.during);
    if (c.after.has_value()) r.set_pain_after_1h(*c.after);
    EXPECT_EQ(ReportLight(r, 2, ExerciseRules()), c.light);
  }
}

TEST(EngineTrafficLight, MorningAgainstBaseline) {
  struct Case {
    double morning;
    double baseline;
    bool swelling;
    v1::TrafficLight light;
  };
  const Case cases[] = {
      {2, 2, false, kGreen}, {1, 2, false, kGreen},   {3, 2, false, kAmber},   {4, 2, false, kRed},
      {9, 2, false, kRed},   {3, 2.5, false, kGreen}, {4, 2.5, false, kAmber}, {2, 2, true, kRed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("morning ", c.morning, " baseline ", c.baseline,
                              c.swelling ? " swelling" : ""));
    v1::MorningCheckIn check_in = CheckIn(static_cast<int>(c.morning));
    check_in.set_swelling(c.swelling);
    EXPECT_EQ(CheckInLight(check_in, c.baseline, ExerciseRules()), c.light);
  }
}

TEST(EngineTrafficLight, MedianOfOddEvenAndEmpty) {
  EXPECT_EQ(Median({3, 1, 4, 1, 5, 9, 2}), 3);
  EXPECT_EQ(Median({1, 2, 3, 4}), 2.5);
  EXPECT_EQ(Median({}), std::nullopt);
}

TEST(EngineTrafficLight, WorstOrdersRedAmberGreenUnset) {
  EXPECT_EQ(Worst(kGreen, kAmber), kAmber);
  EXPECT_EQ(Worst(kRed, kAmber), kRed);
  EXPECT_EQ(Worst(kUnset, kGreen), kGreen);
  EXPECT_EQ(Worst(kGreen, kUnset), kGreen);
}

// Check-ins with these morning pains on 2026-03-02 onwards; returns the next one's verdict.
v1::MorningCheckIn JudgeAfter(const std::vector<int>& mornings, int next) {
  EngineHarness h(MakeProgram({MakePrescription(1, "quad-set")}));
  absl::CivilDay day = testing::Day("2026-03-02");
  for (int pain : mornings) h.CheckInOn(FormatLocalDate(day++), CheckIn(pain));
  h.CheckInOn(FormatLocalDate(day), CheckIn(next));
  return h.history().check_ins.back();
}

TEST(EngineTrafficLight, MorningBaselineIsTheMedianOfTheLastSevenDays) {
  struct Case {
    std::string name;
    std::vector<int> mornings;
    int next;
    double baseline;
    v1::TrafficLight light;
  };
  const std::vector<Case> cases = {
      {"median of 7", {2, 2, 3, 3, 3, 8, 2}, 4, 3, kAmber},
      {"median of 7, +2", {2, 2, 3, 3, 3, 8, 2}, 5, 3, kRed},
      {"median of 7, at baseline", {2, 2, 3, 3, 3, 8, 2}, 3, 3, kGreen},
      {"older than 7 days ignored", {9, 9, 1, 1, 1, 1, 1, 1, 1}, 2, 1, kAmber},
      {"even count", {2, 3}, 4, 2.5, kAmber},
      {"first check-in is its own baseline", {}, 6, 6, kGreen},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const v1::MorningCheckIn judged = JudgeAfter(c.mornings, c.next);
    EXPECT_EQ(judged.baseline(), c.baseline);
    EXPECT_EQ(judged.traffic_light(), c.light);
  }
}

TEST(EngineTrafficLight, AfterAGapInCheckInsTheLastMorningKnownIsTheBaseline) {
  const auto quad = MakePrescription(1, "quad-set");
  EngineHarness h(MakeProgram({quad}));
  h.CheckInOn("2026-03-02", CheckIn(2));
  h.CheckInOn("2026-03-20", CheckIn(4));
  EXPECT_EQ(h.history().check_ins.back().baseline(), 2);
  EXPECT_EQ(h.history().check_ins.back().traffic_light(), kRed);
  h.Session("2026-03-30", {Report(quad, 1, 4)});  // judged against 4, the last morning
  EXPECT_EQ(h.history().sessions.back().traffic_light(), kGreen);
}

TEST(EngineTrafficLight, SessionIsTheWorstOfItsExercisesAndRunsAreStricter) {
  struct Case {
    std::vector<int> pains;  // quad set, then a run at stage 3
    v1::TrafficLight quad_set, run, session;
  };
  const Case cases[] = {
      {{3, 2}, kGreen, kGreen, kGreen}, {{3, 3}, kGreen, kAmber, kAmber},
      {{4, 2}, kAmber, kGreen, kAmber}, {{3, 4}, kGreen, kRed, kRed},
      {{6, 2}, kRed, kGreen, kRed},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("pains ", c.pains[0], ", ", c.pains[1]));
    const auto quad = MakePrescription(1, "quad-set");
    const auto run = MakePrescription(2, "run-walk-stage-3", "return-to-run");
    EngineHarness h(MakeProgram({quad, run}, v1::PHASE_RETURN_TO_RUN));
    h.Session("2026-03-02", {Report(quad, c.pains[0]), Report(run, c.pains[1])});
    const v1::Session& s = h.history().sessions.back();
    EXPECT_EQ(s.reports(0).traffic_light(), c.quad_set);
    EXPECT_EQ(s.reports(1).traffic_light(), c.run);
    EXPECT_EQ(s.traffic_light(), c.session);
    EXPECT_EQ(s.reports(1).exercise(), "exercises/run-walk-stage-3");
    EXPECT_EQ(s.reports(1).prescribed_dose().run_seconds(), 180);
  }
}

TEST(EngineTrafficLight, PainAfterIsJudgedAgainstTheMorningBaseline) {
  const auto quad = MakePrescription(1, "quad-set");
  EngineHarness h(MakeProgram({quad}));
  h.SteadyMornings("2026-03-02", 7, 2);
  h.Session("2026-03-09", {Report(quad, 1, 2)});
  EXPECT_EQ(h.history().sessions.back().traffic_light(), kGreen);
  h.Session("2026-03-10", {Report(quad, 1, 3)});
  EXPECT_EQ(h.history().sessions.back().traffic_light(), kAmber);
}

}  // namespace
}  // namespace kneecoach
