#include "service/domain/adaptation.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/program_factory.h"
#include "service/domain/progression.h"

namespace kneecoach {
namespace {

// How a GREEN report was confirmed, for the decision's inputs.
std::string ConfirmedBy(const Evaluation& ev, const ReportEntry& entry) {
  if (ev.timeline().CheckInOn(entry.day + 1) != nullptr) {
    return absl::StrCat("morning check-in ", FormatLocalDate(entry.day + 1));
  }
  return absl::StrCat("no check-in on ", FormatLocalDate(entry.day + 1), " within ",
                      ev.rules().confirmation().unconfirmed_counts_after_hours(), " h");
}

// What a regression may change on `p`'s exercise (its category's variables).
RegressionScope Scope(const Evaluation& ev, const v1::Prescription& p) {
  const v1::Exercise* e = ev.library().FindExercise(ExerciseSlug(p.exercise()));
  return ScopeFor(ev.rules(), e != nullptr ? e->category() : v1::EXERCISE_CATEGORY_UNSPECIFIED);
}

std::string Describe(const Evaluation& ev, const v1::Prescription& p) {
  return DescribePrescription(ev.library(), p.exercise(), p.dose());
}

// Whether another prescription of the program already does `exercise`.
bool Prescribed(const Evaluation& ev, const v1::Prescription& p, absl::string_view exercise) {
  const auto& all = ev.program().prescriptions();
  return std::any_of(all.begin(), all.end(), [&](const v1::Prescription& other) {
    return other.name() != p.name() && other.exercise() == exercise;
  });
}

struct GreenStep {
  DoseChange change;
  std::string rule;
};

// After enough greens: back to the exercise swapped away from, if any; else the next step
// of the progression order. Nothing at the top of the ladder with every variable at its
// ceiling, or when the next rung is already another prescription (ladders share rungs).
std::optional<GreenStep> NextGreenStep(const Evaluation& ev, const v1::Prescription& p) {
  const std::string& swapped_from = p.progress().swapped_from_exercise();
  if (!swapped_from.empty()) {
    if (const v1::Exercise* original = ev.library().FindExercise(ExerciseSlug(swapped_from))) {
      return GreenStep{{original->name(), original->starting_dose(), "rung", ""},
                       kRuleReturnFromIsometric};
    }
  }
  std::optional<DoseChange> change = NextProgression(p, ev.library(), ev.rules().progression());
  if (!change.has_value() || (change->variable == "rung" && Prescribed(ev, p, change->exercise))) {
    return std::nullopt;
  }
  return GreenStep{*std::move(change), "progress.green_streak"};
}

void OnGreen(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest, const Streaks& s,
             const Streaks& before) {
  const int needed = ev.rules().progression().greens_to_progress();
  // A locked prescription is noted once per streak, not at every later green.
  if (s.green < needed || s.green <= before.green || (p.locked() && before.green >= needed)) {
    return;
  }
  std::optional<GreenStep> step = NextGreenStep(ev, p);
  if (!step.has_value()) return;
  const bool back = step->rule == kRuleReturnFromIsometric;
  v1::Decision d =
      DecisionOn(v1::DECISION_KIND_PROGRESS, step->rule, latest,
                 absl::StrCat(s.green, " green sessions in a row: time for a small step up."),
                 absl::StrCat(s.green, " GREEN sessions in a row (threshold ", needed,
                              "; the last confirmed by ", ConfirmedBy(ev, latest), ") at ",
                              Describe(ev, p), "; one variable, one step: ", step->change.variable,
                              back ? " (back from the isometric swap)" : "", "."));
  PutInput(d, "green_streak", s.green);
  PutInput(d, "confirmed_by", ConfirmedBy(ev, latest));
  PutInput(d, "greens_to_progress", needed);
  ev.Change(p, step->change, std::move(d));
}

void OnAmber(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest, const Streaks& s) {
  const int needed = ev.rules().progression().ambers_to_regress();
  std::optional<DoseChange> change;
  if (s.amber >= needed)
    change = AmberRegression(p, ev.library(), ev.rules().progression(), Scope(ev, p));
  if (!change.has_value()) {
    v1::Decision d = DecisionOn(v1::DECISION_KIND_HOLD, "hold.amber", latest,
                                "Some pain (amber): repeat the same dose next time.",
                                absl::StrCat("AMBER (", s.amber, " in a row, regression at ",
                                             needed, "): dose repeated at ", Describe(ev, p), "."));
    PutInput(d, "amber_streak", s.amber);
    PutInput(d, "ambers_to_regress", needed);
    ev.Note(&p, std::move(d));
    return;
  }
  v1::Decision d = DecisionOn(
      v1::DECISION_KIND_REGRESS, "regress.amber_streak", latest,
      absl::StrCat(s.amber, " amber sessions in a row: we are easing this exercise a little."),
      absl::StrCat(s.amber, " AMBER sessions in a row (threshold ", needed,
                   "): regressed one variable (", change->variable, ", volume cut ",
                   ev.rules().progression().regress_volume_fraction() * 100,
                   "% or the previous range) from ", Describe(ev, p), "."));
  PutInput(d, "amber_streak", s.amber);
  PutInput(d, "ambers_to_regress", needed);
  ev.Change(p, *change, std::move(d));
}

struct RedAction {
  v1::DecisionKind kind;
  const char* rule;
  const char* patient_reason;
  const char* what;
};

RedAction RedActionFor(absl::string_view variable) {
  if (variable == "isometric") {
    return {v1::DECISION_KIND_SWAP_TO_ISOMETRIC, "swap.red_painful_dynamic",
            "That exercise hurt too much (red): a holding exercise replaces it for now.",
            "painful dynamic work swapped for the ladder's isometric"};
  }
  if (variable == "rung") {
    return {v1::DECISION_KIND_REGRESS, "regress.red_rung_down",
            "Pain was too high (red): next time is an easier version.", "one rung down"};
  }
  return {v1::DECISION_KIND_REGRESS, "regress.red_volume",
          "Pain was too high (red): next time is a smaller, easier dose.",
          "volume kept at red_volume_fraction, with the range limited one step or the effort "
          "one point lower where the category allows"};
}

void OnRed(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest, const Streaks& s) {
  const int amber_max = ev.timeline().LightRulesFor(p.exercise()).amber_max_pain_during();
  const bool painful = latest.report->pain_during() > amber_max;
  const std::string cause =
      painful ? absl::StrCat("pain during ", latest.report->pain_during(), " > ", amber_max)
              : absl::StrCat("report ", v1::TrafficLight_Name(latest.report->traffic_light()),
                             ", then the next morning");
  std::optional<DoseChange> change =
      RedRegression(p, ev.library(), ev.rules().progression(), painful, Scope(ev, p));
  if (!change.has_value()) {
    ev.Note(&p, DecisionOn(v1::DECISION_KIND_HOLD, "hold.red_nothing_lower", latest,
                           "That hurt too much (red): keep it gentle and we will review.",
                           absl::StrCat("RED (", cause, ") at ", Describe(ev, p),
                                        ", but nothing lower exists on its ladder and the "
                                        "volume cannot shrink: held.")));
    return;
  }
  const RedAction action = RedActionFor(change->variable);
  v1::Decision d = DecisionOn(
      action.kind, action.rule, latest, action.patient_reason,
      absl::StrCat("RED (", cause, ") at ", Describe(ev, p), ": ", action.what,
                   change->note.empty() ? "" : absl::StrCat(" (", change->note, ")"), "."));
  PutInput(d, "red_streak", s.red);
  ev.Change(p, *change, std::move(d));
}

void OnUnderDose(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest, const Streaks& s) {
  std::optional<DoseChange> change = Simplification(p, ev.rules().progression(), Scope(ev, p));
  if (!change.has_value()) return;
  const int needed = ev.rules().progression().under_dose_sessions_to_simplify();
  v1::Decision d = DecisionOn(
      v1::DECISION_KIND_SIMPLIFY, "simplify.under_dose", latest,
      "The dose has been hard to finish: we made it simpler.",
      absl::StrCat(s.under_dose, " sessions in a row below the prescribed dose (threshold ", needed,
                   ", full means at least ",
                   ev.rules().progression().under_dose_completion_fraction() * 100, "% done) at ",
                   Describe(ev, p), ": volume cut."));
  PutInput(d, "under_dose_streak", s.under_dose);
  PutInput(d, "under_dose_sessions_to_simplify", needed);
  ev.Change(p, *change, std::move(d));
}

}  // namespace

v1::Decision DecisionOn(v1::DecisionKind kind, absl::string_view rule, const ReportEntry& latest,
                        std::string patient_reason, std::string clinician_reason) {
  v1::Decision d;
  d.set_kind(kind);
  d.set_rule(std::string(rule));
  d.set_traffic_light(latest.effective);
  d.set_patient_reason(std::move(patient_reason));
  d.set_clinician_reason(std::move(clinician_reason));
  PutInput(d, "report_date", absl::FormatCivilTime(latest.day));
  PutInput(d, "traffic_light", latest.effective);
  PutInput(d, "report_traffic_light", latest.report->traffic_light());
  PutInput(d, "morning_baseline", latest.baseline);
  PutInput(d, "pain_during", latest.report->pain_during());
  if (latest.report->has_pain_after_1h()) {
    PutInput(d, "pain_after_1h", latest.report->pain_after_1h());
  }
  return d;
}

void AdaptPrescription(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest) {
  const Streaks s = ev.timeline().StreaksFor(p);
  switch (latest.effective) {
    case v1::TRAFFIC_LIGHT_RED:
      OnRed(ev, p, latest, s);
      return;
    case v1::TRAFFIC_LIGHT_AMBER:
      OnAmber(ev, p, latest, s);
      return;
    default:
      break;
  }
  if (s.under_dose >= ev.rules().progression().under_dose_sessions_to_simplify()) {
    OnUnderDose(ev, p, latest, s);
  }
  // GREEN: nothing yet; OnConfirmedGreen decides once the next morning confirms it.
}

void OnConfirmedGreen(Evaluation& ev, v1::Prescription& p, const ReportEntry& latest,
                      const Streaks& now, const Streaks& before) {
  OnGreen(ev, p, latest, now, before);
}

}  // namespace kneecoach
