// Credentials, enrollment, audit, export, erasure, limits and TLS.
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

class AccessTest : public ServerTest {
 protected:
  v1::User NewUser(const std::string& name, v1::Role role) {
    v1::CreateUserRequest request;
    request.mutable_user()->set_display_name(name);
    request.mutable_user()->set_role(role);
    v1::CreateUserResponse response;
    EXPECT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateUser, request, &response).ok());
    return response.user();
  }

  v1::CreateTokenResponse NewToken(const std::string& user, int ttl_days = 0,
                                   const std::string& as = "") {
    v1::CreateTokenRequest request;
    request.set_user(user);
    request.set_ttl_days(ttl_days);
    v1::CreateTokenResponse response;
    const grpc::Status status = CallAs(as.empty() ? token_ : as, *access_,
                                       &v1::AccessService::Stub::CreateToken, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::StatusCode WhoAmI(const std::string& token, v1::User* user = nullptr) {
    v1::GetCurrentUserResponse response;
    const grpc::Status status = CallAs(token, *access_, &v1::AccessService::Stub::GetCurrentUser,
                                       v1::GetCurrentUserRequest(), &response);
    if (user != nullptr) *user = response.user();
    return status.error_code();
  }

  std::string Enroll(const std::string& patient, grpc::StatusCode* code = nullptr) {
    v1::CreateEnrollmentCodeRequest request;
    request.set_patient(patient);
    v1::CreateEnrollmentCodeResponse enrollment;
    EXPECT_TRUE(
        Call(*access_, &v1::AccessService::Stub::CreateEnrollmentCode, request, &enrollment).ok());
    if (code != nullptr) *code = grpc::StatusCode::OK;
    return enrollment.code();
  }

  std::string DatabaseBytes() {
    std::string all;
    for (const char* suffix : {"", "-wal"}) {
      std::ifstream in((dir_ / "kneecoach.db").string() + suffix, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      all += content.str();
    }
    return all;
  }

  std::vector<v1::AuditEntry> Audit() {
    v1::ListAuditEntriesRequest request;
    request.set_page_size(200);
    v1::ListAuditEntriesResponse response;
    EXPECT_TRUE(
        Call(*access_, &v1::AccessService::Stub::ListAuditEntries, request, &response).ok());
    return {response.audit_entries().begin(), response.audit_entries().end()};
  }
};

TEST_F(AccessTest, BadCredentialsAreUnauthenticated) {
  EXPECT_EQ(WhoAmI(token_), grpc::StatusCode::OK);
  EXPECT_EQ(WhoAmI(""), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(WhoAmI("kc_not-a-real-token"), grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext context;
  context.AddMetadata("authorization", token_);  // no "Bearer "
  v1::GetCurrentUserResponse response;
  EXPECT_EQ(access_->GetCurrentUser(&context, {}, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, TokensExpireAndCanBeRevoked) {
  const v1::User physio = NewUser("Pia", v1::ROLE_PHYSIOTHERAPIST);
  const auto short_lived = NewToken(physio.name(), 1);
  const auto revoked = NewToken(physio.name());
  v1::User me;
  EXPECT_EQ(WhoAmI(short_lived.secret(), &me), grpc::StatusCode::OK);
  EXPECT_EQ(me.name(), physio.name());

  v1::RevokeTokenRequest revoke;
  revoke.set_name(revoked.token().name());
  v1::RevokeTokenResponse revoked_response;
  ASSERT_TRUE(CallAs(revoked.secret(), *access_, &v1::AccessService::Stub::RevokeToken, revoke,
                     &revoked_response)
                  .ok());  // anyone may revoke their own token
  EXPECT_EQ(WhoAmI(revoked.secret()), grpc::StatusCode::UNAUTHENTICATED);

  clock_.Advance(absl::Hours(25));
  EXPECT_EQ(WhoAmI(short_lived.secret()), grpc::StatusCode::UNAUTHENTICATED);

  const auto fresh = NewToken(physio.name());
  v1::UpdateUserRequest disable;
  disable.mutable_user()->set_name(physio.name());
  disable.mutable_user()->set_disabled(true);
  disable.mutable_update_mask()->add_paths("disabled");
  v1::UpdateUserResponse disabled;
  ASSERT_TRUE(Call(*access_, &v1::AccessService::Stub::UpdateUser, disable, &disabled).ok());
  EXPECT_EQ(WhoAmI(fresh.secret()), grpc::StatusCode::UNAUTHENTICATED);
}

// Credentials and scopes are cached in memory (service/core/access_cache.h): every write
// that changes them must take effect on the very next call, including for credentials and
// patients that were just used (and so cached).
TEST_F(AccessTest, CachedCredentialsAndScopesFollowEveryWrite) {
  const v1::User physio = NewUser("Pia", v1::ROLE_PHYSIOTHERAPIST);
  const std::string secret = NewToken(physio.name()).secret();
  const v1::Patient patient = MakePatient();
  auto get_patient = [&]() {
    v1::GetPatientRequest request;
    request.set_name(patient.name());
    v1::GetPatientResponse response;
    return CallAs(secret, *patients_, &v1::PatientService::Stub::GetPatient, request, &response)
        .error_code();
  };
  auto assign = [&](bool assigned) {
    v1::UpdatePatientRequest update;
    update.mutable_patient()->set_name(patient.name());
    if (assigned) update.mutable_patient()->add_physiotherapists(physio.name());
    update.mutable_update_mask()->add_paths("physiotherapists");
    v1::UpdatePatientResponse response;
    return Call(*patients_, &v1::PatientService::Stub::UpdatePatient, update, &response);
  };
  auto set_disabled = [&](bool disabled) {
    v1::UpdateUserRequest update;
    update.mutable_user()->set_name(physio.name());
    update.mutable_user()->set_disabled(disabled);
    update.mutable_update_mask()->add_paths("disabled");
    v1::UpdateUserResponse response;
    return Call(*access_, &v1::AccessService::Stub::UpdateUser, update, &response);
  };

  EXPECT_EQ(get_patient(), grpc::StatusCode::PERMISSION_DENIED);  // not assigned yet
  ASSERT_TRUE(assign(true).ok());
  EXPECT_EQ(get_patient(), grpc::StatusCode::OK);
  EXPECT_EQ(get_patient(), grpc::StatusCode::OK);  // served from the cache
  ASSERT_TRUE(assign(false).ok());
  EXPECT_EQ(get_patient(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(assign(true).ok());

  EXPECT_EQ(WhoAmI(secret), grpc::StatusCode::OK);
  ASSERT_TRUE(set_disabled(true).ok());
  EXPECT_EQ(WhoAmI(secret), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(get_patient(), grpc::StatusCode::UNAUTHENTICATED);
  ASSERT_TRUE(set_disabled(false).ok());
  EXPECT_EQ(get_patient(), grpc::StatusCode::OK);

  // An erased patient is gone for everyone at once, cached scope or not.
  v1::ErasePatientRequest erase;
  erase.set_name(patient.name());
  erase.set_reason("patient asked");
  v1::ErasePatientResponse erased;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ErasePatient, erase, &erased).ok());
  EXPECT_EQ(get_patient(), grpc::StatusCode::PERMISSION_DENIED);
}

// ListPrograms without a patient lists what the caller may see, never another clinic's.
TEST_F(AccessTest, ListProgramsWithoutAPatientListsWhatTheCallerMaySee) {
  const v1::Patient assigned = MakePatient();
  const v1::Patient other = MakePatient();
  const v1::Program assigned_program = MakeProgram(assigned);
  const v1::Program other_program = MakeProgram(other);
  const v1::Program other_second = MakeProgram(other);

  const v1::User physio = NewUser("Pia", v1::ROLE_PHYSIOTHERAPIST);
  const std::string physio_token = NewToken(physio.name()).secret();
  v1::UpdatePatientRequest assign;
  assign.mutable_patient()->set_name(assigned.name());
  assign.mutable_patient()->add_physiotherapists(physio.name());
  assign.mutable_update_mask()->add_paths("physiotherapists");
  v1::UpdatePatientResponse updated;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::UpdatePatient, assign, &updated).ok());

  v1::EnrollDeviceRequest device;
  device.set_device_name("phone");
  v1::EnrollDeviceResponse enrolled;
  ASSERT_TRUE(CallAs(Enroll(other.name()), *access_, &v1::AccessService::Stub::EnrollDevice, device,
                     &enrolled)
                  .ok());

  // Another clinic's patient and program.
  auto south =
      server_->core().BootstrapAdmin(RequestContext::System("bootstrap"), "south", "Sol Admin");
  ASSERT_TRUE(south.ok()) << south.status();
  v1::CreatePatientRequest create;
  create.mutable_patient()->set_display_name("Sam South");
  create.mutable_patient()->set_clinic("clinics/south");
  create.mutable_patient()->set_time_zone("Europe/London");
  create.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
  v1::CreatePatientResponse south_patient;
  ASSERT_TRUE(
      CallAs(*south, *patients_, &v1::PatientService::Stub::CreatePatient, create, &south_patient)
          .ok());
  v1::CreateProgramRequest program;
  program.mutable_program()->set_patient(south_patient.patient().name());
  v1::CreateProgramResponse south_program;
  ASSERT_TRUE(
      CallAs(*south, *programs_, &v1::ProgramService::Stub::CreateProgram, program, &south_program)
          .ok());

  auto listed = [&](const std::string& token) {
    std::set<std::string> names;
    v1::ListProgramsRequest request;
    request.set_page_size(2);  // pages, so the filter holds across page tokens
    do {
      v1::ListProgramsResponse response;
      const grpc::Status status =
          CallAs(token, *programs_, &v1::ProgramService::Stub::ListPrograms, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& p : response.programs()) names.insert(p.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return names;
  };
  EXPECT_EQ(listed(token_), (std::set<std::string>{assigned_program.name(), other_program.name(),
                                                   other_second.name()}));
  EXPECT_EQ(listed(physio_token), (std::set<std::string>{assigned_program.name()}));
  EXPECT_EQ(listed(enrolled.secret()),
            (std::set<std::string>{other_program.name(), other_second.name()}));
  EXPECT_EQ(listed(*south), (std::set<std::string>{south_program.program().name()}));

  // Naming a patient still works, and still needs the patient in scope.
  v1::ListProgramsRequest named;
  named.set_patient(other.name());
  v1::ListProgramsResponse response;
  EXPECT_EQ(
      CallAs(physio_token, *programs_, &v1::ProgramService::Stub::ListPrograms, named, &response)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallAs(*south, *programs_, &v1::ProgramService::Stub::ListPrograms, named, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AccessTest, UsersManageOnlyTheirOwnTokensUnlessAdmin) {
  const v1::User a = NewUser("A", v1::ROLE_PHYSIOTHERAPIST);
  const v1::User b = NewUser("B", v1::ROLE_PHYSIOTHERAPIST);
  const std::string a_token = NewToken(a.name()).secret();
  v1::CreateTokenRequest for_b;
  for_b.set_user(b.name());
  v1::CreateTokenResponse response;
  EXPECT_EQ(CallAs(a_token, *access_, &v1::AccessService::Stub::CreateToken, for_b, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateTokenRequest for_a;
  for_a.set_user(a.name());
  EXPECT_TRUE(
      CallAs(a_token, *access_, &v1::AccessService::Stub::CreateToken, for_a, &response).ok());
  // A physiotherapist cannot create staff.
  v1::CreateUserRequest create;
  create.mutable_user()->set_display_name("Eve");
  create.mutable_user()->set_role(v1::ROLE_CLINIC_ADMIN);
  v1::CreateUserResponse created;
  EXPECT_EQ(CallAs(a_token, *access_, &v1::AccessService::Stub::CreateUser, create, &created)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Patients are never created directly: they enroll.
  create.mutable_user()->set_role(v1::ROLE_PATIENT);
  EXPECT_EQ(Call(*access_, &v1::AccessService::Stub::CreateUser, create, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccessTest, SecretsAreNeverStoredInClear) {
  const v1::User physio = NewUser("Pia", v1::ROLE_PHYSIOTHERAPIST);
  const std::string secret = NewToken(physio.name()).secret();
  const v1::Patient patient = MakePatient();
  const std::string code = Enroll(patient.name());
  const std::string db = DatabaseBytes();
  ASSERT_FALSE(db.empty());
  for (const std::string& s : {token_, secret, code}) {
    EXPECT_EQ(db.find(s), std::string::npos) << "found a credential in the database";
    EXPECT_EQ(db.find(s.substr(3, 16)), std::string::npos);
  }
}

TEST_F(AccessTest, EnrollmentCodesWorkOnceAndOnlyForEnrollment) {
  const v1::Program program = MakeProgram(MakePatient());
  const std::string code = Enroll(program.patient());
  // The code is no token for anything else.
  EXPECT_EQ(WhoAmI(code), grpc::StatusCode::PERMISSION_DENIED);
  v1::EnrollDeviceRequest device;
  device.set_device_name("Sam's phone");
  v1::EnrollDeviceResponse enrolled;
  // Typed in lower case on a phone: still accepted.
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  ASSERT_TRUE(
      CallAs(typed, *access_, &v1::AccessService::Stub::EnrollDevice, device, &enrolled).ok());
  EXPECT_EQ(enrolled.user().role(), v1::ROLE_PATIENT);
  EXPECT_EQ(enrolled.user().patient(), program.patient());
  const std::vector<v1::AuditEntry> audit = Audit();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.front().method(), "/kneecoach.v1.AccessService/EnrollDevice");
  EXPECT_EQ(audit.front().actor(), enrolled.user().name());
  EXPECT_EQ(audit.front().resource(), program.patient());
  EXPECT_EQ(CallAs(code, *access_, &v1::AccessService::Stub::EnrollDevice, device, &enrolled)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // A token for anything but enrollment is refused there.
  EXPECT_EQ(Call(*access_, &v1::AccessService::Stub::EnrollDevice, device, &enrolled).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  const std::string late = Enroll(program.patient());
  clock_.Advance(absl::Hours(49));
  EXPECT_EQ(CallAs(late, *access_, &v1::AccessService::Stub::EnrollDevice, device, &enrolled)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(AccessTest, EveryWriteIsAuditedWithItsRequestIdAndOnlyOnce) {
  const v1::Program program = MakeProgram(MakePatient());
  const std::string code = Enroll(program.patient());
  v1::EnrollDeviceResponse phone;
  ASSERT_TRUE(CallAs(code, *access_, &v1::AccessService::Stub::EnrollDevice,
                     v1::EnrollDeviceRequest(), &phone)
                  .ok());
  v1::GetTodaySessionRequest today_request;
  today_request.set_program(program.name());
  v1::GetTodaySessionResponse today;
  ASSERT_TRUE(CallAs(phone.secret(), *sessions_, &v1::SessionService::Stub::GetTodaySession,
                     today_request, &today)
                  .ok());
  const v1::ReportSessionRequest report = ReportAll(today.session(), 2, 1, "phone-req-1");
  v1::ReportSessionResponse reported;
  const size_t before = Audit().size();
  ASSERT_TRUE(CallAs(phone.secret(), *sessions_, &v1::SessionService::Stub::ReportSession, report,
                     &reported)
                  .ok());
  ASSERT_TRUE(CallAs(phone.secret(), *sessions_, &v1::SessionService::Stub::ReportSession, report,
                     &reported)
                  .ok());
  v1::ReportSessionRequest bad = report;
  bad.set_request_id("phone-req-2");
  bad.mutable_reports(0)->set_pain_during(42);
  EXPECT_FALSE(
      CallAs(phone.secret(), *sessions_, &v1::SessionService::Stub::ReportSession, bad, &reported)
          .ok());
  const std::vector<v1::AuditEntry> entries = Audit();
  ASSERT_EQ(entries.size(), before + 1)
      << "one write, one entry; the replay and the rejected write add none";
  const v1::AuditEntry& e = entries.front();  // newest first
  EXPECT_EQ(e.actor(), phone.user().name());
  EXPECT_EQ(e.actor_role(), v1::ROLE_PATIENT);
  EXPECT_EQ(e.method(), "/kneecoach.v1.SessionService/ReportSession");
  EXPECT_EQ(e.resource(), program.name());
  EXPECT_EQ(e.request_id(), "phone-req-1");
  EXPECT_TRUE(e.has_time());
}

TEST_F(AccessTest, PatientsExportTheirDataAndAdminsErase) {
  const v1::Program program = MakeProgram(MakePatient());
  v1::ReportSessionResponse reported;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                   ReportAll(Today(program), 2, 1, "r1"), &reported)
                  .ok());
  v1::RecordOutcomeRequest outcome;
  outcome.set_request_id("o1");
  outcome.mutable_outcome()->set_program(program.name());
  outcome.mutable_outcome()->set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
  outcome.mutable_outcome()->set_value(11);
  v1::RecordOutcomeResponse recorded;
  ASSERT_TRUE(Call(*outcomes_, &v1::OutcomeService::Stub::RecordOutcome, outcome, &recorded).ok());
  const std::string code = Enroll(program.patient());
  v1::EnrollDeviceResponse phone;
  ASSERT_TRUE(CallAs(code, *access_, &v1::AccessService::Stub::EnrollDevice,
                     v1::EnrollDeviceRequest(), &phone)
                  .ok());

  v1::ExportPatientDataRequest export_request;
  export_request.set_name(program.patient());
  v1::ExportPatientDataResponse exported;
  ASSERT_TRUE(CallAs(phone.secret(), *patients_, &v1::PatientService::Stub::ExportPatientData,
                     export_request, &exported)
                  .ok());
  EXPECT_TRUE(absl::StrContains(exported.json(), "\"display_name\":\"Sam Runner\""));
  EXPECT_TRUE(absl::StrContains(exported.json(), reported.session().name()));
  EXPECT_TRUE(absl::StrContains(exported.json(), recorded.outcome().name()));
  EXPECT_TRUE(absl::StartsWith(exported.json(), "{\"patient\":"));

  v1::ErasePatientRequest erase;
  erase.set_name(program.patient());
  v1::ErasePatientResponse erased;
  EXPECT_EQ(
      CallAs(phone.secret(), *patients_, &v1::PatientService::Stub::ErasePatient, erase, &erased)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Call(*patients_, &v1::PatientService::Stub::ErasePatient, erase, &erased).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // a reason is required
  erase.set_reason("patient asked to be forgotten");
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ErasePatient, erase, &erased).ok());

  v1::GetPatientRequest get;
  get.set_name(program.patient());
  v1::GetPatientResponse patient;
  EXPECT_EQ(Call(*patients_, &v1::PatientService::Stub::GetPatient, get, &patient).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WhoAmI(phone.secret()), grpc::StatusCode::UNAUTHENTICATED);
  std::vector<v1::AuditEntry> about;
  for (const auto& e : Audit()) {
    if (absl::StrContains(e.resource(), program.patient()) || e.resource() == program.name()) {
      about.push_back(e);
    }
  }
  ASSERT_EQ(about.size(), 1u);
  EXPECT_EQ(about[0].method(), "/kneecoach.v1.PatientService/ErasePatient");
  // Nothing of the patient remains in the database file once checkpointed.
  const std::string db = DatabaseBytes();
  EXPECT_EQ(db.find(reported.session().name()), std::string::npos);
  EXPECT_EQ(db.find(recorded.outcome().name()), std::string::npos);
}

TEST_F(AccessTest, OversizedInputsGetCleanStatuses) {
  v1::CreatePatientRequest request;
  request.mutable_patient()->set_display_name(std::string(20000, 'x'));
  v1::CreatePatientResponse response;
  grpc::Status status =
      Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ViolatedFields(status).count("patient.display_name"));

  request.mutable_patient()->set_display_name(std::string(5 * 1024 * 1024, 'x'));
  status = Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::ReportSessionRequest report;
  report.set_program("programs/x");
  for (int i = 0; i < 1001; ++i) report.add_reports();
  v1::ReportSessionResponse reported;
  status = Call(*sessions_, &v1::SessionService::Stub::ReportSession, report, &reported);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AccessTest, PlaintextIsRefusedOffLoopback) {
  ServerOptions options;
  options.listen = "0.0.0.0:0";
  options.db_path = (dir_ / "other.db").string();
  options.data_dir = KNEECOACH_TEST_DATA_DIR;
  auto server = KneecoachServer::Start(options, clock_);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(server.status().message(), "--tls_cert"));
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST_F(AccessTest, ServesTlsWithTheGivenCertificate) {
  const std::string cert = (dir_ / "cert.pem").string();
  const std::string key = (dir_ / "key.pem").string();
  const std::string command = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  ASSERT_EQ(std::system(command.c_str()), 0) << "openssl is needed for this test";
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = (dir_ / "tls.db").string();
  options.data_dir = KNEECOACH_TEST_DATA_DIR;
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  auto server = KneecoachServer::Start(options, clock_);
  ASSERT_TRUE(server.ok()) << server.status();
  auto admin = (*server)->core().BootstrapAdmin(RequestContext::System("bootstrap"), "tls", "T");
  ASSERT_TRUE(admin.ok());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = Slurp(cert);
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto channel = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                           grpc::SslCredentials(ssl), args);
  auto access = v1::AccessService::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + *admin);
  v1::GetCurrentUserResponse me;
  ASSERT_TRUE(access->GetCurrentUser(&context, {}, &me).ok());
  EXPECT_EQ(me.user().role(), v1::ROLE_CLINIC_ADMIN);

  auto plain = v1::AccessService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext plain_context;
  plain_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  plain_context.AddMetadata("authorization", "Bearer " + *admin);
  EXPECT_FALSE(plain->GetCurrentUser(&plain_context, {}, &me).ok());
}

TEST_F(AccessTest, HealthNeedsNoToken) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext context;
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(&context, {}, &response).ok());
}

}  // namespace
}  // namespace kneecoach::testing
