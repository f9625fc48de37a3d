// The desktop client's model layer without a server or widgets: urgency order, the weekly
// trend, words for doses, decisions and enums, dose override masks, bounded concurrency,
// options.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "clients/desktop/concurrent.h"
#include "clients/desktop/model.h"
#include "clients/desktop/options.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kneecoach::desktop {
namespace {

CaseloadRow Row(const std::string& name, int alerts, bool paused, int pending,
                std::optional<double> pain = std::nullopt) {
  CaseloadRow row;
  row.patient_name = name;
  row.open_alerts = alerts;
  row.state = paused ? v1::PROGRAM_STATE_PAUSED : v1::PROGRAM_STATE_ACTIVE;
  row.pending_decisions = pending;
  row.morning_pain_median = pain;
  return row;
}

std::vector<std::string> Names(const std::vector<CaseloadRow>& rows) {
  std::vector<std::string> names;
  for (const auto& r : rows) names.push_back(r.patient_name);
  return names;
}

TEST(SortByUrgency, AlertsThenPausedThenPendingThenPainThenName) {
  std::vector<CaseloadRow> rows = {
      Row("Quiet", 0, false, 0),          Row("Sore", 0, false, 0, 6.0),
      Row("Waiting", 0, false, 2),        Row("Paused", 0, true, 0),
      Row("Alerted", 1, false, 0),        Row("Two alerts", 2, true, 3),
      Row("Also quiet", 0, false, 0, 1.0)};
  SortByUrgency(rows);
  EXPECT_THAT(Names(rows), ::testing::ElementsAre("Two alerts", "Alerted", "Paused", "Waiting",
                                                  "Sore", "Also quiet", "Quiet"));
}

TEST(TrendOf, SkipsWeeksWithoutAValueAndScalesAdherence) {
  v1::ProgramProgress progress;
  auto* w1 = progress.add_weeks();
  w1->set_week(1);
  w1->set_sessions_planned(4);
  w1->set_sessions_done(3);
  w1->set_adherence(0.75);
  w1->set_morning_pain_median(2.5);
  w1->set_max_pain_during(4);
  auto* w2 = progress.add_weeks();
  w2->set_week(2);
  w2->set_sessions_planned(4);
  w2->set_adherence(0);
  const Trend trend = TrendOf(progress);
  EXPECT_EQ(trend.weeks, 2);
  ASSERT_EQ(trend.morning_pain_median.size(), 1u);
  EXPECT_EQ(trend.morning_pain_median[0].week, 1);
  EXPECT_EQ(trend.morning_pain_median[0].value, 2.5);
  ASSERT_EQ(trend.max_pain_during.size(), 1u);
  EXPECT_EQ(trend.max_pain_during[0].value, 4);
  ASSERT_EQ(trend.adherence_percent.size(), 2u);
  EXPECT_EQ(trend.adherence_percent[0].value, 75);
  EXPECT_EQ(trend.adherence_percent[1].value, 0);
}

TEST(Words, DosesEnumsNames) {
  v1::Dose dose;
  dose.set_sets(3);
  dose.set_reps(10);
  dose.set_hold_seconds(5);
  dose.set_rest_seconds(30);
  dose.set_per_side(true);
  EXPECT_EQ(FormatDose(dose), "3 x 10 reps, 5 s hold per side, rest 30 s");
  EXPECT_EQ(FormatDose(v1::Dose()), "-");
  EXPECT_EQ(EnumWord(v1::DecisionKind_descriptor(), v1::DECISION_KIND_SWAP_TO_ISOMETRIC),
            "swap to isometric");
  EXPECT_EQ(EnumWord(v1::Phase_descriptor(), v1::PHASE_RETURN_TO_RUN), "return to run");
  EXPECT_EQ(EnumWord(v1::Phase_descriptor(), 0), "-");
  EXPECT_EQ(ShortName("exercises/wall-sit-30-45"), "wall-sit-30-45");
}

TEST(DoseMaskPaths, NamesEachChangedFieldInFieldOrder) {
  v1::Dose before;
  before.set_sets(3);
  before.set_reps(10);
  before.set_load_kg(5);
  EXPECT_THAT(DoseMaskPaths(before, before), ::testing::IsEmpty());
  v1::Dose after = before;
  after.set_reps(12);
  after.set_sets(4);
  after.set_load_kg(7.5);
  after.set_per_side(true);
  EXPECT_THAT(DoseMaskPaths(before, after),
              ::testing::ElementsAre("dose.sets", "dose.reps", "dose.load_kg", "dose.per_side"));
  // Back to zero is a change too (the mask path clears the field on the server).
  after = before;
  after.set_reps(0);
  EXPECT_THAT(DoseMaskPaths(before, after), ::testing::ElementsAre("dose.reps"));
}

TEST(DecisionWords, ExerciseDosesReasonWho) {
  v1::Decision engine;
  engine.set_author("engine");
  engine.set_exercise_before("exercises/wall-sit-30-45");
  engine.set_exercise_after("exercises/wall-sit-iso");
  engine.mutable_dose_before()->set_sets(3);
  engine.mutable_dose_before()->set_reps(10);
  engine.mutable_dose_after()->set_sets(5);
  engine.mutable_dose_after()->set_hold_seconds(45);
  engine.set_patient_reason("for the patient");
  engine.set_clinician_reason("pain 6 > 5");
  EXPECT_EQ(DecisionExercise(engine), "wall-sit-30-45 -> wall-sit-iso");
  EXPECT_EQ(DecisionDoses(engine), "3 x 10 reps -> 5 x 45 s hold");
  EXPECT_EQ(DecisionReason(engine), "pain 6 > 5");
  EXPECT_EQ(DecisionWho(engine), "engine");
  // Reviewed: the reviewer's reason wins, and the review time is shown.
  engine.set_review_reason("not now");
  engine.mutable_review_time()->set_seconds(1795325880);  // 2026-11-22 05:38Z
  EXPECT_EQ(DecisionReason(engine), "not now");
  EXPECT_EQ(DecisionWho(engine), "engine, reviewed 2026-11-22 05:38Z");

  v1::Decision pause;
  pause.set_author("clinician");
  pause.set_patient_reason("Your physiotherapist paused your program.");
  EXPECT_EQ(DecisionExercise(pause), "");
  EXPECT_EQ(DecisionDoses(pause), "");
  EXPECT_EQ(DecisionReason(pause), "Your physiotherapist paused your program.");
  EXPECT_EQ(DecisionWho(pause), "clinician");
  v1::Decision same;
  same.set_exercise_before("exercises/bridge");
  same.set_exercise_after("exercises/bridge");
  EXPECT_EQ(DecisionExercise(same), "bridge");
}

TEST(ForEachConcurrently, CallsEachIndexOnceWithAtMostLimitAtATime) {
  for (int limit : {1, 3, 8}) {
    constexpr size_t kCount = 20;
    std::vector<std::atomic<int>> calls(kCount);
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    ForEachConcurrently(kCount, limit, [&](size_t i) {
      const int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++calls[i];
      --running;
    });
    for (size_t i = 0; i < kCount; ++i) EXPECT_EQ(calls[i].load(), 1) << i;
    EXPECT_LE(most.load(), limit);
    // 20 calls of 20 ms each: with more than one thread allowed, they overlap.
    if (limit > 1) {
      EXPECT_GT(most.load(), 1);
    }
  }
  int none = 0;
  ForEachConcurrently(0, 8, [&](size_t) { ++none; });
  EXPECT_EQ(none, 0);
}

TEST(RpcError, NamesTheCodeAndListsViolations) {
  RpcError error;
  error.code = grpc::StatusCode::INVALID_ARGUMENT;
  error.message = "bad request";
  error.violations = {"reason: is required"};
  EXPECT_EQ(error.ToString(), "INVALID_ARGUMENT: bad request\n  reason: is required");
}

TEST(ParseOptions, TargetAndTokenFileLikeTheCli) {
  ::unsetenv("KNEECOACH_TOKEN");
  ::unsetenv("KNEECOACH_TOKEN_FILE");
  ::unsetenv("KNEECOACH_SERVER");
  auto defaults = ParseOptions({"kneecoach-desktop"});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->target, "127.0.0.1:50051");
  EXPECT_EQ(defaults->token, "");

  const std::string path = ::testing::TempDir() + "/desktop-token";
  std::ofstream(path) << "  kc_secret  \nsecond line\n";
  auto from_file = ParseOptions(
      {"kneecoach-desktop", "--server=10.0.0.1:1", "--token-file", QString::fromStdString(path)});
  ASSERT_TRUE(from_file.ok());
  EXPECT_EQ(from_file->target, "10.0.0.1:1");
  EXPECT_EQ(from_file->token, "kc_secret");
  auto alias = ParseOptions({"kneecoach-desktop", "--target=10.0.0.2:2"});
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->target, "10.0.0.2:2");
  ::setenv("KNEECOACH_SERVER", "10.0.0.3:3", 1);
  auto from_env_server = ParseOptions({"kneecoach-desktop"});
  ASSERT_TRUE(from_env_server.ok());
  EXPECT_EQ(from_env_server->target, "10.0.0.3:3");
  ::unsetenv("KNEECOACH_SERVER");

  ::setenv("KNEECOACH_TOKEN", "kc_env", 1);
  auto from_env = ParseOptions({"kneecoach-desktop"});
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->token, "kc_env");
  ::unsetenv("KNEECOACH_TOKEN");

  ::setenv("KNEECOACH_TOKEN_FILE", "/nonexistent/token", 1);
  auto missing = ParseOptions({"kneecoach-desktop"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  ::unsetenv("KNEECOACH_TOKEN_FILE");
}

}  // namespace
}  // namespace kneecoach::desktop
