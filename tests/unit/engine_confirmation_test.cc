// A session counts towards a progression only once its next morning confirms it GREEN
// (clinical.md: GREEN needs next-morning pain <= baseline and no swelling), and caution never
// waits: the boundaries of confirmation for strength, run stages, cadence and phase exits;
// a missing check-in before and after the protocol's unconfirmed_counts_after_hours; a
// regression that never raises the patellofemoral load; and regressions that fit each
// exercise category.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/domain/engine.h"
#include "service/domain/progression.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::kneecoach::testing::CheckIn;
using ::kneecoach::testing::EngineHarness;
using ::kneecoach::testing::MakePrescription;
using ::kneecoach::testing::MakeProgram;
using ::kneecoach::testing::Report;

// Sessions start on 2026-03-09 after seven mornings at pain 2 (baseline 2).
std::string Date(int i) { return FormatLocalDate(testing::Day("2026-03-09") + i); }

std::vector<v1::Decision> OfKind(const EngineResult& r, v1::DecisionKind kind) {
  std::vector<v1::Decision> out;
  for (const auto& d : r.decisions) {
    if (d.kind() == kind) out.push_back(d);
  }
  return out;
}

EngineHarness WallSitHarness() {
  EngineHarness h(MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")}));
  h.SteadyMornings("2026-03-02", 7, 2);
  return h;
}

// Green wall sits on days 0, 1 and 2, each but the last followed by a morning at baseline.
void ThreeGreenWallSits(EngineHarness& h) {
  for (int i = 0; i < 3; ++i) {
    const EngineResult r = h.Session(Date(i), {Report(h.prescription(0), 1, 2)});
    // The session alone never progresses: its next morning is not known yet.
    EXPECT_TRUE(OfKind(r, v1::DECISION_KIND_PROGRESS).empty()) << "session " << i;
    if (i < 2) h.CheckInOn(Date(i + 1), CheckIn(2));
  }
  EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 30);
}

TEST(EngineConfirmation, TheThirdGreenProgressesOnlyWhenTheMorningIsAtBaseline) {
  {
    SCOPED_TRACE("morning at baseline confirms: 5 x 30 s -> 5 x 45 s, carried by the check-in");
    EngineHarness h = WallSitHarness();
    ThreeGreenWallSits(h);
    const EngineResult r = h.CheckInOn(Date(3), CheckIn(2));
    const auto progress = OfKind(r, v1::DECISION_KIND_PROGRESS);
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0].source(), "programs/p/checkIns/10");
    EXPECT_EQ(progress[0].inputs().at("green_streak"), "3");
    EXPECT_EQ(progress[0].inputs().at("report_date"), Date(2));
    EXPECT_EQ(progress[0].inputs().at("confirmed_by"), absl::StrCat("morning check-in ", Date(3)));
    EXPECT_EQ(progress[0].dose_before().hold_seconds(), 30);
    EXPECT_EQ(progress[0].dose_after().hold_seconds(), 45);
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 45);
  }
  {
    SCOPED_TRACE("morning at baseline + 1 is AMBER: hold at the old dose, no progression");
    EngineHarness h = WallSitHarness();
    ThreeGreenWallSits(h);
    const EngineResult r = h.CheckInOn(Date(3), CheckIn(3));
    EXPECT_TRUE(OfKind(r, v1::DECISION_KIND_PROGRESS).empty());
    const auto holds = OfKind(r, v1::DECISION_KIND_HOLD);
    ASSERT_EQ(holds.size(), 1u);
    EXPECT_EQ(holds[0].rule(), "hold.amber");
    EXPECT_EQ(holds[0].dose_before().hold_seconds(), 30);
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 30);
    EXPECT_EQ(h.prescription(0).progress().green_streak(), 0);
  }
}

// Three green wall sits on days 0-2 and no check-in after them; the next event is a
// session on day `next`.
EngineResult UnconfirmedThenSessionOn(EngineHarness& h, int next) {
  for (int i = 0; i < 3; ++i) h.Session(Date(i), {Report(h.prescription(0), 1)});
  return h.Session(Date(next), {Report(h.prescription(0), 1)});
}

TEST(EngineConfirmation, AMissingCheckInCountsOnlyAfterTheConfiguredHours) {
  ASSERT_EQ(testing::DefaultProtocol().rules().confirmation().unconfirmed_counts_after_hours(), 48);
  {
    SCOPED_TRACE("day 4: 24 h since the end of day 2, not yet 48");
    EngineHarness h = WallSitHarness();
    const EngineResult r = UnconfirmedThenSessionOn(h, 4);
    EXPECT_TRUE(OfKind(r, v1::DECISION_KIND_PROGRESS).empty());
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 30);
  }
  {
    SCOPED_TRACE("day 5: 48 h passed without a check-in, the third green counts");
    EngineHarness h = WallSitHarness();
    const EngineResult r = UnconfirmedThenSessionOn(h, 5);
    const auto progress = OfKind(r, v1::DECISION_KIND_PROGRESS);
    ASSERT_EQ(progress.size(), 1u);
    EXPECT_EQ(progress[0].inputs().at("report_date"), Date(2));
    EXPECT_THAT(progress[0].inputs().at("confirmed_by"), ::testing::HasSubstr("within 48 h"));
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 45);
  }
  {
    SCOPED_TRACE("0 hours: an unconfirmed session never counts");
    v1::Program program = MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")});
    program.mutable_rules()->mutable_confirmation()->set_unconfirmed_counts_after_hours(0);
    EngineHarness h(std::move(program));
    h.SteadyMornings("2026-03-02", 7, 2);
    const EngineResult r = UnconfirmedThenSessionOn(h, 30);
    EXPECT_TRUE(OfKind(r, v1::DECISION_KIND_PROGRESS).empty());
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), 30);
  }
  for (int next : {4, 5}) {
    SCOPED_TRACE(absl::StrCat("created before the rule, its protocol's 48 h: day ", next));
    v1::Program program = MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")});
    program.mutable_rules()->clear_confirmation();
    program.mutable_rules()->clear_regression_variables();
    EngineHarness h(std::move(program));
    h.SteadyMornings("2026-03-02", 7, 2);
    UnconfirmedThenSessionOn(h, next);
    EXPECT_EQ(h.prescription(0).dose().hold_seconds(), next == 5 ? 45 : 30);
  }
}

TEST(EngineConfirmation, RegressionsDoNotWaitForTheMorning) {
  EngineHarness h = WallSitHarness();
  const EngineResult r = h.Session(Date(0), {Report(h.prescription(0), 6)});
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].kind(), v1::DECISION_KIND_REGRESS);
  EXPECT_EQ(r.decisions[0].source(), "programs/p/sessions/1");
}

// ----- Run stages ------------------------------------------------------------------------

EngineHarness RunHarness() {
  EngineHarness h(MakeProgram({MakePrescription(1, "run-walk-stage-3", "return-to-run")},
                              v1::PHASE_RETURN_TO_RUN));
  h.SteadyMornings("2026-03-02", 7, 2);
  return h;
}

TEST(EngineConfirmation, ARunStageAdvancesOnlyWhenTheMorningAfterTheSecondGreenRunIsGreen) {
  struct Case {
    int morning;
    bool advances;
    std::string rule;
  };
  const Case cases[] = {{2, true, "run.advance"}, {3, false, "run.hold_amber_next_morning"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("morning after the second run at ", c.morning));
    EngineHarness h = RunHarness();
    EXPECT_TRUE(h.Session(Date(0), {Report(h.prescription(0), 1)}).decisions.empty());
    h.CheckInOn(Date(1), CheckIn(2));
    // The second green run: nothing until its morning.
    EXPECT_TRUE(h.Session(Date(2), {Report(h.prescription(0), 1)}).decisions.empty());
    EXPECT_EQ(h.prescription(0).exercise(), "exercises/run-walk-stage-3");
    const EngineResult r = h.CheckInOn(Date(3), CheckIn(c.morning));
    ASSERT_EQ(r.decisions.size(), 1u);
    EXPECT_EQ(r.decisions[0].rule(), c.rule);
    EXPECT_EQ(h.prescription(0).exercise(),
              c.advances ? "exercises/run-walk-stage-4" : "exercises/run-walk-stage-3");
  }
}

TEST(EngineConfirmation, CadenceStepsCountOnlyConfirmedRuns) {
  auto run = [](const v1::Prescription& p, int spm) {
    v1::ExerciseReport r = Report(p, 1);
    r.set_cadence_spm(spm);
    return r;
  };
  for (int morning : {2, 3}) {
    SCOPED_TRACE(absl::StrCat("mornings after the runs at ", morning));
    EngineHarness h = RunHarness();
    h.program().mutable_cadence()->set_enabled(true);
    h.program().mutable_cadence()->set_baseline_spm(160);
    h.Session(Date(0), {run(h.prescription(0), 160)});  // starts the module: target 168
    ASSERT_EQ(h.program().cadence().target_spm(), 168);
    h.CheckInOn(Date(1), CheckIn(2));
    h.Session(Date(2), {run(h.prescription(0), 169)});
    h.CheckInOn(Date(3), CheckIn(morning));
    h.Session(Date(4), {run(h.prescription(0), 170)});
    EXPECT_EQ(h.program().cadence().target_spm(), 168) << "the second run is not confirmed";
    h.CheckInOn(Date(5), CheckIn(morning));
    EXPECT_EQ(h.program().cadence().target_spm(), morning == 2 ? 176 : 168);
    EXPECT_EQ(h.program().cadence().miss_streak(), morning == 2 ? 0 : 2);
  }
}

// ----- Maintenance: one variable at a time, weekly volume +10% at most -------------------

TEST(EngineConfirmation, MaintenanceGrowsTheRunByTheWeeklyMaximumOncePerWeek) {
  v1::Dose thirty = testing::TestLibrary().FindExercise("run-walk-stage-8")->starting_dose();
  thirty.set_sets(1);
  thirty.set_duration_seconds(1800);
  thirty.clear_run_seconds();
  thirty.clear_walk_seconds();
  EngineHarness h(MakeProgram({MakePrescription(1, "run-walk-stage-8", "return-to-run", thirty)},
                              v1::PHASE_MAINTENANCE));
  h.SteadyMornings("2026-03-02", 7, 2);
  std::vector<std::pair<int, int>> steps;  // (day, duration after)
  for (int day = 0; day <= 20; day += 2) {
    h.Session(Date(day), {Report(h.prescription(0), 1)});
    const EngineResult r = h.CheckInOn(Date(day + 1), CheckIn(2));
    for (const auto& d : OfKind(r, v1::DECISION_KIND_PROGRESS)) {
      EXPECT_EQ(d.rule(), "maintenance.volume");
      // Volume only: the same exercise, nothing but the time changed.
      EXPECT_EQ(d.exercise_after(), d.exercise_before());
      v1::Dose before = d.dose_before();
      before.set_duration_seconds(d.dose_after().duration_seconds());
      EXPECT_EQ(before.ShortDebugString(), d.dose_after().ShortDebugString());
      steps.emplace_back(day, d.dose_after().duration_seconds());
    }
  }
  // Two green runs by day 2, but the 30 min must stand a week: the first step is carried by
  // the morning of day 7 (30 -> 33 min, +10%), the next a week later (33 -> 36.3 min): four
  // runs a week, 120 -> 132 -> 145 min.
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0], std::make_pair(6, 1980));
  EXPECT_EQ(steps[1], std::make_pair(14, 2178));
}

// ----- A regression never raises the load --------------------------------------------------

TEST(EngineConfirmation, APainfulWalkNeverBecomesHops) {
  for (const std::string ladder : {"", "impact"}) {
    SCOPED_TRACE(absl::StrCat("brisk walk on ladder \"", ladder, "\""));
    EngineHarness h(MakeProgram({MakePrescription(1, "brisk-walk", ladder)}));
    h.SteadyMornings("2026-03-02", 7, 2);
    const EngineResult r = h.Session(Date(0), {Report(h.prescription(0), 6)});
    ASSERT_EQ(r.decisions.size(), 1u);
    EXPECT_EQ(r.decisions[0].rule(), "regress.red_volume");
    EXPECT_EQ(h.prescription(0).exercise(), "exercises/brisk-walk");
    // Duration and effort, never a knee range: 20 min at RPE 4 -> 10 min at RPE 3.
    EXPECT_EQ(h.prescription(0).dose().duration_seconds(), 600);
    EXPECT_EQ(h.prescription(0).dose().target_rpe(), 3);
    EXPECT_EQ(h.prescription(0).dose().max_knee_flexion_degrees(), 0);
  }
}

// A small library whose ladder's isometric carries more load than its dynamic rungs:
// validation accepts it (the isometric is not a rung), so the engine must refuse the swap.
std::unique_ptr<Library> HeavyIsometricLibrary() {
  v1::LibraryFile file;
  file.set_version(1);
  auto add = [&](const std::string& slug, v1::ExerciseCategory category,
                 v1::PatellofemoralLoad load) {
    v1::Exercise* e = file.add_exercises();
    e->set_slug(slug);
    e->set_display_name(slug);
    e->set_category(category);
    e->set_patellofemoral_load(load);
    e->set_frequency_class(v1::FREQUENCY_CLASS_DAILY);
    e->mutable_knee_flexion()->set_max_degrees(45);
    e->mutable_starting_dose()->set_sets(3);
    e->mutable_starting_dose()->set_reps(10);
  };
  add("low-a", v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING, v1::PATELLOFEMORAL_LOAD_LOW);
  add("low-b", v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING, v1::PATELLOFEMORAL_LOAD_LOW);
  add("heavy-hold", v1::EXERCISE_CATEGORY_ISOMETRIC, v1::PATELLOFEMORAL_LOAD_HIGH);
  add("hip", v1::EXERCISE_CATEGORY_HIP_STRENGTHENING, v1::PATELLOFEMORAL_LOAD_LOW);
  add("roll", v1::EXERCISE_CATEGORY_MOBILITY, v1::PATELLOFEMORAL_LOAD_LOW);
  add("stretch", v1::EXERCISE_CATEGORY_STRETCHING, v1::PATELLOFEMORAL_LOAD_LOW);
  add("drill", v1::EXERCISE_CATEGORY_RUNNING_FORM, v1::PATELLOFEMORAL_LOAD_LOW);
  add("run", v1::EXERCISE_CATEGORY_RETURN_TO_RUN, v1::PATELLOFEMORAL_LOAD_LOW);
  add("bike", v1::EXERCISE_CATEGORY_CROSS_TRAINING, v1::PATELLOFEMORAL_LOAD_LOW);
  v1::Ladder* ladder = file.add_ladders();
  ladder->set_id("x");
  ladder->set_display_name("X");
  ladder->add_exercise_slugs("low-a");
  ladder->add_exercise_slugs("low-b");
  ladder->set_isometric_slug("heavy-hold");
  auto library = Library::FromProto(file);
  EXPECT_TRUE(library.ok()) << library.status();
  return library.ok() ? *std::move(library) : nullptr;
}

TEST(EngineConfirmation, ASwapToAHeavierIsometricIsPassedOver) {
  const std::unique_ptr<Library> library = HeavyIsometricLibrary();
  ASSERT_NE(library, nullptr);
  v1::Prescription p;
  p.set_name("programs/p/prescriptions/1");
  p.set_exercise("exercises/low-b");
  p.set_ladder("ladders/x");
  *p.mutable_dose() = library->FindExercise("low-b")->starting_dose();
  const v1::ProgressionRules& rules = testing::DefaultProtocol().rules().progression();
  auto change = RedRegression(p, *library, rules, /*painful_dynamic=*/true);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->exercise, "exercises/low-a");  // one rung down, same load
  EXPECT_EQ(change->variable, "rung");
  EXPECT_THAT(change->note, ::testing::HasSubstr("heavy-hold passed over"));
  p.set_exercise("exercises/low-a");
  change = RedRegression(p, *library, rules, /*painful_dynamic=*/true);
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->exercise, "exercises/low-a");  // the bottom rung: a smaller dose
  EXPECT_EQ(change->variable, "volume");
  EXPECT_EQ(change->dose.reps(), 5);
}

// ----- Regressions that fit the exercise ---------------------------------------------------

struct CategoryCase {
  std::string slug;
  std::string ladder;
  std::vector<int> pains;  // the sessions, one a day
  std::string rule;
  std::string exercise_after;
  std::string dose_after;  // ShortDebugString
};

TEST(EngineConfirmation, EachCategoryRegressesWhatItsRulesAllow) {
  const std::vector<CategoryCase> cases = {
      // Cross-training: duration and effort, never a knee range.
      {"stationary-bike",
       "",
       {6},
       "regress.red_volume",
       "stationary-bike",
       "sets: 1 duration_seconds: 450 target_rpe: 3"},
      {"stationary-bike",
       "",
       {4, 4},
       "regress.amber_streak",
       "stationary-bike",
       "sets: 1 duration_seconds: 675 target_rpe: 4"},
      // Isometrics: hold time (then sets), not range.
      {"wall-sit-30-45",
       "",
       {6},
       "regress.red_volume",
       "wall-sit-30-45",
       "sets: 5 hold_seconds: 15 rest_seconds: 120"},
      {"wall-sit-30-45",
       "",
       {4, 4},
       "regress.amber_streak",
       "wall-sit-30-45",
       "sets: 5 hold_seconds: 23 rest_seconds: 120"},
      // Squats: the range (after a RED with no lower rung, also half the reps).
      {"sit-to-stand-high",
       "",
       {6},
       "regress.red_volume",
       "sit-to-stand-high",
       "sets: 3 reps: 5 rest_seconds: 90 max_knee_flexion_degrees: 45"},
      // Foam rolling: duration, never a range.
      {"foam-roll-quads",
       "",
       {6},
       "regress.red_volume",
       "foam-roll-quads",
       "sets: 2 rest_seconds: 30 duration_seconds: 23 per_side: true"},
      // Stretches: hold time, never a range.
      {"stretch-quads",
       "",
       {6},
       "regress.red_volume",
       "stretch-quads",
       "sets: 3 hold_seconds: 15 rest_seconds: 15 per_side: true"},
  };
  for (const CategoryCase& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.slug, " after ", c.pains.size(), " session(s)"));
    EngineHarness h(MakeProgram({MakePrescription(1, c.slug, c.ladder)}));
    h.SteadyMornings("2026-03-02", 7, 2);
    EngineResult r;
    for (size_t i = 0; i < c.pains.size(); ++i) {
      r = h.Session(Date(static_cast<int>(i)), {Report(h.prescription(0), c.pains[i])});
    }
    ASSERT_EQ(r.decisions.size(), 1u);
    EXPECT_EQ(r.decisions[0].rule(), c.rule);
    EXPECT_EQ(h.prescription(0).exercise(), absl::StrCat("exercises/", c.exercise_after));
    EXPECT_EQ(h.prescription(0).dose().ShortDebugString(), c.dose_after);
  }
}

TEST(EngineConfirmation, ScopeForReadsTheCategoryAndDefaultsToEverything) {
  const v1::ProtocolRules& rules = testing::DefaultProtocol().rules();
  const RegressionScope bike = ScopeFor(rules, v1::EXERCISE_CATEGORY_CROSS_TRAINING);
  EXPECT_TRUE(bike.duration);
  EXPECT_TRUE(bike.effort);
  EXPECT_FALSE(bike.range);
  EXPECT_FALSE(bike.reps);
  const RegressionScope roll = ScopeFor(rules, v1::EXERCISE_CATEGORY_MOBILITY);
  EXPECT_FALSE(roll.range);
  const RegressionScope stretch = ScopeFor(rules, v1::EXERCISE_CATEGORY_STRETCHING);
  EXPECT_FALSE(stretch.range);
  const RegressionScope squat = ScopeFor(rules, v1::EXERCISE_CATEGORY_QUAD_STRENGTHENING);
  EXPECT_TRUE(squat.range);
  EXPECT_FALSE(squat.effort);
  const RegressionScope hold = ScopeFor(rules, v1::EXERCISE_CATEGORY_ISOMETRIC);
  EXPECT_TRUE(hold.hold);
  EXPECT_TRUE(hold.sets);
  EXPECT_FALSE(hold.range);
  const RegressionScope all = ScopeFor(v1::ProtocolRules(), v1::EXERCISE_CATEGORY_MOBILITY);
  EXPECT_TRUE(all.range && all.reps && all.sets && all.hold && all.duration && all.effort &&
              all.rung && all.isometric);
}

// ----- The history window -----------------------------------------------------------------

TEST(EngineConfirmation, RedDaysBeyondTheHistoryWindowDoNotPersist) {
  // A RED morning, then nothing for 130 days, then a RED session: the server loads only
  // kHistoryDays of reports, so the engine must not reach further with every report given.
  EngineHarness h(MakeProgram({MakePrescription(1, "wall-sit-30-45", "quad-isometric")}));
  h.SteadyMornings("2026-03-02", 7, 2);
  h.CheckInOn(Date(0), CheckIn(6));
  ASSERT_EQ(h.program().state(), v1::PROGRAM_STATE_ACTIVE);
  const EngineResult r = h.Session(Date(130), {Report(h.prescription(0), 7)});
  for (const auto& a : r.alerts) EXPECT_NE(a.kind(), v1::ALERT_KIND_RED_PERSISTING);
  EXPECT_EQ(h.program().state(), v1::PROGRAM_STATE_ACTIVE);
}

}  // namespace
}  // namespace kneecoach
