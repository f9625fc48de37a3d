#include "service/domain/progression.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/domain/program_factory.h"
#include "service/domain/timeline.h"

namespace kneecoach {
namespace {

// One variable's step up; nullopt when the dose does not use it or it is at its ceiling.
using Step = std::optional<DoseChange> (*)(const v1::Prescription&, const v1::Exercise&,
                                           const Library&, const v1::ProgressionRules&);

DoseChange SameExercise(const v1::Prescription& p, v1::Dose dose, std::string variable) {
  return {p.exercise(), std::move(dose), std::move(variable), ""};
}

DoseChange StartOf(const v1::Exercise& exercise, std::string variable) {
  return {exercise.name(), exercise.starting_dose(), std::move(variable), ""};
}

bool HoldProgresses(const v1::Dose& dose, const v1::Exercise& exercise) {
  return dose.hold_seconds() > 0 &&
         (dose.reps() == 0 || exercise.category() == v1::EXERCISE_CATEGORY_ISOMETRIC);
}

// The deepest flexion the dose allows now (0 in the dose means the exercise's own range).
int RangeLimit(const v1::Dose& dose, const v1::Exercise& exercise) {
  return dose.max_knee_flexion_degrees() > 0 ? dose.max_knee_flexion_degrees()
                                             : exercise.knee_flexion().max_degrees();
}

// One range step shallower, never below the exercise's shallowest nor to 0 (which would
// mean "no limit"); nullopt if it cannot get shallower.
std::optional<int> ShallowerRange(const v1::Dose& dose, const v1::Exercise& exercise,
                                  const v1::ProgressionRules& rules) {
  const int floor = std::max(exercise.knee_flexion().min_degrees(), rules.range_step_degrees());
  const int limit = RangeLimit(dose, exercise);
  const int shallower = std::max(floor, limit - rules.range_step_degrees());
  if (shallower >= limit) return std::nullopt;
  return shallower;
}

std::optional<DoseChange> StepHold(const v1::Prescription& p, const v1::Exercise& e, const Library&,
                                   const v1::ProgressionRules& r) {
  if (!HoldProgresses(p.dose(), e) || p.dose().hold_seconds() >= r.max_hold_seconds()) {
    return std::nullopt;
  }
  v1::Dose dose = p.dose();
  dose.set_hold_seconds(
      std::min(r.max_hold_seconds(), dose.hold_seconds() + r.hold_step_seconds()));
  return SameExercise(p, std::move(dose), "hold_seconds");
}

// Continuous work cut by a regression grows back toward the exercise's starting time, by
// regress_volume_fraction of it per step; beyond that is the clinician's call.
std::optional<DoseChange> StepDuration(const v1::Prescription& p, const v1::Exercise& e,
                                       const Library&, const v1::ProgressionRules& r) {
  const int start = e.starting_dose().duration_seconds();
  const int now = p.dose().duration_seconds();
  if (now <= 0 || now >= start) return std::nullopt;
  const int step = std::max(1, static_cast<int>(std::lround(start * r.regress_volume_fraction())));
  v1::Dose dose = p.dose();
  dose.set_duration_seconds(std::min(start, now + step));
  return SameExercise(p, std::move(dose), "duration_seconds");
}

std::optional<DoseChange> StepReps(const v1::Prescription& p, const v1::Exercise&, const Library&,
                                   const v1::ProgressionRules& r) {
  if (p.dose().reps() <= 0 || p.dose().reps() >= r.max_reps()) return std::nullopt;
  v1::Dose dose = p.dose();
  dose.set_reps(std::min(r.max_reps(), dose.reps() + r.reps_step()));
  return SameExercise(p, std::move(dose), "reps");
}

std::optional<DoseChange> StepSets(const v1::Prescription& p, const v1::Exercise&, const Library&,
                                   const v1::ProgressionRules& r) {
  // Continuous work (cross-training, walks, runs) does not grow by whole sets.
  const bool counted = p.dose().reps() > 0 || p.dose().hold_seconds() > 0;
  if (!counted || p.dose().sets() <= 0 || p.dose().sets() >= r.max_sets()) return std::nullopt;
  v1::Dose dose = p.dose();
  dose.set_sets(dose.sets() + 1);
  return SameExercise(p, std::move(dose), "sets");
}

std::optional<DoseChange> StepLoad(const v1::Prescription& p, const v1::Exercise& e, const Library&,
                                   const v1::ProgressionRules& r) {
  const double load = p.dose().load_kg();
  if (load <= 0) return std::nullopt;
  const double start = e.starting_dose().load_kg();
  const bool capped = start > 0 && r.max_load_increase_fraction() > 0;
  const double cap = start * (1 + r.max_load_increase_fraction());
  if (capped && load >= cap) return std::nullopt;
  double next = std::round(load * (1 + r.load_step_fraction()) * 10) / 10;
  if (capped) next = std::min(next, cap);
  v1::Dose dose = p.dose();
  dose.set_load_kg(next);
  if (dose.reps() > 0) dose.set_reps(r.reps_after_load_step());
  return SameExercise(p, std::move(dose), "load_kg");
}

std::optional<DoseChange> StepRange(const v1::Prescription& p, const v1::Exercise& e,
                                    const Library&, const v1::ProgressionRules& r) {
  const int limit = p.dose().max_knee_flexion_degrees();
  const int deepest = e.knee_flexion().max_degrees();
  if (limit <= 0 || limit >= deepest) return std::nullopt;
  v1::Dose dose = p.dose();
  dose.set_max_knee_flexion_degrees(std::min(deepest, limit + r.range_step_degrees()));
  return SameExercise(p, std::move(dose), "range");
}

std::optional<DoseChange> StepRung(const v1::Prescription& p, const v1::Exercise&,
                                   const Library& library, const v1::ProgressionRules&) {
  if (p.ladder().empty()) return std::nullopt;
  const v1::Exercise* next =
      library.NextOnLadder(LadderIdOf(p.ladder()), ExerciseSlug(p.exercise()));
  if (next == nullptr) return std::nullopt;
  return StartOf(*next, "rung");
}

std::optional<DoseChange> VolumeCut(const v1::Prescription& p, double cut_fraction,
                                    const RegressionScope& scope) {
  auto cut = CutVolume(p.dose(), cut_fraction, scope);
  if (!cut.has_value()) return std::nullopt;
  return SameExercise(p, std::move(*cut), "volume");
}

int LoadRank(v1::PatellofemoralLoad load) {
  return load == v1::PATELLOFEMORAL_LOAD_UNSPECIFIED ? v1::PatellofemoralLoad_MAX + 1 : load;
}

std::string LoadName(const v1::Exercise& e) {
  switch (e.patellofemoral_load()) {
    case v1::PATELLOFEMORAL_LOAD_LOW:
      return "low";
    case v1::PATELLOFEMORAL_LOAD_MODERATE:
      return "moderate";
    case v1::PATELLOFEMORAL_LOAD_HIGH:
      return "high";
    default:
      return "unknown";
  }
}

std::string PassedOver(absl::string_view what, const v1::Exercise& from, const v1::Exercise& to) {
  return absl::StrCat(what, " ", to.slug(), " passed over: its patellofemoral load (", LoadName(to),
                      ") is higher than ", from.slug(), "'s (", LoadName(from), ")");
}

}  // namespace

RegressionScope ScopeFor(const v1::ProtocolRules& rules, v1::ExerciseCategory category) {
  if (rules.regression_variables().empty()) return {};
  RegressionScope scope{false, false, false, false, false, false, false, false};
  for (const auto& entry : rules.regression_variables()) {
    if (entry.category() != category) continue;
    for (int v : entry.variables()) {
      switch (v) {
        case v1::REGRESSION_VARIABLE_RANGE:
          scope.range = true;
          break;
        case v1::REGRESSION_VARIABLE_REPS:
          scope.reps = true;
          break;
        case v1::REGRESSION_VARIABLE_SETS:
          scope.sets = true;
          break;
        case v1::REGRESSION_VARIABLE_HOLD:
          scope.hold = true;
          break;
        case v1::REGRESSION_VARIABLE_DURATION:
          scope.duration = true;
          break;
        case v1::REGRESSION_VARIABLE_EFFORT:
          scope.effort = true;
          break;
        case v1::REGRESSION_VARIABLE_RUNG:
          scope.rung = true;
          break;
        case v1::REGRESSION_VARIABLE_ISOMETRIC_SWAP:
          scope.isometric = true;
          break;
        default:
          break;
      }
    }
  }
  return scope;
}

bool NoMoreLoad(const v1::Exercise& from, const v1::Exercise& to) {
  return LoadRank(to.patellofemoral_load()) <= LoadRank(from.patellofemoral_load());
}

std::optional<v1::Dose> CutVolume(const v1::Dose& dose, double cut_fraction,
                                  const RegressionScope& scope) {
  v1::Dose cut = dose;
  auto shrink = [cut_fraction](int value) {
    const int kept = static_cast<int>(std::lround(value * (1 - cut_fraction)));
    return std::max(1, std::min(value - 1, kept));
  };
  if (scope.reps && dose.reps() > 1) {
    cut.set_reps(shrink(dose.reps()));
  } else if (scope.hold && dose.hold_seconds() > 1) {
    cut.set_hold_seconds(shrink(dose.hold_seconds()));
  } else if (scope.duration && dose.duration_seconds() > 1) {
    cut.set_duration_seconds(shrink(dose.duration_seconds()));
  } else if (scope.sets && dose.sets() > 1) {
    cut.set_sets(shrink(dose.sets()));
  } else {
    return std::nullopt;
  }
  return cut;
}

std::optional<DoseChange> NextProgression(const v1::Prescription& p, const Library& library,
                                          const v1::ProgressionRules& rules) {
  const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(p.exercise()));
  if (exercise == nullptr) return std::nullopt;
  constexpr Step kOrder[] = {StepHold, StepDuration, StepReps, StepSets,
                             StepLoad, StepRange,    StepRung};
  for (Step step : kOrder) {
    if (auto change = step(p, *exercise, library, rules)) return change;
  }
  return std::nullopt;
}

std::optional<DoseChange> AmberRegression(const v1::Prescription& p, const Library& library,
                                          const v1::ProgressionRules& rules,
                                          const RegressionScope& scope) {
  const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(p.exercise()));
  if (exercise != nullptr && scope.range && p.dose().max_knee_flexion_degrees() > 0) {
    if (auto range = ShallowerRange(p.dose(), *exercise, rules)) {
      v1::Dose dose = p.dose();
      dose.set_max_knee_flexion_degrees(*range);
      return SameExercise(p, std::move(dose), "range");
    }
  }
  return VolumeCut(p, rules.regress_volume_fraction(), scope);
}

std::optional<DoseChange> RedRegression(const v1::Prescription& p, const Library& library,
                                        const v1::ProgressionRules& rules, bool painful_dynamic,
                                        const RegressionScope& scope) {
  const v1::Exercise* exercise = library.FindExercise(ExerciseSlug(p.exercise()));
  if (exercise == nullptr) return std::nullopt;
  const std::string ladder = LadderIdOf(p.ladder());
  std::vector<std::string> notes;
  if (!ladder.empty()) {
    const v1::Exercise* isometric = library.IsometricFor(ladder);
    if (scope.isometric && painful_dynamic && isometric != nullptr &&
        exercise->category() != v1::EXERCISE_CATEGORY_ISOMETRIC &&
        isometric->slug() != exercise->slug()) {
      if (NoMoreLoad(*exercise, *isometric)) return StartOf(*isometric, "isometric");
      notes.push_back(PassedOver("the isometric", *exercise, *isometric));
    }
    const v1::Exercise* lower = library.PreviousOnLadder(ladder, exercise->slug());
    if (scope.rung && lower != nullptr) {
      if (NoMoreLoad(*exercise, *lower)) {
        DoseChange change = StartOf(*lower, "rung");
        change.note = absl::StrJoin(notes, "; ");
        return change;
      }
      notes.push_back(PassedOver("one rung down,", *exercise, *lower));
    }
  }
  v1::Dose dose = p.dose();
  auto cut = CutVolume(dose, 1 - rules.red_volume_fraction(), scope);
  if (cut.has_value()) dose = *cut;
  std::optional<int> range;
  if (scope.range) range = ShallowerRange(dose, *exercise, rules);
  if (range.has_value()) dose.set_max_knee_flexion_degrees(*range);
  const bool easier = scope.effort && dose.target_rpe() > 1;
  if (easier) dose.set_target_rpe(dose.target_rpe() - 1);
  if (!cut.has_value() && !range.has_value() && !easier) return std::nullopt;
  DoseChange change = SameExercise(p, std::move(dose), "volume");
  change.note = absl::StrJoin(notes, "; ");
  return change;
}

std::optional<DoseChange> Simplification(const v1::Prescription& p,
                                         const v1::ProgressionRules& rules,
                                         const RegressionScope& scope) {
  return VolumeCut(p, rules.regress_volume_fraction(), scope);
}

}  // namespace kneecoach
