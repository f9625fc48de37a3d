// A program's progress week by week, from stored sessions, check-ins and outcomes.
#include "service/domain/progress.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach::testing {
namespace {

// Program "programs/p" from Monday 2026-03-02: a daily isometric (one session a day
// planned) and run/walk stage 1 (6 x 1 min run).
class Progress : public ::testing::Test {
 protected:
  void SessionOn(absl::string_view date, v1::TrafficLight light, int pain_during, bool run = false,
                 int rounds_done = 0, int cadence = 0) {
    v1::Session s;
    s.set_local_date(std::string(date));
    s.set_traffic_light(light);
    v1::ExerciseReport* r = s.add_reports();
    r->set_exercise("exercises/wall-sit-30-45");
    r->set_pain_during(pain_during);
    if (run) {
      v1::ExerciseReport* run_report = s.add_reports();
      run_report->set_exercise("exercises/run-walk-stage-1");
      *run_report->mutable_prescribed_dose() = run_->dose();
      run_report->set_pain_during(1);
      run_report->set_sets_done(rounds_done);
      run_report->set_cadence_spm(cadence);
    }
    history_.sessions.push_back(s);
  }
  void CheckInOn(absl::string_view date, int morning, std::optional<int> usual = std::nullopt,
                 std::optional<int> worst = std::nullopt) {
    v1::MorningCheckIn c = CheckIn(morning);
    c.set_local_date(std::string(date));
    if (usual) c.set_usual_pain(*usual);
    if (worst) c.set_worst_pain(*worst);
    history_.check_ins.push_back(c);
  }
  // Outcomes are stored newest first: add them in that order.
  void OutcomeOn(absl::string_view date, v1::OutcomeKind kind, int value) {
    v1::Outcome o;
    o.set_local_date(std::string(date));
    o.set_kind(kind);
    o.set_value(value);
    history_.outcomes.push_back(o);
  }
  v1::ProgramProgress Compute(absl::string_view today, int weeks = 0) {
    return ComputeProgress(TestLibrary(), program_, history_, Day(today), weeks);
  }

  v1::Program program_ = MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric"),
                                      MakePrescription(2, "run-walk-stage-1")});
  const v1::Prescription* run_ = &program_.prescriptions(1);
  History history_;
};

TEST_F(Progress, WeeksCountSessionsPainRunningAndOutcomes) {
  // Week 1: four session days (one of them twice), lights 3 green 1 amber 1 red.
  SessionOn("2026-03-02", v1::TRAFFIC_LIGHT_GREEN, 2, true, 0, 160);  // run as prescribed
  SessionOn("2026-03-03", v1::TRAFFIC_LIGHT_GREEN, 3);
  SessionOn("2026-03-04", v1::TRAFFIC_LIGHT_AMBER, 5, true, 4, 170);  // 4 of 6 rounds
  SessionOn("2026-03-04", v1::TRAFFIC_LIGHT_GREEN, 1);
  SessionOn("2026-03-08", v1::TRAFFIC_LIGHT_RED, 7, true, 0, 166);
  CheckInOn("2026-03-02", 4, 5, 6);
  CheckInOn("2026-03-03", 3);
  CheckInOn("2026-03-05", 2, 3, 8);  // the last usual pain of the week; worst is the max
  CheckInOn("2026-03-06", 5);
  // Week 2: nothing. Week 3 (to Wednesday 2026-03-18): one check-in, one session.
  CheckInOn("2026-03-17", 1);
  SessionOn("2026-03-18", v1::TRAFFIC_LIGHT_GREEN, 0);
  OutcomeOn("2026-03-18", v1::OUTCOME_KIND_AKPS, 71);
  OutcomeOn("2026-03-16", v1::OUTCOME_KIND_STEP_DOWN_30S, 15);
  OutcomeOn("2026-03-03", v1::OUTCOME_KIND_AKPS, 64);  // stored later: the week's latest
  OutcomeOn("2026-03-03", v1::OUTCOME_KIND_AKPS, 60);
  OutcomeOn("2026-03-02", v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE, -1);

  const v1::ProgramProgress p = Compute("2026-03-18");
  ASSERT_EQ(p.weeks_size(), 3);
  const v1::ProgressWeek& w1 = p.weeks(0);
  EXPECT_EQ(w1.week(), 1);
  EXPECT_EQ(w1.start_date(), "2026-03-02");
  EXPECT_EQ(w1.end_date(), "2026-03-08");
  EXPECT_EQ(w1.sessions_done(), 4);
  EXPECT_EQ(w1.sessions_planned(), 7);
  EXPECT_DOUBLE_EQ(w1.adherence(), 4.0 / 7);
  EXPECT_EQ(w1.green_sessions(), 3);
  EXPECT_EQ(w1.amber_sessions(), 1);
  EXPECT_EQ(w1.red_sessions(), 1);
  EXPECT_DOUBLE_EQ(w1.morning_pain_median(), 3.5);  // 4, 3, 2, 5
  EXPECT_EQ(w1.max_pain_during(), 7);
  EXPECT_EQ(w1.usual_pain(), 3);
  EXPECT_EQ(w1.worst_pain(), 8);
  EXPECT_DOUBLE_EQ(w1.running_minutes(), 6 + 4 + 6);
  EXPECT_EQ(w1.cadence_spm_median(), 166);
  EXPECT_EQ(w1.akps(), 64);
  EXPECT_EQ(w1.global_rating_of_change(), -1);
  EXPECT_FALSE(w1.has_step_downs_30s());

  const v1::ProgressWeek& w2 = p.weeks(1);
  EXPECT_EQ(w2.sessions_done(), 0);
  EXPECT_DOUBLE_EQ(w2.adherence(), 0);
  EXPECT_FALSE(w2.has_morning_pain_median());
  EXPECT_FALSE(w2.has_max_pain_during());
  EXPECT_FALSE(w2.has_cadence_spm_median());
  EXPECT_FALSE(w2.has_akps());

  const v1::ProgressWeek& w3 = p.weeks(2);
  EXPECT_EQ(w3.end_date(), "2026-03-18");  // today
  EXPECT_EQ(w3.sessions_planned(), 3);     // three days of the week so far
  EXPECT_EQ(w3.sessions_done(), 1);
  EXPECT_EQ(w3.akps(), 71);
  EXPECT_EQ(w3.step_downs_30s(), 15);
  EXPECT_DOUBLE_EQ(w3.running_minutes(), 0);

  EXPECT_DOUBLE_EQ(p.morning_pain_change(), 1 - 3.5);
  EXPECT_EQ(p.akps_change(), 71 - 60);
  EXPECT_EQ(p.weeks_with_three_sessions(), 1);
}

TEST_F(Progress, FewerWeeksStillMeasureTheChangeFromTheFirst) {
  CheckInOn("2026-03-02", 6);
  CheckInOn("2026-03-17", 2);
  OutcomeOn("2026-03-17", v1::OUTCOME_KIND_AKPS, 80);
  OutcomeOn("2026-03-02", v1::OUTCOME_KIND_AKPS, 50);
  const v1::ProgramProgress p = Compute("2026-03-18", 1);
  ASSERT_EQ(p.weeks_size(), 1);
  EXPECT_EQ(p.weeks(0).week(), 3);
  EXPECT_DOUBLE_EQ(p.morning_pain_change(), -4);
  EXPECT_EQ(p.akps_change(), 30);
}

TEST_F(Progress, ALongProgramShowsItsLastFiftyTwoWeeks) {
  const v1::ProgramProgress p = Compute("2027-06-01");
  ASSERT_EQ(p.weeks_size(), kMaxProgressWeeks);
  EXPECT_EQ(p.weeks(kMaxProgressWeeks - 1).end_date(), "2027-06-01");
  EXPECT_EQ(p.weeks(0).week(), p.weeks(kMaxProgressWeeks - 1).week() - 51);
  EXPECT_FALSE(p.has_morning_pain_change());
  EXPECT_FALSE(p.has_akps_change());
}

TEST_F(Progress, RecordsOutsideTheProgramAreIgnoredAndAFutureProgramHasNoWeeks) {
  CheckInOn("2026-03-01", 9);                         // before the start
  SessionOn("2026-03-20", v1::TRAFFIC_LIGHT_RED, 9);  // after today
  const v1::ProgramProgress p = Compute("2026-03-02");
  ASSERT_EQ(p.weeks_size(), 1);
  EXPECT_EQ(p.weeks(0).sessions_done(), 0);
  EXPECT_EQ(p.weeks(0).sessions_planned(), 1);
  EXPECT_FALSE(p.weeks(0).has_morning_pain_median());
  EXPECT_EQ(Compute("2026-03-01").weeks_size(), 0);
}

TEST_F(Progress, OneWeekOfPainOrOneScoreIsNoChangeYet) {
  CheckInOn("2026-03-02", 6);
  CheckInOn("2026-03-04", 2);
  OutcomeOn("2026-03-03", v1::OUTCOME_KIND_AKPS, 70);
  const v1::ProgramProgress one = Compute("2026-03-08");
  EXPECT_FALSE(one.has_morning_pain_change());
  EXPECT_FALSE(one.has_akps_change());
  CheckInOn("2026-03-09", 1);
  history_.outcomes.insert(history_.outcomes.begin(), v1::Outcome());
  history_.outcomes.front().set_local_date("2026-03-09");
  history_.outcomes.front().set_kind(v1::OUTCOME_KIND_AKPS);
  history_.outcomes.front().set_value(70);
  const v1::ProgramProgress two = Compute("2026-03-09");
  EXPECT_DOUBLE_EQ(two.morning_pain_change(), 1 - 4);
  ASSERT_TRUE(two.has_akps_change());
  EXPECT_EQ(two.akps_change(), 0);
}

TEST_F(Progress, EveryOtherDayProgramsPlanHalfTheDays) {
  program_ = MakeProgram({MakePrescription(1, "run-walk-stage-1")});
  const v1::ProgramProgress p = Compute("2026-03-08");
  ASSERT_EQ(p.weeks_size(), 1);
  EXPECT_EQ(p.weeks(0).sessions_planned(), 4);  // every other day over seven days
}

}  // namespace
}  // namespace kneecoach::testing
