// The pain-monitoring actions through OnSessionReported / OnCheckInReported, one rule at a
// time with its boundaries, and the clinician's authority (locked prescriptions, approval
// mode and ApplyDecision).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/domain/engine.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::kneecoach::testing::CheckIn;
using ::kneecoach::testing::EngineHarness;
using ::kneecoach::testing::MakePrescription;
using ::kneecoach::testing::MakeProgram;
using ::kneecoach::testing::Report;

// Sessions start on 2026-03-09, after seven mornings at pain 2 (baseline 2).
std::string Date(int i) { return FormatLocalDate(testing::Day("2026-03-09") + i); }

v1::Dose Reps(int sets, int reps) {
  v1::Dose d = testing::TestLibrary().FindExercise("partial-squat-45")->starting_dose();
  d.set_sets(sets);
  d.set_reps(reps);
  return d;
}

v1::Prescription Squat() { return MakePrescription(1, "partial-squat-45", "squat"); }

EngineHarness SquatHarness(v1::Prescription p = Squat()) {
  EngineHarness h(MakeProgram({std::move(p)}));
  h.SteadyMornings("2026-03-02", 7, 2);
  return h;
}

struct Pain {
  int during;
  std::optional<int> after = std::nullopt;
};

// What one session led to: its own decisions and alerts, then its next morning's.
EngineResult Merge(EngineResult session, const EngineResult& morning) {
  for (const auto& d : morning.decisions) session.decisions.push_back(d);
  for (const auto& a : morning.alerts) session.alerts.push_back(a);
  session.program = morning.program;
  return session;
}

// Reports the squat once a day with these pains, each followed by the next morning's
// check-in at baseline (2) when `mornings`: a GREEN session counts once its next morning
// confirms it. Returns what the last session led to (with its morning).
EngineResult Sessions(EngineHarness& h, const std::vector<Pain>& pains, bool mornings = true) {
  EngineResult last;
  for (size_t i = 0; i < pains.size(); ++i) {
    const int day = static_cast<int>(i);
    last = h.Session(Date(day), {Report(h.prescription(0), pains[i].during, pains[i].after)});
    if (mornings) last = Merge(std::move(last), h.CheckInOn(Date(day + 1), CheckIn(2)));
  }
  return last;
}

struct RuleCase {
  std::string name;
  std::vector<Pain> pains;
  std::optional<v1::DecisionKind> kind;  // of the last session's decision; nullopt: none
  std::string rule;
  std::string exercise_after;
  v1::Dose dose_after;
  // Decided by the next morning's check-in (a progression waits for its confirmation),
  // else by the session itself (caution acts at once).
  bool by_morning = false;
};

TEST(EngineRules, ActionsOnTheLastSessionAtTheirBoundaries) {
  const std::vector<RuleCase> cases = {
      {"GREEN x2 is not enough", {{3}, {3}}, std::nullopt, "", "partial-squat-45", Reps(3, 12)},
      {"GREEN x3 (pain 3) progresses reps",
       {{3}, {3}, {3}},
       v1::DECISION_KIND_PROGRESS,
       "progress.green_streak",
       "partial-squat-45",
       Reps(3, 14),
       true},
      {"pain 4 is AMBER: hold",
       {{4}},
       v1::DECISION_KIND_HOLD,
       "hold.amber",
       "partial-squat-45",
       Reps(3, 12)},
      {"not settled 1 h after is AMBER",
       {{1, 3}},
       v1::DECISION_KIND_HOLD,
       "hold.amber",
       "partial-squat-45",
       Reps(3, 12)},
      {"settled at baseline is GREEN",
       {{1, 2}, {1, 2}, {1, 2}},
       v1::DECISION_KIND_PROGRESS,
       "progress.green_streak",
       "partial-squat-45",
       Reps(3, 14),
       true},
      {"AMBER x2 (pain 5) regresses volume -25%",
       {{4}, {5}},
       v1::DECISION_KIND_REGRESS,
       "regress.amber_streak",
       "partial-squat-45",
       Reps(3, 9)},
      {"an AMBER breaks the green streak",
       {{3}, {3}, {4}, {3}},
       std::nullopt,
       "",
       "partial-squat-45",
       Reps(3, 12)},
      {"pain 6 during dynamic work: swap to the isometric",
       {{6}},
       v1::DECISION_KIND_SWAP_TO_ISOMETRIC,
       "swap.red_painful_dynamic",
       "wall-sit-30-45",
       testing::TestLibrary().FindExercise("wall-sit-30-45")->starting_dose()},
  };
  for (const RuleCase& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = SquatHarness();
    const EngineResult r = Sessions(h, c.pains);
    if (!c.kind.has_value()) {
      EXPECT_TRUE(r.decisions.empty());
    } else {
      ASSERT_EQ(r.decisions.size(), 1u);
      const v1::Decision& d = r.decisions[0];
      EXPECT_EQ(d.kind(), *c.kind);
      EXPECT_EQ(d.rule(), c.rule);
      EXPECT_EQ(d.state(), v1::DECISION_STATE_APPLIED);
      EXPECT_EQ(d.author(), "engine");
      EXPECT_EQ(d.prescription(), "programs/p/prescriptions/1");
      EXPECT_EQ(d.program(), "programs/p");
      EXPECT_EQ(d.inputs().at("pain_during"), absl::StrCat(c.pains.back().during));
      EXPECT_EQ(d.inputs().at("morning_baseline"), "2");
      EXPECT_TRUE(d.name().empty());
      // Seven steady mornings, then one after each session.
      EXPECT_EQ(d.source(), c.by_morning ? absl::StrCat("programs/p/checkIns/", 7 + c.pains.size())
                                         : absl::StrCat("programs/p/sessions/", c.pains.size()));
    }
    EXPECT_EQ(h.prescription(0).exercise(), absl::StrCat("exercises/", c.exercise_after));
    EXPECT_EQ(h.prescription(0).dose().ShortDebugString(), c.dose_after.ShortDebugString());
  }
}

TEST(EngineRules, ProgressionRecordsBeforeAfterAndTheCounters) {
  EngineHarness h = SquatHarness();
  const EngineResult r = Sessions(h, {{2}, {2}, {3}});
  ASSERT_EQ(r.decisions.size(), 1u);
  const v1::Decision& d = r.decisions[0];
  EXPECT_EQ(d.dose_before().reps(), 12);
  EXPECT_EQ(d.dose_after().reps(), 14);
  EXPECT_EQ(d.exercise_before(), "exercises/partial-squat-45");
  EXPECT_EQ(d.inputs().at("green_streak"), "3");
  EXPECT_EQ(d.inputs().at("greens_to_progress"), "3");
  EXPECT_EQ(d.inputs().at("variable"), "reps");
  EXPECT_EQ(d.traffic_light(), v1::TRAFFIC_LIGHT_GREEN);
  // The streak restarts at the new dose.
  EXPECT_EQ(h.prescription(0).progress().green_streak(), 0);
  EXPECT_EQ(h.prescription(0).progress().last_traffic_light(), v1::TRAFFIC_LIGHT_GREEN);
  EXPECT_EQ(h.prescription(0).progress().last_done_date(), Date(2));
}

TEST(EngineRules, NextMorningFlareTurnsYesterdaysGreenAmberOrRed) {
  struct Case {
    int morning;
    v1::DecisionKind kind;
    std::string rule;
    std::string exercise_after;
  };
  const Case cases[] = {
      {3, v1::DECISION_KIND_HOLD, "hold.amber", "exercises/partial-squat-45"},
      // Pain during was fine, so a rung down rather than the isometric.
      {4, v1::DECISION_KIND_REGRESS, "regress.red_rung_down", "exercises/sit-to-stand-high"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("morning ", c.morning));
    EngineHarness h = SquatHarness();
    Sessions(h, {{2}}, /*mornings=*/false);
    const EngineResult r = h.CheckInOn(Date(1), CheckIn(c.morning));
    ASSERT_EQ(r.decisions.size(), 1u);
    EXPECT_EQ(r.decisions[0].kind(), c.kind);
    EXPECT_EQ(r.decisions[0].rule(), c.rule);
    EXPECT_EQ(r.decisions[0].inputs().at("report_traffic_light"), "TRAFFIC_LIGHT_GREEN");
    EXPECT_EQ(r.decisions[0].source(), "programs/p/checkIns/8");
    EXPECT_EQ(h.prescription(0).exercise(), c.exercise_after);
    // The stored report keeps its own light; the counters see the full picture.
    EXPECT_EQ(h.history().sessions[0].reports(0).traffic_light(), v1::TRAFFIC_LIGHT_GREEN);
    EXPECT_NE(h.prescription(0).progress().last_traffic_light(), v1::TRAFFIC_LIGHT_GREEN);
  }
}

TEST(EngineRules, UnderDoseThreeTimesSimplifiesAndDoesNotCountAsGreen) {
  EngineHarness h = SquatHarness();
  EngineResult r;
  for (int i = 0; i < 3; ++i) {
    v1::ExerciseReport report = Report(h.prescription(0), 2);
    report.set_reps_done(8);
    r = h.Session(Date(i), {report});
  }
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_SIMPLIFY);
  EXPECT_EQ(r.decisions[0].rule(), "simplify.under_dose");
  EXPECT_EQ(r.decisions[0].inputs().at("under_dose_streak"), "3");
  EXPECT_EQ(h.prescription(0).dose().reps(), 9);
}

TEST(EngineRules, RedTwiceInARowPausesAndAlerts) {
  EngineHarness h = SquatHarness();
  const EngineResult first = Sessions(h, {{6}});
  EXPECT_TRUE(first.alerts.empty());
  const EngineResult r = h.Session(Date(1), {Report(h.prescription(0), 7)});
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].kind(), v1::ALERT_KIND_RED_SESSIONS_IN_A_ROW);
  EXPECT_TRUE(r.alerts[0].paused_program());
  EXPECT_EQ(r.alerts[0].inputs().at("red_in_a_row"), "2");
  EXPECT_EQ(r.decisions.back().kind(), v1::DECISION_KIND_PAUSE);
  EXPECT_EQ(r.decisions.back().rule(), "safety.red_in_a_row");
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
  // The second RED's own step down happened first: the isometric, halved.
  EXPECT_EQ(h.prescription(0).exercise(), "exercises/wall-sit-30-45");
  EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 15);
}

TEST(EngineRules, RedStillPresentAfter72HoursPausesAndAlerts) {
  EngineHarness h = SquatHarness();
  std::vector<size_t> alerts;
  for (int i = 0; i < 4; ++i) alerts.push_back(h.CheckInOn(Date(i), CheckIn(5)).alerts.size());
  EXPECT_THAT(alerts, ::testing::ElementsAre(0, 0, 0, 1));  // 0, 24, 48, then 72 h
  const v1::Alert& alert = h.history().alerts.back();
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_RED_PERSISTING);
  EXPECT_EQ(alert.inputs().at("red_hours"), "72");
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
}

TEST(EngineRules, PausedProgramRecordsReportsButChangesNothing) {
  v1::Program program = MakeProgram({Squat()});
  program.set_state(v1::PROGRAM_STATE_PAUSED);
  EngineHarness h(program);
  h.SteadyMornings("2026-03-02", 7, 2);
  const EngineResult r = Sessions(h, {{6}});
  EXPECT_TRUE(r.decisions.empty());
  EXPECT_TRUE(r.alerts.empty());
  EXPECT_EQ(h.history().sessions[0].traffic_light(), v1::TRAFFIC_LIGHT_RED);
  EXPECT_EQ(h.prescription(0).dose().ShortDebugString(), Reps(3, 12).ShortDebugString());
  EXPECT_EQ(h.prescription(0).progress().red_streak(), 1);
}

TEST(EngineRules, LockedPrescriptionIsNeverChangedButStillCounted) {
  v1::Prescription locked = Squat();
  locked.set_locked(true);
  for (const std::vector<Pain>& pains :
       std::vector<std::vector<Pain>>{{{3}, {3}, {3}}, {{4}, {4}}, {{6}}}) {
    SCOPED_TRACE(absl::StrCat(pains.size(), " sessions"));
    EngineHarness h = SquatHarness(locked);
    const EngineResult r = Sessions(h, pains);
    ASSERT_EQ(r.decisions.size(), 1u);
    EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_HOLD);
    EXPECT_THAT(r.decisions[0].rule(), ::testing::AnyOf("hold.locked", "hold.amber"));
    EXPECT_EQ(h.prescription(0).exercise(), "exercises/partial-squat-45");
    EXPECT_EQ(h.prescription(0).dose().ShortDebugString(), Reps(3, 12).ShortDebugString());
  }
  EngineHarness h = SquatHarness(locked);
  const EngineResult r = Sessions(h, {{3}, {3}, {3}});
  EXPECT_EQ(r.decisions[0].inputs().at("would_be_rule"), "progress.green_streak");
  EXPECT_EQ(h.prescription(0).progress().green_streak(), 3);
  // Noted once per streak, not at every later green.
  EXPECT_TRUE(h.Session(Date(3), {Report(h.prescription(0), 3)}).decisions.empty());
  EXPECT_EQ(h.prescription(0).progress().green_streak(), 3);  // the fourth is pending
  EXPECT_TRUE(h.CheckInOn(Date(4), CheckIn(2)).decisions.empty());
  EXPECT_EQ(h.prescription(0).progress().green_streak(), 4);
}

TEST(EngineRules, UsualPainRisingAlertsOncePerWindow) {
  struct Case {
    std::string name;
    std::vector<std::pair<int, int>> usual;  // (day, usual pain)
    size_t alerts;
  };
  const std::vector<Case> cases = {
      {"up 2 within 7 days", {{0, 2}, {5, 4}}, 1},
      {"up 1", {{0, 2}, {5, 3}}, 0},
      {"up 2 but over 8 days", {{0, 2}, {8, 4}}, 0},
      {"not repeated within the window", {{0, 2}, {5, 4}, {6, 5}}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = SquatHarness();
    for (const auto& [day, usual] : c.usual) {
      v1::MorningCheckIn check_in = CheckIn(2);
      check_in.set_usual_pain(usual);
      h.CheckInOn(Date(day), check_in);
    }
    size_t rising = 0;
    for (const auto& a : h.history().alerts) rising += a.kind() == v1::ALERT_KIND_USUAL_PAIN_RISING;
    EXPECT_EQ(rising, c.alerts);
  }
}

// --- Pain rising fast or sustained above 7/10: urgent review, pause --------------------------

// One day of a pain scenario (day 0 = Date(0), after seven mornings at pain 2).
struct PainDay {
  int day;
  std::optional<int> morning;  // nullopt: no check-in that day
  std::optional<int> usual = std::nullopt;
  std::optional<int> worst = std::nullopt;
  std::optional<int> session = std::nullopt;  // pain during the squat that day
};

// Feeds the days in order, a day's check-in before its session.
void Feed(EngineHarness& h, const std::vector<PainDay>& days) {
  for (const PainDay& d : days) {
    if (d.morning.has_value()) {
      v1::MorningCheckIn check_in = CheckIn(*d.morning);
      if (d.usual.has_value()) check_in.set_usual_pain(*d.usual);
      if (d.worst.has_value()) check_in.set_worst_pain(*d.worst);
      h.CheckInOn(Date(d.day), check_in);
    }
    if (d.session.has_value()) h.Session(Date(d.day), {Report(h.prescription(0), *d.session)});
  }
}

// The dates alerts of `kind` were raised on (the harness stamps noon UTC of the date).
std::vector<std::string> AlertDates(const EngineHarness& h, v1::AlertKind kind) {
  std::vector<std::string> dates;
  for (const auto& a : h.history().alerts) {
    if (a.kind() != kind) continue;
    dates.push_back(FormatLocalDate(
        absl::ToCivilDay(absl::FromUnixSeconds(a.create_time().seconds()), absl::UTCTimeZone())));
  }
  return dates;
}

// What a clinician does after the review: resume the program.
void Resume(EngineHarness& h) {
  h.program().set_state(v1::PROGRAM_STATE_ACTIVE);
  h.program().clear_pause_reason();
}

TEST(EngineRules, PainSustainedAboveSevenAtItsBoundaries) {
  struct Case {
    std::string name;
    std::vector<PainDay> days;
    std::vector<std::string> alerted;  // dates of PAIN_SUSTAINED_HIGH
    int sustained_pain_days = 2;
  };
  const std::vector<Case> cases = {
      {"8 on 2 days pauses on the second", {{0, 8}, {1, 8}}, {Date(1)}},
      {"7 is not above 7", {{0, 7}, {1, 7}, {2, 7}}, {}},
      {"8 on 1 day of 2", {{0, 8}}, {}},
      {"8 then 5", {{0, 8}, {1, 5}}, {}},
      {"a day at 7 breaks the run", {{0, 8}, {1, 7}, {2, 8}}, {}},
      {"days without a check-in do not break it", {{0, 8}, {3, 9}}, {Date(3)}},
      {"nor does a day with only a session at pain 2",
       {{0, 8}, {1, std::nullopt, {}, {}, 2}, {2, 8}},
       {Date(2)}},
      {"usual pain above 7 counts", {{0, 5, 8}, {1, 5, 8}}, {Date(1)}},
      {"worst pain does not", {{0, 5, std::nullopt, 9}, {1, 5, std::nullopt, 9}}, {}},
      {"a day's highest check-in counts", {{0, 8}, {0, 3}, {1, 8}}, {Date(1)}},
      {"3 days needed: not on 2", {{0, 8}, {1, 8}}, {}, 3},
      {"3 days needed: on 3", {{0, 8}, {1, 8}, {2, 8}}, {Date(2)}, 3},
      {"rule off at 0 days", {{0, 9}, {1, 9}, {2, 9}}, {}, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = SquatHarness();
    h.program().mutable_rules()->mutable_alerts()->set_sustained_pain_days(c.sustained_pain_days);
    Feed(h, c.days);
    EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_PAIN_SUSTAINED_HIGH),
                ::testing::ElementsAreArray(c.alerted));
    EXPECT_EQ(h.program().state(),
              c.alerted.empty() ? v1::PROGRAM_STATE_ACTIVE : v1::PROGRAM_STATE_PAUSED);
  }
}

TEST(EngineRules, PainSustainedHighPausesForAnUrgentReviewNamingTheNumbers) {
  EngineHarness h = SquatHarness();
  EXPECT_TRUE(h.CheckInOn(Date(0), CheckIn(8)).alerts.empty());
  const EngineResult r = h.CheckInOn(Date(1), CheckIn(9));
  ASSERT_EQ(r.alerts.size(), 1u);
  const v1::Alert& alert = r.alerts[0];
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_PAIN_SUSTAINED_HIGH);
  EXPECT_TRUE(alert.paused_program());
  EXPECT_THAT(alert.red_flags(),
              ::testing::ElementsAre(v1::RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN));
  EXPECT_THAT(alert.patient_advice(), ::testing::HasSubstr("review"));
  EXPECT_EQ(alert.message(),
            "Pain above 7/10 on 2 days with check-ins in a row since 2026-03-09 (2026-03-09: 8, "
            "2026-03-10: 9; limit 2 days): urgent review, program paused.");
  EXPECT_EQ(alert.inputs().at("pain_high_days"), "2");
  EXPECT_EQ(alert.inputs().at("pain_now"), "9");
  EXPECT_EQ(alert.inputs().at("pain_high_since"), "2026-03-09");
  EXPECT_EQ(alert.inputs().at("pain_high_until"), "2026-03-10");
  EXPECT_EQ(alert.inputs().at("sustained_pain_above"), "7");
  EXPECT_EQ(alert.inputs().at("sustained_pain_days"), "2");
  ASSERT_EQ(r.decisions.size(), 1u);
  const v1::Decision& pause = r.decisions[0];
  EXPECT_EQ(pause.kind(), v1::DECISION_KIND_PAUSE);
  EXPECT_EQ(pause.rule(), "safety.pain_sustained_high");
  EXPECT_EQ(pause.state(), v1::DECISION_STATE_APPLIED);
  EXPECT_EQ(pause.source(), "programs/p/checkIns/9");
  EXPECT_EQ(pause.inputs().at("pain_high_days"), "2");
  EXPECT_EQ(pause.inputs().at("sustained_pain_above"), "7");
  EXPECT_THAT(pause.patient_reason(), ::testing::HasSubstr("above 7/10"));
  EXPECT_THAT(pause.clinician_reason(), ::testing::HasSubstr("2026-03-09: 8, 2026-03-10: 9"));
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(h.program().pause_reason(), "Pain above 7/10 on 2 days in a row");
}

TEST(EngineRules, PainSustainedHighIsNotRaisedAgainForTheDaysItCounted) {
  EngineHarness h = SquatHarness();
  Feed(h, {{0, 8}, {1, 8}});
  ASSERT_THAT(AlertDates(h, v1::ALERT_KIND_PAIN_SUSTAINED_HIGH), ::testing::ElementsAre(Date(1)));
  Resume(h);  // reviewed at once
  // Days 0 and 1 were counted: one more day at 8 is a run of one.
  EXPECT_TRUE(h.CheckInOn(Date(2), CheckIn(8)).alerts.empty());
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_ACTIVE);
  // A new run of two after the alert pauses again.
  EXPECT_EQ(h.CheckInOn(Date(3), CheckIn(8)).alerts.size(), 1u);
  EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_PAIN_SUSTAINED_HIGH),
              ::testing::ElementsAre(Date(1), Date(3)));
  EXPECT_EQ(h.history().alerts.back().inputs().at("pain_high_since"), Date(2));
}

TEST(EngineRules, PainSustainedHighIsSilentWhilePausedAndCountsThoseDaysAfter) {
  EngineHarness h = SquatHarness();
  Feed(h, {{0, 8}, {1, 8}, {2, 9}, {3, 9}});
  EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_PAIN_SUSTAINED_HIGH), ::testing::ElementsAre(Date(1)));
  EXPECT_EQ(h.history().alerts.size(), 1u);  // nothing else either while paused
  // Resumed with the pain still above 7 since the alert: the next such day pauses again (a
  // clinician who accepts it raises sustained_pain_days for the patient, or sets it to 0).
  Resume(h);
  Feed(h, {{4, 9}});
  EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_PAIN_SUSTAINED_HIGH),
              ::testing::ElementsAre(Date(1), Date(4)));
  EXPECT_EQ(h.history().alerts.back().inputs().at("pain_high_days"), "3");
}

TEST(EngineRules, UsualPainRisingFastAtItsBoundariesAndBesideTheAlertOnlyRise) {
  struct Case {
    std::string name;
    std::vector<std::pair<int, int>> usual;  // (day, usual pain); morning pain 2
    std::vector<std::string> fast;           // dates of USUAL_PAIN_RISING_FAST
    std::vector<std::string> slow;           // dates of USUAL_PAIN_RISING
    int fast_rise_points = 3;
  };
  const std::vector<Case> cases = {
      {"up 3 within 3 days pauses, and only that is raised", {{0, 2}, {3, 5}}, {Date(3)}, {}},
      {"up 3 in a day", {{0, 2}, {1, 5}}, {Date(1)}, {}},
      {"up 2 within 3 days: the alert-only rule", {{0, 2}, {3, 4}}, {}, {Date(3)}},
      {"up 3 over 4 days: outside the window", {{0, 2}, {4, 5}}, {}, {Date(4)}},
      {"up 3 after a dip within the window", {{0, 5}, {1, 2}, {3, 5}}, {Date(3)}, {}},
      {"up 2 alerts, one more within 3 days pauses",
       {{0, 2}, {1, 4}, {3, 5}},
       {Date(3)},
       {Date(1)}},
      {"rule off at 0 points", {{0, 2}, {3, 5}}, {}, {Date(3)}, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = SquatHarness();
    h.program().mutable_rules()->mutable_alerts()->set_usual_pain_fast_rise_points(
        c.fast_rise_points);
    for (const auto& [day, usual] : c.usual) Feed(h, {{day, 2, usual}});
    EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_USUAL_PAIN_RISING_FAST),
                ::testing::ElementsAreArray(c.fast));
    EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_USUAL_PAIN_RISING),
                ::testing::ElementsAreArray(c.slow));
    EXPECT_EQ(h.program().state(),
              c.fast.empty() ? v1::PROGRAM_STATE_ACTIVE : v1::PROGRAM_STATE_PAUSED);
  }
}

TEST(EngineRules, UsualPainRisingFastPausesForAnUrgentReviewNamingTheNumbers) {
  EngineHarness h = SquatHarness();
  Feed(h, {{0, 2, 2}});
  v1::MorningCheckIn check_in = CheckIn(2);
  check_in.set_usual_pain(5);
  const EngineResult r = h.CheckInOn(Date(3), check_in);
  ASSERT_EQ(r.alerts.size(), 1u);
  const v1::Alert& alert = r.alerts[0];
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_USUAL_PAIN_RISING_FAST);
  EXPECT_TRUE(alert.paused_program());
  EXPECT_THAT(alert.red_flags(),
              ::testing::ElementsAre(v1::RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN));
  EXPECT_THAT(alert.patient_advice(), ::testing::HasSubstr("review"));
  EXPECT_EQ(alert.message(),
            "Usual pain up 3 points in 3 days (2 on 2026-03-09 -> 5 on 2026-03-12; limit 3 "
            "within 3 days): urgent review, program paused.");
  EXPECT_EQ(alert.inputs().at("usual_pain_before"), "2");
  EXPECT_EQ(alert.inputs().at("usual_pain_before_date"), "2026-03-09");
  EXPECT_EQ(alert.inputs().at("usual_pain_now"), "5");
  EXPECT_EQ(alert.inputs().at("usual_pain_fast_rise_points"), "3");
  EXPECT_EQ(alert.inputs().at("usual_pain_fast_window_days"), "3");
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_PAUSE);
  EXPECT_EQ(r.decisions[0].rule(), "safety.usual_pain_rising_fast");
  EXPECT_EQ(r.decisions[0].inputs().at("usual_pain_now"), "5");
  EXPECT_THAT(r.decisions[0].clinician_reason(), ::testing::HasSubstr("2 on 2026-03-09 -> 5"));
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(h.program().pause_reason(), "Usual pain up 3 points in 3 days");
}

TEST(EngineRules, UsualPainRisingFastIsNotRepeatedForTheSameRise) {
  EngineHarness h = SquatHarness();
  Feed(h, {{0, 2, 2}, {1, 2, 2}, {3, 2, 5}});
  ASSERT_THAT(AlertDates(h, v1::ALERT_KIND_USUAL_PAIN_RISING_FAST),
              ::testing::ElementsAre(Date(3)));
  Resume(h);
  // Day 4 still sees day 1's 2 within 3 days; day 5 sees only the 5s.
  Feed(h, {{4, 2, 5}, {5, 2, 5}});
  EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_USUAL_PAIN_RISING_FAST),
              ::testing::ElementsAre(Date(3)));
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_ACTIVE);
  // A new rise of 3 pauses again.
  Feed(h, {{7, 2, 8}});
  EXPECT_THAT(AlertDates(h, v1::ALERT_KIND_USUAL_PAIN_RISING_FAST),
              ::testing::ElementsAre(Date(3), Date(7)));
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
}

TEST(EngineRules, PainHighAndRisingFastOnOneCheckInRaiseOneAlert) {
  EngineHarness h = SquatHarness();
  Feed(h, {{0, 8, 5}, {1, 8, 8}});
  ASSERT_EQ(h.history().alerts.size(), 1u);
  EXPECT_EQ(h.history().alerts[0].kind(), v1::ALERT_KIND_USUAL_PAIN_RISING_FAST);
  EXPECT_TRUE(h.history().alerts[0].paused_program());
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
}

// --- Approval mode and ApplyDecision -------------------------------------------------------

EngineHarness ApprovalHarness() {
  v1::Program program = MakeProgram({Squat()});
  program.set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  EngineHarness h(program);
  h.SteadyMornings("2026-03-02", 7, 2);
  return h;
}

TEST(EngineRules, ApprovalModeProposesAndApplyDecisionApplies) {
  EngineHarness h = ApprovalHarness();
  const EngineResult r = Sessions(h, {{2}, {2}, {2}});
  ASSERT_EQ(r.decisions.size(), 1u);
  const v1::Decision proposal = r.decisions[0];
  EXPECT_EQ(proposal.state(), v1::DECISION_STATE_PROPOSED);
  EXPECT_EQ(proposal.dose_after().reps(), 14);
  EXPECT_EQ(h.prescription(0).dose().reps(), 12);  // not applied

  auto applied = ApplyDecision(h.Context(Date(3)), h.program(), proposal);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->prescriptions(0).dose().reps(), 14);
  // Applying again: the prescription changed since the proposal.
  EXPECT_EQ(ApplyDecision(h.Context(Date(3)), *applied, proposal).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EngineRules, ApplyDecisionRefusesWhatNoLongerHolds) {
  EngineHarness h = ApprovalHarness();
  const v1::Decision proposal = Sessions(h, {{2}, {2}, {2}}).decisions.at(0);
  struct Case {
    std::string name;
    std::function<void(v1::Program&, v1::Decision&)> change;
    absl::StatusCode code;
  };
  const std::vector<Case> cases = {
      {"locked since",
       [](v1::Program& p, v1::Decision&) { p.mutable_prescriptions(0)->set_locked(true); },
       absl::StatusCode::kFailedPrecondition},
      {"dose changed by the clinician",
       [](v1::Program& p, v1::Decision&) {
         p.mutable_prescriptions(0)->mutable_dose()->set_reps(13);
       },
       absl::StatusCode::kFailedPrecondition},
      {"program completed",
       [](v1::Program& p, v1::Decision&) { p.set_state(v1::PROGRAM_STATE_COMPLETED); },
       absl::StatusCode::kFailedPrecondition},
      // The easier dose a clinician approves before resuming.
      {"program paused",
       [](v1::Program& p, v1::Decision&) { p.set_state(v1::PROGRAM_STATE_PAUSED); },
       absl::StatusCode::kOk},
      {"prescription gone",
       [](v1::Program&, v1::Decision& d) { d.set_prescription("programs/p/prescriptions/9"); },
       absl::StatusCode::kNotFound},
      {"a hold changes nothing",
       [](v1::Program&, v1::Decision& d) { d.set_kind(v1::DECISION_KIND_HOLD); },
       absl::StatusCode::kOk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Program program = h.program();
    v1::Decision decision = proposal;
    c.change(program, decision);
    EXPECT_EQ(ApplyDecision(h.Context(Date(3)), program, decision).status().code(), c.code);
  }
}

TEST(EngineRules, ApprovedSwapRemembersTheExerciseSwappedFrom) {
  EngineHarness h = ApprovalHarness();
  const v1::Decision swap = Sessions(h, {{6}}).decisions.at(0);
  EXPECT_EQ(swap.kind(), v1::DECISION_KIND_SWAP_TO_ISOMETRIC);
  EXPECT_EQ(swap.state(), v1::DECISION_STATE_PROPOSED);
  auto applied = ApplyDecision(h.Context(Date(1)), h.program(), swap);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->prescriptions(0).exercise(), "exercises/wall-sit-30-45");
  EXPECT_EQ(applied->prescriptions(0).progress().swapped_from_exercise(),
            "exercises/partial-squat-45");
}

TEST(EngineRules, ApprovedPhaseChangeAddsTheTemplateAndItsFrequencyRules) {
  EngineHarness h(MakeProgram({Squat()}));
  v1::Decision change;
  change.set_kind(v1::DECISION_KIND_CHANGE_PHASE);
  change.set_phase_before(v1::PHASE_STRENGTHEN);
  change.set_phase_after(v1::PHASE_RETURN_TO_RUN);
  auto applied = ApplyDecision(h.Context("2026-04-01"), h.program(), change);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->phase(), v1::PHASE_RETURN_TO_RUN);
  EXPECT_EQ(applied->phase_start_date(), "2026-04-01");
  ASSERT_EQ(applied->prescriptions_size(), 3);
  EXPECT_EQ(applied->prescriptions(1).name(), "programs/p/prescriptions/2");
  EXPECT_EQ(applied->prescriptions(1).exercise(), "exercises/run-walk-stage-1");
  EXPECT_EQ(applied->prescriptions(1).added_in_phase(), v1::PHASE_RETURN_TO_RUN);
  for (const auto& rule : applied->rules().frequency_rules()) {
    if (rule.frequency_class() == v1::FREQUENCY_CLASS_LOADED_STRENGTH) {
      EXPECT_EQ(rule.max_per_week(), 2);
    }
  }
  change.set_phase_before(v1::PHASE_SETTLE);
  EXPECT_EQ(ApplyDecision(h.Context("2026-04-01"), h.program(), change).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(EngineRules, PhaseChangeIsProposedInApprovalMode) {
  // Settle with every exit criterion met: 7 green mornings, usual pain 3, wall sit 5 x 45 s
  // green with a green next morning, brisk walk at pain 2.
  v1::Prescription held = MakePrescription(1, "wall-sit-30-45", "quad-isometric");
  held.mutable_dose()->set_hold_seconds(45);
  const auto walk = MakePrescription(2, "brisk-walk");
  v1::Program program = MakeProgram({held, walk}, v1::PHASE_SETTLE);
  program.set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  EngineHarness h(program);
  h.SteadyMornings("2026-03-02", 8, 2);
  h.Session(Date(0), {Report(h.prescription(0), 2), Report(h.prescription(1), 2)});
  v1::MorningCheckIn check_in = CheckIn(2);
  check_in.set_usual_pain(3);
  const EngineResult r = h.CheckInOn(Date(1), check_in);
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_CHANGE_PHASE);
  EXPECT_EQ(r.decisions[0].state(), v1::DECISION_STATE_PROPOSED);
  EXPECT_EQ(r.decisions[0].phase_after(), v1::PHASE_STRENGTHEN);
  EXPECT_EQ(r.decisions[0].inputs().at("green_mornings_in_a_row"), "9");
  EXPECT_EQ(h.program().phase(), v1::PHASE_SETTLE);
  EXPECT_EQ(h.program().prescriptions_size(), 2);
}

}  // namespace
}  // namespace kneecoach
