#include "service/domain/program_factory.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/errors.h"
#include "service/domain/names.h"

namespace kneecoach {
namespace {

// A human step rate, steps per minute: a plausibility bound, not clinical policy (the
// protocol's cadence rules say how far above the patient's own baseline to go).
constexpr int kMinStepRate = 60;
constexpr int kMaxStepRate = 300;
// The highest target the engine can set: baseline x (1 + a step of at most 100%).
constexpr int kMaxTargetRate = 2 * kMaxStepRate;
// Far more runs in a row than any program has: a larger stored streak is corrupt.
constexpr int kMaxStreak = 100000;

std::string NextPrescriptionName(const v1::Program& program) {
  return absl::StrCat(program.name(), "/prescriptions/", program.prescriptions_size() + 1);
}

const v1::PhaseTemplate* TemplateFor(const v1::Protocol& protocol, v1::Phase phase) {
  for (const auto& t : protocol.phases()) {
    if (t.phase() == phase) return &t;
  }
  return nullptr;
}

bool LadderHas(const v1::Ladder& ladder, absl::string_view slug) {
  for (const auto& s : ladder.exercise_slugs()) {
    if (s == slug) return true;
  }
  return false;
}

// Checks one requested prescription and, if sound, appends it.
void AddRequested(const v1::Prescription& in, int index, const Library& library, v1::Phase phase,
                  v1::Program& program, FieldViolations& violations) {
  const std::string field = absl::StrCat("program.prescriptions[", index, "]");
  auto slug = ParseId(field + ".exercise", in.exercise(), "exercises");
  if (!slug.ok()) {
    violations.Add(field + ".exercise", "required: \"exercises/{slug}\"");
    return;
  }
  const v1::Exercise* exercise = library.FindExercise(*slug);
  if (exercise == nullptr) {
    violations.Add(field + ".exercise", absl::StrCat("unknown exercise \"", *slug, "\""));
    return;
  }
  v1::Prescription p;
  p.set_exercise(exercise->name());
  if (!in.ladder().empty()) {
    auto ladder_id = ParseId(field + ".ladder", in.ladder(), "ladders");
    const v1::Ladder* ladder = ladder_id.ok() ? library.FindLadder(*ladder_id) : nullptr;
    if (ladder == nullptr || !LadderHas(*ladder, *slug)) {
      violations.Add(field + ".ladder",
                     absl::StrCat("\"", in.ladder(), "\" is not a ladder with \"", *slug, "\""));
      return;
    }
    p.set_ladder(ladder->name());
  } else if (!exercise->ladder_positions().empty()) {
    // Default: the first ladder the exercise is on, so the engine can move it.
    p.set_ladder(exercise->ladder_positions(0).ladder());
  }
  if (in.has_dose()) {
    const size_t before = violations.proto().field_violations_size();
    ValidateDose(in.dose(), field + ".dose", violations);
    if (static_cast<size_t>(violations.proto().field_violations_size()) != before) return;
    *p.mutable_dose() = in.dose();
  } else {
    *p.mutable_dose() = exercise->starting_dose();
  }
  if (in.min_days_between() < 0 || in.min_days_between() > 14) {
    violations.Add(field + ".min_days_between", "out of range 0..14");
  }
  if (in.max_per_week() < 0 || in.max_per_week() > 14) {
    violations.Add(field + ".max_per_week", "out of range 0..14");
  }
  p.set_min_days_between(in.min_days_between());
  p.set_max_per_week(in.max_per_week());
  p.set_locked(in.locked());
  p.set_clinician_note(in.clinician_note());
  p.set_added_in_phase(phase);
  p.set_name(NextPrescriptionName(program));
  *program.add_prescriptions() = std::move(p);
}

}  // namespace

void AddCadenceViolations(const v1::CadenceModule& cadence, const v1::CadenceRules& rules,
                          absl::string_view prefix, FieldViolations& violations) {
  const int last = std::max(0, rules.steps_size() - 1);
  if (cadence.step_index() < -1 || cadence.step_index() > last) {
    violations.Add(absl::StrCat(prefix, ".step_index"),
                   absl::StrCat(cadence.step_index(), " out of range -1..", last,
                                " (the protocol's cadence steps)"));
  }
  if (cadence.baseline_spm() != 0 &&
      (cadence.baseline_spm() < kMinStepRate || cadence.baseline_spm() > kMaxStepRate)) {
    violations.Add(absl::StrCat(prefix, ".baseline_spm"),
                   absl::StrCat(cadence.baseline_spm(),
                                " must be 0 (measured at the first run) "
                                "or in ",
                                kMinStepRate, "..", kMaxStepRate));
  }
}

v1::CadenceModule RequestedCadence(const v1::CadenceModule& requested,
                                   const v1::CadenceModule& kept, const v1::CadenceRules& rules) {
  v1::CadenceModule c;
  c.set_enabled(requested.enabled());
  c.set_baseline_spm(requested.baseline_spm());
  c.set_step_index(requested.step_index());
  const int step = requested.step_index();
  if (step >= 0 && step < rules.steps_size() && requested.baseline_spm() > 0) {
    c.set_target_spm(
        static_cast<int>(std::lround(requested.baseline_spm() * (1 + rules.steps(step)))));
  }
  if (step == kept.step_index() && c.target_spm() == kept.target_spm()) {
    c.set_green_streak(kept.green_streak());
    c.set_miss_streak(kept.miss_streak());
  }
  return c;
}

absl::Status CheckStoredProgram(const v1::Program& program) {
  FieldViolations violations;
  const v1::CadenceModule& c = program.cadence();
  AddCadenceViolations(c, program.rules().cadence(), "cadence", violations);
  if (c.target_spm() < 0 || c.target_spm() > kMaxTargetRate) {
    violations.Add("cadence.target_spm", "out of range");
  }
  if (c.green_streak() < 0 || c.green_streak() > kMaxStreak) {
    violations.Add("cadence.green_streak", "out of range");
  }
  if (c.miss_streak() < 0 || c.miss_streak() > kMaxStreak) {
    violations.Add("cadence.miss_streak", "out of range");
  }
  for (int i = 0; i < program.rules().cadence().steps_size(); ++i) {
    const double step = program.rules().cadence().steps(i);
    if (!(step > 0 && step <= 1)) {
      violations.Add(absl::StrCat("rules.cadence.steps[", i, "]"), "out of range (0, 1]");
    }
  }
  if (violations.empty()) return absl::OkStatus();
  std::string fields;
  for (const auto& v : violations.proto().field_violations()) {
    absl::StrAppend(&fields, fields.empty() ? "" : ", ", v.field());
  }
  return FailedPrecondition(
      "PROGRAM_CORRUPT", program.name(),
      absl::StrCat("the stored program ", program.name(), " has values out of range (", fields,
                   "); a clinician must correct it with UpdateProgram"));
}

std::string ExerciseSlug(absl::string_view exercise_name) {
  absl::string_view slug = exercise_name;
  absl::ConsumePrefix(&slug, "exercises/");
  return std::string(slug);
}

void AddTemplatePrescriptions(const v1::Protocol& protocol, v1::Phase phase, const Library& library,
                              v1::Program& program) {
  const v1::PhaseTemplate* t = TemplateFor(protocol, phase);
  if (t == nullptr) return;
  for (const auto& pt : t->prescriptions()) {
    const v1::Exercise* exercise = library.FindExercise(pt.exercise_slug());
    if (exercise == nullptr) continue;  // protocols are validated against the library
    v1::Prescription p;
    p.set_name(NextPrescriptionName(program));
    p.set_exercise(exercise->name());
    if (!pt.ladder_id().empty()) p.set_ladder(absl::StrCat("ladders/", pt.ladder_id()));
    *p.mutable_dose() = pt.has_dose() ? pt.dose() : exercise->starting_dose();
    p.set_added_in_phase(phase);
    *program.add_prescriptions() = std::move(p);
  }
}

absl::StatusOr<v1::Program> NewProgram(const v1::Program& requested, const v1::Protocol& protocol,
                                       const Library& library, const std::string& name,
                                       absl::CivilDay start_date) {
  FieldViolations violations;
  v1::Program program;
  program.set_name(name);
  program.set_patient(requested.patient());
  program.set_protocol(protocol.name());
  program.set_protocol_version(protocol.version());
  program.set_phase(requested.phase() == v1::PHASE_UNSPECIFIED ? v1::PHASE_SETTLE
                                                               : requested.phase());
  if (!v1::Phase_IsValid(requested.phase())) {
    violations.Add("program.phase", "unknown phase");
  }
  program.set_state(v1::PROGRAM_STATE_ACTIVE);
  program.set_approval_mode(requested.approval_mode() == v1::APPROVAL_MODE_UNSPECIFIED
                                ? v1::APPROVAL_MODE_AUTOMATIC
                                : requested.approval_mode());
  if (!v1::ApprovalMode_IsValid(requested.approval_mode())) {
    violations.Add("program.approval_mode", "unknown approval mode");
  }
  *program.mutable_rules() = protocol.rules();
  if (requested.has_cadence()) {
    const size_t before = violations.proto().field_violations_size();
    AddCadenceViolations(requested.cadence(), protocol.rules().cadence(), "program.cadence",
                         violations);
    if (static_cast<size_t>(violations.proto().field_violations_size()) == before) {
      *program.mutable_cadence() =
          RequestedCadence(requested.cadence(), v1::CadenceModule(), protocol.rules().cadence());
    }
  } else {
    program.mutable_cadence()->set_step_index(-1);
  }
  program.set_start_date(FormatLocalDate(start_date));
  program.set_phase_start_date(program.start_date());

  for (int i = 0; i < requested.prescriptions_size(); ++i) {
    AddRequested(requested.prescriptions(i), i, library, program.phase(), program, violations);
  }
  if (!violations.empty()) return violations.ToStatus();
  if (requested.prescriptions_size() == 0) {
    AddTemplatePrescriptions(protocol, program.phase(), library, program);
    if (program.prescriptions_size() == 0) {
      return FailedPrecondition(
          "PROTOCOL", protocol.name(),
          absl::StrCat("protocol ", protocol.name(), " has no template for phase ",
                       v1::Phase_Name(program.phase()), "; give explicit prescriptions"));
    }
  }
  return program;
}

}  // namespace kneecoach

namespace kneecoach {
std::string PhaseDisplayName(v1::Phase phase) {
  switch (phase) {
    case v1::PHASE_SETTLE:
      return "settle";
    case v1::PHASE_STRENGTHEN:
      return "strengthen";
    case v1::PHASE_RETURN_TO_RUN:
      return "return to run";
    case v1::PHASE_MAINTENANCE:
      return "maintenance";
    default:
      return "unspecified";
  }
}
}  // namespace kneecoach
