// PatientService use cases: patient records, their assignments, export and erasure.
#include "service/core/patient_service.h"
#include "service/domain/status_macros.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/access_service.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"

namespace kneecoach {

using google::protobuf::util::TimeUtil;
using internal::IdOf;
using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

namespace {

constexpr int kMaxDisplayName = 200;

}  // namespace

namespace internal {
void ValidatePatientFields(const v1::Patient& p, FieldViolations& violations) {
  const absl::string_view name = absl::StripAsciiWhitespace(p.display_name());
  if (name.empty()) {
    violations.Add("patient.display_name", "required");
  } else if (p.display_name().size() > kMaxDisplayName) {
    violations.Add("patient.display_name", absl::StrCat("longer than ", kMaxDisplayName, " bytes"));
  } else if (HasControlCharacters(p.display_name())) {
    violations.Add("patient.display_name",
                   "holds a control, line-break or text-direction character");
  }
  if (!ParseId("patient.clinic", p.clinic(), "clinics").ok()) {
    violations.Add("patient.clinic", "required: \"clinics/{clinic}\" (id: 1-64 of [a-z0-9-])");
  }
  if (absl::StrContains(p.time_zone(), "..") || absl::StartsWith(p.time_zone(), "/") ||
      !LoadZone(p.time_zone()).ok()) {
    violations.Add("patient.time_zone", absl::StrCat("unknown IANA time zone \"", p.time_zone(),
                                                     "\" (e.g. \"Europe/London\")"));
  }
  if (p.affected_sides().empty()) {
    violations.Add("patient.affected_sides", "required: KNEE_SIDE_LEFT and/or KNEE_SIDE_RIGHT");
  }
  std::vector<int> seen;
  for (int i = 0; i < p.affected_sides_size(); ++i) {
    const int side = p.affected_sides(i);
    if (side == v1::KNEE_SIDE_UNSPECIFIED || !v1::KneeSide_IsValid(side)) {
      violations.Add(absl::StrCat("patient.affected_sides[", i, "]"), "unknown side");
    } else if (std::find(seen.begin(), seen.end(), side) != seen.end()) {
      violations.Add(absl::StrCat("patient.affected_sides[", i, "]"), "repeated side");
    }
    seen.push_back(side);
  }
}
}  // namespace internal

absl::StatusOr<v1::CreatePatientResponse> PatientService::CreatePatient(
    const RequestContext& ctx, const v1::CreatePatientRequest& r) {
  FieldViolations violations;
  internal::ValidatePatientFields(r.patient(), violations);
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  if (!violations.empty()) return violations.ToStatus();
  return InWrite<v1::CreatePatientResponse>(
      ctx, writes_, "CreatePatient", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreatePatientResponse> {
        const std::string id = ids_.NewId();
        v1::Patient patient = r.patient();
        patient.set_name(absl::StrCat("patients/", id));
        patient.set_display_name(std::string(absl::StripAsciiWhitespace(patient.display_name())));
        patient.clear_active_program();
        patient.clear_physiotherapists();
        // A physiotherapist who creates a patient looks after them.
        const Caller& caller = ctx.caller;
        if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
          patient.add_physiotherapists(caller.user_name);
          RETURN_IF_ERROR(
              txn.SetAssignments(id, {std::string(absl::StripPrefix(caller.user_name, "users/"))}));
        }
        *patient.mutable_create_time() =
            TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_.Now()));
        RETURN_IF_ERROR(txn.InsertPatient(id, patient));
        v1::CreatePatientResponse response;
        *response.mutable_patient() = std::move(patient);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::GetPatientResponse> PatientService::GetPatient(const RequestContext& ctx,
                                                                  const v1::GetPatientRequest& r) {
  return internal::GetByName(ctx, store_, r.name(), "patients", &Txn::GetPatient,
                             &v1::GetPatientResponse::mutable_patient);
}

absl::StatusOr<v1::ListPatientsResponse> PatientService::ListPatients(
    const RequestContext& ctx, const v1::ListPatientsRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  if (!r.clinic().empty()) {
    RETURN_IF_ERROR(ParseId("clinic", r.clinic(), "clinics").status());
  }
  std::string physiotherapist_id;
  if (!r.physiotherapist().empty()) {
    ASSIGN_OR_RETURN(auto id, ParseId("physiotherapist", r.physiotherapist(), "users"));
    physiotherapist_id = id;
  }
  // Callers see their own clinic; a physiotherapist sees their own caseload.
  const Caller& caller = ctx.caller;
  const std::string clinic = r.clinic().empty() ? caller.user.clinic() : r.clinic();
  if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
    physiotherapist_id = std::string(absl::StripPrefix(caller.user_name, "users/"));
  }
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListPatientsResponse> {
    return internal::ToPageResponse(txn.ListPatients(clinic, physiotherapist_id, page),
                                    &v1::ListPatientsResponse::mutable_patients);
  });
}

absl::StatusOr<v1::UpdatePatientResponse> PatientService::UpdatePatient(
    const RequestContext& ctx, const v1::UpdatePatientRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("patient.name", r.patient().name(), "patients"));
  if (r.update_mask().paths().empty()) return InvalidField("update_mask", "required");
  bool assigns = false;
  FieldViolations violations;
  for (int i = 0; i < r.update_mask().paths_size(); ++i) {
    const std::string& path = r.update_mask().paths(i);
    assigns |= path == "physiotherapists";
    if (path != "display_name" && path != "time_zone" && path != "affected_sides" &&
        path != "physiotherapists") {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     "allowed: display_name, time_zone, affected_sides, physiotherapists");
    }
  }
  if (!violations.empty()) return violations.ToStatus();
  if (assigns && ctx.caller.user.role() != v1::ROLE_CLINIC_ADMIN && !ctx.is_system()) {
    return absl::PermissionDeniedError("only clinic admins assign physiotherapists");
  }
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::UpdatePatientResponse>(
      ctx, writes_, absl::StrCat("UpdatePatient:", r.patient().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdatePatientResponse> {
        ASSIGN_OR_RETURN(auto patient, txn.GetPatient(id));
        google::protobuf::util::FieldMaskUtil::MergeOptions options;
        options.set_replace_repeated_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(r.patient(), r.update_mask(), options,
                                                              &patient);
        FieldViolations after;
        internal::ValidatePatientFields(patient, after);
        std::vector<std::string> user_ids;
        for (int i = 0; i < patient.physiotherapists_size(); ++i) {
          const std::string field = absl::StrCat("patient.physiotherapists[", i, "]");
          auto user_id = ParseId(field, patient.physiotherapists(i), "users");
          auto user = user_id.ok() ? txn.GetUser(*user_id) : user_id.status();
          // A store failure is its own error, never "not a physiotherapist".
          if (user_id.ok() && !user.ok() && !absl::IsNotFound(user.status())) {
            return user.status();
          }
          if (!user.ok() || user->role() != v1::ROLE_PHYSIOTHERAPIST ||
              user->clinic() != patient.clinic()) {
            after.Add(field, "not a physiotherapist of this clinic");
            continue;
          }
          user_ids.push_back(*user_id);
        }
        if (!after.empty()) return after.ToStatus();
        RETURN_IF_ERROR(txn.SetAssignments(id, user_ids));
        RETURN_IF_ERROR(txn.UpdatePatient(id, patient));
        v1::UpdatePatientResponse response;
        *response.mutable_patient() = std::move(patient);
        return response;
      });
}

absl::StatusOr<v1::ExportPatientDataResponse> PatientService::ExportPatientData(
    const RequestContext& ctx, const v1::ExportPatientDataRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("name", r.name(), "patients"));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ExportPatientDataResponse> {
    ASSIGN_OR_RETURN(auto patient, txn.GetPatient(id));
    // The export is a JSON object with one array per kind of record, each record in
    // protobuf's JSON mapping.
    std::string json = "{\"patient\":";
    auto append = [&](const google::protobuf::Message& m) -> absl::Status {
      std::string out;
      google::protobuf::util::JsonPrintOptions options;
      options.preserve_proto_field_names = true;
      auto status = google::protobuf::util::MessageToJsonString(m, &out, options);
      if (!status.ok()) return absl::InternalError(std::string(status.message()));
      json += out;
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(append(patient));
    json += ",\"programs\":[";
    PageRequest page{.limit = 200, .after = ""};
    bool first_program = true;
    std::string sessions, check_ins, decisions, alerts;
    do {
      ASSIGN_OR_RETURN(auto programs, txn.ListPrograms(id, page));
      for (const auto& program : programs.items) {
        if (!first_program) json += ",";
        first_program = false;
        json += "{\"program\":";
        RETURN_IF_ERROR(append(program));
        const std::string program_id = IdOf(program.name());
        auto add_all = [&](const char* key, auto list) -> absl::Status {
          json += absl::StrCat(",\"", key, "\":[");
          PageRequest p{.limit = 200, .after = ""};
          bool first = true;
          do {
            ASSIGN_OR_RETURN(auto items, list(p));
            for (const auto& item : items.items) {
              if (!first) json += ",";
              first = false;
              RETURN_IF_ERROR(append(item));
            }
            p.after = items.next;
          } while (!p.after.empty());
          json += "]";
          return absl::OkStatus();
        };
        absl::Status s =
            add_all("sessions", [&](PageRequest p) { return txn.ListSessions(program_id, p); });
        if (s.ok())
          s = add_all("check_ins", [&](PageRequest p) { return txn.ListCheckIns(program_id, p); });
        if (s.ok()) {
          s = add_all("outcomes", [&](PageRequest p) {
            return txn.ListOutcomes(program_id, v1::OUTCOME_KIND_UNSPECIFIED, p);
          });
        }
        if (s.ok()) {
          s = add_all("decisions", [&](PageRequest p) {
            return txn.ListDecisions(program_id, v1::DECISION_STATE_UNSPECIFIED, p);
          });
        }
        if (s.ok()) {
          s = add_all("alerts", [&](PageRequest p) {
            AlertFilter filter;
            filter.program_id = program_id;
            return txn.ListAlerts(filter, p);
          });
        }
        if (!s.ok()) return s;
        json += "}";
      }
      page.after = programs.next;
    } while (!page.after.empty());
    json += "]}";
    v1::ExportPatientDataResponse response;
    response.set_json(std::move(json));
    return response;
  });
}

absl::StatusOr<v1::ErasePatientResponse> PatientService::ErasePatient(
    const RequestContext& ctx, const v1::ErasePatientRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("name", r.name(), "patients"));
  if (r.reason().empty() || r.reason().size() > 2000) {
    return InvalidField("reason", "required, at most 2000 bytes");
  }
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  auto erased = InWrite<v1::ErasePatientResponse>(
      ctx, writes_, absl::StrCat("ErasePatient:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ErasePatientResponse> {
        RETURN_IF_ERROR(txn.GetPatient(id).status());
        RETURN_IF_ERROR(txn.ErasePatient(id));
        return v1::ErasePatientResponse();
      });
  return erased;
}

}  // namespace kneecoach
