// Dose arithmetic of the engine (clinical.md, "Actions"): one step up, in the order
//
//   hold time +hold_step (up to max_hold) -> reps +reps_step (up to max_reps) -> sets up to
//   max_sets -> load +load_step (reps back to reps_after_load_step, load capped at
//   max_load_increase_fraction over the exercise's starting load) -> range of motion
//   +range_step (up to the exercise's deepest flexion) -> next rung (at its starting dose)
//
// skipping what a dose does not use. Continuous work (cross-training, a walk) has no sets
// step, which would double the time; when a regression cut its time, the time grows back to
// the exercise's starting time (by regress_volume_fraction of it per step) right after
// hold. And the steps down (volume cut, previous range, one rung
// down, the ladder's isometric). Hold time progresses only for hold-based doses (no reps) and
// isometric exercises: a 3 s hold in a dynamic exercise is tempo, not a variable to grow.
//
// Thread safety: free functions; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include "kneecoach/v1/exercise.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "service/domain/library.h"

namespace kneecoach {

// A prescription's next exercise and dose, and what moved.
struct DoseChange {
  // "exercises/{slug}".
  std::string exercise;
  v1::Dose dose;
  // The variable changed: "hold_seconds", "duration_seconds", "reps", "sets", "load_kg",
  // "range", "rung", "volume", "isometric", "stage".
  std::string variable;
  // For the clinician: what a regression passed over and why ("" when nothing).
  std::string note;
};

// What a regression may change on one exercise: the variables its category lists in
// rules.regression_variables (every variable when the rules list none, as before they
// existed).
struct RegressionScope {
  bool range = true;
  bool reps = true;
  bool sets = true;
  bool hold = true;
  bool duration = true;
  bool effort = true;
  bool rung = true;
  bool isometric = true;
};
RegressionScope ScopeFor(const v1::ProtocolRules& rules, v1::ExerciseCategory category);

// Whether `to` puts no more load on the patellofemoral joint than `from` (clinical.md: a
// regression or swap never moves to higher load or more impact, whatever a ladder says).
// An unset load counts as the highest.
bool NoMoreLoad(const v1::Exercise& from, const v1::Exercise& to);

// The next step up for `p` (an exercise in the library), or nullopt when every variable is
// at its ceiling and there is no higher rung.
std::optional<DoseChange> NextProgression(const v1::Prescription& p, const Library& library,
                                          const v1::ProgressionRules& rules);

// Each regression changes only what `scope` allows (default: everything).
//
// AMBER in a row: back to the previous range if the dose limits range above the exercise's
// shallowest, else volume cut by regress_volume_fraction. nullopt if nothing can shrink.
std::optional<DoseChange> AmberRegression(const v1::Prescription& p, const Library& library,
                                          const v1::ProgressionRules& rules,
                                          const RegressionScope& scope = {});

// RED: swap painful dynamic work for the ladder's isometric (when `painful_dynamic` and the
// ladder has one), else one rung down, else volume kept at red_volume_fraction with the range
// limited one step (and the target effort one point lower). A swap or rung of higher
// patellofemoral load than the exercise is passed over (NoMoreLoad), said in `note`. The
// prescription's swapped-from exercise is the caller's business.
std::optional<DoseChange> RedRegression(const v1::Prescription& p, const Library& library,
                                        const v1::ProgressionRules& rules, bool painful_dynamic,
                                        const RegressionScope& scope = {});

// Under-dose in a row: volume cut by regress_volume_fraction.
std::optional<DoseChange> Simplification(const v1::Prescription& p,
                                         const v1::ProgressionRules& rules,
                                         const RegressionScope& scope = {});

// `dose` with its main volume variable (reps, else hold, else duration, else sets, the first
// `scope` allows) cut by `cut_fraction` (0.25: -25%), at least 1 and strictly less when
// possible; nullopt if the dose cannot shrink.
std::optional<v1::Dose> CutVolume(const v1::Dose& dose, double cut_fraction,
                                  const RegressionScope& scope = {});

}  // namespace kneecoach
