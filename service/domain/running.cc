#include "service/domain/running.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/adaptation.h"
#include "service/domain/dates.h"
#include "service/domain/program_factory.h"

namespace kneecoach {
namespace {

constexpr int kHoursPerDay = 24;

// The dose of a stage: the exercise's starting dose with the stage's run/walk or
// continuous time.
v1::Dose StageDose(const v1::RunStage& stage, const Library& library) {
  const v1::Exercise* exercise = library.FindExercise(stage.exercise_slug());
  v1::Dose dose = exercise != nullptr ? exercise->starting_dose() : v1::Dose();
  if (stage.continuous_seconds() > 0) {
    dose.set_sets(1);
    dose.set_duration_seconds(stage.continuous_seconds());
    dose.clear_run_seconds();
    dose.clear_walk_seconds();
  } else {
    dose.set_sets(stage.repeats());
    dose.set_run_seconds(stage.run_seconds());
    dose.set_walk_seconds(stage.walk_seconds());
    dose.clear_duration_seconds();
  }
  return dose;
}

bool SameStageDose(const v1::Dose& a, const v1::Dose& b) {
  return a.sets() == b.sets() && a.run_seconds() == b.run_seconds() &&
         a.walk_seconds() == b.walk_seconds() && a.duration_seconds() == b.duration_seconds();
}

// Index in the stage list of an exercise at a dose: the entry with the same exercise and
// time, else the longest continuous entry of that exercise the dose reaches (a run grown in
// maintenance), else the first with the same exercise; -1 if none.
int StageIndex(const Evaluation& ev, absl::string_view exercise, const v1::Dose& dose) {
  const auto& stages = ev.rules().return_to_run().stages();
  const std::string slug = ExerciseSlug(exercise);
  int first = -1;
  int reached = -1;
  for (int i = 0; i < stages.size(); ++i) {
    if (stages[i].exercise_slug() != slug) continue;
    if (first < 0) first = i;
    if (SameStageDose(StageDose(stages[i], ev.library()), dose)) return i;
    const int continuous = stages[i].continuous_seconds();
    if (continuous > 0 && dose.duration_seconds() >= continuous &&
        (reached < 0 || continuous > stages[reached].continuous_seconds())) {
      reached = i;
    }
  }
  return reached >= 0 ? reached : first;
}

// Maintenance: the continuous run grows by max_weekly_volume_increase once it has been at
// its time for a week and greens_to_increase confirmed GREEN runs; one variable (volume)
// only.
void MaintenanceVolumeStep(Evaluation& ev, v1::Prescription& p, const ReportEntry& run,
                           int greens) {
  const v1::MaintenanceRules& m = ev.rules().maintenance();
  const int now = p.dose().duration_seconds();
  if (m.greens_to_increase() <= 0 || greens < m.greens_to_increase() || now <= 0 ||
      p.dose().run_seconds() > 0) {
    return;
  }
  // The first report at this dose: the volume must have stood for a week.
  std::optional<absl::CivilDay> since;
  for (const ReportEntry& e : ev.timeline().ReportsFor(p.name())) {
    const v1::Dose& d = e.report->prescribed_dose();
    if (e.report->exercise() == p.exercise() && d.duration_seconds() == now) {
      if (!since.has_value()) since = e.day;
    } else {
      since.reset();
    }
  }
  constexpr int kWeek = 7;
  if (!since.has_value() || ev.day() - *since < kWeek) return;
  const int step = static_cast<int>(std::floor(now * m.max_weekly_volume_increase()));
  if (step <= 0) return;
  v1::Dose dose = p.dose();
  dose.set_duration_seconds(now + step);
  v1::Decision d = DecisionOn(
      v1::DECISION_KIND_PROGRESS, "maintenance.volume", run,
      absl::StrCat(greens, " green runs and a steady week: your run gets ", step / 60,
                   " min longer. Keep the pace and the flat route: one change at a time."),
      absl::StrCat(greens, " confirmed GREEN runs (threshold ", m.greens_to_increase(), ") at ",
                   now / 60, " min, in place since ", FormatLocalDate(*since), ": volume +",
                   m.max_weekly_volume_increase() * 100,
                   "% (the weekly maximum); speed and hills unchanged."));
  PutInput(d, "green_streak", greens);
  PutInput(d, "max_weekly_volume_increase", m.max_weekly_volume_increase());
  PutInput(d, "volume_since", FormatLocalDate(*since));
  ev.Change(p, {p.exercise(), std::move(dose), "duration_seconds", ""}, std::move(d));
}

DoseChange StageChange(const Evaluation& ev, int index) {
  const v1::RunStage& stage = ev.rules().return_to_run().stages(index);
  return {absl::StrCat("exercises/", stage.exercise_slug()), StageDose(stage, ev.library()),
          "stage", ""};
}

std::string StageLabel(const Evaluation& ev, int index) {
  const v1::RunStage& stage = ev.rules().return_to_run().stages(index);
  return stage.continuous_seconds() > 0
             ? absl::StrCat("stage ", stage.stage(), " (", stage.continuous_seconds() / 60,
                            " min continuous)")
             : absl::StrCat("stage ", stage.stage());
}

// Moves `p` from stage `from` to stage `to` (no-op when equal).
void MoveStage(Evaluation& ev, v1::Prescription& p, const ReportEntry& run, int from, int to,
               absl::string_view rule, std::string patient_reason, absl::string_view why) {
  if (to == from) return;
  const bool forward = to > from;
  v1::Decision d =
      DecisionOn(forward ? v1::DECISION_KIND_ADVANCE_STAGE : v1::DECISION_KIND_STEP_BACK_STAGE,
                 rule, run, std::move(patient_reason),
                 absl::StrCat(why, ": ", StageLabel(ev, from), " -> ", StageLabel(ev, to), "."));
  PutInput(d, "stage_before", StageLabel(ev, from));
  PutInput(d, "stage_after", StageLabel(ev, to));
  ev.Change(p, StageChange(ev, to), std::move(d));
}

// No running until two full calendar days have passed (48 h after a run of unknown time).
void Rest(Evaluation& ev, v1::Prescription& p, const ReportEntry& run) {
  const int hours = ev.rules().return_to_run().rest_hours_after_red();
  const int days = static_cast<int>(std::ceil(static_cast<double>(hours) / kHoursPerDay));
  const std::string until = FormatLocalDate(run.day + days + 1);
  p.mutable_progress()->set_rest_until_date(until);
  v1::Decision d =
      DecisionOn(v1::DECISION_KIND_REST_FROM_RUNNING, "run.rest_after_red", run,
                 absl::StrCat("No running for ", hours, " hours: your next run is on ", until,
                              " or later, a stage lower."),
                 absl::StrCat("RED run: ", hours, " h without running (rest until ", until, ")."));
  PutInput(d, "rest_hours_after_red", hours);
  PutInput(d, "rest_until_date", until);
  ev.Note(&p, std::move(d));
}

bool Stopped(const Evaluation& ev, const v1::ExerciseReport& report) {
  return report.stopped_early() ||
         report.pain_during() > ev.rules().return_to_run().stop_run_pain_above();
}

// Moves the cadence module to step `index` (target = baseline x (1 + step)).
void SetCadenceStep(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run, int index,
                    absl::string_view rule, absl::string_view why) {
  v1::CadenceModule& c = *ev.program().mutable_cadence();
  const double step = ev.rules().cadence().steps(index);
  c.set_step_index(index);
  c.set_target_spm(static_cast<int>(std::lround(c.baseline_spm() * (1 + step))));
  c.set_green_streak(0);
  c.set_miss_streak(0);
  v1::Decision d = DecisionOn(v1::DECISION_KIND_CADENCE_STEP, rule, run,
                              absl::StrCat("Cadence cue: aim for about ", c.target_spm(),
                                           " steps a minute (metronome), same easy effort."),
                              absl::StrCat(why, ": target ", c.target_spm(), " spm = baseline ",
                                           c.baseline_spm(), " spm + ", step * 100, "%."));
  PutInput(d, "baseline_spm", c.baseline_spm());
  PutInput(d, "cadence_step", step);
  PutInput(d, "target_spm", c.target_spm());
  PutInput(d, "measured_spm", run.report->cadence_spm());
  ev.Note(&p, std::move(d));
}

}  // namespace

void CadenceMiss(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run);

void AdaptCadence(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run) {
  v1::CadenceModule& c = *ev.program().mutable_cadence();
  const v1::CadenceRules& r = ev.rules().cadence();
  if (!c.enabled() || r.steps().empty()) return;
  const int measured = run.report->cadence_spm();
  if (c.baseline_spm() <= 0) {
    if (measured <= 0) return;
    c.set_baseline_spm(measured);  // this run is the easy-pace baseline
  }
  if (c.step_index() < 0 || c.target_spm() <= 0) {
    SetCadenceStep(ev, p, run, 0, "cadence.start", "Cadence module started");
    return;
  }
  // A GREEN run at the target waits for its next morning (OnConfirmedCadenceRun).
  if (AtCadenceTarget(ev, run)) return;
  CadenceMiss(ev, p, run);
}

bool AtCadenceTarget(const Evaluation& ev, const ReportEntry& run) {
  const int measured = run.report->cadence_spm();
  return run.report->traffic_light() == v1::TRAFFIC_LIGHT_GREEN &&
         (measured <= 0 || measured >= ev.program().cadence().target_spm());
}

void OnConfirmedCadenceRun(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run) {
  v1::CadenceModule& c = *ev.program().mutable_cadence();
  const v1::CadenceRules& r = ev.rules().cadence();
  if (!c.enabled() || r.steps().empty() || c.step_index() < 0 || c.target_spm() <= 0) return;
  if (!AtCadenceTarget(ev, run)) return;  // counted as a miss when reported
  if (run.effective != v1::TRAFFIC_LIGHT_GREEN) {
    CadenceMiss(ev, p, run);
    return;
  }
  c.set_miss_streak(0);
  c.set_green_streak(c.green_streak() + 1);
  // Written so that no stored step_index can overflow it.
  if (c.green_streak() < r.greens_per_step() || c.step_index() >= r.steps_size() - 1) return;
  SetCadenceStep(ev, p, run, c.step_index() + 1, "cadence.next_step",
                 absl::StrCat(c.green_streak(), " GREEN runs at the target (confirmed)"));
}

void CadenceMiss(Evaluation& ev, const v1::Prescription& p, const ReportEntry& run) {
  v1::CadenceModule& c = *ev.program().mutable_cadence();
  const v1::CadenceRules& r = ev.rules().cadence();
  const int measured = run.report->cadence_spm();
  {
    c.set_green_streak(0);
    c.set_miss_streak(c.miss_streak() + 1);
    if (c.miss_streak() < r.non_responder_runs()) return;
    c.set_enabled(false);
    v1::Decision d =
        DecisionOn(v1::DECISION_KIND_CADENCE_STEP, "cadence.non_responder", run,
                   "We are dropping the cadence cue: run at your natural step rate.",
                   absl::StrCat(c.miss_streak(), " runs in a row missed the ", c.target_spm(),
                                " spm target or were not GREEN (threshold ", r.non_responder_runs(),
                                "): not a responder, module switched off."));
    PutInput(d, "miss_streak", c.miss_streak());
    PutInput(d, "target_spm", c.target_spm());
    PutInput(d, "measured_spm", measured);
    ev.Note(&p, std::move(d));
  }
}

void AdaptRunStage(Evaluation& ev, v1::Prescription& p, const ReportEntry& run) {
  const v1::ReturnToRunRules& r = ev.rules().return_to_run();
  const int at = StageIndex(ev, p.exercise(), p.dose());
  if (at < 0) return;
  if (run.effective == v1::TRAFFIC_LIGHT_RED) {
    const bool severe = run.report->pain_during() > r.severe_pain_above();
    const int back = severe ? r.stages_back_severe() : r.stages_back();
    Rest(ev, p, run);
    MoveStage(ev, p, run, at, std::max(0, at - back),
              severe ? "run.step_back_red_severe" : "run.step_back_red",
              "That run hurt (red): after the rest, restart a stage lower.",
              absl::StrCat("RED run (pain during ", run.report->pain_during(), ", severe above ",
                           r.severe_pain_above(), "): ", back, " stage(s) back"));
    return;
  }
  if (Stopped(ev, *run.report)) {
    MoveStage(ev, p, run, at, std::max(0, at - r.stages_back()), "run.step_back_stopped",
              "The run was stopped: next time, one stage lower.",
              absl::StrCat("Run stopped (stopped early, or pain above ", r.stop_run_pain_above(),
                           "): ", r.stages_back(), " stage(s) back"));
    return;
  }
  if (run.effective == v1::TRAFFIC_LIGHT_AMBER) {
    ev.Note(&p, DecisionOn(v1::DECISION_KIND_HOLD, "run.hold_amber", run,
                           "Some pain on that run (amber): repeat this stage next time.",
                           absl::StrCat("AMBER run: ", StageLabel(ev, at), " repeated.")));
    return;
  }
  // GREEN: nothing yet; OnConfirmedGreenRuns decides once the next morning confirms it.
}

void OnConfirmedGreenRuns(Evaluation& ev, v1::Prescription& p, const ReportEntry& run, int greens) {
  const v1::ReturnToRunRules& r = ev.rules().return_to_run();
  const int at = StageIndex(ev, p.exercise(), p.dose());
  if (at < 0) return;
  if (at + 1 >= r.stages_size()) {
    if (ev.program().phase() == v1::PHASE_MAINTENANCE) MaintenanceVolumeStep(ev, p, run, greens);
    return;
  }
  if (greens < r.greens_to_advance()) return;
  const bool checked_in = ev.timeline().CheckInOn(run.day + 1) != nullptr;
  MoveStage(ev, p, run, at, at + 1, "run.advance",
            absl::StrCat(greens, " green runs in a row",
                         checked_in ? ", and your knee was fine the morning after" : "",
                         ": next run moves up a stage."),
            absl::StrCat(greens, " GREEN runs in a row (threshold ", r.greens_to_advance(),
                         "; the last confirmed by ",
                         checked_in ? "the next morning's check-in" : "no check-in in time", ")"));
}

void AdaptRunStageNextMorning(Evaluation& ev, v1::Prescription& p, const ReportEntry& run) {
  const v1::ReturnToRunRules& r = ev.rules().return_to_run();
  const int at = StageIndex(ev, p.exercise(), p.dose());
  const int ran = StageIndex(ev, run.report->exercise(), run.report->prescribed_dose());
  if (at < 0 || ran < 0) return;
  if (run.effective != v1::TRAFFIC_LIGHT_RED) {
    ev.Note(&p, DecisionOn(v1::DECISION_KIND_HOLD, "run.hold_amber_next_morning", run,
                           "Your knee was a bit sore this morning (amber): repeat the stage.",
                           "Next morning AMBER after a run: stage repeated."));
    return;
  }
  if (run.report->traffic_light() != v1::TRAFFIC_LIGHT_RED) Rest(ev, p, run);
  const int target = std::max(0, ran - r.stages_back_severe());
  if (at <= target) return;
  MoveStage(ev, p, run, at, target, "run.step_back_pain_after_24h",
            absl::StrCat("Pain was still there the next morning: after the rest, restart ",
                         r.stages_back_severe(), " stage(s) below the one you ran."),
            absl::StrCat("Pain still present the morning after a RED run: ", r.stages_back_severe(),
                         " stage(s) back from the stage run"));
}

}  // namespace kneecoach
