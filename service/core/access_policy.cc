// Authentication and the authorization policy: the one place that decides who may call
// what. Every RPC of kneecoach.v1 has exactly one access rule, in its method_rules option
// (proto/kneecoach/v1/method_options.proto, read into the MethodRegistry); a call without
// a method entry is refused (fail closed), and tests walk every method x role x scope.
#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/exercise_library_service.pb.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/core/core.h"
#include "service/core/core_util.h"
#include "service/domain/secrets.h"
#include "service/domain/status_macros.h"

namespace kneecoach {
namespace {

using google::protobuf::Message;

using Need = v1::Access;

absl::Status Denied(const RequestContext& ctx) {
  return absl::PermissionDeniedError(
      absl::StrCat(ctx.method, " is not permitted for ",
                   ctx.caller.user_name.empty() ? "this credential" : ctx.caller.user_name,
                   " on this resource (or it does not exist)"));
}

// What a target name resolved to.
struct Scope {
  enum Kind { kClinic, kPatient, kUser, kProtocol } kind;
  std::string clinic;
  std::string patient_id;  // kPatient
  std::string user_id;     // kUser
};

// A target name split into its collection and id ("programs", "x1") and, for patients and
// programs, the key of its AccessCache entry. Malformed names are INVALID_ARGUMENT naming
// `field`.
struct Target {
  std::string name;
  absl::string_view collection;
  std::string id;
};

absl::StatusOr<Target> ParseTarget(const std::string& field, const std::string& name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() < 2 || parts.size() % 2 != 0 || !IsValidId(parts[1])) {
    return InvalidField(field, absl::StrCat("malformed resource name \"", name, "\""));
  }
  static constexpr absl::string_view kCollections[] = {"clinics", "patients", "programs", "users",
                                                       "protocols"};
  for (absl::string_view c : kCollections) {
    if (parts[0] == c) return Target{name, c, std::string(parts[1])};
  }
  return InvalidField(field, absl::StrCat("not a resource name this method takes: \"", name, "\""));
}

// The AccessCache key of a patient or program target ("" for other collections).
std::string OwnerKey(const Target& target) {
  if (target.collection != "patients" && target.collection != "programs") return "";
  return absl::StrCat(target.collection, "/", target.id);
}

Scope FromOwner(const AccessCache::Owner& owner) {
  return Scope{Scope::kPatient, owner.clinic, owner.patient_id, ""};
}

// Resolves a target to its scope; nullopt if it does not exist.
absl::StatusOr<std::optional<Scope>> Resolve(Txn& txn, const Target& target) {
  const std::string& id = target.id;
  const absl::string_view collection = target.collection;
  auto absent = []() -> absl::StatusOr<std::optional<Scope>> { return std::nullopt; };
  if (collection == "clinics") {
    return Scope{Scope::kClinic, target.name.substr(0, target.name.find('/', 8)), "", ""};
  }
  if (collection == "patients" || collection == "programs") {
    std::string patient_id = id;
    if (collection == "programs") {
      auto program = txn.GetProgram(id);
      if (absl::IsNotFound(program.status())) return absent();
      if (!program.ok()) return program.status();
      patient_id = std::string(absl::StripPrefix(program->patient(), "patients/"));
    }
    auto patient = txn.GetPatient(patient_id);
    if (absl::IsNotFound(patient.status())) return absent();
    if (!patient.ok()) return patient.status();
    return Scope{Scope::kPatient, patient->clinic(), patient_id, ""};
  }
  if (collection == "users") {
    auto user = txn.GetUser(id);
    if (absl::IsNotFound(user.status())) return absent();
    if (!user.ok()) return user.status();
    return Scope{Scope::kUser, user->clinic(), "", id};
  }
  // protocols
  auto protocol = txn.GetProtocol(id);
  if (absl::IsNotFound(protocol.status())) return absent();
  if (!protocol.ok()) return protocol.status();
  return Scope{Scope::kProtocol, protocol->clinic(), "", ""};
}

// Whether deciding needs the store beyond the scope: a physiotherapist's assignments.
bool NeedsAssignments(const Caller& caller, const Scope& scope) {
  return scope.kind == Scope::kPatient && caller.user.role() == v1::ROLE_PHYSIOTHERAPIST;
}

// `txn` may be null unless NeedsAssignments(caller, scope). A store failure is its error,
// never a refusal.
absl::StatusOr<bool> Allows(Txn* txn, const Caller& caller, Need need, const Scope& scope) {
  const v1::Role role = caller.user.role();
  const bool same_clinic = scope.clinic == caller.user.clinic();
  const std::string self_id(absl::StripPrefix(caller.user_name, "users/"));
  switch (scope.kind) {
    case Scope::kPatient: {
      if (role == v1::ROLE_PATIENT) {
        return need == v1::ACCESS_PATIENT_OR_STAFF &&
               caller.user.patient() == absl::StrCat("patients/", scope.patient_id);
      }
      if (!same_clinic) return false;
      if (role == v1::ROLE_CLINIC_ADMIN) return true;
      if (role == v1::ROLE_INTEGRATOR) return need != v1::ACCESS_ADMIN;
      if (role == v1::ROLE_PHYSIOTHERAPIST) {
        if (need != v1::ACCESS_PATIENT_OR_STAFF && need != v1::ACCESS_STAFF) return false;
        return txn->IsAssigned(scope.patient_id, self_id);
      }
      return false;
    }
    case Scope::kClinic:
    case Scope::kProtocol: {
      const bool shared = scope.kind == Scope::kProtocol && scope.clinic.empty();
      if (!same_clinic && !shared) return false;
      switch (role) {
        case v1::ROLE_CLINIC_ADMIN:
          return true;
        case v1::ROLE_PHYSIOTHERAPIST:
        case v1::ROLE_INTEGRATOR:
          return need == v1::ACCESS_PATIENT_OR_STAFF || need == v1::ACCESS_STAFF;
        case v1::ROLE_PATIENT:
          return need == v1::ACCESS_PATIENT_OR_STAFF && scope.kind == Scope::kClinic;
        default:
          return false;
      }
    }
    case Scope::kUser:
      if (need == v1::ACCESS_SELF_OR_ADMIN && scope.user_id == self_id) return true;
      return same_clinic && role == v1::ROLE_CLINIC_ADMIN;
  }
  return false;
}

}  // namespace

absl::StatusOr<Caller> Core::Authenticate(absl::string_view authorization) {
  Caller caller;
  absl::string_view secret = absl::StripAsciiWhitespace(authorization);
  if (!absl::ConsumePrefix(&secret, "Bearer ") || secret.empty()) {
    return absl::UnauthenticatedError(
        "missing credential: send metadata \"authorization: Bearer <token>\"");
  }
  if (LooksLikeEnrollmentCode(secret)) {
    caller.enrollment_code = std::string(secret);
    return caller;
  }
  const std::string hash = HashSecret(secret);
  // Kept credentials are not used while another replica's change may not have reached this
  // one (a revoked token).
  std::optional<AccessCache::Credential> credential;
  if (state_.store.ChangesCurrent()) credential = state_.access_cache.FindCredential(hash);
  if (!credential.has_value()) {
    const uint64_t generation = state_.access_cache.generation();
    auto stored = internal::InReadByCredential(
        state_.store, [&](Txn& txn) -> absl::StatusOr<std::optional<AccessCache::Credential>> {
          ASSIGN_OR_RETURN(auto token, txn.FindTokenBySecretHash(hash));
          if (!token.has_value()) return std::nullopt;
          auto user = txn.GetUser(token->user_id);
          if (absl::IsNotFound(user.status())) return std::nullopt;
          if (!user.ok()) return user.status();
          const v1::Token& t = token->token;
          return AccessCache::Credential{
              *std::move(user), t.revoked(),
              google::protobuf::util::TimeUtil::TimestampToNanoseconds(t.expire_time()), token->id};
        });
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return absl::UnauthenticatedError("unknown token");
    credential = **stored;
    state_.access_cache.PutCredential(hash, **std::move(stored), generation);
  }
  if (credential->revoked) return absl::UnauthenticatedError("token revoked");
  if (credential->expire_unix_nanos <= absl::ToUnixNanos(state_.clock.Now())) {
    return absl::UnauthenticatedError("token expired");
  }
  if (credential->user.disabled()) return absl::UnauthenticatedError("user disabled");
  caller.user_name = credential->user.name();
  caller.user = std::move(credential->user);
  caller.token_id = std::move(credential->token_id);
  return caller;
}

absl::Status Core::Authorize(RequestContext& ctx, const Message& request) {
  if (ctx.rules == nullptr) return Denied(ctx);  // fail closed
  const MethodInfo& r = *ctx.rules;
  Caller& caller = ctx.caller;
  if (!caller.enrollment_code.empty() || r.access == Need::ACCESS_ENROLLMENT) {
    return !caller.enrollment_code.empty() && r.access == Need::ACCESS_ENROLLMENT ? absl::OkStatus()
                                                                                  : Denied(ctx);
  }
  if (caller.user.role() == v1::ROLE_INTEGRATOR &&
      std::find(caller.user.granted_methods().begin(), caller.user.granted_methods().end(),
                ctx.method) == caller.user.granted_methods().end()) {
    return Denied(ctx);
  }
  if (r.access == Need::ACCESS_ANYONE) return absl::OkStatus();
  std::string target = r.Target(request);
  if (target.empty()) {
    if (r.empty_target_means_own && caller.user.role() == v1::ROLE_PATIENT) {
      target = caller.user.patient();
    } else if (!r.empty_target_means_own && (r.access == Need::ACCESS_PATIENT_OR_STAFF ||
                                             r.access == Need::ACCESS_SELF_OR_ADMIN)) {
      return InvalidField(r.target_field, "required");
    } else {
      target = caller.user.clinic();  // lists and creations act in the caller's own clinic
    }
  }
  ASSIGN_OR_RETURN(const Target parsed, ParseTarget(r.target_field, target));
  auto decide = [&](Txn* txn, const std::optional<Scope>& scope) -> absl::Status {
    if (!scope.has_value()) return Denied(ctx);
    ASSIGN_OR_RETURN(const bool allowed, Allows(txn, caller, r.access, *scope));
    if (!allowed) return Denied(ctx);
    caller.resource = target;
    caller.clinic = scope->clinic.empty() ? caller.user.clinic() : scope->clinic;
    caller.patient_id = scope->patient_id;
    return absl::OkStatus();
  };
  const std::string key = OwnerKey(parsed);
  std::optional<Scope> cached;
  if (!key.empty() && state_.store.ChangesCurrent()) {
    if (auto owner = state_.access_cache.FindOwner(key); owner.has_value()) {
      cached = FromOwner(*owner);
    }
  }
  if (cached.has_value() && !NeedsAssignments(caller, *cached)) return decide(nullptr, cached);
  // A physiotherapist's assignment is read per call; the scope only when not cached.
  const uint64_t generation = state_.access_cache.generation();
  return internal::InRead(ctx, state_.store, [&](Txn& txn) -> absl::Status {
    if (cached.has_value()) return decide(&txn, cached);
    ASSIGN_OR_RETURN(const std::optional<Scope> scope, Resolve(txn, parsed));
    if (!key.empty() && scope.has_value()) {
      state_.access_cache.PutOwner(key, AccessCache::Owner{scope->clinic, scope->patient_id},
                                   generation);
    }
    return decide(&txn, scope);
  });
}

}  // namespace kneecoach
