// Return to run: stage advance, amber repeats, stopped runs, red runs (rest, one or two
// stages back, pain still there next morning), two reds in a row, stage 8 at 20 then 30
// min, and the cadence module.
#include <optional>
#include <string>
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

// Runs every other day from 2026-03-09, after seven mornings at pain 1 (baseline 1).
std::string RunDay(int i) { return FormatLocalDate(testing::Day("2026-03-09") + 2 * i); }

EngineHarness RunnerAt(absl::string_view stage, int continuous_seconds = 0) {
  v1::Prescription run = MakePrescription(1, stage, "return-to-run");
  if (continuous_seconds > 0) run.mutable_dose()->set_duration_seconds(continuous_seconds);
  EngineHarness h(MakeProgram({run}, v1::PHASE_RETURN_TO_RUN));
  h.SteadyMornings("2026-03-02", 7, 1);
  return h;
}

struct Run {
  int pain;
  bool stopped = false;
  int cadence = 0;
};

// What one run led to: its own decisions and alerts, then its next morning's.
EngineResult Merge(EngineResult run, const EngineResult& morning) {
  for (const auto& d : morning.decisions) run.decisions.push_back(d);
  for (const auto& a : morning.alerts) run.alerts.push_back(a);
  run.program = morning.program;
  return run;
}

// Each run followed by the next morning's check-in at baseline (1) when `mornings`: a GREEN
// run counts once its next morning confirms it. Returns what the last run led to.
EngineResult Runs(EngineHarness& h, const std::vector<Run>& runs, int first_day = 0,
                  bool mornings = true) {
  EngineResult last;
  for (size_t i = 0; i < runs.size(); ++i) {
    v1::ExerciseReport report = Report(h.prescription(0), runs[i].pain, 1);
    report.set_stopped_early(runs[i].stopped);
    report.set_cadence_spm(runs[i].cadence);
    const std::string day = RunDay(first_day + static_cast<int>(i));
    last = h.Session(day, {report});
    if (mornings) {
      last =
          Merge(std::move(last), h.CheckInOn(FormatLocalDate(testing::Day(day) + 1), CheckIn(1)));
    }
  }
  return last;
}

std::vector<std::string> Rules(const EngineResult& r) {
  std::vector<std::string> rules;
  for (const auto& d : r.decisions) rules.push_back(d.rule());
  return rules;
}

struct StageCase {
  std::string name;
  std::string start;
  std::vector<Run> runs;
  std::vector<std::string> rules;  // of the last run
  std::string stage_after;
  std::string rest_until;
};

TEST(EngineRunning, StageRulesOnTheLastRun) {
  const std::vector<StageCase> cases = {
      {"one green run: stay", "run-walk-stage-3", {{2}}, {}, "run-walk-stage-3", ""},
      {"two green runs (pain 2): next stage",
       "run-walk-stage-3",
       {{2}, {2}},
       {"run.advance"},
       "run-walk-stage-4",
       ""},
      {"pain 3 is amber for running: repeat",
       "run-walk-stage-3",
       {{2}, {3}},
       {"run.hold_amber"},
       "run-walk-stage-3",
       ""},
      {"stopped run without red: one stage back, no rest",
       "run-walk-stage-3",
       {{2, true}},
       {"run.step_back_stopped"},
       "run-walk-stage-2",
       ""},
      {"red (pain 4): rest 48 h and one stage back",
       "run-walk-stage-3",
       {{4}},
       {"run.rest_after_red", "run.step_back_red"},
       "run-walk-stage-2",
       "2026-03-12"},
      {"red (pain 5) is not severe: one stage back",
       "run-walk-stage-3",
       {{5}},
       {"run.rest_after_red", "run.step_back_red"},
       "run-walk-stage-2",
       "2026-03-12"},
      {"red with pain above 5: two stages back",
       "run-walk-stage-3",
       {{6}},
       {"run.rest_after_red", "run.step_back_red_severe"},
       "run-walk-stage-1",
       "2026-03-12"},
      {"stage 1 cannot go lower", "run-walk-stage-1", {{2, true}}, {}, "run-walk-stage-1", ""},
  };
  for (const StageCase& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = RunnerAt(c.start);
    const EngineResult r = Runs(h, c.runs);
    EXPECT_THAT(Rules(r), ::testing::ElementsAreArray(c.rules));
    EXPECT_EQ(h.prescription(0).exercise(), absl::StrCat("exercises/", c.stage_after));
    EXPECT_EQ(h.prescription(0).progress().rest_until_date(), c.rest_until);
    const v1::Dose expected = testing::TestLibrary().FindExercise(c.stage_after)->starting_dose();
    EXPECT_EQ(h.prescription(0).dose().run_seconds(), expected.run_seconds());
    EXPECT_EQ(h.prescription(0).dose().sets(), expected.sets());
  }
}

TEST(EngineRunning, StageEightIsTwentyThenThirtyMinutesThenStays) {
  EngineHarness h = RunnerAt("run-walk-stage-7");
  Runs(h, {{1}, {1}});
  EXPECT_EQ(h.prescription(0).exercise(), "exercises/run-walk-stage-8");
  EXPECT_EQ(h.prescription(0).dose().duration_seconds(), 1200);
  EXPECT_EQ(h.prescription(0).dose().run_seconds(), 0);
  const EngineResult r = Runs(h, {{1}, {1}}, 2);
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_ADVANCE_STAGE);
  EXPECT_EQ(r.decisions[0].inputs().at("stage_after"), "stage 8 (30 min continuous)");
  EXPECT_EQ(h.prescription(0).dose().duration_seconds(), 1800);
  // The last stage: no stage decision. Two green 30 min runs, each confirmed by its next
  // morning, meet the exit test of return to run.
  EXPECT_THAT(Rules(Runs(h, {{1}, {1}}, 4)), ::testing::ElementsAre("phase.exit_criteria"));
  EXPECT_EQ(h.prescription(0).dose().duration_seconds(), 1800);
}

TEST(EngineRunning, PainStillThereTheNextMorningMeansTwoStagesBack) {
  struct Case {
    std::string name;
    int pain;
    int morning;
    std::vector<std::string> morning_rules;
    std::string stage_after;
  };
  const std::vector<Case> cases = {
      {"red run, morning above baseline: one more stage",
       4,
       2,
       {"run.step_back_pain_after_24h"},
       "run-walk-stage-3"},
      {"red run, morning at baseline: nothing more", 4, 1, {}, "run-walk-stage-4"},
      {"green run, red morning: rest and two back",
       2,
       3,
       {"run.rest_after_red", "run.step_back_pain_after_24h"},
       "run-walk-stage-3"},
      {"green run, amber morning: repeat",
       2,
       2,
       {"run.hold_amber_next_morning"},
       "run-walk-stage-5"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EngineHarness h = RunnerAt("run-walk-stage-5");
    Runs(h, {{c.pain}}, 0, /*mornings=*/false);
    const EngineResult r = h.CheckInOn("2026-03-10", CheckIn(c.morning));
    EXPECT_THAT(Rules(r), ::testing::ElementsAreArray(c.morning_rules));
    EXPECT_EQ(h.prescription(0).exercise(), absl::StrCat("exercises/", c.stage_after));
  }
}

TEST(EngineRunning, TwoRedRunsInARowAlertTheClinician) {
  EngineHarness h = RunnerAt("run-walk-stage-5");
  EXPECT_TRUE(Runs(h, {{4}}).alerts.empty());
  const EngineResult r = Runs(h, {{4}}, 2);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].kind(), v1::ALERT_KIND_RED_SESSIONS_IN_A_ROW);
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(h.prescription(0).exercise(), "exercises/run-walk-stage-3");
}

TEST(EngineRunning, ApprovalModeProposesStagesButRestsAtOnce) {
  v1::Program program = MakeProgram({MakePrescription(1, "run-walk-stage-3", "return-to-run")},
                                    v1::PHASE_RETURN_TO_RUN);
  program.set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  EngineHarness h(program);
  h.SteadyMornings("2026-03-02", 7, 1);
  const EngineResult r = Runs(h, {{4}});
  ASSERT_EQ(r.decisions.size(), 2u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_REST_FROM_RUNNING);
  EXPECT_EQ(r.decisions[0].state(), v1::DECISION_STATE_APPLIED);
  EXPECT_EQ(r.decisions[1].kind(), v1::DECISION_KIND_STEP_BACK_STAGE);
  EXPECT_EQ(r.decisions[1].state(), v1::DECISION_STATE_PROPOSED);
  EXPECT_EQ(h.prescription(0).exercise(), "exercises/run-walk-stage-3");
  EXPECT_EQ(h.prescription(0).progress().rest_until_date(), "2026-03-12");
}

EngineHarness CadenceRunner(int baseline_spm) {
  EngineHarness h = RunnerAt("run-walk-stage-8", 1800);  // last stage: only cadence moves
  // Confirmed green runs at 30 min would end return to run and then grow the run in
  // maintenance: in maintenance, the clinician holds the volume so only the cadence moves.
  h.program().set_phase(v1::PHASE_MAINTENANCE);
  h.program().mutable_rules()->mutable_maintenance()->set_greens_to_increase(1000);
  h.program().mutable_cadence()->set_enabled(true);
  h.program().mutable_cadence()->set_baseline_spm(baseline_spm);
  return h;
}

TEST(EngineRunning, CadenceCuesFiveThenTenPercentOfTheRunnersOwnBaseline) {
  EngineHarness h = CadenceRunner(150);
  const EngineResult start = Runs(h, {{1, false, 150}});
  EXPECT_THAT(Rules(start), ::testing::ElementsAre("cadence.start"));
  EXPECT_EQ(h.program().cadence().target_spm(), 158);  // 150 + 5%, not a fixed 180
  const EngineResult next = Runs(h, {{1, false, 158}, {1, false, 160}}, 1);
  EXPECT_THAT(Rules(next), ::testing::ElementsAre("cadence.next_step"));
  EXPECT_EQ(h.program().cadence().step_index(), 1);
  EXPECT_EQ(h.program().cadence().target_spm(), 165);
  EXPECT_TRUE(Runs(h, {{1, false, 166}, {1, false, 166}}, 3).decisions.empty());  // last step
}

TEST(EngineRunning, CadenceIsDroppedForNonResponders) {
  EngineHarness h = CadenceRunner(0);  // baseline taken from the first run
  Runs(h, {{1, false, 160}});
  EXPECT_EQ(h.program().cadence().baseline_spm(), 160);
  EXPECT_EQ(h.program().cadence().target_spm(), 168);
  // Misses: below target, amber, below target.
  const EngineResult r = Runs(h, {{1, false, 161}, {3, false, 170}, {1, false, 162}}, 1);
  EXPECT_THAT(Rules(r), ::testing::ElementsAre("cadence.non_responder"));
  EXPECT_FALSE(h.program().cadence().enabled());
  EXPECT_EQ(h.program().cadence().miss_streak(), 3);
}

}  // namespace
}  // namespace kneecoach
