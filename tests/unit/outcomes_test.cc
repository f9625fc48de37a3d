// Outcome measures in the domain: the AKPS as published and scored, the checks a recorded
// measure must pass, and the "no meaningful change" rule's AKPS arm with its boundaries.
#include "service/domain/outcomes.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

google::protobuf::RepeatedField<int32_t> Choices(std::initializer_list<int> c) {
  google::protobuf::RepeatedField<int32_t> out;
  for (int v : c) out.Add(v);
  return out;
}

TEST(Akps, ItemsAndPointsAreKujalas) {
  const v1::Questionnaire& q = AkpsQuestionnaire();
  ASSERT_EQ(q.items_size(), 13);
  EXPECT_EQ(q.max_score(), 100);
  int best = 0;
  for (const auto& item : q.items()) {
    best += item.options(0).points();
    EXPECT_EQ(item.options(item.options_size() - 1).points(), 0) << item.title();
    for (int o = 1; o < item.options_size(); ++o) {
      EXPECT_LT(item.options(o).points(), item.options(o - 1).points()) << item.title();
    }
  }
  EXPECT_EQ(best, 100);
  EXPECT_EQ(q.items(0).title(), "Limp");
  EXPECT_EQ(q.items(4).options(3).points(), 2);  // squatting with partial weight bearing
  EXPECT_EQ(q.items(12).title(), "Flexion deficiency");
  EXPECT_EQ(FindQuestionnaire("questionnaires/akps"), &q);
  EXPECT_EQ(FindQuestionnaire("questionnaires/other"), nullptr);
}

TEST(Akps, ScoresAddTheChosenOptionsPoints) {
  EXPECT_EQ(ScoreAkps(Choices({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), 100);
  EXPECT_EQ(ScoreAkps(Choices({2, 2, 3, 3, 4, 4, 3, 4, 4, 4, 4, 2, 2})), 0);
  // The second option everywhere: 3+3+3+8+4+8+7+8+8+8+6+3+3.
  EXPECT_EQ(ScoreAkps(Choices({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})), 72);
  EXPECT_EQ(ScoreAkps(Choices({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), std::nullopt);
  EXPECT_EQ(ScoreAkps(Choices({3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})), std::nullopt);
  EXPECT_EQ(ScoreAkps(Choices({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1})), std::nullopt);
}

std::set<std::string> Violations(const v1::Outcome& outcome) {
  FieldViolations violations;
  CheckOutcome(outcome, "outcome.", violations);
  std::set<std::string> fields;
  for (const auto& v : violations.proto().field_violations()) fields.insert(v.field());
  return fields;
}

TEST(CheckOutcome, EachKindHasItsRange) {
  v1::Outcome o;
  EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.kind"});
  o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
  for (int ok : {0, 100}) {
    o.set_value(ok);
    EXPECT_THAT(Violations(o), IsEmpty()) << ok;
  }
  for (int bad : {-1, 101}) {
    o.set_value(bad);
    EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.value"}) << bad;
  }
  o.set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  for (int ok : {-3, 0, 3}) {
    o.set_value(ok);
    EXPECT_THAT(Violations(o), IsEmpty()) << ok;
  }
  for (int bad : {-4, 4}) {
    o.set_value(bad);
    EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.value"}) << bad;
  }
  o.set_value(1);
  o.add_akps_choices(0);
  EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.akps_choices"});
}

TEST(CheckOutcome, AkpsNeedsOneValidChoicePerItemAndNoScore) {
  v1::Outcome o;
  o.set_kind(v1::OUTCOME_KIND_AKPS);
  EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.akps_choices"});
  *o.mutable_akps_choices() = Choices({2, 2, 3, 3, 4, 4, 3, 4, 4, 4, 4, 2, 2});
  EXPECT_THAT(Violations(o), IsEmpty());
  EXPECT_EQ(OutcomeValue(o), 0);
  *o.mutable_akps_choices() = Choices({3, 2, 4, 3, 5, 4, 3, 4, 4, 4, 4, 2, 3});
  EXPECT_EQ(Violations(o),
            (std::set<std::string>{"outcome.akps_choices[0]", "outcome.akps_choices[2]",
                                   "outcome.akps_choices[4]", "outcome.akps_choices[12]"}));
  *o.mutable_akps_choices() = Choices({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  o.set_value(72);
  EXPECT_EQ(Violations(o), std::set<std::string>{"outcome.value"});
  o.clear_value();
  EXPECT_EQ(OutcomeValue(o), 72);
}

// The default schedule: AKPS every 28 days, global rating from weeks 6 and 12.
class Due : public ::testing::Test {
 protected:
  void Recorded(absl::string_view date, v1::OutcomeKind kind) {
    v1::Outcome o;
    o.set_local_date(std::string(date));
    o.set_kind(kind);
    recorded_.push_back(o);
  }
  std::vector<v1::OutcomeKind> On(absl::string_view date) {
    return OutcomesDue(program_, recorded_, Day(date));
  }

  v1::Program program_ = MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")},
                                     v1::PHASE_SETTLE, "2026-03-02");
  std::vector<v1::Outcome> recorded_;
};

TEST_F(Due, TheFirstAkpsOnDayOneThenEveryFourWeeks) {
  EXPECT_THAT(On("2026-03-01"), IsEmpty());  // before the program
  EXPECT_THAT(On("2026-03-02"), ElementsAre(v1::OUTCOME_KIND_AKPS));
  EXPECT_THAT(On("2026-03-05"), ElementsAre(v1::OUTCOME_KIND_AKPS));  // until recorded
  Recorded("2026-03-05", v1::OUTCOME_KIND_AKPS);
  EXPECT_THAT(On("2026-03-05"), IsEmpty());
  EXPECT_THAT(On("2026-04-01"), IsEmpty());                           // 27 days later
  EXPECT_THAT(On("2026-04-02"), ElementsAre(v1::OUTCOME_KIND_AKPS));  // 28
}

TEST_F(Due, TheGlobalRatingFromWeeksSixAndTwelve) {
  program_.mutable_rules()->mutable_outcome_schedule()->set_akps_every_days(0);
  EXPECT_THAT(On("2026-04-12"), IsEmpty());  // day 42 of the program is 2026-04-13
  EXPECT_THAT(On("2026-04-13"), ElementsAre(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE));
  Recorded("2026-04-13", v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  EXPECT_THAT(On("2026-05-24"), IsEmpty());
  EXPECT_THAT(On("2026-05-25"), ElementsAre(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE));
  // One recorded in the week before week 12 counts for it; two weeks before does not.
  Recorded("2026-05-18", v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  EXPECT_THAT(On("2026-05-25"), IsEmpty());
  recorded_.pop_back();
  Recorded("2026-05-17", v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  EXPECT_THAT(On("2026-05-25"), ElementsAre(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE));
}

TEST_F(Due, TheStepDownCountOnlyWhenTheClinicAsksAndNothingOnceCompleted) {
  Recorded("2026-03-02", v1::OUTCOME_KIND_AKPS);
  EXPECT_THAT(On("2026-03-10"), IsEmpty());
  program_.mutable_rules()->mutable_outcome_schedule()->set_step_down_every_days(14);
  EXPECT_THAT(On("2026-03-10"), ElementsAre(v1::OUTCOME_KIND_STEP_DOWN_30S));
  Recorded("2026-03-10", v1::OUTCOME_KIND_STEP_DOWN_30S);
  EXPECT_THAT(On("2026-03-23"), IsEmpty());
  EXPECT_THAT(On("2026-03-24"), ElementsAre(v1::OUTCOME_KIND_STEP_DOWN_30S));
  program_.set_state(v1::PROGRAM_STATE_COMPLETED);
  EXPECT_THAT(On("2026-05-01"), IsEmpty());
  program_.set_state(v1::PROGRAM_STATE_ACTIVE);
  program_.mutable_rules()->clear_outcome_schedule();
  EXPECT_THAT(On("2026-05-01"), IsEmpty());
}

// The AKPS arm of "no meaningful change" (default rules: 6 weeks, +10 points). Morning
// pain is 1 throughout, below the meaningful pain change: the pain arm is not judged.
class NoMeaningfulChange : public ::testing::Test {
 protected:
  // Choices scoring `score`: every item at its best, minus whole items (10 or 5 points)
  // and the 1-3 point steps the scale has.
  static v1::Outcome Akps(int score) {
    v1::Outcome o;
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    // Stairs, running, jumping, sitting, pain, swelling, kneecap: 10 each; limp 5.
    int missing = 100 - score;
    int choices[13] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const int last_option[13] = {2, 2, 3, 3, 4, 4, 3, 4, 4, 4, 4, 2, 2};
    for (int item : {3, 5, 6, 7, 8, 9, 10}) {
      if (missing >= 10) choices[item] = last_option[item], missing -= 10;
    }
    if (missing >= 5) choices[0] = 2, missing -= 5;
    // Squatting 5 -> 4 -> 3 -> 2: one point a step, up to three.
    if (missing > 0 && missing <= 3) choices[4] = missing, missing = 0;
    if (missing == 4) choices[1] = 1, choices[2] = 1, missing = 0;  // support and walking, 2 each
    EXPECT_EQ(missing, 0) << score;
    for (int c : choices) o.add_akps_choices(c);
    EXPECT_EQ(OutcomeValue(o), score);
    return o;
  }

  std::vector<v1::Alert> NoChange(const EngineResult& r) {
    std::vector<v1::Alert> out;
    for (const auto& a : r.alerts) {
      if (a.kind() == v1::ALERT_KIND_NO_MEANINGFUL_CHANGE) out.push_back(a);
    }
    return out;
  }

  EngineHarness h{MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")},
                              v1::PHASE_SETTLE, "2026-03-02")};
};

TEST_F(NoMeaningfulChange, AkpsUpNineInSixWeeksAlerts) {
  h.SteadyMornings("2026-03-02", 42, 1);
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-03-02", Akps(60))), IsEmpty());
  const EngineResult r = h.OutcomeOn("2026-04-13", Akps(69));
  const auto alerts = NoChange(r);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0].message(), HasSubstr("AKPS 60 -> 69 (needed +10)"));
  EXPECT_THAT(alerts[0].message(), ::testing::Not(HasSubstr("morning pain")));
  EXPECT_EQ(alerts[0].inputs().at("meaningful_akps_change"), "10");
  EXPECT_FALSE(alerts[0].paused_program());
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_ACTIVE);
}

TEST_F(NoMeaningfulChange, AkpsUpTenInSixWeeksDoesNot) {
  h.OutcomeOn("2026-03-02", Akps(60));
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-04-13", Akps(70))), IsEmpty());
}

TEST_F(NoMeaningfulChange, ScoresLessThanSixWeeksApartAreNotJudged) {
  h.OutcomeOn("2026-03-03", Akps(60));
  // The program is six weeks in, but the first score is only 41 days before.
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-04-13", Akps(60))), IsEmpty());
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-04-14", Akps(60))), ::testing::SizeIs(1));
}

TEST_F(NoMeaningfulChange, AFirstScoreWithoutRoomToGainTenIsNotJudged) {
  h.OutcomeOn("2026-03-02", Akps(91));
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-04-13", Akps(92))), IsEmpty());
}

TEST_F(NoMeaningfulChange, AkpsNotJudgedWhenTheClinicTurnsItOff) {
  h.program().mutable_rules()->mutable_alerts()->set_meaningful_akps_change(0);
  h.OutcomeOn("2026-03-02", Akps(60));
  EXPECT_THAT(NoChange(h.OutcomeOn("2026-04-13", Akps(60))), IsEmpty());
  // Turned on later, the next morning check-in judges the scores already recorded.
  h.program().mutable_rules()->mutable_alerts()->set_meaningful_akps_change(10);
  EXPECT_THAT(NoChange(h.CheckInOn("2026-04-14", CheckIn(1))), ::testing::SizeIs(1));
}

TEST_F(NoMeaningfulChange, PainThatImprovedDoesNotHideAnAkpsThatDidNot) {
  h.SteadyMornings("2026-03-02", 7, 6);
  h.SteadyMornings("2026-03-09", 35, 2);
  h.OutcomeOn("2026-03-02", Akps(50));
  const auto alerts = NoChange(h.CheckInOn("2026-04-13", CheckIn(2)));
  EXPECT_THAT(alerts, IsEmpty());  // only one AKPS yet: the pain arm passed
  const auto later = NoChange(h.OutcomeOn("2026-04-13", Akps(55)));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_THAT(later[0].message(), HasSubstr("AKPS 50 -> 55"));
  EXPECT_THAT(later[0].message(), ::testing::Not(HasSubstr("morning pain")));
}

}  // namespace
}  // namespace kneecoach::testing
