// Issue 4's matrix: every RPC x every role x (own patient, another patient of the same
// clinic, a patient of another clinic) gets exactly the expected answer. Allowed calls may
// still fail validation (the requests are minimal), but never with PERMISSION_DENIED or
// UNAUTHENTICATED; denied calls get exactly PERMISSION_DENIED; no token is UNAUTHENTICATED.
#include <condition_variable>
#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

using google::protobuf::Message;

enum Role {
  kPatient,
  kPhysio,
  kOtherPhysio,
  kAdmin,
  kIntegrator,
  kLimitedIntegrator,
  kForeignAdmin,
  kRoles
};
const char* kRoleNames[] = {"patient",      "physio",     "other-physio",
                            "admin",        "integrator", "limited-integrator",
                            "foreign-admin"};
enum Scope { kOwn, kSibling, kForeign, kScopes };
const char* kScopeNames[] = {"own", "sibling", "foreign"};

// Who may call, as the issue describes the roles.
enum class Need { kAnyone, kPatientOrStaff, kStaff, kAdmin };

struct Target {
  std::string clinic, patient, program, prescription;
};

struct Spec {
  Need need;
  std::function<std::unique_ptr<Message>(const Target&)> request;
};

template <typename R>
std::unique_ptr<Message> Make(std::function<void(R&)> fill) {
  auto r = std::make_unique<R>();
  fill(*r);
  return r;
}

#define KC_REQ(Type, body) \
  [](const Target& t) { return Make<v1::Type>([&](v1::Type& r) { body; }); }

std::map<std::string, Spec> Specs() {
  const std::string p = "/kneecoach.v1.";
  return {
      {p + "ExerciseLibraryService/ListExercises",
       {Need::kAnyone, KC_REQ(ListExercisesRequest, (void)t; (void)r)}},
      {p + "ExerciseLibraryService/GetExercise",
       {Need::kAnyone, KC_REQ(GetExerciseRequest, (void)t; r.set_name("exercises/bridge"))}},
      {p + "ExerciseLibraryService/ListLadders",
       {Need::kAnyone, KC_REQ(ListLaddersRequest, (void)t; (void)r)}},
      {p + "ExerciseLibraryService/ListEducationCards",
       {Need::kAnyone, KC_REQ(ListEducationCardsRequest, (void)t; (void)r)}},
      {p + "ExerciseLibraryService/GetEducationCard",
       {Need::kAnyone, KC_REQ(GetEducationCardRequest, (void)t; r.set_name("educationCards/x"))}},
      {p + "PatientService/CreatePatient",
       {Need::kStaff, KC_REQ(CreatePatientRequest, r.mutable_patient()->set_clinic(t.clinic))}},
      {p + "PatientService/GetPatient",
       {Need::kPatientOrStaff, KC_REQ(GetPatientRequest, r.set_name(t.patient))}},
      {p + "PatientService/ListPatients",
       {Need::kStaff, KC_REQ(ListPatientsRequest, r.set_clinic(t.clinic))}},
      {p + "PatientService/UpdatePatient",
       {Need::kStaff, KC_REQ(UpdatePatientRequest, r.mutable_patient()->set_name(t.patient))}},
      {p + "PatientService/ExportPatientData",
       {Need::kPatientOrStaff, KC_REQ(ExportPatientDataRequest, r.set_name(t.patient))}},
      {p + "PatientService/ErasePatient",
       {Need::kAdmin,
        KC_REQ(ErasePatientRequest, r.set_name(t.patient))}},  // no reason: never erases
      {p + "ProgramService/CreateProgram",
       {Need::kStaff, KC_REQ(CreateProgramRequest, r.mutable_program()->set_patient(t.patient);
                             r.mutable_program()->add_prescriptions())}},
      {p + "ProgramService/GetProgram",
       {Need::kPatientOrStaff, KC_REQ(GetProgramRequest, r.set_name(t.program))}},
      {p + "ProgramService/ListPrograms",
       {Need::kPatientOrStaff, KC_REQ(ListProgramsRequest, r.set_patient(t.patient))}},
      {p + "ProgramService/UpdateProgram",
       {Need::kStaff, KC_REQ(UpdateProgramRequest, r.mutable_program()->set_name(t.program))}},
      {p + "ProgramService/UpdatePrescription",
       {Need::kStaff,
        KC_REQ(UpdatePrescriptionRequest, r.mutable_prescription()->set_name(t.prescription))}},
      {p + "ProgramService/PauseProgram",
       {Need::kStaff, KC_REQ(PauseProgramRequest, r.set_name(t.program))}},
      {p + "ProgramService/ResumeProgram",
       {Need::kStaff, KC_REQ(ResumeProgramRequest, r.set_name(t.program))}},
      {p + "ProgramService/ListDecisions",
       {Need::kPatientOrStaff, KC_REQ(ListDecisionsRequest, r.set_program(t.program))}},
      {p + "ProgramService/ApproveDecision",
       {Need::kStaff, KC_REQ(ApproveDecisionRequest, r.set_name(t.program + "/decisions/x"))}},
      {p + "ProgramService/RejectDecision",
       {Need::kStaff, KC_REQ(RejectDecisionRequest, r.set_name(t.program + "/decisions/x"))}},
      {p + "SessionService/GetTodaySession",
       {Need::kPatientOrStaff, KC_REQ(GetTodaySessionRequest, r.set_program(t.program))}},
      {p + "SessionService/ReportSession",
       {Need::kPatientOrStaff, KC_REQ(ReportSessionRequest, r.set_program(t.program))}},
      {p + "SessionService/ReportMorningCheckIn",
       {Need::kPatientOrStaff,
        KC_REQ(ReportMorningCheckInRequest, r.mutable_check_in()->set_program(t.program))}},
      {p + "SessionService/ListSessions",
       {Need::kPatientOrStaff, KC_REQ(ListSessionsRequest, r.set_program(t.program))}},
      {p + "SessionService/ListMorningCheckIns",
       {Need::kPatientOrStaff, KC_REQ(ListMorningCheckInsRequest, r.set_program(t.program))}},
      {p + "OutcomeService/GetQuestionnaire",
       {Need::kAnyone,
        KC_REQ(GetQuestionnaireRequest, (void)t; r.set_name("questionnaires/akps"))}},
      {p + "OutcomeService/RecordOutcome",
       {Need::kPatientOrStaff,
        KC_REQ(RecordOutcomeRequest, r.mutable_outcome()->set_program(t.program))}},
      {p + "OutcomeService/ListOutcomes",
       {Need::kPatientOrStaff, KC_REQ(ListOutcomesRequest, r.set_program(t.program))}},
      {p + "OutcomeService/GetProgress",
       {Need::kPatientOrStaff, KC_REQ(GetProgressRequest, r.set_program(t.program))}},
      {p + "AlertService/ListAlerts",
       {Need::kStaff, KC_REQ(ListAlertsRequest, r.set_program(t.program))}},
      {p + "AlertService/AcknowledgeAlert",
       {Need::kStaff, KC_REQ(AcknowledgeAlertRequest, r.set_name(t.program + "/alerts/x"))}},
      {p + "ProgramService/SimulateProgram",
       {Need::kStaff, KC_REQ(SimulateProgramRequest, (void)t; (void)r)}},
      {p + "ProtocolService/ListProtocols",
       {Need::kStaff, KC_REQ(ListProtocolsRequest, (void)t; (void)r)}},
      {p + "ProtocolService/GetProtocol",
       {Need::kStaff, KC_REQ(GetProtocolRequest, (void)t; r.set_name("protocols/default"))}},
      {p + "ProtocolService/CreateProtocol",
       {Need::kAdmin, KC_REQ(CreateProtocolRequest, (void)t; (void)r)}},
      {p + "AccessService/GetCurrentUser",
       {Need::kAnyone, KC_REQ(GetCurrentUserRequest, (void)t; (void)r)}},
      {p + "AccessService/GetClinic",
       {Need::kPatientOrStaff, KC_REQ(GetClinicRequest, r.set_name(t.clinic))}},
      {p + "AccessService/CreateUser", {Need::kAdmin, KC_REQ(CreateUserRequest, (void)t; (void)r)}},
      {p + "AccessService/ListUsers", {Need::kAdmin, KC_REQ(ListUsersRequest, (void)t; (void)r)}},
      {p + "AccessService/CreateEnrollmentCode",
       {Need::kStaff, KC_REQ(CreateEnrollmentCodeRequest, r.set_patient(t.patient))}},
      {p + "AccessService/ListAuditEntries",
       {Need::kAdmin, KC_REQ(ListAuditEntriesRequest, r.set_clinic(t.clinic))}},
  };
}
#undef KC_REQ

// Methods whose target is the caller's own clinic whatever the request says (tested with
// the three scopes all mapping to the caller's clinic).
bool ClinicWide(const std::string& method) {
  for (const char* m :
       {"ListExercises", "GetExercise", "ListLadders", "ListEducationCards", "GetEducationCard",
        "ListProtocols", "GetProtocol", "CreateProtocol", "CreateUser", "ListUsers",
        "GetCurrentUser", "SimulateProgram", "GetQuestionnaire"}) {
    if (absl::EndsWith(method, std::string("/") + m)) return true;
  }
  return false;
}

// Methods that name a clinic: own and sibling scopes are both clinics/north.
bool ClinicTargeted(const std::string& method) {
  for (const char* m : {"CreatePatient", "ListPatients", "GetClinic", "ListAuditEntries"}) {
    if (absl::EndsWith(method, std::string("/") + m)) return true;
  }
  return false;
}

// The spec of who may call: the answer the roles give.
bool Expected(const std::string& method, Need need, Role role, Scope scope, bool granted) {
  const bool clinic_wide = ClinicWide(method);
  if (role == kLimitedIntegrator && !granted) return false;
  if (need == Need::kAnyone) return true;
  if (ClinicTargeted(method)) {
    const bool own_clinic = (scope == kForeign) == (role == kForeignAdmin);
    if (!own_clinic) return false;
    if (need == Need::kAdmin) return role == kAdmin || role == kForeignAdmin;
    return role != kPatient || need == Need::kPatientOrStaff;
  }
  if (clinic_wide) {
    // The caller's own clinic: staff (and admins for admin methods).
    if (role == kPatient) return false;
    if (need == Need::kAdmin) return role == kAdmin || role == kForeignAdmin;
    return true;
  }
  if (role == kForeignAdmin) return scope == kForeign;
  if (scope == kForeign) return false;
  switch (role) {
    case kPatient:
      return need == Need::kPatientOrStaff && scope == kOwn;
    case kPhysio:
      return need != Need::kAdmin && scope == kOwn;
    case kOtherPhysio:
      return false;
    case kAdmin:
      return true;
    case kIntegrator:
      return need != Need::kAdmin;
    default:
      return false;
  }
}

class AccessMatrixTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    auto south =
        server_->core().BootstrapAdmin(RequestContext::System("bootstrap"), "south", "Sam South");
    ASSERT_TRUE(south.ok());
    tokens_[kForeignAdmin] = *south;
    tokens_[kAdmin] = token_;
    const std::string physio = CreateUser("Pia Physio", v1::ROLE_PHYSIOTHERAPIST, {});
    CreateUser("Otto Physio", v1::ROLE_PHYSIOTHERAPIST, {});
    std::vector<std::string> all;
    for (const auto& [method, spec] : Specs()) all.push_back(method);
    CreateUser("Ida Integrator", v1::ROLE_INTEGRATOR, all);
    CreateUser("Lee Limited", v1::ROLE_INTEGRATOR,
               {"/kneecoach.v1.ExerciseLibraryService/ListExercises"});

    targets_[kOwn] = MakeTarget(token_, "clinics/north");
    targets_[kSibling] = MakeTarget(token_, "clinics/north");
    targets_[kForeign] = MakeTarget(tokens_[kForeignAdmin], "clinics/south");
    // Pia looks after the own patient only.
    v1::UpdatePatientRequest assign;
    assign.mutable_patient()->set_name(targets_[kOwn].patient);
    assign.mutable_patient()->add_physiotherapists(physio);
    assign.mutable_update_mask()->add_paths("physiotherapists");
    v1::UpdatePatientResponse assigned;
    ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::UpdatePatient, assign, &assigned).ok());
    // The own patient's phone.
    v1::CreateEnrollmentCodeRequest code_request;
    code_request.set_patient(targets_[kOwn].patient);
    v1::CreateEnrollmentCodeResponse code;
    ASSERT_TRUE(
        Call(*access_, &v1::AccessService::Stub::CreateEnrollmentCode, code_request, &code).ok());
    v1::EnrollDeviceResponse enrolled;
    ASSERT_TRUE(CallAs(code.code(), *access_, &v1::AccessService::Stub::EnrollDevice,
                       v1::EnrollDeviceRequest(), &enrolled)
                    .ok());
    tokens_[kPatient] = enrolled.secret();
  }

  // Creates a user in clinics/north with a token; returns the user's name.
  std::string CreateUser(const std::string& name, v1::Role role,
                         const std::vector<std::string>& methods) {
    v1::CreateUserRequest request;
    request.mutable_user()->set_display_name(name);
    request.mutable_user()->set_role(role);
    for (const auto& m : methods) request.mutable_user()->add_granted_methods(m);
    v1::CreateUserResponse created;
    EXPECT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateUser, request, &created).ok());
    v1::CreateTokenRequest token_request;
    token_request.set_user(created.user().name());
    v1::CreateTokenResponse token;
    EXPECT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateToken, token_request, &token).ok());
    const Role r = role == v1::ROLE_PHYSIOTHERAPIST
                       ? (tokens_.count(kPhysio) ? kOtherPhysio : kPhysio)
                       : (tokens_.count(kIntegrator) ? kLimitedIntegrator : kIntegrator);
    tokens_[r] = token.secret();
    return created.user().name();
  }

  Target MakeTarget(const std::string& token, const std::string& clinic) {
    Target t;
    t.clinic = clinic;
    v1::CreatePatientRequest create;
    create.mutable_patient()->set_display_name("Pat");
    create.mutable_patient()->set_clinic(clinic);
    create.mutable_patient()->set_time_zone("UTC");
    create.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
    v1::CreatePatientResponse patient;
    EXPECT_TRUE(
        CallAs(token, *patients_, &v1::PatientService::Stub::CreatePatient, create, &patient).ok());
    t.patient = patient.patient().name();
    v1::CreateProgramRequest program_request;
    program_request.mutable_program()->set_patient(t.patient);
    v1::CreateProgramResponse program;
    EXPECT_TRUE(CallAs(token, *programs_, &v1::ProgramService::Stub::CreateProgram, program_request,
                       &program)
                    .ok());
    t.program = program.program().name();
    t.prescription = program.program().prescriptions(0).name();
    return t;
  }

  // Any unary method by name, through gRPC's generic stub.
  grpc::Status Invoke(const std::string& method, const std::string& token, const Message& request) {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    const std::string bytes = request.SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer in(&slice, 1);
    grpc::ByteBuffer out;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    grpc::Status status;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      status = s;
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
    return status;
  }

  std::map<Role, std::string> tokens_;
  Target targets_[kScopes];
};

TEST_F(AccessMatrixTest, EveryRpcEveryRoleEveryScope) {
  const auto specs = Specs();
  int checked = 0;
  for (const auto& [method, spec] : specs) {
    for (int s = 0; s < kScopes; ++s) {
      // Nothing answers without a token.
      {
        SCOPED_TRACE(absl::StrCat(method, " anonymous ", kScopeNames[s]));
        EXPECT_EQ(Invoke(method, "", *spec.request(targets_[s])).error_code(),
                  grpc::StatusCode::UNAUTHENTICATED);
      }
      for (int r = 0; r < kRoles; ++r) {
        const Role role = static_cast<Role>(r);
        const bool granted = method == "/kneecoach.v1.ExerciseLibraryService/ListExercises";
        const bool allowed = Expected(method, spec.need, role, static_cast<Scope>(s), granted);
        SCOPED_TRACE(absl::StrCat(method, " as ", kRoleNames[r], " on ", kScopeNames[s],
                                  allowed ? " (allowed)" : " (denied)"));
        const grpc::Status status = Invoke(method, tokens_[role], *spec.request(targets_[s]));
        if (allowed) {
          EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << status.error_message();
          EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
              << status.error_message();
        } else {
          EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
              << status.error_message();
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 700);
}

TEST_F(AccessMatrixTest, DeniedAndMissingLookAlike) {
  // A foreign admin cannot tell an existing patient of ours from one that never existed.
  v1::GetPatientRequest existing;
  existing.set_name(targets_[kOwn].patient);
  v1::GetPatientRequest missing;
  missing.set_name("patients/never-existed");
  const grpc::Status a =
      Invoke("/kneecoach.v1.PatientService/GetPatient", tokens_[kForeignAdmin], existing);
  const grpc::Status b =
      Invoke("/kneecoach.v1.PatientService/GetPatient", tokens_[kForeignAdmin], missing);
  EXPECT_EQ(a.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(b.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  const std::string id_a(absl::StripPrefix(existing.name(), "patients/"));
  EXPECT_EQ(a.error_message().find(id_a), std::string::npos);
}

TEST_F(AccessMatrixTest, PolicyAndMatrixCoverEveryRpcOfTheApi) {
  std::set<std::string> api;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const char* file :
       {"kneecoach/v1/exercise_library_service.proto", "kneecoach/v1/patient.proto",
        "kneecoach/v1/program.proto", "kneecoach/v1/session.proto", "kneecoach/v1/decision.proto",
        "kneecoach/v1/protocol.proto", "kneecoach/v1/access.proto", "kneecoach/v1/outcome.proto"}) {
    const auto* fd = pool->FindFileByName(file);
    ASSERT_NE(fd, nullptr) << file;
    for (int i = 0; i < fd->service_count(); ++i) {
      for (int j = 0; j < fd->service(i)->method_count(); ++j) {
        api.insert(
            absl::StrCat("/", fd->service(i)->full_name(), "/", fd->service(i)->method(j)->name()));
      }
    }
  }
  // The policy is the registry's access rules (method_rules in the protos).
  auto registry = MethodRegistry::Api();
  ASSERT_TRUE(registry.ok()) << registry.status();
  std::set<std::string> policy;
  for (const auto& method : (*registry)->methods()) {
    EXPECT_NE(method->access, v1::ACCESS_UNSPECIFIED) << method->full_name;
    policy.insert(method->full_name);
  }
  EXPECT_EQ(policy, api);
  // The matrix walks all of them but the user-scoped ones, tested in access_test.cc.
  std::set<std::string> walked;
  for (const auto& [method, spec] : Specs()) walked.insert(method);
  for (const auto& method : api) {
    if (walked.count(method)) continue;
    EXPECT_TRUE(absl::StrContains(method, "User") || absl::StrContains(method, "Token") ||
                absl::StrContains(method, "EnrollDevice"))
        << "not in the matrix: " << method;
  }
}

}  // namespace
}  // namespace kneecoach::testing
