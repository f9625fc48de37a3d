// ProgramService use cases: creating programs and the clinician's say over them.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/core/core.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"

namespace kneecoach {

using google::protobuf::util::FieldMaskUtil;
using google::protobuf::util::MessageDifferencer;
using internal::InRead;
using internal::InWrite;
using internal::LoadedProgram;
using internal::LoadProgram;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

namespace {

constexpr char kClinician[] = "clinician";
constexpr size_t kMaxReason = 2000;

absl::Status CheckReason(const std::string& reason, bool required) {
  if (required && reason.empty()) return InvalidField("reason", "required");
  if (reason.size() > kMaxReason) {
    return InvalidField("reason", absl::StrCat("longer than ", kMaxReason, " bytes"));
  }
  return absl::OkStatus();
}

// The paths of `mask`, or INVALID_ARGUMENT if it is empty, names a path that is not a field
// of `message` ("dose..sets", "dose.nonexistent") or one outside `allowed` (a path is
// allowed when it equals an allowed entry or lies below one).
absl::StatusOr<std::vector<std::string>> MaskPaths(const google::protobuf::FieldMask& mask,
                                                   const google::protobuf::Descriptor* message,
                                                   const std::vector<std::string>& allowed) {
  if (mask.paths().empty()) {
    return InvalidField("update_mask",
                        absl::StrCat("required: one or more of ", absl::StrJoin(allowed, ", ")));
  }
  FieldViolations violations;
  std::vector<std::string> paths;
  for (int i = 0; i < mask.paths_size(); ++i) {
    const std::string& path = mask.paths(i);
    const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
      return path == a || absl::StartsWith(path, a + ".");
    });
    // The client's text is escaped wherever it is echoed.
    // GetFieldDescriptors skips empty segments: "dose..sets" would pass as "dose.sets".
    const bool well_formed = !path.empty() && path.front() != '.' && path.back() != '.' &&
                             !absl::StrContains(path, "..");
    if (!well_formed || !FieldMaskUtil::GetFieldDescriptors(message, path, nullptr)) {
      violations.Add(
          absl::StrCat("update_mask.paths[", i, "]"),
          absl::StrCat("\"", absl::CHexEscape(path), "\" is not a field of ", message->name()));
    } else if (!ok) {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     absl::StrCat("\"", absl::CHexEscape(path),
                                  "\" cannot be updated; allowed: ", absl::StrJoin(allowed, ", ")));
    }
    paths.push_back(path);
  }
  if (!violations.empty()) return violations.ToStatus();
  return paths;
}

bool HasPath(const std::vector<std::string>& paths, absl::string_view prefix) {
  return std::any_of(paths.begin(), paths.end(), [&](const std::string& p) {
    return p == prefix || absl::StartsWith(p, absl::StrCat(prefix, "."));
  });
}

v1::Prescription* FindPrescription(v1::Program& program, absl::string_view name) {
  for (auto& p : *program.mutable_prescriptions()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

template <typename Message>
void MergeMasked(const Message& from, const google::protobuf::FieldMask& mask, Message& to) {
  FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  options.set_replace_repeated_fields(true);
  FieldMaskUtil::MergeMessageTo(from, mask, options, &to);
}

// A clinician decision of `kind` with the reason on both sides.
v1::Decision ClinicianDecision(v1::DecisionKind kind, const std::string& rule,
                               const std::string& reason, absl::string_view patient_reason) {
  v1::Decision d;
  d.set_kind(kind);
  d.set_state(v1::DECISION_STATE_APPLIED);
  d.set_rule(rule);
  d.set_author(kClinician);
  internal::CreditReviewer(d);
  d.set_review_reason(reason);
  d.set_clinician_reason(reason);
  d.set_patient_reason(std::string(patient_reason));
  return d;
}

}  // namespace

absl::StatusOr<v1::CreateProgramResponse> Core::CreateProgram(const v1::CreateProgramRequest& r) {
  auto patient_id = ParseId("program.patient", r.program().patient(), "patients");
  if (!patient_id.ok()) return patient_id.status();
  const std::string protocol_name =
      r.program().protocol().empty() ? options_.default_protocol : r.program().protocol();
  auto protocol_id = ParseId("program.protocol", protocol_name, "protocols");
  if (!protocol_id.ok()) return protocol_id.status();
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;

  return InWrite<v1::CreateProgramResponse>(
      writes_, "CreateProgram", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateProgramResponse> {
        auto patient = txn.GetPatient(*patient_id);
        if (!patient.ok()) return patient.status();
        auto protocol = txn.GetProtocol(*protocol_id);
        if (!protocol.ok()) return protocol.status();
        if (!protocol->clinic().empty() && protocol->clinic() != patient->clinic()) {
          return absl::PermissionDeniedError(
              absl::StrCat(protocol_name, " belongs to another clinic"));
        }
        auto zone = LoadZone(patient->time_zone());
        if (!zone.ok()) return absl::InternalError("stored patient has an unknown time zone");
        const absl::Time now = clock_.Now();
        const std::string id = ids_.NewId();
        auto program = NewProgram(r.program(), *protocol, library_, absl::StrCat("programs/", id),
                                  LocalDateAt(now, *zone));
        if (!program.ok()) return program.status();
        *program->mutable_create_time() = ToProto(now);
        *program->mutable_update_time() = ToProto(now);
        // One current program per patient: the previous one is completed.
        if (!patient->active_program().empty()) {
          auto previous = ParseId("active_program", patient->active_program(), "programs");
          auto old = previous.ok() ? txn.GetProgram(*previous) : previous.status();
          if (old.ok()) {
            old->set_state(v1::PROGRAM_STATE_COMPLETED);
            *old->mutable_update_time() = ToProto(now);
            if (absl::Status s = txn.UpdateProgram(*previous, *old); !s.ok()) return s;
          }
        }
        patient->set_active_program(program->name());
        if (absl::Status s = txn.UpdatePatient(*patient_id, *patient); !s.ok()) return s;
        if (absl::Status s = txn.InsertProgram(id, *patient_id, *program); !s.ok()) return s;
        v1::CreateProgramResponse response;
        *response.mutable_program() = *std::move(program);
        return response;
      });
}

absl::StatusOr<v1::GetProgramResponse> Core::GetProgram(const v1::GetProgramRequest& r) {
  return internal::GetByName(store_, r.name(), "programs", &Txn::GetProgram,
                             &v1::GetProgramResponse::mutable_program);
}

absl::StatusOr<v1::ListProgramsResponse> Core::ListPrograms(const v1::ListProgramsRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  std::string patient_id;
  if (!r.patient().empty()) {
    auto id = ParseId("patient", r.patient(), "patients");
    if (!id.ok()) return id.status();
    patient_id = *id;
  }
  // No patient: what the caller may see. A patient their own programs; a physiotherapist
  // their caseload's; an admin or integrator their clinic's.
  const Caller& caller = CurrentCaller();
  std::string clinic;
  std::string physiotherapist_id;
  if (patient_id.empty()) {
    if (caller.user.role() == v1::ROLE_PATIENT) {
      patient_id = std::string(absl::StripPrefix(caller.user.patient(), "patients/"));
      if (patient_id.empty()) return absl::PermissionDeniedError("no patient record");
    } else {
      clinic = caller.user.clinic();
      if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
        physiotherapist_id = std::string(absl::StripPrefix(caller.user_name, "users/"));
      }
    }
  }
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListProgramsResponse> {
    if (patient_id.empty()) {
      return internal::ToPageResponse(txn.ListClinicPrograms(clinic, physiotherapist_id, *page),
                                      &v1::ListProgramsResponse::mutable_programs);
    }
    if (auto p = txn.GetPatient(patient_id); !p.ok()) return p.status();
    return internal::ToPageResponse(txn.ListPrograms(patient_id, *page),
                                    &v1::ListProgramsResponse::mutable_programs);
  });
}

absl::StatusOr<v1::UpdatePrescriptionResponse> Core::UpdatePrescription(
    const v1::UpdatePrescriptionRequest& r) {
  auto ids = ParseName("prescription.name", r.prescription().name(), {"programs", "prescriptions"});
  if (!ids.ok()) return ids.status();
  auto paths = MaskPaths(r.update_mask(), v1::Prescription::descriptor(),
                         {"dose", "locked", "suspended", "clinician_note", "min_days_between",
                          "max_per_week", "exercise", "ladder"});
  if (!paths.ok()) return paths.status();
  const bool changes_dose = HasPath(*paths, "dose") || HasPath(*paths, "exercise");
  if (absl::Status s = CheckReason(r.reason(), changes_dose); !s.ok()) return s;
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;

  return InWrite<v1::UpdatePrescriptionResponse>(
      writes_, absl::StrCat("UpdatePrescription:", r.prescription().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdatePrescriptionResponse> {
        auto loaded = LoadProgram(txn, "prescription.name", absl::StrCat("programs/", (*ids)[0]));
        if (!loaded.ok()) return loaded.status();
        v1::Prescription* target = FindPrescription(loaded->program, r.prescription().name());
        if (target == nullptr) return NotFound("prescription", r.prescription().name());
        const v1::Prescription before = *target;
        v1::Prescription after = before;
        MergeMasked(r.prescription(), r.update_mask(), after);

        FieldViolations violations;
        ValidateDose(after.dose(), "prescription.dose", violations);
        const v1::Exercise* exercise = library_.FindExercise(ExerciseSlug(after.exercise()));
        if (exercise == nullptr) {
          violations.Add("prescription.exercise",
                         absl::StrCat("unknown exercise \"", after.exercise(), "\""));
        }
        if (!after.ladder().empty()) {
          auto ladder_id = ParseId("prescription.ladder", after.ladder(), "ladders");
          const v1::Ladder* ladder = ladder_id.ok() ? library_.FindLadder(*ladder_id) : nullptr;
          if (ladder == nullptr || exercise == nullptr ||
              std::find(ladder->exercise_slugs().begin(), ladder->exercise_slugs().end(),
                        exercise->slug()) == ladder->exercise_slugs().end()) {
            violations.Add("prescription.ladder", "not a ladder that holds the exercise");
          }
        }
        if (after.min_days_between() < 0 || after.min_days_between() > 14) {
          violations.Add("prescription.min_days_between", "out of range 0..14");
        }
        if (after.max_per_week() < 0 || after.max_per_week() > 14) {
          violations.Add("prescription.max_per_week", "out of range 0..14");
        }
        if (after.clinician_note().size() > kMaxReason) {
          violations.Add("prescription.clinician_note", "longer than 2000 bytes");
        }
        if (!violations.empty()) return violations.ToStatus();

        const absl::Time now = clock_.Now();
        v1::UpdatePrescriptionResponse response;
        const bool dose_changed = !MessageDifferencer::Equals(before.dose(), after.dose()) ||
                                  before.exercise() != after.exercise();
        if (dose_changed) {
          // A clinician's dose is never undone by the engine: it is locked unless this
          // same request says otherwise, its counters restart, and stale proposals for
          // it are superseded.
          if (!HasPath(*paths, "locked")) after.set_locked(true);
          after.clear_progress();
          after.mutable_progress()->set_last_done_date(before.progress().last_done_date());
          v1::Decision d = ClinicianDecision(
              v1::DECISION_KIND_CLINICIAN_OVERRIDE, "clinician.override_dose", r.reason(),
              absl::StrCat("Your physiotherapist changed ", exercise->display_name(), " to ",
                           DescribeDose(after.dose()), "."));
          d.set_prescription(after.name());
          d.set_exercise_before(before.exercise());
          d.set_exercise_after(after.exercise());
          *d.mutable_dose_before() = before.dose();
          *d.mutable_dose_after() = after.dose();
          (*d.mutable_inputs())["update_mask"] = absl::StrJoin(*paths, ",");
          (*d.mutable_inputs())["locked"] = after.locked() ? "true" : "false";
          if (absl::Status s = internal::SupersedeProposals(txn, *loaded, after.name()); !s.ok()) {
            return s;
          }
          if (absl::Status s = internal::InsertDecision(txn, ids_, *loaded, now, d); !s.ok()) {
            return s;
          }
          *response.mutable_decision() = std::move(d);
        }
        *target = after;
        *loaded->program.mutable_update_time() = ToProto(now);
        if (absl::Status s = txn.UpdateProgram(loaded->id, loaded->program); !s.ok()) return s;
        *response.mutable_prescription() = std::move(after);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::UpdateProgramResponse> Core::UpdateProgram(const v1::UpdateProgramRequest& r) {
  auto paths = MaskPaths(r.update_mask(), v1::Program::descriptor(),
                         {"approval_mode", "phase", "rules", "cadence"});
  if (!paths.ok()) return paths.status();
  if (absl::Status s = CheckReason(r.reason(), true); !s.ok()) return s;
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  FieldViolations violations;
  if (HasPath(*paths, "phase") &&
      (r.program().phase() == v1::PHASE_UNSPECIFIED || !v1::Phase_IsValid(r.program().phase()))) {
    violations.Add("program.phase", "required: a phase");
  }
  if (HasPath(*paths, "approval_mode") &&
      (r.program().approval_mode() == v1::APPROVAL_MODE_UNSPECIFIED ||
       !v1::ApprovalMode_IsValid(r.program().approval_mode()))) {
    violations.Add("program.approval_mode", "required: an approval mode");
  }
  if (!violations.empty()) return violations.ToStatus();

  auto program_id = ParseId("program.name", r.program().name(), "programs");
  if (!program_id.ok()) return program_id.status();
  return InWrite<v1::UpdateProgramResponse>(
      writes_, absl::StrCat("UpdateProgram:", r.program().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdateProgramResponse> {
        auto loaded = LoadProgram(txn, "program.name", r.program().name());
        if (!loaded.ok()) return loaded.status();
        const v1::Program before = loaded->program;
        v1::Program& after = loaded->program;
        MergeMasked(r.program(), r.update_mask(), after);
        if (absl::Status s = ValidateRules(after.rules(), "program.rules", library_); !s.ok()) {
          return s;
        }
        if (HasPath(*paths, "cadence") || HasPath(*paths, "rules")) {
          FieldViolations cadence;
          AddCadenceViolations(after.cadence(), after.rules().cadence(), "program.cadence",
                               cadence);
          if (!cadence.empty()) return cadence.ToStatus();
          if (HasPath(*paths, "cadence")) {
            *after.mutable_cadence() =
                RequestedCadence(after.cadence(), before.cadence(), after.rules().cadence());
          }
        }
        const absl::Time now = clock_.Now();
        v1::Decision d = ClinicianDecision(
            HasPath(*paths, "phase") ? v1::DECISION_KIND_CHANGE_PHASE
                                     : v1::DECISION_KIND_CLINICIAN_OVERRIDE,
            "clinician.update_program", r.reason(), "Your physiotherapist adjusted your program.");
        (*d.mutable_inputs())["update_mask"] = absl::StrJoin(*paths, ",");
        d.set_phase_before(before.phase());
        d.set_phase_after(after.phase());
        if (before.phase() != after.phase()) {
          after.set_phase_start_date(FormatLocalDate(LocalDateAt(now, loaded->zone)));
          const bool has_phase = std::any_of(
              after.prescriptions().begin(), after.prescriptions().end(),
              [&](const v1::Prescription& p) { return p.added_in_phase() == after.phase(); });
          auto protocol_id = ParseId("program.protocol", after.protocol(), "protocols");
          auto protocol = protocol_id.ok() ? txn.GetProtocol(*protocol_id) : protocol_id.status();
          if (!has_phase && protocol.ok()) {
            AddTemplatePrescriptions(*protocol, after.phase(), library_, after);
          }
          d.set_patient_reason(absl::StrCat("Your physiotherapist moved you to the ",
                                            PhaseDisplayName(after.phase()), " phase."));
        }
        if (absl::Status s = internal::InsertDecision(txn, ids_, *loaded, now, d); !s.ok()) {
          return s;
        }
        *after.mutable_update_time() = ToProto(now);
        if (absl::Status s = txn.UpdateProgram(loaded->id, after); !s.ok()) return s;
        v1::UpdateProgramResponse response;
        *response.mutable_program() = after;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(*program_id));
}

namespace {

// Shared body of PauseProgram and ResumeProgram.
absl::StatusOr<v1::Program> SetProgramState(Txn& txn, IdGenerator& ids, absl::Time now,
                                            const std::string& name, const std::string& reason,
                                            bool pause) {
  auto loaded = LoadProgram(txn, "name", name);
  if (!loaded.ok()) return loaded.status();
  v1::Program& program = loaded->program;
  const v1::ProgramState from = pause ? v1::PROGRAM_STATE_ACTIVE : v1::PROGRAM_STATE_PAUSED;
  if (program.state() != from) {
    return FailedPrecondition(
        "PROGRAM_STATE", name,
        absl::StrCat("program is ", v1::ProgramState_Name(program.state()), "; can only ",
                     pause ? "pause an active" : "resume a paused", " program"));
  }
  program.set_state(pause ? v1::PROGRAM_STATE_PAUSED : v1::PROGRAM_STATE_ACTIVE);
  program.set_pause_reason(pause ? reason : "");
  if (pause) {
    // Sessions performed before it are still stored (ReportSession), those after refused.
    *program.mutable_pause_time() = ToProto(now);
  } else {
    program.clear_pause_time();
    // A clinician has reviewed the flare: streaks that caused the pause start over.
    for (auto& p : *program.mutable_prescriptions()) {
      p.mutable_progress()->set_red_streak(0);
      p.mutable_progress()->set_amber_streak(0);
    }
  }
  v1::Decision d = ClinicianDecision(
      pause ? v1::DECISION_KIND_PAUSE : v1::DECISION_KIND_RESUME,
      pause ? "clinician.pause" : "clinician.resume", reason,
      pause ? "Your physiotherapist paused your program. Please contact them before loading "
              "the knee again."
            : "Your physiotherapist resumed your program.");
  if (absl::Status s = internal::InsertDecision(txn, ids, *loaded, now, d); !s.ok()) return s;
  *program.mutable_update_time() = ToProto(now);
  if (absl::Status s = txn.UpdateProgram(loaded->id, program); !s.ok()) return s;
  return program;
}

}  // namespace

absl::StatusOr<v1::PauseProgramResponse> Core::PauseProgram(const v1::PauseProgramRequest& r) {
  auto program_id = ParseId("name", r.name(), "programs");
  if (!program_id.ok()) return program_id.status();
  if (absl::Status s = CheckReason(r.reason(), true); !s.ok()) return s;
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::PauseProgramResponse>(
      writes_, absl::StrCat("PauseProgram:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::PauseProgramResponse> {
        auto program = SetProgramState(txn, ids_, clock_.Now(), r.name(), r.reason(), true);
        if (!program.ok()) return program.status();
        v1::PauseProgramResponse response;
        *response.mutable_program() = *std::move(program);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(*program_id));
}

absl::StatusOr<v1::ResumeProgramResponse> Core::ResumeProgram(const v1::ResumeProgramRequest& r) {
  auto program_id = ParseId("name", r.name(), "programs");
  if (!program_id.ok()) return program_id.status();
  if (absl::Status s = CheckReason(r.reason(), true); !s.ok()) return s;
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::ResumeProgramResponse>(
      writes_, absl::StrCat("ResumeProgram:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ResumeProgramResponse> {
        auto program = SetProgramState(txn, ids_, clock_.Now(), r.name(), r.reason(), false);
        if (!program.ok()) return program.status();
        v1::ResumeProgramResponse response;
        *response.mutable_program() = *std::move(program);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(*program_id));
}

absl::StatusOr<v1::ListDecisionsResponse> Core::ListDecisions(const v1::ListDecisionsRequest& r) {
  auto id = ParseId("program", r.program(), "programs");
  if (!id.ok()) return id.status();
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  if (!v1::DecisionState_IsValid(r.state())) return InvalidField("state", "unknown state");
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListDecisionsResponse> {
    if (auto p = txn.GetProgram(*id); !p.ok()) return p.status();
    return internal::ToPageResponse(txn.ListDecisions(*id, r.state(), *page),
                                    &v1::ListDecisionsResponse::mutable_decisions);
  });
}

}  // namespace kneecoach
