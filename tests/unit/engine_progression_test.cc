// Dose arithmetic: the progression order hold -> (duration) -> reps -> sets -> load ->
// range -> rung, one variable per step, and the regressions.
#include "service/domain/progression.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::kneecoach::testing::DefaultProtocol;
using ::kneecoach::testing::MakePrescription;
using ::kneecoach::testing::TestLibrary;

const v1::ProgressionRules& Rules() { return DefaultProtocol().rules().progression(); }

struct DoseSpec {
  int sets = 0, reps = 0, hold = 0, duration = 0;
  double load = 0;
  int range = 0;
};

v1::Dose ToDose(const DoseSpec& s) {
  v1::Dose d;
  d.set_sets(s.sets);
  d.set_reps(s.reps);
  d.set_hold_seconds(s.hold);
  d.set_duration_seconds(s.duration);
  d.set_load_kg(s.load);
  d.set_max_knee_flexion_degrees(s.range);
  return d;
}

// `base` with the six fields of `s` set from it.
v1::Dose WithSpec(v1::Dose base, const DoseSpec& s) {
  const v1::Dose spec = ToDose(s);
  base.set_sets(spec.sets());
  base.set_reps(spec.reps());
  base.set_hold_seconds(spec.hold_seconds());
  base.set_duration_seconds(spec.duration_seconds());
  base.set_load_kg(spec.load_kg());
  base.set_max_knee_flexion_degrees(spec.max_knee_flexion_degrees());
  return base;
}

std::string Describe(const v1::Dose& d) {
  return absl::StrCat(d.sets(), "x", d.reps(), " hold ", d.hold_seconds(), " dur ",
                      d.duration_seconds(), " load ", d.load_kg(), " range ",
                      d.max_knee_flexion_degrees());
}

struct StepCase {
  std::string name;
  std::string slug;
  std::string ladder;
  DoseSpec before;
  std::string variable;  // "" = no step
  std::string exercise_after;
  DoseSpec after;
};

TEST(EngineProgression, OneVariableOneStepInOrder) {
  const std::vector<StepCase> cases = {
      {"hold first",
       "wall-sit-30-45",
       "quad-isometric",
       {.sets = 5, .hold = 30},
       "hold_seconds",
       "wall-sit-30-45",
       {.sets = 5, .hold = 45}},
      {"hold capped at max",
       "wall-sit-30-45",
       "quad-isometric",
       {.sets = 5, .hold = 50},
       "hold_seconds",
       "wall-sit-30-45",
       {.sets = 5, .hold = 60}},
      {"isometric reps after hold",
       "quad-set",
       "",
       {.sets = 1, .reps = 10, .hold = 60},
       "reps",
       "quad-set",
       {.sets = 1, .reps = 12, .hold = 60}},
      {"reps capped at 15",
       "partial-squat-45",
       "squat",
       {.sets = 3, .reps = 14},
       "reps",
       "partial-squat-45",
       {.sets = 3, .reps = 15}},
      {"sets 2 -> 3 after reps",
       "partial-squat-45",
       "squat",
       {.sets = 2, .reps = 15},
       "sets",
       "partial-squat-45",
       {.sets = 3, .reps = 15}},
      {"tempo hold is not grown",
       "side-lying-hip-abduction",
       "hip-abduction",
       {.sets = 3, .reps = 10, .hold = 3},
       "reps",
       "side-lying-hip-abduction",
       {.sets = 3, .reps = 12, .hold = 3}},
      {"load after sets, reps back to 10",
       "goblet-squat-90",
       "squat",
       {.sets = 3, .reps = 15, .load = 8},
       "load_kg",
       "goblet-squat-90",
       {.sets = 3, .reps = 10, .load = 8.6}},
      {"load capped at +30%",
       "goblet-squat-90",
       "squat",
       {.sets = 3, .reps = 15, .load = 10.3},
       "load_kg",
       "goblet-squat-90",
       {.sets = 3, .reps = 10, .load = 10.4}},
      {"range after load",
       "partial-squat-45",
       "squat",
       {.sets = 3, .reps = 15, .range = 30},
       "range",
       "partial-squat-45",
       {.sets = 3, .reps = 15, .range = 45}},
      {"rung last, at its starting dose",
       "goblet-squat-90",
       "squat",
       {.sets = 3, .reps = 15, .load = 10.4},
       "rung",
       "single-leg-squat-60",
       {.sets = 3, .reps = 10}},
      {"wall sit at 60 s moves up a rung",
       "wall-sit-30-45",
       "quad-isometric",
       {.sets = 5, .hold = 60},
       "rung",
       "wall-sit-60",
       {.sets = 5, .hold = 30}},
      {"cut duration grows back",
       "stationary-bike",
       "",
       {.sets = 1, .duration = 450},
       "duration_seconds",
       "stationary-bike",
       {.sets = 1, .duration = 675}},
      {"continuous work has no sets step",
       "stationary-bike",
       "",
       {.sets = 1, .duration = 900},
       "",
       "",
       {}},
      {"top of the ladder", "forward-lunge", "lunge", {.sets = 3, .reps = 15}, "", "", {}},
      {"no ladder: dose only",
       "glute-squeeze",
       "",
       {.sets = 3, .reps = 15, .hold = 60},
       "",
       "",
       {}},
  };
  for (const StepCase& c : cases) {
    SCOPED_TRACE(c.name);
    const v1::Prescription p = MakePrescription(1, c.slug, c.ladder, ToDose(c.before));
    const std::optional<DoseChange> change = NextProgression(p, TestLibrary(), Rules());
    if (c.variable.empty()) {
      EXPECT_FALSE(change.has_value());
      continue;
    }
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->variable, c.variable);
    EXPECT_EQ(change->exercise, absl::StrCat("exercises/", c.exercise_after));
    // A new rung starts at its starting dose; otherwise only the spec's fields change and
    // the rest (rest time, per side, RPE) is kept.
    const v1::Dose expected = c.variable == "rung"
                                  ? TestLibrary().FindExercise(c.exercise_after)->starting_dose()
                                  : WithSpec(p.dose(), c.after);
    EXPECT_EQ(change->dose.ShortDebugString(), expected.ShortDebugString());
  }
}

TEST(EngineProgression, WalkingTheWholeOrderFromTheBottom) {
  // Partial squat with a limited range: reps, reps, range... then the next rung.
  v1::Prescription p = MakePrescription(1, "partial-squat-45", "squat",
                                        ToDose({.sets = 2, .reps = 12, .range = 30}));
  std::vector<std::string> steps;
  for (int i = 0; i < 10; ++i) {
    auto change = NextProgression(p, TestLibrary(), Rules());
    if (!change.has_value() || change->variable == "rung") {
      if (change.has_value()) steps.push_back(change->exercise);
      break;
    }
    steps.push_back(change->variable);
    *p.mutable_dose() = change->dose;
  }
  EXPECT_THAT(steps,
              ::testing::ElementsAre("reps", "reps", "sets", "range", "exercises/box-squat-60"));
}

struct RegressionCase {
  std::string name;
  std::string slug;
  std::string ladder;
  DoseSpec before;
  bool painful;
  std::string variable;
  std::string exercise_after;
  DoseSpec after;  // ignored for a new exercise (its starting dose)
};

TEST(EngineProgression, RedRegressions) {
  const std::vector<RegressionCase> cases = {
      {"painful dynamic work -> the ladder's isometric",
       "partial-squat-45",
       "squat",
       {.sets = 3, .reps = 12},
       true,
       "isometric",
       "wall-sit-30-45",
       {}},
      {"not painful during -> one rung down",
       "partial-squat-45",
       "squat",
       {.sets = 3, .reps = 12},
       false,
       "rung",
       "sit-to-stand-high",
       {}},
      {"isometric is not swapped: rung down",
       "wall-sit-60",
       "quad-isometric",
       {.sets = 5, .hold = 45},
       true,
       "rung",
       "wall-sit-30-45",
       {}},
      {"bottom rung: half volume, range limited",
       "sit-to-stand-high",
       "squat",
       {.sets = 3, .reps = 10},
       false,
       "volume",
       "sit-to-stand-high",
       {.sets = 3, .reps = 5, .range = 45}},
      {"no ladder: half volume",
       "glute-squeeze",
       "",
       {.sets = 3, .reps = 12, .hold = 60},
       true,
       "volume",
       "glute-squeeze",
       {.sets = 3, .reps = 6, .hold = 60}},
  };
  for (const RegressionCase& c : cases) {
    SCOPED_TRACE(c.name);
    const v1::Prescription p = MakePrescription(1, c.slug, c.ladder, ToDose(c.before));
    auto change = RedRegression(p, TestLibrary(), Rules(), c.painful);
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->variable, c.variable);
    EXPECT_EQ(change->exercise, absl::StrCat("exercises/", c.exercise_after));
    if (c.exercise_after == c.slug) {
      EXPECT_EQ(Describe(change->dose), Describe(ToDose(c.after)));
    } else {
      EXPECT_EQ(Describe(change->dose),
                Describe(TestLibrary().FindExercise(c.exercise_after)->starting_dose()));
    }
  }
}

TEST(EngineProgression, AmberRegressionCutsVolumeOrGoesBackARange) {
  struct Case {
    std::string name;
    DoseSpec before;
    std::string variable;
    DoseSpec after;
  };
  const std::vector<Case> cases = {
      {"volume -25%", {.sets = 3, .reps = 12}, "volume", {.sets = 3, .reps = 9}},
      {"previous range",
       {.sets = 3, .reps = 12, .range = 45},
       "range",
       {.sets = 3, .reps = 12, .range = 30}},
      {"range at its floor: volume",
       {.sets = 3, .reps = 12, .range = 15},
       "volume",
       {.sets = 3, .reps = 9, .range = 15}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const v1::Prescription p = MakePrescription(1, "partial-squat-45", "squat", ToDose(c.before));
    auto change = AmberRegression(p, TestLibrary(), Rules());
    ASSERT_TRUE(change.has_value());
    EXPECT_EQ(change->variable, c.variable);
    EXPECT_EQ(Describe(change->dose), Describe(ToDose(c.after)));
  }
}

TEST(EngineProgression, CutVolumeShrinksTheMainVariableAndStopsAtOne) {
  struct Case {
    DoseSpec before;
    double cut;
    std::optional<DoseSpec> after;
  };
  const std::vector<Case> cases = {
      {{.sets = 3, .reps = 12}, 0.25, DoseSpec{.sets = 3, .reps = 9}},
      {{.sets = 3, .reps = 2}, 0.25, DoseSpec{.sets = 3, .reps = 1}},  // strictly less
      {{.sets = 5, .hold = 30}, 0.5, DoseSpec{.sets = 5, .hold = 15}},
      {{.sets = 1, .duration = 900}, 0.5, DoseSpec{.sets = 1, .duration = 450}},
      {{.sets = 3, .reps = 1}, 0.25, DoseSpec{.sets = 2, .reps = 1}},
      {{.sets = 1, .reps = 1}, 0.25, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Describe(ToDose(c.before)));
    const auto cut = CutVolume(ToDose(c.before), c.cut);
    ASSERT_EQ(cut.has_value(), c.after.has_value());
    if (cut.has_value()) {
      EXPECT_EQ(Describe(*cut), Describe(ToDose(*c.after)));
    }
  }
}

}  // namespace
}  // namespace kneecoach
