#include "service/domain/program_factory.h"

#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/errors.h"
#include "service/domain/names.h"

namespace kneecoach {
namespace {

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
void AddRequested(const v1::Prescription& in, int index, const Library& library,
                  v1::Phase phase, v1::Program& program, FieldViolations& violations) {
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

std::string ExerciseSlug(absl::string_view exercise_name) {
  absl::string_view slug = exercise_name;
  absl::ConsumePrefix(&slug, "exercises/");
  return std::string(slug);
}

void AddTemplatePrescriptions(const v1::Protocol& protocol, v1::Phase phase,
                              const Library& library, v1::Program& program) {
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

absl::StatusOr<v1::Program> NewProgram(const v1::Program& requested,
                                       const v1::Protocol& protocol, const Library& library,
                                       const std::string& name, absl::CivilDay start_date) {
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
  *program.mutable_cadence() = requested.cadence();
  if (!requested.has_cadence()) program.mutable_cadence()->set_step_index(-1);
  program.set_start_date(FormatLocalDate(start_date));
  program.set_phase_start_date(program.start_date());

  for (int i = 0; i < requested.prescriptions_size(); ++i) {
    AddRequested(requested.prescriptions(i), i, library, program.phase(), program,
                 violations);
  }
  if (!violations.empty()) return violations.ToStatus();
  if (requested.prescriptions_size() == 0) {
    AddTemplatePrescriptions(protocol, program.phase(), library, program);
    if (program.prescriptions_size() == 0) {
      return FailedPrecondition("PROTOCOL", protocol.name(),
                                absl::StrCat("protocol ", protocol.name(),
                                             " has no template for phase ",
                                             v1::Phase_Name(program.phase()),
                                             "; give explicit prescriptions"));
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
