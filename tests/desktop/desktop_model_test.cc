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
  // Approved or rejected by someone the server did not name; then by name.
  EXPECT_EQ(DecisionWho(engine), "engine, approved by clinician 2026-11-22 05:38Z");
  engine.set_state(v1::DECISION_STATE_REJECTED);
  engine.set_reviewer_display_name("Pat Physio");
  EXPECT_EQ(DecisionWho(engine), "engine, rejected by Pat Physio 2026-11-22 05:38Z");
  // Library names when known.
  EXPECT_EQ(DecisionExercise(engine, {{"exercises/wall-sit-30-45", "Wall sit"}}),
            "Wall sit -> wall-sit-iso");

  v1::Decision pause;
  pause.set_author("clinician");
  pause.set_patient_reason("Your physiotherapist paused your program.");
  EXPECT_EQ(DecisionExercise(pause), "");
  EXPECT_EQ(DecisionDoses(pause), "");
  EXPECT_EQ(DecisionReason(pause), "Your physiotherapist paused your program.");
  EXPECT_EQ(DecisionWho(pause), "clinician");
  pause.set_reviewer_display_name("Pat Physio");
  EXPECT_EQ(DecisionWho(pause), "Pat Physio");
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

TEST(RpcError, SentencesWithoutCodeNames) {
  RpcError range;
  range.code = grpc::StatusCode::INVALID_ARGUMENT;
  range.message = "invalid request";
  range.violations = {"prescription.dose.sets: 11 out of range 0..10", "reason: required"};
  EXPECT_EQ(range.Sentence("h:1"),
            "Sets (prescription.dose.sets) is 11, outside the allowed 0 to 10. The reason is "
            "required.");
  EXPECT_TRUE(range.Names("reason"));
  EXPECT_TRUE(range.Names("sets"));
  EXPECT_FALSE(range.Names("reps"));
  RpcError down;
  down.code = grpc::StatusCode::UNAVAILABLE;
  EXPECT_THAT(down.Sentence("h:1"), testing::StartsWith("The server at h:1 cannot be reached"));
  RpcError out;
  out.code = grpc::StatusCode::UNAUTHENTICATED;
  EXPECT_THAT(out.Sentence("h:1"), testing::StartsWith("You are signed out"));
  RpcError state;
  state.code = grpc::StatusCode::FAILED_PRECONDITION;
  state.violations = {"ALERT_STATE: alert is already acknowledged"};
  EXPECT_EQ(state.Sentence("h:1"), "Not possible now: Alert is already acknowledged.");
  for (const RpcError* e : {&range, &down, &out, &state}) {
    EXPECT_THAT(e->Sentence("h:1"), testing::Not(testing::HasSubstr(e->CodeName())));
  }
}

TEST(DisambiguateNames, TagsOnlySharedNamesWithTheId) {
  std::vector<CaseloadRow> rows = {Row("Sam Runner", 0, false, 0), Row("Ann", 0, false, 0),
                                   Row("Sam Runner", 0, false, 0)};
  rows[0].patient = "patients/a1";
  rows[1].patient = "patients/b2";
  rows[2].patient = "patients/c3";
  DisambiguateNames(rows);
  EXPECT_EQ(PatientLabel(rows[0]), "Sam Runner (id a1)");
  EXPECT_EQ(PatientLabel(rows[1]), "Ann");
  EXPECT_EQ(PatientLabel(rows[2]), "Sam Runner (id c3)");
}

TEST(SessionLines, DonePartlyAndNotDone) {
  v1::Session session;
  session.set_name("programs/p/sessions/s");
  session.set_local_date("2026-11-22");
  for (const char* rx : {"a", "b", "c"}) {
    auto* item = session.add_items();
    item->set_prescription(std::string("programs/p/prescriptions/") + rx);
    item->set_exercise(std::string("exercises/") + rx);
    item->mutable_dose()->set_sets(3);
    item->mutable_dose()->set_reps(10);
  }
  auto* full = session.add_reports();
  full->set_prescription("programs/p/prescriptions/a");
  full->set_exercise("exercises/a");
  full->mutable_prescribed_dose()->set_sets(3);
  full->mutable_prescribed_dose()->set_reps(10);
  full->set_pain_during(2);
  full->set_pain_after_1h(3);
  auto* part = session.add_reports();
  *part = *full;
  part->set_prescription("programs/p/prescriptions/b");
  part->set_exercise("exercises/b");
  part->set_sets_done(2);
  part->clear_pain_after_1h();
  const auto lines = SessionLines(session, {{"exercises/a", "Exercise A"}});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].exercise, "Exercise A");
  EXPECT_EQ(lines[0].dose, "3 x 10 reps");
  EXPECT_EQ(lines[0].pain_during, 2);
  EXPECT_EQ(lines[0].pain_after_1h, 3);
  EXPECT_EQ(DoneWord(lines[0].done), "done");
  EXPECT_EQ(DoneWord(lines[1].done), "partly");
  EXPECT_FALSE(lines[1].pain_after_1h.has_value());
  EXPECT_EQ(lines[2].exercise, "c");
  EXPECT_EQ(DoneWord(lines[2].done), "not done");
}

TEST(OverviewOf, LatestOutcomesAndAdherence) {
  v1::ProgramProgress progress;
  auto* w1 = progress.add_weeks();
  w1->set_week(1);
  w1->set_sessions_done(3);
  w1->set_sessions_planned(3);
  auto* w2 = progress.add_weeks();
  w2->set_week(2);
  w2->set_sessions_done(1);
  w2->set_sessions_planned(3);
  progress.set_akps_change(12);
  std::vector<v1::Outcome> outcomes(3);
  outcomes[0].set_kind(v1::OUTCOME_KIND_AKPS);  // newest
  outcomes[0].set_value(80);
  outcomes[1].set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
  outcomes[1].set_value(14);
  outcomes[2].set_kind(v1::OUTCOME_KIND_AKPS);
  outcomes[2].set_value(68);
  const OverviewNumbers n = OverviewOf(progress, outcomes);
  EXPECT_EQ(n.akps, 80);
  EXPECT_EQ(n.akps_change, 12);
  EXPECT_EQ(n.step_downs, 14);
  EXPECT_FALSE(n.global_rating.has_value());
  EXPECT_EQ(n.week, 2);
  EXPECT_EQ(AdherenceWords(n.week_done, n.week_planned), "1 of 3 sessions (33%)");
  EXPECT_EQ(AdherenceWords(n.total_done, n.total_planned), "4 of 6 sessions (67%)");
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
