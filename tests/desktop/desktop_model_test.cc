// The desktop client's model layer without a server or widgets: urgency order, the weekly
// trend, words for doses and enums, options.
#include <cstdlib>
#include <fstream>

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
