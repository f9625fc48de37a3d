// Authentication and the authorization policy: the one place that decides who may call
// what. Every RPC of kneecoach.v1 has exactly one rule here; a method without a rule is
// refused (fail closed), and tests walk every method x role x scope against this table.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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

namespace kneecoach {
namespace {

using google::protobuf::Message;

// Who may act, given the target's scope.
enum class Need {
  kAnyone,          // any authenticated user (the exercise library, who am I)
  kPatientOrStaff,  // the patient themselves, or staff with the patient in scope
  kStaff,           // physiotherapists with the patient assigned, admins, integrators
  kAdmin,           // clinic admins of the target's clinic
  kSelfOrAdmin,     // the target user themselves, or an admin of their clinic
  kEnrollment,      // an enrollment code, exchanged once for a patient token
};

struct Rule {
  Need need;
  // The request field naming the target, for error messages ("" if none).
  const char* field;
  // The target's resource name; empty means the caller's own clinic.
  std::string (*target)(const Message&);
  // With kPatientOrStaff: an empty target means what the caller may see (a patient their
  // own record, staff their clinic; the use case narrows a physiotherapist to their
  // caseload), not "required".
  bool empty_means_own = false;
};

template <typename R>
const R& As(const Message& m) {
  return static_cast<const R&>(m);
}

#define KC_TARGET(Request, expr)        \
  [](const Message& m) -> std::string { \
    const auto& r = As<v1::Request>(m); \
    return expr;                        \
  }
#define KC_NONE [](const Message&) -> std::string { return ""; }

const absl::flat_hash_map<std::string, Rule>& Policy() {
  static const auto* const kPolicy = new absl::flat_hash_map<std::string, Rule>{
      // ExerciseLibraryService: the library is for everyone signed in.
      {"/kneecoach.v1.ExerciseLibraryService/ListExercises", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.ExerciseLibraryService/GetExercise", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.ExerciseLibraryService/ListLadders", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.ExerciseLibraryService/ListEducationCards", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.ExerciseLibraryService/GetEducationCard", {Need::kAnyone, "", KC_NONE}},
      // PatientService.
      {"/kneecoach.v1.PatientService/CreatePatient",
       {Need::kStaff, "patient.clinic", KC_TARGET(CreatePatientRequest, r.patient().clinic())}},
      {"/kneecoach.v1.PatientService/GetPatient",
       {Need::kPatientOrStaff, "name", KC_TARGET(GetPatientRequest, r.name())}},
      {"/kneecoach.v1.PatientService/ListPatients",
       {Need::kStaff, "clinic", KC_TARGET(ListPatientsRequest, r.clinic())}},
      {"/kneecoach.v1.PatientService/UpdatePatient",
       {Need::kStaff, "patient.name", KC_TARGET(UpdatePatientRequest, r.patient().name())}},
      {"/kneecoach.v1.PatientService/ExportPatientData",
       {Need::kPatientOrStaff, "name", KC_TARGET(ExportPatientDataRequest, r.name())}},
      {"/kneecoach.v1.PatientService/ErasePatient",
       {Need::kAdmin, "name", KC_TARGET(ErasePatientRequest, r.name())}},
      // ProgramService.
      {"/kneecoach.v1.ProgramService/CreateProgram",
       {Need::kStaff, "program.patient", KC_TARGET(CreateProgramRequest, r.program().patient())}},
      {"/kneecoach.v1.ProgramService/GetProgram",
       {Need::kPatientOrStaff, "name", KC_TARGET(GetProgramRequest, r.name())}},
      {"/kneecoach.v1.ProgramService/ListPrograms",
       {Need::kPatientOrStaff, "patient", KC_TARGET(ListProgramsRequest, r.patient()), true}},
      {"/kneecoach.v1.ProgramService/UpdateProgram",
       {Need::kStaff, "program.name", KC_TARGET(UpdateProgramRequest, r.program().name())}},
      {"/kneecoach.v1.ProgramService/UpdatePrescription",
       {Need::kStaff, "prescription.name",
        KC_TARGET(UpdatePrescriptionRequest, r.prescription().name())}},
      {"/kneecoach.v1.ProgramService/PauseProgram",
       {Need::kStaff, "name", KC_TARGET(PauseProgramRequest, r.name())}},
      {"/kneecoach.v1.ProgramService/ResumeProgram",
       {Need::kStaff, "name", KC_TARGET(ResumeProgramRequest, r.name())}},
      {"/kneecoach.v1.ProgramService/ListDecisions",
       {Need::kPatientOrStaff, "program", KC_TARGET(ListDecisionsRequest, r.program())}},
      {"/kneecoach.v1.ProgramService/ApproveDecision",
       {Need::kStaff, "name", KC_TARGET(ApproveDecisionRequest, r.name())}},
      {"/kneecoach.v1.ProgramService/RejectDecision",
       {Need::kStaff, "name", KC_TARGET(RejectDecisionRequest, r.name())}},
      // A stored protocol it names is read as GetProtocol would be (an inline one is the
      // caller's own data).
      {"/kneecoach.v1.ProgramService/SimulateProgram",
       {Need::kStaff, "protocol_name",
        KC_TARGET(SimulateProgramRequest, r.has_protocol() ? std::string() : r.protocol_name())}},
      // SessionService: the patient's own daily loop.
      {"/kneecoach.v1.SessionService/GetTodaySession",
       {Need::kPatientOrStaff, "program", KC_TARGET(GetTodaySessionRequest, r.program())}},
      {"/kneecoach.v1.SessionService/ReportSession",
       {Need::kPatientOrStaff, "program", KC_TARGET(ReportSessionRequest, r.program())}},
      {"/kneecoach.v1.SessionService/ReportMorningCheckIn",
       {Need::kPatientOrStaff, "check_in.program",
        KC_TARGET(ReportMorningCheckInRequest, r.check_in().program())}},
      {"/kneecoach.v1.SessionService/ListSessions",
       {Need::kPatientOrStaff, "program", KC_TARGET(ListSessionsRequest, r.program())}},
      {"/kneecoach.v1.SessionService/ListMorningCheckIns",
       {Need::kPatientOrStaff, "program", KC_TARGET(ListMorningCheckInsRequest, r.program())}},
      // OutcomeService: measures the patient reports (AKPS, global rating of change) or
      // a clinician takes (the step-down count).
      {"/kneecoach.v1.OutcomeService/GetQuestionnaire", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.OutcomeService/RecordOutcome",
       {Need::kPatientOrStaff, "outcome.program",
        KC_TARGET(RecordOutcomeRequest, r.outcome().program())}},
      {"/kneecoach.v1.OutcomeService/ListOutcomes",
       {Need::kPatientOrStaff, "program", KC_TARGET(ListOutcomesRequest, r.program())}},
      {"/kneecoach.v1.OutcomeService/GetProgress",
       {Need::kPatientOrStaff, "program", KC_TARGET(GetProgressRequest, r.program())}},
      // AlertService: the clinician's inbox.
      {"/kneecoach.v1.AlertService/ListAlerts",
       {Need::kStaff, "program",
        KC_TARGET(ListAlertsRequest, r.program().empty() ? r.clinic() : r.program())}},
      {"/kneecoach.v1.AlertService/AcknowledgeAlert",
       {Need::kStaff, "name", KC_TARGET(AcknowledgeAlertRequest, r.name())}},
      // ProtocolService.
      {"/kneecoach.v1.ProtocolService/ListProtocols", {Need::kStaff, "", KC_NONE}},
      {"/kneecoach.v1.ProtocolService/GetProtocol",
       {Need::kStaff, "name", KC_TARGET(GetProtocolRequest, r.name())}},
      {"/kneecoach.v1.ProtocolService/CreateProtocol", {Need::kAdmin, "", KC_NONE}},
      // AccessService.
      {"/kneecoach.v1.AccessService/GetCurrentUser", {Need::kAnyone, "", KC_NONE}},
      {"/kneecoach.v1.AccessService/GetClinic",
       {Need::kPatientOrStaff, "name", KC_TARGET(GetClinicRequest, r.name())}},
      {"/kneecoach.v1.AccessService/CreateUser", {Need::kAdmin, "", KC_NONE}},
      {"/kneecoach.v1.AccessService/GetUser",
       {Need::kSelfOrAdmin, "name", KC_TARGET(GetUserRequest, r.name())}},
      {"/kneecoach.v1.AccessService/ListUsers", {Need::kAdmin, "", KC_NONE}},
      {"/kneecoach.v1.AccessService/UpdateUser",
       {Need::kAdmin, "user.name", KC_TARGET(UpdateUserRequest, r.user().name())}},
      {"/kneecoach.v1.AccessService/CreateToken",
       {Need::kSelfOrAdmin, "user", KC_TARGET(CreateTokenRequest, r.user())}},
      {"/kneecoach.v1.AccessService/ListTokens",
       {Need::kSelfOrAdmin, "user", KC_TARGET(ListTokensRequest, r.user())}},
      {"/kneecoach.v1.AccessService/RevokeToken",
       {Need::kSelfOrAdmin, "name", KC_TARGET(RevokeTokenRequest, r.name())}},
      {"/kneecoach.v1.AccessService/CreateEnrollmentCode",
       {Need::kStaff, "patient", KC_TARGET(CreateEnrollmentCodeRequest, r.patient())}},
      {"/kneecoach.v1.AccessService/EnrollDevice", {Need::kEnrollment, "", KC_NONE}},
      {"/kneecoach.v1.AccessService/ListAuditEntries",
       {Need::kAdmin, "clinic", KC_TARGET(ListAuditEntriesRequest, r.clinic())}},
  };
  return *kPolicy;
}

#undef KC_TARGET
#undef KC_NONE

absl::Status Denied(const Caller& caller) {
  return absl::PermissionDeniedError(
      absl::StrCat(caller.method, " is not permitted for ",
                   caller.user_name.empty() ? "this credential" : caller.user_name,
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

// `txn` may be null unless NeedsAssignments(caller, scope).
bool Allows(Txn* txn, const Caller& caller, Need need, const Scope& scope) {
  const v1::Role role = caller.user.role();
  const bool same_clinic = scope.clinic == caller.user.clinic();
  const std::string self_id(absl::StripPrefix(caller.user_name, "users/"));
  switch (scope.kind) {
    case Scope::kPatient: {
      if (role == v1::ROLE_PATIENT) {
        return need == Need::kPatientOrStaff &&
               caller.user.patient() == absl::StrCat("patients/", scope.patient_id);
      }
      if (!same_clinic) return false;
      if (role == v1::ROLE_CLINIC_ADMIN) return true;
      if (role == v1::ROLE_INTEGRATOR) return need != Need::kAdmin;
      if (role == v1::ROLE_PHYSIOTHERAPIST) {
        if (need != Need::kPatientOrStaff && need != Need::kStaff) return false;
        auto assigned = txn->IsAssigned(scope.patient_id, self_id);
        return assigned.ok() && *assigned;
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
          return need == Need::kPatientOrStaff || need == Need::kStaff;
        case v1::ROLE_PATIENT:
          return need == Need::kPatientOrStaff && scope.kind == Scope::kClinic;
        default:
          return false;
      }
    }
    case Scope::kUser:
      if (need == Need::kSelfOrAdmin && scope.user_id == self_id) return true;
      return same_clinic && role == v1::ROLE_CLINIC_ADMIN;
  }
  return false;
}

}  // namespace

absl::StatusOr<Caller> Core::Authenticate(absl::string_view authorization,
                                          const std::string& method) {
  Caller caller;
  caller.method = method;
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
  if (store_.ChangesCurrent()) credential = access_cache_.FindCredential(hash);
  if (!credential.has_value()) {
    const uint64_t generation = access_cache_.generation();
    auto stored = internal::InRead(
        store_, [&](Txn& txn) -> absl::StatusOr<std::optional<AccessCache::Credential>> {
          auto token = txn.FindTokenBySecretHash(hash);
          if (!token.ok()) return token.status();
          if (!token->has_value()) return std::nullopt;
          auto user = txn.GetUser((*token)->user_id);
          if (absl::IsNotFound(user.status())) return std::nullopt;
          if (!user.ok()) return user.status();
          const v1::Token& t = (*token)->token;
          return AccessCache::Credential{
              *std::move(user), t.revoked(),
              google::protobuf::util::TimeUtil::TimestampToNanoseconds(t.expire_time()),
              (*token)->id};
        });
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return absl::UnauthenticatedError("unknown token");
    credential = **stored;
    access_cache_.PutCredential(hash, **std::move(stored), generation);
  }
  if (credential->revoked) return absl::UnauthenticatedError("token revoked");
  if (credential->expire_unix_nanos <= absl::ToUnixNanos(clock_.Now())) {
    return absl::UnauthenticatedError("token expired");
  }
  if (credential->user.disabled()) return absl::UnauthenticatedError("user disabled");
  caller.user_name = credential->user.name();
  caller.user = std::move(credential->user);
  caller.token_id = std::move(credential->token_id);
  return caller;
}

absl::Status Core::Authorize(Caller& caller, const Message& request) {
  auto rule = Policy().find(caller.method);
  if (rule == Policy().end()) return Denied(caller);  // fail closed
  const Rule& r = rule->second;
  if (!caller.enrollment_code.empty() || r.need == Need::kEnrollment) {
    return !caller.enrollment_code.empty() && r.need == Need::kEnrollment ? absl::OkStatus()
                                                                          : Denied(caller);
  }
  if (caller.user.role() == v1::ROLE_INTEGRATOR &&
      std::find(caller.user.granted_methods().begin(), caller.user.granted_methods().end(),
                caller.method) == caller.user.granted_methods().end()) {
    return Denied(caller);
  }
  if (r.need == Need::kAnyone) return absl::OkStatus();
  std::string target = r.target(request);
  if (target.empty()) {
    if (r.empty_means_own && caller.user.role() == v1::ROLE_PATIENT) {
      target = caller.user.patient();
    } else if (!r.empty_means_own &&
               (r.need == Need::kPatientOrStaff || r.need == Need::kSelfOrAdmin)) {
      return InvalidField(r.field, "required");
    } else {
      target = caller.user.clinic();  // lists and creations act in the caller's own clinic
    }
  }
  auto parsed = ParseTarget(r.field, target);
  if (!parsed.ok()) return parsed.status();
  auto decide = [&](Txn* txn, const std::optional<Scope>& scope) -> absl::Status {
    if (!scope.has_value() || !Allows(txn, caller, r.need, *scope)) return Denied(caller);
    caller.resource = target;
    caller.clinic = scope->clinic.empty() ? caller.user.clinic() : scope->clinic;
    caller.patient_id = scope->patient_id;
    return absl::OkStatus();
  };
  const std::string key = OwnerKey(*parsed);
  std::optional<Scope> cached;
  if (!key.empty() && store_.ChangesCurrent()) {
    if (auto owner = access_cache_.FindOwner(key); owner.has_value()) cached = FromOwner(*owner);
  }
  if (cached.has_value() && !NeedsAssignments(caller, *cached)) return decide(nullptr, cached);
  // A physiotherapist's assignment is read per call; the scope only when not cached.
  const uint64_t generation = access_cache_.generation();
  return internal::InRead(store_, [&](Txn& txn) -> absl::Status {
    if (cached.has_value()) return decide(&txn, cached);
    auto scope = Resolve(txn, *parsed);
    if (!scope.ok()) return scope.status();
    if (!key.empty() && scope->has_value()) {
      access_cache_.PutOwner(key, AccessCache::Owner{(*scope)->clinic, (*scope)->patient_id},
                             generation);
    }
    return decide(&txn, *scope);
  });
}

namespace internal {

bool KeepsAccessCache(const std::string& method) {
  // The frequent writes: none changes a credential, a user, an assignment, or erases.
  // Every other write (and any method added later) empties the cache.
  static const auto* const kKeeps = new absl::flat_hash_set<std::string>{
      "/kneecoach.v1.SessionService/ReportSession",
      "/kneecoach.v1.SessionService/ReportMorningCheckIn",
      "/kneecoach.v1.OutcomeService/RecordOutcome",
      "/kneecoach.v1.AlertService/AcknowledgeAlert",
      "/kneecoach.v1.ProgramService/ApproveDecision",
      "/kneecoach.v1.ProgramService/RejectDecision",
      "/kneecoach.v1.ProgramService/UpdatePrescription",
      "/kneecoach.v1.ProgramService/UpdateProgram",
      "/kneecoach.v1.ProgramService/PauseProgram",
      "/kneecoach.v1.ProgramService/ResumeProgram",
      "/kneecoach.v1.ProgramService/CreateProgram",
      "/kneecoach.v1.PatientService/CreatePatient",
      "/kneecoach.v1.ProtocolService/CreateProtocol",
  };
  return kKeeps->contains(method);
}

}  // namespace internal

// Every RPC of every kneecoach.v1 service has a rule (checked by tests).
std::vector<std::string> AuthorizationPolicyMethods() {
  std::vector<std::string> methods;
  for (const auto& [method, rule] : Policy()) methods.push_back(method);
  std::sort(methods.begin(), methods.end());
  return methods;
}

}  // namespace kneecoach
