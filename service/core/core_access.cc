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
#include "service/core/core.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/secrets.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

namespace {

std::string IdOf(absl::string_view name) {
  const size_t slash = name.find('/');
  absl::string_view rest = slash == absl::string_view::npos ? name : name.substr(slash + 1);
  return std::string(rest.substr(0, rest.find('/')));
}

struct IssuedToken {
  v1::Token token;
  std::string secret;
};

// A new token for `user_id`; only the secret's hash is stored.
// `not_after` caps its lifetime; `parent_id` is the token it was made with, if any.
absl::StatusOr<IssuedToken> IssueToken(Txn& txn, IdGenerator& ids, absl::Time now,
                                       const std::string& user_id, const std::string& display_name,
                                       int ttl_days, absl::Time not_after = absl::InfiniteFuture(),
                                       const std::string& parent_id = "") {
  IssuedToken issued;
  issued.secret = NewTokenSecret();
  const std::string id = ids.NewId();
  issued.token.set_name(absl::StrCat("users/", user_id, "/tokens/", id));
  issued.token.set_display_name(display_name);
  *issued.token.mutable_create_time() = ToProto(now);
  *issued.token.mutable_expire_time() =
      ToProto(std::min(now + absl::Hours(24) * ttl_days, not_after));
  if (absl::Status s =
          txn.InsertToken(id, user_id, HashSecret(issued.secret), issued.token, parent_id);
      !s.ok()) {
    return s;
  }
  return issued;
}

absl::StatusOr<v1::User> InsertNewUser(Txn& txn, IdGenerator& ids, absl::Time now, v1::User user,
                                       const std::string& patient_id) {
  const std::string id = ids.NewId();
  user.set_name(absl::StrCat("users/", id));
  *user.mutable_create_time() = ToProto(now);
  if (absl::Status s = txn.InsertUser(id, patient_id, user); !s.ok()) return s;
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

absl::StatusOr<std::string> Core::BootstrapAdmin(const std::string& clinic_id,
                                                 const std::string& admin_name) {
  // "--" separates a clinic's id from its own protocol ids (CreateProtocol).
  if (!IsValidId(clinic_id) || absl::StrContains(clinic_id, "--")) {
    return InvalidField("clinic", "an id of 1-64 of [a-z0-9-], without \"--\"");
  }
  if (admin_name.empty()) return InvalidField("admin_name", "required");
  auto issued = InWrite<v1::CreateTokenResponse>(
      writes_, "BootstrapAdmin", "", [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
        const absl::Time now = clock_.Now();
        if (absl::IsNotFound(txn.GetClinic(clinic_id).status())) {
          v1::Clinic clinic;
          clinic.set_name(absl::StrCat("clinics/", clinic_id));
          clinic.set_display_name(clinic_id);
          *clinic.mutable_create_time() = ToProto(now);
          if (absl::Status s = txn.InsertClinic(clinic_id, clinic); !s.ok()) return s;
        }
        v1::User admin;
        admin.set_display_name(admin_name);
        admin.set_role(v1::ROLE_CLINIC_ADMIN);
        admin.set_clinic(absl::StrCat("clinics/", clinic_id));
        auto user = InsertNewUser(txn, ids_, now, admin, "");
        if (!user.ok()) return user.status();
        auto token = IssueToken(txn, ids_, now, IdOf(user->name()), "bootstrap",
                                options_.default_token_ttl_days);
        if (!token.ok()) return token.status();
        v1::CreateTokenResponse response;
        *response.mutable_token() = token->token;
        response.set_secret(token->secret);
        return response;
      });
  if (!issued.ok()) return issued.status();
  return issued->secret();
}

absl::StatusOr<std::optional<Core::DemoCredentials>> Core::SeedDemo() {
  auto exists = InRead(store_, [&](Txn& txn) { return txn.GetClinic("demo"); });
  if (exists.ok()) return std::nullopt;
  if (!absl::IsNotFound(exists.status())) return exists.status();
  DemoCredentials demo;
  auto admin_secret = BootstrapAdmin("demo", "Dana Admin (demo)");
  if (!admin_secret.ok()) return admin_secret.status();
  demo.clinic_admin = *admin_secret;
  // Everything else is done as the demo admin, through the same use cases as the API.
  auto admin = Authenticate(absl::StrCat("Bearer ", demo.clinic_admin), "");
  if (!admin.ok()) return admin.status();
  const auto as = [&](Caller caller, const std::string& method) {
    caller.method = absl::StrCat("/kneecoach.v1.", method);
    return caller;
  };
  v1::CreateUserRequest physio;
  physio.mutable_user()->set_display_name("Pat Physio (demo)");
  physio.mutable_user()->set_role(v1::ROLE_PHYSIOTHERAPIST);
  absl::StatusOr<v1::CreateUserResponse> created_physio;
  {
    CallScope scope(as(*admin, "AccessService/CreateUser"));
    created_physio = CreateUser(physio);
  }
  if (!created_physio.ok()) return created_physio.status();
  auto physio_token = InWrite<v1::CreateTokenResponse>(
      writes_, "SeedDemo", "", [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
        auto t = IssueToken(txn, ids_, clock_.Now(), IdOf(created_physio->user().name()), "demo",
                            options_.default_token_ttl_days);
        if (!t.ok()) return t.status();
        v1::CreateTokenResponse response;
        response.set_secret(t->secret);
        return response;
      });
  if (!physio_token.ok()) return physio_token.status();
  demo.physiotherapist = physio_token->secret();
  auto physio_caller = Authenticate(absl::StrCat("Bearer ", demo.physiotherapist), "");
  if (!physio_caller.ok()) return physio_caller.status();

  v1::CreatePatientRequest patient;
  patient.mutable_patient()->set_display_name("Alex Demo");
  patient.mutable_patient()->set_clinic("clinics/demo");
  patient.mutable_patient()->set_time_zone("Europe/London");
  patient.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_RIGHT);
  absl::StatusOr<v1::CreatePatientResponse> created;
  {
    CallScope scope(as(*physio_caller, "PatientService/CreatePatient"));
    created = CreatePatient(patient);
  }
  if (!created.ok()) return created.status();
  v1::CreateProgramRequest program;
  program.mutable_program()->set_patient(created->patient().name());
  absl::StatusOr<v1::CreateProgramResponse> created_program;
  absl::StatusOr<v1::CreateEnrollmentCodeResponse> code;
  {
    CallScope scope(as(*physio_caller, "ProgramService/CreateProgram"));
    created_program = CreateProgram(program);
    v1::CreateEnrollmentCodeRequest enroll;
    enroll.set_patient(created->patient().name());
    code = CreateEnrollmentCode(enroll);
  }
  if (!created_program.ok()) return created_program.status();
  if (!code.ok()) return code.status();
  demo.program = created_program->program().name();
  absl::StatusOr<v1::EnrollDeviceResponse> phone;
  {
    Caller enrolling;
    enrolling.enrollment_code = code->code();
    enrolling.method = "/kneecoach.v1.AccessService/EnrollDevice";
    CallScope scope(enrolling);
    v1::EnrollDeviceRequest device;
    device.set_device_name("demo phone");
    phone = EnrollDevice(device);
  }
  if (!phone.ok()) return phone.status();
  demo.patient = phone->secret();
  return demo;
}

absl::StatusOr<v1::GetCurrentUserResponse> Core::GetCurrentUser(const v1::GetCurrentUserRequest&) {
  const Caller& caller = CurrentCaller();
  if (caller.user_name.empty()) return absl::UnauthenticatedError("no user");
  v1::GetCurrentUserResponse response;
  *response.mutable_user() = caller.user;
  return response;
}

absl::StatusOr<v1::GetClinicResponse> Core::GetClinic(const v1::GetClinicRequest& r) {
  return internal::GetByName(store_, r.name(), "clinics", &Txn::GetClinic,
                             &v1::GetClinicResponse::mutable_clinic);
}

absl::StatusOr<v1::CreateUserResponse> Core::CreateUser(const v1::CreateUserRequest& r) {
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
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  if (!violations.empty()) return violations.ToStatus();
  return InWrite<v1::CreateUserResponse>(
      writes_, "CreateUser", r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateUserResponse> {
        v1::User user = r.user();
        user.set_clinic(CurrentCaller().user.clinic());
        user.clear_patient();
        user.set_disabled(false);
        auto created = InsertNewUser(txn, ids_, clock_.Now(), user, "");
        if (!created.ok()) return created.status();
        v1::CreateUserResponse response;
        *response.mutable_user() = *std::move(created);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::GetUserResponse> Core::GetUser(const v1::GetUserRequest& r) {
  return internal::GetByName(store_, r.name(), "users", &Txn::GetUser,
                             &v1::GetUserResponse::mutable_user);
}

absl::StatusOr<v1::ListUsersResponse> Core::ListUsers(const v1::ListUsersRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListUsersResponse> {
    return internal::ToPageResponse(txn.ListUsers(CurrentCaller().user.clinic(), *page),
                                    &v1::ListUsersResponse::mutable_users);
  });
}

absl::StatusOr<v1::UpdateUserResponse> Core::UpdateUser(const v1::UpdateUserRequest& r) {
  auto id = ParseId("user.name", r.user().name(), "users");
  if (!id.ok()) return id.status();
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
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::UpdateUserResponse>(
      writes_, absl::StrCat("UpdateUser:", r.user().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdateUserResponse> {
        auto user = txn.GetUser(*id);
        if (!user.ok()) return user.status();
        google::protobuf::util::FieldMaskUtil::MergeOptions options;
        options.set_replace_repeated_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(r.user(), r.update_mask(), options,
                                                              &*user);
        FieldViolations after;
        ValidateUserFields(*user, after);
        if (user->role() != v1::ROLE_INTEGRATOR && !user->granted_methods().empty()) {
          after.Add("user.granted_methods", "only integrators have granted methods");
        }
        if (!after.empty()) return after.ToStatus();
        if (absl::Status s = txn.UpdateUser(*id, *user); !s.ok()) return s;
        v1::UpdateUserResponse response;
        *response.mutable_user() = *std::move(user);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::CreateTokenResponse> Core::CreateToken(const v1::CreateTokenRequest& r) {
  auto id = ParseId("user", r.user(), "users");
  if (!id.ok()) return id.status();
  const int ttl = r.ttl_days() == 0 ? options_.default_token_ttl_days : r.ttl_days();
  if (ttl < 1 || ttl > 365) return InvalidField("ttl_days", "out of range 1..365");
  if (r.display_name().size() > 200) return InvalidField("display_name", "at most 200 bytes");
  if (internal::HasControlCharacters(r.display_name())) {
    return InvalidField("display_name", "holds a control, line-break or text-direction character");
  }
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::CreateTokenResponse>(
      writes_, absl::StrCat("CreateToken:", r.user()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateTokenResponse> {
        auto user = txn.GetUser(*id);
        if (!user.ok()) return user.status();
        const absl::Time now = clock_.Now();
        absl::Time not_after = absl::InfiniteFuture();
        std::string parent_id;
        const Caller& caller = CurrentCaller();
        if (!caller.is_system() && caller.user_name == r.user() &&
            (caller.user.role() == v1::ROLE_PATIENT || caller.user.role() == v1::ROLE_INTEGRATOR)) {
          // A patient's or integrator's token making one for its holder: only a token given
          // to them (not one made this way), a few at a time, none outliving it; revoking
          // it revokes them (RevokeToken).
          auto own = txn.GetToken(caller.token_id);
          if (!own.ok()) return own.status();
          if (!own->parent_id.empty()) {
            return absl::PermissionDeniedError(
                "a token made with another token cannot make tokens; use the device's own");
          }
          auto held = txn.ListTokens(*id, {.limit = 1000, .after = ""});
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
          not_after = internal::FromProto(own->token.expire_time());
          parent_id = own->id;
        }
        auto issued = IssueToken(txn, ids_, now, *id, r.display_name(), ttl, not_after, parent_id);
        if (!issued.ok()) return issued.status();
        v1::CreateTokenResponse response;
        *response.mutable_token() = issued->token;
        response.set_secret(issued->secret);
        return response;
      },
      internal::Replay::kNever, internal::PlansChanged::None());
}

absl::StatusOr<v1::ListTokensResponse> Core::ListTokens(const v1::ListTokensRequest& r) {
  auto id = ParseId("user", r.user(), "users");
  if (!id.ok()) return id.status();
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListTokensResponse> {
    return internal::ToPageResponse(txn.ListTokens(*id, *page),
                                    &v1::ListTokensResponse::mutable_tokens);
  });
}

absl::StatusOr<v1::RevokeTokenResponse> Core::RevokeToken(const v1::RevokeTokenRequest& r) {
  auto ids = ParseName("name", r.name(), {"users", "tokens"});
  if (!ids.ok()) return ids.status();
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::RevokeTokenResponse>(
      writes_, absl::StrCat("RevokeToken:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::RevokeTokenResponse> {
        auto record = txn.GetToken((*ids)[1]);
        if (!record.ok() || record->user_id != (*ids)[0]) return NotFound("token", r.name());
        record->token.set_revoked(true);
        if (absl::Status s = txn.UpdateToken(record->id, record->token); !s.ok()) return s;
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
            if (absl::Status s = txn.UpdateToken(child.id, child.token); !s.ok()) return s;
          }
        }
        v1::RevokeTokenResponse response;
        *response.mutable_token() = record->token;
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::CreateEnrollmentCodeResponse> Core::CreateEnrollmentCode(
    const v1::CreateEnrollmentCodeRequest& r) {
  auto id = ParseId("patient", r.patient(), "patients");
  if (!id.ok()) return id.status();
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::CreateEnrollmentCodeResponse>(
      writes_, absl::StrCat("CreateEnrollmentCode:", r.patient()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::CreateEnrollmentCodeResponse> {
        if (auto p = txn.GetPatient(*id); !p.ok()) return p.status();
        const std::string code = NewEnrollmentCode();
        const absl::Time expires = clock_.Now() + options_.enrollment_code_ttl;
        if (absl::Status s =
                txn.InsertEnrollmentCode(HashSecret(code), *id, absl::ToUnixSeconds(expires));
            !s.ok()) {
          return s;
        }
        v1::CreateEnrollmentCodeResponse response;
        response.set_code(code);
        *response.mutable_expire_time() = ToProto(expires);
        return response;
      },
      internal::Replay::kNever,
      internal::PlansChanged::None());  // a code is a credential: never stored
}

absl::Status Core::CheckSignInAllowed(const std::string& peer, bool enrollment) {
  const absl::Duration wait = sign_ins_.Wait(peer, enrollment, clock_.Now());
  if (wait <= absl::ZeroDuration()) return absl::OkStatus();
  const absl::Duration rounded = absl::Ceil(wait, absl::Seconds(1));
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat("too many failed sign-ins", enrollment ? " or enrollment codes" : "",
                   "; retry in ", absl::FormatDuration(rounded)));
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(rounded));
  status.SetPayload("type.googleapis.com/google.rpc.RetryInfo",
                    absl::Cord(retry.SerializeAsString()));
  return status;
}

void Core::RecordFailedSignIn(const std::string& peer, const std::string& method,
                              absl::string_view why) {
  if (!sign_ins_.Failed(peer, clock_.Now())) return;  // under attack: counted, not audited
  auto txn = store_.Begin(/*write=*/true);
  if (!txn.ok()) return;
  v1::AuditEntry entry;
  const std::string id = ids_.NewId();
  entry.set_name(absl::StrCat("clinics/-/auditEntries/", id));
  *entry.mutable_time() = ToProto(clock_.Now());
  entry.set_actor("unauthenticated");
  entry.set_method(method);
  entry.set_resource(absl::CHexEscape(peer));
  entry.set_summary(absl::StrCat("failed sign-in: ", why));
  if ((*txn)->InsertAudit(id, "", "", entry).ok()) (void)(*txn)->Commit();
}

absl::StatusOr<v1::EnrollDeviceResponse> Core::EnrollDevice(const v1::EnrollDeviceRequest& r) {
  const std::string code = CurrentCaller().enrollment_code;
  if (code.empty()) return absl::UnauthenticatedError("an enrollment code is required");
  if (r.device_name().size() > 200) return InvalidField("device_name", "at most 200 bytes");
  if (internal::HasControlCharacters(r.device_name())) {
    return InvalidField("device_name", "holds a control, line-break or text-direction character");
  }
  return InWrite<v1::EnrollDeviceResponse>(
      writes_, "EnrollDevice", "",
      [&](Txn& txn) -> absl::StatusOr<v1::EnrollDeviceResponse> {
        const absl::Time now = clock_.Now();
        auto patient_id = txn.ConsumeEnrollmentCode(HashSecret(code), absl::ToUnixSeconds(now));
        if (!patient_id.ok()) return patient_id.status();
        if (!patient_id->has_value()) {
          return absl::UnauthenticatedError("enrollment code unknown, used or expired");
        }
        auto patient = txn.GetPatient(**patient_id);
        if (!patient.ok()) return patient.status();
        auto existing = txn.FindPatientUser(**patient_id);
        if (!existing.ok()) return existing.status();
        v1::User user;
        if (existing->has_value()) {
          user = **existing;
        } else {
          v1::User fresh;
          fresh.set_display_name(patient->display_name());
          fresh.set_role(v1::ROLE_PATIENT);
          fresh.set_clinic(patient->clinic());
          fresh.set_patient(patient->name());
          auto created = InsertNewUser(txn, ids_, now, fresh, **patient_id);
          if (!created.ok()) return created.status();
          user = *std::move(created);
        }
        auto issued = IssueToken(txn, ids_, now, IdOf(user.name()),
                                 r.device_name().empty() ? "phone" : r.device_name(),
                                 options_.device_token_ttl_days);
        if (!issued.ok()) return issued.status();
        Caller enrolled;  // audited as the patient the device now acts for
        enrolled.user_name = user.name();
        enrolled.user = user;
        enrolled.method = CurrentCaller().method;
        enrolled.resource = patient->name();
        enrolled.clinic = patient->clinic();
        enrolled.patient_id = **patient_id;
        if (absl::Status s = internal::RecordAudit(txn, writes_, enrolled, "EnrollDevice", "");
            !s.ok()) {
          return s;
        }
        v1::EnrollDeviceResponse response;
        *response.mutable_user() = user;
        *response.mutable_token() = issued->token;
        response.set_secret(issued->secret);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::ListAuditEntriesResponse> Core::ListAuditEntries(
    const v1::ListAuditEntriesRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  const std::string clinic = r.clinic().empty() ? CurrentCaller().user.clinic() : r.clinic();
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListAuditEntriesResponse> {
    return internal::ToPageResponse(txn.ListAudit(clinic, *page),
                                    &v1::ListAuditEntriesResponse::mutable_audit_entries);
  });
}

absl::StatusOr<v1::UpdatePatientResponse> Core::UpdatePatient(const v1::UpdatePatientRequest& r) {
  auto id = ParseId("patient.name", r.patient().name(), "patients");
  if (!id.ok()) return id.status();
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
  if (assigns && CurrentCaller().user.role() != v1::ROLE_CLINIC_ADMIN &&
      !CurrentCaller().is_system()) {
    return absl::PermissionDeniedError("only clinic admins assign physiotherapists");
  }
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::UpdatePatientResponse>(
      writes_, absl::StrCat("UpdatePatient:", r.patient().name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::UpdatePatientResponse> {
        auto patient = txn.GetPatient(*id);
        if (!patient.ok()) return patient.status();
        google::protobuf::util::FieldMaskUtil::MergeOptions options;
        options.set_replace_repeated_fields(true);
        google::protobuf::util::FieldMaskUtil::MergeMessageTo(r.patient(), r.update_mask(), options,
                                                              &*patient);
        FieldViolations after;
        internal::ValidatePatientFields(*patient, after);
        std::vector<std::string> user_ids;
        for (int i = 0; i < patient->physiotherapists_size(); ++i) {
          const std::string field = absl::StrCat("patient.physiotherapists[", i, "]");
          auto user_id = ParseId(field, patient->physiotherapists(i), "users");
          auto user = user_id.ok() ? txn.GetUser(*user_id) : user_id.status();
          if (!user.ok() || user->role() != v1::ROLE_PHYSIOTHERAPIST ||
              user->clinic() != patient->clinic()) {
            after.Add(field, "not a physiotherapist of this clinic");
            continue;
          }
          user_ids.push_back(*user_id);
        }
        if (!after.empty()) return after.ToStatus();
        if (absl::Status s = txn.SetAssignments(*id, user_ids); !s.ok()) return s;
        if (absl::Status s = txn.UpdatePatient(*id, *patient); !s.ok()) return s;
        v1::UpdatePatientResponse response;
        *response.mutable_patient() = *std::move(patient);
        return response;
      });
}

absl::StatusOr<v1::ExportPatientDataResponse> Core::ExportPatientData(
    const v1::ExportPatientDataRequest& r) {
  auto id = ParseId("name", r.name(), "patients");
  if (!id.ok()) return id.status();
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ExportPatientDataResponse> {
    auto patient = txn.GetPatient(*id);
    if (!patient.ok()) return patient.status();
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
    if (absl::Status s = append(*patient); !s.ok()) return s;
    json += ",\"programs\":[";
    PageRequest page{.limit = 200, .after = ""};
    bool first_program = true;
    std::string sessions, check_ins, decisions, alerts;
    do {
      auto programs = txn.ListPrograms(*id, page);
      if (!programs.ok()) return programs.status();
      for (const auto& program : programs->items) {
        if (!first_program) json += ",";
        first_program = false;
        json += "{\"program\":";
        if (absl::Status s = append(program); !s.ok()) return s;
        const std::string program_id = IdOf(program.name());
        auto add_all = [&](const char* key, auto list) -> absl::Status {
          json += absl::StrCat(",\"", key, "\":[");
          PageRequest p{.limit = 200, .after = ""};
          bool first = true;
          do {
            auto items = list(p);
            if (!items.ok()) return items.status();
            for (const auto& item : items->items) {
              if (!first) json += ",";
              first = false;
              if (absl::Status s = append(item); !s.ok()) return s;
            }
            p.after = items->next;
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
      page.after = programs->next;
    } while (!page.after.empty());
    json += "]}";
    v1::ExportPatientDataResponse response;
    response.set_json(std::move(json));
    return response;
  });
}

absl::StatusOr<v1::ErasePatientResponse> Core::ErasePatient(const v1::ErasePatientRequest& r) {
  auto id = ParseId("name", r.name(), "patients");
  if (!id.ok()) return id.status();
  if (r.reason().empty() || r.reason().size() > 2000) {
    return InvalidField("reason", "required, at most 2000 bytes");
  }
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  auto erased = InWrite<v1::ErasePatientResponse>(
      writes_, absl::StrCat("ErasePatient:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ErasePatientResponse> {
        if (auto p = txn.GetPatient(*id); !p.ok()) return p.status();
        if (absl::Status s = txn.ErasePatient(*id); !s.ok()) return s;
        return v1::ErasePatientResponse();
      });
  return erased;
}

}  // namespace kneecoach
