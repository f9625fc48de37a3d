// AccessService use cases (users, tokens, enrollment, audit), the patient-record duties that
// come with them (assignment, export, erasure), and bootstrap/demo seeding.
#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "service/core/access_service.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/secrets.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

namespace internal {

std::string IdOf(absl::string_view name) {
  const size_t slash = name.find('/');
  absl::string_view rest = slash == absl::string_view::npos ? name : name.substr(slash + 1);
  return std::string(rest.substr(0, rest.find('/')));
}

absl::StatusOr<IssuedToken> IssueToken(Txn& txn, IdGenerator& ids, absl::Time now,
                                       const std::string& user_id, const std::string& display_name,
                                       int ttl_days, absl::Time not_after,
                                       const std::string& parent_id) {
  IssuedToken issued;
  issued.secret = NewTokenSecret();
  const std::string id = ids.NewId();
  issued.token.set_name(absl::StrCat("users/", user_id, "/tokens/", id));
  issued.token.set_display_name(display_name);
  *issued.token.mutable_create_time() = ToProto(now);
  *issued.token.mutable_expire_time() =
      ToProto(std::min(now + absl::Hours(24) * ttl_days, not_after));
  RETURN_IF_ERROR(txn.InsertToken(id, user_id, HashSecret(issued.secret), issued.token, parent_id));
  return issued;
}

}  // namespace internal

namespace {

using internal::IdOf;
using internal::IssueToken;

absl::StatusOr<v1::User> InsertNewUser(Txn& txn, IdGenerator& ids, absl::Time now, v1::User user,
                                       const std::string& patient_id) {
  const std::string id = ids.NewId();
  user.set_name(absl::StrCat("users/", id));
  *user.mutable_create_time() = ToProto(now);
  RETURN_IF_ERROR(txn.InsertUser(id, patient_id, user));
  return user;
}

void ValidateUserFields(const v1::User& u, FieldViolations& violations) {
  const absl::string_view name = absl::StripAsciiWhitespace(u.display_name());
  if (name.empty() || u.display_name().size() > 200) {
    violations.Add("user.display_name", "required, at most 200 bytes");
  } else if (internal::HasControlCharacters(u.display_name())) {
    violations.Add("user.display_name", "holds a control, line-break or text-direction character");
  }
  for (int i = 0; i < u.granted_methods_size(); ++i) {
    if (!absl::StartsWith(u.granted_methods(i), "/kneecoach.v1.")) {
      violations.Add(absl::StrCat("user.granted_methods[", i, "]"),
                     "a full method name, e.g. \"/kneecoach.v1.SessionService/ListSessions\"");
    }
  }
}

}  // namespace

absl::StatusOr<std::string> AccessService::BootstrapAdmin(const RequestContext& ctx,
                                                          const std::string& clinic_id,
                                                          const std::string& admin_name) {
  // "--" separates a clinic's id from its own protocol ids (CreateProtocol).
  if (!IsValidId(clinic_id) || absl::StrContains(clinic_id, "--")) {
    return InvalidField("clinic", "an id of 1-64 of [a-z0-9-], without \"--\"");
  }
  if (admin_name.empty()) return InvalidField("admin_name", "required");
  auto issued = InWrite<v1::CreateTokenResponse>(
      ctx, writes_, "BootstrapAdmin", "", [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
        const absl::Time now = clock_.Now();
        if (absl::IsNotFound(txn.GetClinic(clinic_id).status())) {
          v1::Clinic clinic;
          clinic.set_name(absl::StrCat("clinics/", clinic_id));
          clinic.set_display_name(clinic_id);
          *clinic.mutable_create_time() = ToProto(now);
          RETURN_IF_ERROR(txn.InsertClinic(clinic_id, clinic));
        }
        v1::User admin;
        admin.set_display_name(admin_name);
        admin.set_role(v1::ROLE_CLINIC_ADMIN);
        admin.set_clinic(absl::StrCat("clinics/", clinic_id));
        ASSIGN_OR_RETURN(auto user, InsertNewUser(txn, ids_, now, admin, ""));
        ASSIGN_OR_RETURN(auto token, IssueToken(txn, ids_, now, IdOf(user.name()), "bootstrap",
                                                options_.default_token_ttl_days));
        v1::CreateTokenResponse response;
        *response.mutable_token() = token.token;
        response.set_secret(token.secret);
        return response;
      });
  if (!issued.ok()) return issued.status();
  return issued->secret();
}

absl::StatusOr<v1::GetCurrentUserResponse> AccessService::GetCurrentUser(
    const RequestContext& ctx, const v1::GetCurrentUserRequest&) {
  const Caller& caller = ctx.caller;
  if (caller.user_name.empty()) return absl::UnauthenticatedError("no user");
  v1::GetCurrentUserResponse response;
  *response.mutable_user() = caller.user;
  return response;
}

absl::StatusOr<v1::GetClinicResponse> AccessService::GetClinic(const RequestContext& ctx,
                                                               const v1::GetClinicRequest& r) {
  return internal::GetByName(ctx, store_, r.name(), "clinics", &Txn::GetClinic,
                             &v1::GetClinicResponse::mutable_clinic);
}

absl::StatusOr<v1::CreateUserResponse> AccessService::CreateUser(const RequestContext& ctx,
                                                                 const v1::CreateUserRequest& r) {
  FieldViolations violations;
  ValidateUserFields(r.user(), violations);
  const v1::Role role = r.user().role();
  if (role == v1::ROLE_UNSPECIFIED || role == v1::ROLE_PATIENT || !v1::Role_IsValid(role)) {
    violations.Add("user.role",
                   "ROLE_PHYSIOTHERAPIST, ROLE_CLINIC_ADMIN or ROLE_INTEGRATOR (patients enroll "
                   "with a code)");
  }
  if (role != v1::ROLE_INTEGRATOR && !r.user().granted_methods().empty()) {
    violations.Add("user.granted_methods", "only integrators have granted methods");
  }
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  if (!violations.empty()) return violations.ToStatus();
  return InWrite<v1::CreateUserResponse>(
      ctx, writes_, "CreateUser", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateUserResponse> {
        v1::User user = r.user();
        user.set_clinic(ctx.caller.user.clinic());
        user.clear_patient();
        user.set_disabled(false);
        ASSIGN_OR_RETURN(auto created, InsertNewUser(txn, ids_, clock_.Now(), user, ""));
        v1::CreateUserResponse response;
        *response.mutable_user() = std::move(created);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::GetUserResponse> AccessService::GetUser(const RequestContext& ctx,
                                                           const v1::GetUserRequest& r) {
  return internal::GetByName(ctx, store_, r.name(), "users", &Txn::GetUser,
                             &v1::GetUserResponse::mutable_user);
}

absl::StatusOr<v1::ListUsersResponse> AccessService::ListUsers(const RequestContext& ctx,
                                                               const v1::ListUsersRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListUsersResponse> {
    return internal::ToPageResponse(txn.ListUsers(ctx.caller.user.clinic(), page),
                                    &v1::ListUsersResponse::mutable_users);
  });
}

absl::StatusOr<v1::UpdateUserResponse> AccessService::UpdateUser(const RequestContext& ctx,
                                                                 const v1::UpdateUserRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("user.name", r.user().name(), "users"));
  if (r.update_mask().paths().empty()) return InvalidField("update_mask", "required");
  FieldViolations violations;
  for (int i = 0; i < r.update_mask().paths_size(); ++i) {
    const std::string& path = r.update_mask().paths(i);
    if (path != "display_name" && path != "disabled" && path != "granted_methods") {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     "allowed: display_name, disabled, granted_methods");
    }
  }
  if (!violations.empty()) return violations.ToStatus();
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::UpdateUserResponse>(
      ctx, writes_, absl::StrCat("UpdateUser:", r.user().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdateUserResponse> {
        ASSIGN_OR_RETURN(auto user, txn.GetUser(id));
        google::protobuf::util::FieldMaskUtil::MergeOptions options;
        options.set_replace_repeated_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(r.user(), r.update_mask(), options,
                                                              &user);
        FieldViolations after;
        ValidateUserFields(user, after);
        if (user.role() != v1::ROLE_INTEGRATOR && !user.granted_methods().empty()) {
          after.Add("user.granted_methods", "only integrators have granted methods");
        }
        if (!after.empty()) return after.ToStatus();
        RETURN_IF_ERROR(txn.UpdateUser(id, user));
        v1::UpdateUserResponse response;
        *response.mutable_user() = std::move(user);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::CreateTokenResponse> AccessService::CreateToken(
    const RequestContext& ctx, const v1::CreateTokenRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("user", r.user(), "users"));
  const int ttl = r.ttl_days() == 0 ? options_.default_token_ttl_days : r.ttl_days();
  if (ttl < 1 || ttl > 365) return InvalidField("ttl_days", "out of range 1..365");
  if (r.display_name().size() > 200) return InvalidField("display_name", "at most 200 bytes");
  if (internal::HasControlCharacters(r.display_name())) {
    return InvalidField("display_name", "holds a control, line-break or text-direction character");
  }
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::CreateTokenResponse>(
      ctx, writes_, absl::StrCat("CreateToken:", r.user()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
        ASSIGN_OR_RETURN(auto user, txn.GetUser(id));
        const absl::Time now = clock_.Now();
        absl::Time not_after = absl::InfiniteFuture();
        std::string parent_id;
        const Caller& caller = ctx.caller;
        if (!ctx.is_system() && caller.user_name == r.user() &&
            (caller.user.role() == v1::ROLE_PATIENT || caller.user.role() == v1::ROLE_INTEGRATOR)) {
          // A patient's or integrator's token making one for its holder: only a token given
          // to them (not one made this way), a few at a time, none outliving it; revoking
          // it revokes them (RevokeToken).
          ASSIGN_OR_RETURN(auto own, txn.GetToken(caller.token_id));
          if (!own.parent_id.empty()) {
            return absl::PermissionDeniedError(
                "a token made with another token cannot make tokens; use the device's own");
          }
          auto held = txn.ListTokens(id, {.limit = 1000, .after = ""});
          if (!held.ok()) return held.status();
          const int live = static_cast<int>(
              std::count_if(held->items.begin(), held->items.end(), [&](const v1::Token& t) {
                return !t.revoked() && internal::FromProto(t.expire_time()) > now;
              }));
          if (live >= options_.max_tokens_per_user) {
            return FailedPrecondition(
                "TOKEN_LIMIT", r.user(),
                absl::StrCat(r.user(), " holds ", live, " live tokens, the most allowed (",
                             options_.max_tokens_per_user, "); revoke one first"));
          }
          not_after = internal::FromProto(own.token.expire_time());
          parent_id = own.id;
        }
        ASSIGN_OR_RETURN(auto issued, IssueToken(txn, ids_, now, id, r.display_name(), ttl,
                                                 not_after, parent_id));
        v1::CreateTokenResponse response;
        *response.mutable_token() = issued.token;
        response.set_secret(issued.secret);
        return response;
      },
      internal::Replay::kNever, internal::PlansChanged::None());
}

absl::StatusOr<v1::ListTokensResponse> AccessService::ListTokens(const RequestContext& ctx,
                                                                 const v1::ListTokensRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("user", r.user(), "users"));
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListTokensResponse> {
    return internal::ToPageResponse(txn.ListTokens(id, page),
                                    &v1::ListTokensResponse::mutable_tokens);
  });
}

absl::StatusOr<v1::RevokeTokenResponse> AccessService::RevokeToken(
    const RequestContext& ctx, const v1::RevokeTokenRequest& r) {
  auto ids = ParseName("name", r.name(), {"users", "tokens"});
  if (!ids.ok()) return ids.status();
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::RevokeTokenResponse>(
      ctx, writes_, absl::StrCat("RevokeToken:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::RevokeTokenResponse> {
        auto record = txn.GetToken((*ids)[1]);
        // A store failure is its own error, never "not found".
        if (!record.ok() && !absl::IsNotFound(record.status())) return record.status();
        if (!record.ok() || record->user_id != (*ids)[0]) return NotFound("token", r.name());
        record->token.set_revoked(true);
        RETURN_IF_ERROR(txn.UpdateToken(record->id, record->token));
        // And every token made with it, and with those.
        std::vector<std::string> parents = {record->id};
        while (!parents.empty()) {
          auto children = txn.ListChildTokens(parents.back());
          parents.pop_back();
          if (!children.ok()) return children.status();
          for (TokenRecord& child : *children) {
            parents.push_back(child.id);
            if (child.token.revoked()) continue;
            child.token.set_revoked(true);
            RETURN_IF_ERROR(txn.UpdateToken(child.id, child.token));
          }
        }
        v1::RevokeTokenResponse response;
        *response.mutable_token() = record->token;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::CreateEnrollmentCodeResponse> AccessService::CreateEnrollmentCode(
    const RequestContext& ctx, const v1::CreateEnrollmentCodeRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("patient", r.patient(), "patients"));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::CreateEnrollmentCodeResponse>(
      ctx, writes_, absl::StrCat("CreateEnrollmentCode:", r.patient()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateEnrollmentCodeResponse> {
        RETURN_IF_ERROR(txn.GetPatient(id).status());
        const std::string code = NewEnrollmentCode();
        const absl::Time expires = clock_.Now() + options_.enrollment_code_ttl;
        RETURN_IF_ERROR(
            txn.InsertEnrollmentCode(HashSecret(code), id, absl::ToUnixSeconds(expires)));
        v1::CreateEnrollmentCodeResponse response;
        response.set_code(code);
        *response.mutable_expire_time() = ToProto(expires);
        return response;
      },
      internal::Replay::kNever,
      internal::PlansChanged::None());  // a code is a credential: never stored
}

absl::StatusOr<v1::EnrollDeviceResponse> AccessService::EnrollDevice(
    const RequestContext& ctx, const v1::EnrollDeviceRequest& r) {
  const std::string code = ctx.caller.enrollment_code;
  if (code.empty()) return absl::UnauthenticatedError("an enrollment code is required");
  if (r.device_name().size() > 200) return InvalidField("device_name", "at most 200 bytes");
  if (internal::HasControlCharacters(r.device_name())) {
    return InvalidField("device_name", "holds a control, line-break or text-direction character");
  }
  return InWrite<v1::EnrollDeviceResponse>(
      ctx, writes_, "EnrollDevice", "",
      [&](Txn& txn) -> absl::StatusOr<v1::EnrollDeviceResponse> {
        const absl::Time now = clock_.Now();
        auto patient_id = txn.ConsumeEnrollmentCode(HashSecret(code), absl::ToUnixSeconds(now));
        if (!patient_id.ok()) return patient_id.status();
        if (!patient_id->has_value()) {
          return absl::UnauthenticatedError("enrollment code unknown, used or expired");
        }
        ASSIGN_OR_RETURN(auto patient, txn.GetPatient(**patient_id));
        ASSIGN_OR_RETURN(auto existing, txn.FindPatientUser(**patient_id));
        v1::User user;
        if (existing.has_value()) {
          user = *existing;
        } else {
          v1::User fresh;
          fresh.set_display_name(patient.display_name());
          fresh.set_role(v1::ROLE_PATIENT);
          fresh.set_clinic(patient.clinic());
          fresh.set_patient(patient.name());
          ASSIGN_OR_RETURN(auto created, InsertNewUser(txn, ids_, now, fresh, **patient_id));
          user = std::move(created);
        }
        ASSIGN_OR_RETURN(auto issued,
                         IssueToken(txn, ids_, now, IdOf(user.name()),
                                    r.device_name().empty() ? "phone" : r.device_name(),
                                    options_.device_token_ttl_days));
        Caller enrolled;  // audited as the patient the device now acts for
        enrolled.user_name = user.name();
        enrolled.user = user;
        enrolled.resource = patient.name();
        enrolled.clinic = patient.clinic();
        enrolled.patient_id = **patient_id;
        RETURN_IF_ERROR(
            internal::RecordAudit(txn, writes_, enrolled, ctx.method, "EnrollDevice", ""));
        v1::EnrollDeviceResponse response;
        *response.mutable_user() = user;
        *response.mutable_token() = issued.token;
        response.set_secret(issued.secret);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::ListAuditEntriesResponse> AccessService::ListAuditEntries(
    const RequestContext& ctx, const v1::ListAuditEntriesRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  const std::string clinic = r.clinic().empty() ? ctx.caller.user.clinic() : r.clinic();
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListAuditEntriesResponse> {
    return internal::ToPageResponse(txn.ListAudit(clinic, page),
                                    &v1::ListAuditEntriesResponse::mutable_audit_entries);
  });
}

}  // namespace kneecoach
