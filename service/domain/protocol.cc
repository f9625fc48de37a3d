#include "service/domain/protocol.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "service/domain/dose.h"
#include "service/domain/engine.h"

namespace kneecoach {
namespace {

constexpr int kMaxPain = 10;
// The pain rules that pause (sustained high, rising fast) count up to four weeks of days,
// well inside the history the engine is given (kHistoryDays, engine.h).
constexpr int kMaxPainRuleDays = 28;
static_assert(kMaxPainRuleDays < kHistoryDays, "the engine must see the pain rules' days");
constexpr int kNoLimit = std::numeric_limits<int>::max();

// Keeps text-format parse errors ("3:7: unknown field") for the status message.
class ParseErrors final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    absl::StrAppend(&text_, text_.empty() ? "" : "; ", line + 1, ":", column + 1, ": ", message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

// Adds violations for fields under one path prefix ("rules.progression"). Not thread-safe.
class Checker {
 public:
  Checker(absl::string_view prefix, FieldViolations& violations)
      : prefix_(prefix), violations_(violations) {}

  // A checker for a nested message or list element, e.g. At("stages[2]").
  Checker At(absl::string_view field) const { return Checker(Path(field), violations_); }

  std::string Path(absl::string_view field) const {
    return prefix_.empty() ? std::string(field) : absl::StrCat(prefix_, ".", field);
  }
  void Add(absl::string_view field, absl::string_view description) const {
    violations_.Add(Path(field), description);
  }

  // lo <= value <= hi.
  void Range(absl::string_view field, int value, int lo, int hi) const {
    if (value < lo || value > hi) {
      Add(field, hi == kNoLimit ? absl::StrCat(value, " must be at least ", lo)
                                : absl::StrCat(value, " out of range ", lo, "..", hi));
    }
  }
  void Pain(absl::string_view field, int value) const { Range(field, value, 0, kMaxPain); }
  void Positive(absl::string_view field, int value) const { Range(field, value, 1, kNoLimit); }

  // 0 < value <= 1 (or < 1 when `open_above`: a cut of 100% would leave nothing).
  void Fraction(absl::string_view field, double value, bool open_above = false) const {
    const bool ok = value > 0 && (open_above ? value < 1 : value <= 1);
    if (!ok) {
      Add(field, absl::StrFormat("%g must be in (0, 1%s", value, open_above ? ")" : "]"));
    }
  }

 private:
  std::string prefix_;
  FieldViolations& violations_;
};

void CheckTrafficLight(const v1::TrafficLightRules& r, const Checker& c) {
  c.Pain("green_max_pain_during", r.green_max_pain_during());
  c.Pain("amber_max_pain_during", r.amber_max_pain_during());
  c.Pain("settled_max_over_baseline", r.settled_max_over_baseline());
  c.Pain("amber_morning_over_baseline", r.amber_morning_over_baseline());
  c.Range("red_morning_over_baseline", r.red_morning_over_baseline(), 1, kMaxPain);
  if (r.green_max_pain_during() > r.amber_max_pain_during()) {
    c.Add("green_max_pain_during", "must not exceed amber_max_pain_during");
  }
  if (r.amber_morning_over_baseline() >= r.red_morning_over_baseline()) {
    c.Add("amber_morning_over_baseline", "must be below red_morning_over_baseline");
  }
}

void CheckProgression(const v1::ProgressionRules& r, const Checker& c) {
  c.Positive("greens_to_progress", r.greens_to_progress());
  c.Positive("ambers_to_regress", r.ambers_to_regress());
  c.Positive("under_dose_sessions_to_simplify", r.under_dose_sessions_to_simplify());
  c.Fraction("under_dose_completion_fraction", r.under_dose_completion_fraction());
  c.Fraction("regress_volume_fraction", r.regress_volume_fraction(), /*open_above=*/true);
  c.Fraction("red_volume_fraction", r.red_volume_fraction());
  c.Positive("hold_step_seconds", r.hold_step_seconds());
  c.Positive("max_hold_seconds", r.max_hold_seconds());
  c.Positive("reps_step", r.reps_step());
  c.Positive("max_reps", r.max_reps());
  c.Positive("max_sets", r.max_sets());
  c.Fraction("load_step_fraction", r.load_step_fraction());
  c.Range("reps_after_load_step", r.reps_after_load_step(), 1, std::max(1, r.max_reps()));
  c.Positive("range_step_degrees", r.range_step_degrees());
  if (!(r.max_load_increase_fraction() >= 0 && r.max_load_increase_fraction() <= 5)) {
    c.Add("max_load_increase_fraction",
          absl::StrFormat("%g out of range 0..5 (0: no cap)", r.max_load_increase_fraction()));
  }
}

void CheckRunStage(const v1::RunStage& s, const Checker& c, const Library& library) {
  c.Positive("stage", s.stage());
  if (library.FindExercise(s.exercise_slug()) == nullptr) {
    c.Add("exercise_slug", absl::StrCat("unknown exercise \"", s.exercise_slug(), "\""));
  }
  if (s.continuous_seconds() > 0) return;
  c.Positive("run_seconds", s.run_seconds());
  c.Positive("repeats", s.repeats());
  c.Range("walk_seconds", s.walk_seconds(), 0, kNoLimit);
}

void CheckReturnToRun(const v1::ReturnToRunRules& r, const Checker& c, const Library& library) {
  c.Positive("greens_to_advance", r.greens_to_advance());
  c.Range("rest_hours_after_red", r.rest_hours_after_red(), 0, kNoLimit);
  c.Positive("stages_back", r.stages_back());
  c.Range("stages_back_severe", r.stages_back_severe(), std::max(1, r.stages_back()), kNoLimit);
  c.Pain("severe_pain_above", r.severe_pain_above());
  c.Pain("stop_run_pain_above", r.stop_run_pain_above());
  if (r.stages().empty()) c.Add("stages", "at least one run stage is required");
  for (int i = 0; i < r.stages_size(); ++i) {
    CheckRunStage(r.stages(i), c.At(absl::StrCat("stages[", i, "]")), library);
  }
}

void CheckCadence(const v1::CadenceRules& r, const Checker& c) {
  double previous = 0;
  for (int i = 0; i < r.steps_size(); ++i) {
    const std::string field = absl::StrCat("steps[", i, "]");
    c.Fraction(field, r.steps(i));
    if (r.steps(i) <= previous) c.Add(field, "steps must increase");
    previous = r.steps(i);
  }
  c.Positive("greens_per_step", r.greens_per_step());
  c.Positive("non_responder_runs", r.non_responder_runs());
}

void CheckAlerts(const v1::AlertRules& r, const Checker& c) {
  c.Positive("red_sessions_in_a_row", r.red_sessions_in_a_row());
  c.Positive("red_persisting_hours", r.red_persisting_hours());
  c.Range("usual_pain_rise_points", r.usual_pain_rise_points(), 1, kMaxPain);
  c.Positive("usual_pain_window_days", r.usual_pain_window_days());
  c.Fraction("min_adherence", r.min_adherence());
  c.Positive("adherence_window_days", r.adherence_window_days());
  c.Positive("no_change_after_weeks", r.no_change_after_weeks());
  c.Range("meaningful_pain_change", r.meaningful_pain_change(), 1, kMaxPain);
  // 0: the AKPS is not judged.
  c.Range("meaningful_akps_change", r.meaningful_akps_change(), 0, 100);
  // 0 days: pain sustained high is not judged. When judged, the threshold is one pain can
  // exceed, and not 0, which would pause every patient with any pain at all.
  c.Range("sustained_pain_days", r.sustained_pain_days(), 0, kMaxPainRuleDays);
  c.Range("sustained_pain_above", r.sustained_pain_above(), r.sustained_pain_days() > 0 ? 1 : 0,
          kMaxPain - 1);
  // 0 points: usual pain rising fast is not judged; when judged, it needs a window.
  c.Range("usual_pain_fast_rise_points", r.usual_pain_fast_rise_points(), 0, kMaxPain);
  c.Range("usual_pain_fast_window_days", r.usual_pain_fast_window_days(),
          r.usual_pain_fast_rise_points() > 0 ? 1 : 0, kMaxPainRuleDays);
}

void CheckOutcomeSchedule(const v1::OutcomeSchedule& r, const Checker& c) {
  c.Range("akps_every_days", r.akps_every_days(), 0, 366);
  c.Range("step_down_every_days", r.step_down_every_days(), 0, 366);
  int previous = 0;
  for (int i = 0; i < r.global_rating_weeks_size(); ++i) {
    const std::string field = absl::StrCat("global_rating_weeks[", i, "]");
    c.Range(field, r.global_rating_weeks(i), 1, 104);
    if (r.global_rating_weeks(i) <= previous) c.Add(field, "weeks must increase");
    previous = r.global_rating_weeks(i);
  }
}

// At most a week: a session unconfirmed for longer than that is a patient who stopped
// checking in, which the adherence rule is for.
constexpr int kMaxUnconfirmedHours = 168;

void CheckConfirmation(const v1::ConfirmationRules& r, const Checker& c) {
  c.Range("unconfirmed_counts_after_hours", r.unconfirmed_counts_after_hours(), 0,
          kMaxUnconfirmedHours);
}

void CheckMaintenance(const v1::MaintenanceRules& r, const Checker& c) {
  // clinical.md: weekly volume +10-20% at most.
  if (!(r.max_weekly_volume_increase() > 0 && r.max_weekly_volume_increase() <= 0.2)) {
    c.Add("max_weekly_volume_increase",
          absl::StrFormat("%g must be in (0, 0.2]", r.max_weekly_volume_increase()));
  }
  c.Positive("greens_to_increase", r.greens_to_increase());
}

void CheckRegressionVariables(
    const google::protobuf::RepeatedPtrField<v1::CategoryRegression>& rules, const Checker& c) {
  if (rules.empty()) return;
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < rules.size(); ++i) {
    const Checker rc = c.At(absl::StrCat("regression_variables[", i, "]"));
    const v1::CategoryRegression& r = rules[i];
    if (r.category() == v1::EXERCISE_CATEGORY_UNSPECIFIED ||
        !v1::ExerciseCategory_IsValid(r.category())) {
      rc.Add("category", "an exercise category is required");
    } else if (!seen.insert(r.category()).second) {
      rc.Add("category",
             absl::StrCat(v1::ExerciseCategory_Name(r.category()), " is listed more than once"));
    }
    absl::flat_hash_set<int> variables;
    for (int j = 0; j < r.variables_size(); ++j) {
      const std::string field = absl::StrCat("variables[", j, "]");
      const int v = r.variables(j);
      if (v == v1::REGRESSION_VARIABLE_UNSPECIFIED || !v1::RegressionVariable_IsValid(v)) {
        rc.Add(field, "a regression variable is required");
      } else if (!variables.insert(v).second) {
        rc.Add(field, "listed more than once");
      }
    }
  }
  for (int category = v1::ExerciseCategory_MIN; category <= v1::ExerciseCategory_MAX; ++category) {
    if (category == v1::EXERCISE_CATEGORY_UNSPECIFIED || !v1::ExerciseCategory_IsValid(category) ||
        seen.contains(category)) {
      continue;
    }
    c.Add("regression_variables",
          absl::StrCat("no entry for ",
                       v1::ExerciseCategory_Name(static_cast<v1::ExerciseCategory>(category)),
                       ": list every category (an empty list of variables: nothing changes)"));
  }
}

// `field` is the repeated field's name ("frequency_rules") under `c`.
void CheckFrequencyRules(const google::protobuf::RepeatedPtrField<v1::FrequencyRule>& rules,
                         absl::string_view field, const Checker& c) {
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < rules.size(); ++i) {
    const Checker rc = c.At(absl::StrCat(field, "[", i, "]"));
    const v1::FrequencyRule& r = rules[i];
    if (r.frequency_class() == v1::FREQUENCY_CLASS_UNSPECIFIED ||
        !v1::FrequencyClass_IsValid(r.frequency_class())) {
      rc.Add("frequency_class", "a frequency class is required");
    } else if (!seen.insert(r.frequency_class()).second) {
      rc.Add("frequency_class", "only one rule per frequency class");
    }
    rc.Range("min_days_between", r.min_days_between(), 1, 14);
    rc.Range("max_per_week", r.max_per_week(), 0, 7);
  }
}

bool LadderHas(const v1::Ladder& ladder, absl::string_view slug) {
  for (const auto& s : ladder.exercise_slugs()) {
    if (s == slug) return true;
  }
  return false;
}

void CheckTemplatePrescription(const v1::PrescriptionTemplate& t, const Checker& c,
                               const Library& library, FieldViolations& violations) {
  if (library.FindExercise(t.exercise_slug()) == nullptr) {
    c.Add("exercise_slug", absl::StrCat("unknown exercise \"", t.exercise_slug(), "\""));
  }
  if (!t.ladder_id().empty()) {
    const v1::Ladder* ladder = library.FindLadder(t.ladder_id());
    if (ladder == nullptr) {
      c.Add("ladder_id", absl::StrCat("unknown ladder \"", t.ladder_id(), "\""));
    } else if (!LadderHas(*ladder, t.exercise_slug())) {
      c.Add("ladder_id",
            absl::StrCat("ladder \"", t.ladder_id(), "\" has no rung \"", t.exercise_slug(), "\""));
    }
  }
  if (t.has_dose()) ValidateDose(t.dose(), c.Path("dose"), violations);
}

void CheckExitTest(const v1::ExitTest& t, const Checker& c, const Library& library) {
  if (t.exercise_slugs().empty()) c.Add("exercise_slugs", "at least one exercise is required");
  for (int i = 0; i < t.exercise_slugs_size(); ++i) {
    if (library.FindExercise(t.exercise_slugs(i)) == nullptr) {
      c.Add(absl::StrCat("exercise_slugs[", i, "]"),
            absl::StrCat("unknown exercise \"", t.exercise_slugs(i), "\""));
    }
  }
  c.Range("min_reps", t.min_reps(), 0, kNoLimit);
  c.Range("min_sets", t.min_sets(), 0, kNoLimit);
  c.Range("min_hold_seconds", t.min_hold_seconds(), 0, kNoLimit);
  c.Range("min_duration_seconds", t.min_duration_seconds(), 0, kNoLimit);
  c.Pain("max_pain", t.max_pain());
  c.Range("min_sessions", t.min_sessions(), 0, kNoLimit);
}

bool HasExitCriteria(const v1::PhaseExitCriteria& e) {
  return e.max_usual_pain() >= 0 || e.stable_morning_days() > 0 || !e.tests().empty();
}

void CheckExitCriteria(const v1::PhaseExitCriteria& e, const Checker& c, const Library& library) {
  c.Range("max_usual_pain", e.max_usual_pain(), -1, kMaxPain);
  c.Range("stable_morning_days", e.stable_morning_days(), 0, kNoLimit);
  c.Range("min_days", e.min_days(), 0, kNoLimit);
  for (int i = 0; i < e.tests_size(); ++i) {
    CheckExitTest(e.tests(i), c.At(absl::StrCat("tests[", i, "]")), library);
  }
}

void CheckPhase(const v1::PhaseTemplate& phase, bool has_next, const Checker& c,
                const Library& library, FieldViolations& violations) {
  for (int i = 0; i < phase.prescriptions_size(); ++i) {
    CheckTemplatePrescription(phase.prescriptions(i), c.At(absl::StrCat("prescriptions[", i, "]")),
                              library, violations);
  }
  CheckExitCriteria(phase.exit_criteria(), c.At("exit_criteria"), library);
  if (has_next && !HasExitCriteria(phase.exit_criteria())) {
    c.Add("exit_criteria",
          "a phase followed by another needs exit criteria (usual pain, stable mornings or "
          "tests); without them it would end at once");
  }
  CheckFrequencyRules(phase.frequency_rules(), "frequency_rules", c);
}

void CheckPhases(const v1::Protocol& protocol, const Checker& top, const Library& library,
                 FieldViolations& violations) {
  if (protocol.phases().empty()) top.Add("phases", "at least one phase template is required");
  v1::Phase last = v1::PHASE_UNSPECIFIED;
  for (const auto& p : protocol.phases()) last = std::max(last, p.phase());
  absl::flat_hash_set<int> seen;
  for (int i = 0; i < protocol.phases_size(); ++i) {
    const v1::PhaseTemplate& phase = protocol.phases(i);
    const Checker c = top.At(absl::StrCat("phases[", i, "]"));
    if (phase.phase() == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(phase.phase())) {
      c.Add("phase", "a phase is required");
      continue;
    }
    if (!seen.insert(phase.phase()).second) {
      c.Add("phase", absl::StrCat(v1::Phase_Name(phase.phase()), " appears more than once"));
    }
    CheckPhase(phase, phase.phase() != last, c, library, violations);
  }
}

}  // namespace

void AddRulesViolations(const v1::ProtocolRules& rules, absl::string_view prefix,
                        const Library& library, FieldViolations& violations) {
  const Checker c(prefix, violations);
  c.Range("baseline_window_days", rules.baseline_window_days(), 1, 28);
  CheckTrafficLight(rules.exercise_traffic_light(), c.At("exercise_traffic_light"));
  CheckTrafficLight(rules.running_traffic_light(), c.At("running_traffic_light"));
  CheckProgression(rules.progression(), c.At("progression"));
  CheckReturnToRun(rules.return_to_run(), c.At("return_to_run"), library);
  CheckCadence(rules.cadence(), c.At("cadence"));
  CheckAlerts(rules.alerts(), c.At("alerts"));
  CheckFrequencyRules(rules.frequency_rules(), "frequency_rules", c);
  CheckOutcomeSchedule(rules.outcome_schedule(), c.At("outcome_schedule"));
  CheckConfirmation(rules.confirmation(), c.At("confirmation"));
  CheckRegressionVariables(rules.regression_variables(), c);
  if (rules.has_maintenance()) CheckMaintenance(rules.maintenance(), c.At("maintenance"));
}

absl::Status ValidateRules(const v1::ProtocolRules& rules, absl::string_view prefix,
                           const Library& library) {
  FieldViolations violations;
  AddRulesViolations(rules, prefix, library, violations);
  return violations.ToStatus();
}

void AddProtocolViolations(const v1::Protocol& protocol, absl::string_view prefix,
                           const Library& library, FieldViolations& violations) {
  const Checker c(prefix, violations);
  if (protocol.id().empty()) c.Add("id", "required");
  if (protocol.version() < 1) c.Add("version", "must be at least 1");
  if (!protocol.has_rules()) {
    c.Add("rules", "required");
  } else {
    AddRulesViolations(protocol.rules(), c.Path("rules"), library, violations);
    // A program may leave these to its protocol; the protocol must say them.
    if (!protocol.rules().has_confirmation()) c.Add("rules.confirmation", "required");
    if (!protocol.rules().has_maintenance()) c.Add("rules.maintenance", "required");
    if (protocol.rules().regression_variables().empty()) {
      c.Add("rules.regression_variables", "required: what a regression may change, per category");
    }
  }
  CheckPhases(protocol, c, library, violations);
}

absl::Status ValidateProtocol(const v1::Protocol& protocol, const Library& library) {
  FieldViolations violations;
  AddProtocolViolations(protocol, "", library, violations);
  return violations.ToStatus();
}

v1::ProtocolRules RulesInForce(const v1::ProtocolRules& program_rules,
                               const v1::ProtocolRules& protocol_rules) {
  v1::ProtocolRules rules = program_rules;
  if (!rules.has_confirmation() && protocol_rules.has_confirmation()) {
    *rules.mutable_confirmation() = protocol_rules.confirmation();
  }
  if (!rules.has_maintenance() && protocol_rules.has_maintenance()) {
    *rules.mutable_maintenance() = protocol_rules.maintenance();
  }
  if (rules.regression_variables().empty()) {
    *rules.mutable_regression_variables() = protocol_rules.regression_variables();
  }
  return rules;
}

absl::StatusOr<v1::Protocol> LoadProtocolFromFile(const std::string& path, const Library& library) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("protocol file not found: ", path));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot open protocol file ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  v1::Protocol protocol;
  google::protobuf::TextFormat::Parser parser;
  ParseErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &protocol)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": does not parse as kneecoach.v1.Protocol: ", errors.text()));
  }
  if (absl::Status status = ValidateProtocol(protocol, library); !status.ok()) {
    // Keep the code and the BadRequest payload; name the file in the message.
    absl::Status named(status.code(), absl::StrCat(path, ": ", status.message()));
    status.ForEachPayload(
        [&](absl::string_view url, const absl::Cord& payload) { named.SetPayload(url, payload); });
    return named;
  }
  protocol.set_name(absl::StrCat("protocols/", protocol.id()));
  return protocol;
}

}  // namespace kneecoach
