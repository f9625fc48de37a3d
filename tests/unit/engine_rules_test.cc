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

// Reports the squat once a day with these pains; returns the last session's result.
EngineResult Sessions(EngineHarness& h, const std::vector<Pain>& pains) {
  EngineResult last;
  for (size_t i = 0; i < pains.size(); ++i) {
    last = h.Session(Date(static_cast<int>(i)),
                     {Report(h.prescription(0), pains[i].during, pains[i].after)});
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
};

TEST(EngineRules, ActionsOnTheLastSessionAtTheirBoundaries) {
  const std::vector<RuleCase> cases = {
      {"GREEN x2 is not enough", {{3}, {3}}, std::nullopt, "", "partial-squat-45", Reps(3, 12)},
      {"GREEN x3 (pain 3) progresses reps", {{3}, {3}, {3}}, v1::DECISION_KIND_PROGRESS,
       "progress.green_streak", "partial-squat-45", Reps(3, 14)},
      {"pain 4 is AMBER: hold", {{4}}, v1::DECISION_KIND_HOLD, "hold.amber", "partial-squat-45",
       Reps(3, 12)},
      {"not settled 1 h after is AMBER", {{1, 3}}, v1::DECISION_KIND_HOLD, "hold.amber",
       "partial-squat-45", Reps(3, 12)},
      {"settled at baseline is GREEN", {{1, 2}, {1, 2}, {1, 2}}, v1::DECISION_KIND_PROGRESS,
       "progress.green_streak", "partial-squat-45", Reps(3, 14)},
      {"AMBER x2 (pain 5) regresses volume -25%", {{4}, {5}}, v1::DECISION_KIND_REGRESS,
       "regress.amber_streak", "partial-squat-45", Reps(3, 9)},
      {"an AMBER breaks the green streak", {{3}, {3}, {4}, {3}}, std::nullopt, "",
       "partial-squat-45", Reps(3, 12)},
      {"pain 6 during dynamic work: swap to the isometric", {{6}},
       v1::DECISION_KIND_SWAP_TO_ISOMETRIC, "swap.red_painful_dynamic", "wall-sit-30-45",
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
      EXPECT_EQ(d.source(), absl::StrCat("programs/p/sessions/", c.pains.size()));
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
    Sessions(h, {{2}});
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
      {"locked since", [](v1::Program& p, v1::Decision&) {
         p.mutable_prescriptions(0)->set_locked(true);
       }, absl::StatusCode::kFailedPrecondition},
      {"dose changed by the clinician", [](v1::Program& p, v1::Decision&) {
         p.mutable_prescriptions(0)->mutable_dose()->set_reps(13);
       }, absl::StatusCode::kFailedPrecondition},
      {"program paused", [](v1::Program& p, v1::Decision&) {
         p.set_state(v1::PROGRAM_STATE_PAUSED);
       }, absl::StatusCode::kFailedPrecondition},
      {"prescription gone", [](v1::Program&, v1::Decision& d) {
         d.set_prescription("programs/p/prescriptions/9");
       }, absl::StatusCode::kNotFound},
      {"a hold changes nothing", [](v1::Program&, v1::Decision& d) {
         d.set_kind(v1::DECISION_KIND_HOLD);
       }, absl::StatusCode::kOk},
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
