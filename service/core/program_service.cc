// ProgramService use cases: creating programs and the clinician's say over them.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "service/core/core_util.h"
#include "service/core/engine_bridge.h"
#include "service/core/program_access.h"
#include "service/core/program_service.h"
#include "service/domain/dates.h"
#include "service/domain/dose.h"
#include "service/domain/program_factory.h"
#include "service/domain/protocol.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using google::protobuf::util::FieldMaskUtil;
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
v1::Decision ClinicianDecision(const RequestContext& ctx, v1::DecisionKind kind,
                               const std::string& rule, const std::string& reason,
                               absl::string_view patient_reason) {
  v1::Decision d;
  d.set_kind(kind);
  d.set_state(v1::DECISION_STATE_APPLIED);
  d.set_rule(rule);
  d.set_author(kClinician);
  internal::CreditReviewer(ctx, d);
  d.set_review_reason(reason);
  d.set_clinician_reason(reason);
  d.set_patient_reason(std::string(patient_reason));
  return d;
}

}  // namespace

absl::StatusOr<v1::CreateProgramResponse> ProgramService::CreateProgram(
    const RequestContext& ctx, const v1::CreateProgramRequest& r) {
  ASSIGN_OR_RETURN(auto patient_id, ParseId("program.patient", r.program().patient(), "patients"));
  const std::string protocol_name =
      r.program().protocol().empty() ? options_.default_protocol : r.program().protocol();
  ASSIGN_OR_RETURN(auto protocol_id, ParseId("program.protocol", protocol_name, "protocols"));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));

  return InWrite<v1::CreateProgramResponse>(
      ctx, writes_, "CreateProgram", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateProgramResponse> {
        ASSIGN_OR_RETURN(auto patient, txn.GetPatient(patient_id));
        ASSIGN_OR_RETURN(auto protocol, txn.GetProtocol(protocol_id));
        if (!protocol.clinic().empty() && protocol.clinic() != patient.clinic()) {
          return absl::PermissionDeniedError(
              absl::StrCat(protocol_name, " belongs to another clinic"));
        }
        auto zone = LoadZone(patient.time_zone());
        if (!zone.ok()) return absl::InternalError("stored patient has an unknown time zone");
        const absl::Time now = clock_.Now();
        const std::string id = ids_.NewId();
        ASSIGN_OR_RETURN(auto program,
                         NewProgram(r.program(), protocol, library_, absl::StrCat("programs/", id),
                                    LocalDateAt(now, *zone)));
        *program.mutable_create_time() = ToProto(now);
        *program.mutable_update_time() = ToProto(now);
        // One current program per patient: the previous one is completed.
        if (!patient.active_program().empty()) {
          auto previous = ParseId("active_program", patient.active_program(), "programs");
          auto old = previous.ok() ? txn.GetProgram(*previous) : previous.status();
          if (old.ok()) {
            old->set_state(v1::PROGRAM_STATE_COMPLETED);
            *old->mutable_update_time() = ToProto(now);
            RETURN_IF_ERROR(txn.UpdateProgram(*previous, *old));
          }
        }
        patient.set_active_program(program.name());
        RETURN_IF_ERROR(txn.UpdatePatient(patient_id, patient));
        RETURN_IF_ERROR(txn.InsertProgram(id, patient_id, program));
        v1::CreateProgramResponse response;
        *response.mutable_program() = std::move(program);
        return response;
      });
}

absl::StatusOr<v1::GetProgramResponse> ProgramService::GetProgram(const RequestContext& ctx,
                                                                  const v1::GetProgramRequest& r) {
  return internal::GetByName(ctx, store_, r.name(), "programs", &Txn::GetProgram,
                             &v1::GetProgramResponse::mutable_program);
}

absl::StatusOr<v1::ListProgramsResponse> ProgramService::ListPrograms(
    const RequestContext& ctx, const v1::ListProgramsRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  std::string patient_id;
  if (!r.patient().empty()) {
    ASSIGN_OR_RETURN(auto id, ParseId("patient", r.patient(), "patients"));
    patient_id = id;
  }
  // No patient: what the caller may see. A patient their own programs; a physiotherapist
  // their caseload's; an admin or integrator their clinic's.
  const Caller& caller = ctx.caller;
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
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListProgramsResponse> {
    if (patient_id.empty()) {
      return internal::ToPageResponse(txn.ListClinicPrograms(clinic, physiotherapist_id, page),
                                      &v1::ListProgramsResponse::mutable_programs);
    }
    RETURN_IF_ERROR(txn.GetPatient(patient_id).status());
    return internal::ToPageResponse(txn.ListPrograms(patient_id, page),
                                    &v1::ListProgramsResponse::mutable_programs);
  });
}

absl::StatusOr<v1::UpdatePrescriptionResponse> ProgramService::UpdatePrescription(
    const RequestContext& ctx, const v1::UpdatePrescriptionRequest& r) {
  auto ids = ParseName("prescription.name", r.prescription().name(), {"programs", "prescriptions"});
  if (!ids.ok()) return ids.status();
  auto paths = MaskPaths(r.update_mask(), v1::Prescription::descriptor(),
                         {"dose", "locked", "suspended", "clinician_note", "min_days_between",
                          "max_per_week", "exercise", "ladder"});
  if (!paths.ok()) return paths.status();
  const bool changes_dose = HasPath(*paths, "dose") || HasPath(*paths, "exercise");
  RETURN_IF_ERROR(CheckReason(r.reason(), changes_dose));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));

  return InWrite<v1::UpdatePrescriptionResponse>(
      ctx, writes_, absl::StrCat("UpdatePrescription:", r.prescription().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdatePrescriptionResponse> {
        ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "prescription.name",
                                                  absl::StrCat("programs/", (*ids)[0])));
        v1::Prescription* target = FindPrescription(loaded.program, r.prescription().name());
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
        const bool dose_changed =
            !SameDose(before.dose(), after.dose()) || before.exercise() != after.exercise();
        if (dose_changed) {
          // A clinician's dose is never undone by the engine: it is locked unless this
          // same request says otherwise, its counters restart, and stale proposals for
          // it are superseded.
          if (!HasPath(*paths, "locked")) after.set_locked(true);
          after.clear_progress();
          after.mutable_progress()->set_last_done_date(before.progress().last_done_date());
          v1::Decision d = ClinicianDecision(
              ctx, v1::DECISION_KIND_CLINICIAN_OVERRIDE, "clinician.override_dose", r.reason(),
              absl::StrCat("Your physiotherapist changed ", exercise->display_name(), " to ",
                           DescribeDose(after.dose()), "."));
          d.set_prescription(after.name());
          d.set_exercise_before(before.exercise());
          d.set_exercise_after(after.exercise());
          *d.mutable_dose_before() = before.dose();
          *d.mutable_dose_after() = after.dose();
          (*d.mutable_inputs())["update_mask"] = absl::StrJoin(*paths, ",");
          (*d.mutable_inputs())["locked"] = after.locked() ? "true" : "false";
          RETURN_IF_ERROR(internal::SupersedeProposals(txn, loaded, after.name()));
          RETURN_IF_ERROR(internal::InsertDecision(txn, ids_, loaded, now, d));
          *response.mutable_decision() = std::move(d);
        }
        *target = after;
        *loaded.program.mutable_update_time() = ToProto(now);
        RETURN_IF_ERROR(txn.UpdateProgram(loaded.id, loaded.program));
        *response.mutable_prescription() = std::move(after);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::UpdateProgramResponse> ProgramService::UpdateProgram(
    const RequestContext& ctx, const v1::UpdateProgramRequest& r) {
  auto paths = MaskPaths(r.update_mask(), v1::Program::descriptor(),
                         {"approval_mode", "phase", "rules", "cadence"});
  if (!paths.ok()) return paths.status();
  RETURN_IF_ERROR(CheckReason(r.reason(), true));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
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

  ASSIGN_OR_RETURN(auto program_id, ParseId("program.name", r.program().name(), "programs"));
  return InWrite<v1::UpdateProgramResponse>(
      ctx, writes_, absl::StrCat("UpdateProgram:", r.program().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdateProgramResponse> {
        ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "program.name", r.program().name()));
        const v1::Program before = loaded.program;
        v1::Program& after = loaded.program;
        MergeMasked(r.program(), r.update_mask(), after);
        RETURN_IF_ERROR(ValidateRules(after.rules(), "program.rules", library_));
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
            ctx,
            HasPath(*paths, "phase") ? v1::DECISION_KIND_CHANGE_PHASE
                                     : v1::DECISION_KIND_CLINICIAN_OVERRIDE,
            "clinician.update_program", r.reason(), "Your physiotherapist adjusted your program.");
        (*d.mutable_inputs())["update_mask"] = absl::StrJoin(*paths, ",");
        d.set_phase_before(before.phase());
        d.set_phase_after(after.phase());
        if (before.phase() != after.phase()) {
          after.set_phase_start_date(FormatLocalDate(LocalDateAt(now, loaded.zone)));
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
        RETURN_IF_ERROR(internal::InsertDecision(txn, ids_, loaded, now, d));
        *after.mutable_update_time() = ToProto(now);
        RETURN_IF_ERROR(txn.UpdateProgram(loaded.id, after));
        v1::UpdateProgramResponse response;
        *response.mutable_program() = after;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

namespace {

// Shared body of PauseProgram and ResumeProgram.
absl::StatusOr<v1::Program> SetProgramState(const RequestContext& ctx, Txn& txn, IdGenerator& ids,
                                            absl::Time now, const std::string& name,
                                            const std::string& reason, bool pause) {
  ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "name", name));
  v1::Program& program = loaded.program;
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
      ctx, pause ? v1::DECISION_KIND_PAUSE : v1::DECISION_KIND_RESUME,
      pause ? "clinician.pause" : "clinician.resume", reason,
      pause ? "Your physiotherapist paused your program. Please contact them before loading "
              "the knee again."
            : "Your physiotherapist resumed your program.");
  RETURN_IF_ERROR(internal::InsertDecision(txn, ids, loaded, now, d));
  *program.mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(txn.UpdateProgram(loaded.id, program));
  return program;
}

}  // namespace

absl::StatusOr<v1::PauseProgramResponse> ProgramService::PauseProgram(
    const RequestContext& ctx, const v1::PauseProgramRequest& r) {
  ASSIGN_OR_RETURN(auto program_id, ParseId("name", r.name(), "programs"));
  RETURN_IF_ERROR(CheckReason(r.reason(), true));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::PauseProgramResponse>(
      ctx, writes_, absl::StrCat("PauseProgram:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::PauseProgramResponse> {
        ASSIGN_OR_RETURN(auto program,
                         SetProgramState(ctx, txn, ids_, clock_.Now(), r.name(), r.reason(), true));
        v1::PauseProgramResponse response;
        *response.mutable_program() = std::move(program);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

absl::StatusOr<v1::ResumeProgramResponse> ProgramService::ResumeProgram(
    const RequestContext& ctx, const v1::ResumeProgramRequest& r) {
  ASSIGN_OR_RETURN(auto program_id, ParseId("name", r.name(), "programs"));
  RETURN_IF_ERROR(CheckReason(r.reason(), true));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::ResumeProgramResponse>(
      ctx, writes_, absl::StrCat("ResumeProgram:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ResumeProgramResponse> {
        ASSIGN_OR_RETURN(auto program, SetProgramState(ctx, txn, ids_, clock_.Now(), r.name(),
                                                       r.reason(), false));
        v1::ResumeProgramResponse response;
        *response.mutable_program() = std::move(program);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

absl::StatusOr<v1::ListDecisionsResponse> ProgramService::ListDecisions(
    const RequestContext& ctx, const v1::ListDecisionsRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  if (!v1::DecisionState_IsValid(r.state())) return InvalidField("state", "unknown state");
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListDecisionsResponse> {
    RETURN_IF_ERROR(txn.GetProgram(id).status());
    return internal::ToPageResponse(txn.ListDecisions(id, r.state(), page),
                                    &v1::ListDecisionsResponse::mutable_decisions);
  });
}

namespace {

// The decision `name` (id `id`) if it still awaits review: NOT_FOUND if there is no such
// decision, FAILED_PRECONDITION if it was already reviewed or superseded.
absl::StatusOr<v1::Decision> LoadProposal(Txn& txn, const std::string& id, const std::string& name,
                                          absl::string_view verb) {
  auto decision = txn.GetDecision(id);
  // A store failure is its own error, never "not found".
  if (!decision.ok() && !absl::IsNotFound(decision.status())) return decision.status();
  if (!decision.ok() || decision->name() != name) return NotFound("decision", name);
  if (decision->state() != v1::DECISION_STATE_PROPOSED) {
    return FailedPrecondition(
        "DECISION_STATE", name,
        absl::StrCat("decision is ", v1::DecisionState_Name(decision->state()),
                     "; only PROPOSED decisions can be ", verb));
  }
  return decision;
}

}  // namespace

absl::StatusOr<v1::RejectDecisionResponse> ProgramService::RejectDecision(
    const RequestContext& ctx, const v1::RejectDecisionRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "decisions"});
  if (!ids.ok()) return ids.status();
  if (r.reason().empty()) return InvalidField("reason", "required");
  if (r.reason().size() > 2000) return InvalidField("reason", "longer than 2000 bytes");
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::RejectDecisionResponse>(
      ctx, writes_, absl::StrCat("RejectDecision:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::RejectDecisionResponse> {
        ASSIGN_OR_RETURN(auto decision, LoadProposal(txn, (*ids)[1], r.name(), "rejected"));
        decision.set_state(v1::DECISION_STATE_REJECTED);
        decision.set_review_reason(r.reason());
        internal::CreditReviewer(ctx, decision);
        *decision.mutable_review_time() = ToProto(clock_.Now());
        RETURN_IF_ERROR(txn.UpdateDecision((*ids)[1], decision));
        v1::RejectDecisionResponse response;
        *response.mutable_decision() = std::move(decision);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::ApproveDecisionResponse> ProgramService::ApproveDecision(
    const RequestContext& ctx, const v1::ApproveDecisionRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "decisions"});
  if (!ids.ok()) return ids.status();
  if (r.reason().size() > 2000) return InvalidField("reason", "longer than 2000 bytes");
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::ApproveDecisionResponse>(
      ctx, writes_, absl::StrCat("ApproveDecision:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ApproveDecisionResponse> {
        ASSIGN_OR_RETURN(auto decision, LoadProposal(txn, (*ids)[1], r.name(), "approved"));
        ASSIGN_OR_RETURN(auto loaded, internal::LoadProgram(txn, "name", decision.program()));
        RETURN_IF_ERROR(CheckStoredProgram(loaded.program));
        ASSIGN_OR_RETURN(auto protocol, internal::ProtocolOf(txn, loaded.program));
        const absl::Time now = clock_.Now();
        const EngineContext engine{library_, protocol, LocalDateAt(now, loaded.zone), now};
        ASSIGN_OR_RETURN(auto program, ApplyDecision(engine, loaded.program, decision));
        *program.mutable_update_time() = ToProto(now);
        RETURN_IF_ERROR(txn.UpdateProgram(loaded.id, program));
        decision.set_state(v1::DECISION_STATE_APPLIED);
        decision.set_review_reason(r.reason());
        internal::CreditReviewer(ctx, decision);
        *decision.mutable_review_time() = ToProto(now);
        RETURN_IF_ERROR(txn.UpdateDecision((*ids)[1], decision));
        v1::ApproveDecisionResponse response;
        *response.mutable_decision() = std::move(decision);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program((*ids)[0]));
}

absl::StatusOr<v1::SimulateProgramResponse> ProgramService::SimulateProgram(
    const RequestContext& ctx, const v1::SimulateProgramRequest& r) {
  v1::SimulateProgramRequest request = r;
  if (!request.has_protocol()) {
    const std::string name =
        r.protocol_name().empty() ? options_.default_protocol : r.protocol_name();
    ASSIGN_OR_RETURN(auto id, ParseId("protocol_name", name, "protocols"));
    auto protocol = InRead(ctx, store_, [&](Txn& txn) { return txn.GetProtocol(id); });
    if (!protocol.ok()) return protocol.status();
    *request.mutable_protocol() = *std::move(protocol);
  }
  SimulationLimits limits;
  limits.max_events = options_.max_simulated_events;
  limits.max_prescriptions = options_.max_simulated_prescriptions;
  // A long simulation stops early rather than work for a caller who has gone.
  limits.check = [&ctx]() { return ctx.CheckLive(); };
  ASSIGN_OR_RETURN(auto result, Simulate(library_, request, limits));
  return ToResponse(std::move(result));
}

}  // namespace kneecoach
