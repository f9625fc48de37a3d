// Issue 16, the red-team findings against the server: each test is the attack, through the
// real server, and what the server must answer instead.
#include <sys/stat.h>

#include <climits>
#include <functional>
#include <thread>

#include "SQLiteCpp/Database.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/unknown_field_set.h"
#include "service/domain/dates.h"
#include "service/store/sqlite_store.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

class HardeningTest : public ServerTest {
 protected:
  // The cadence module of finding 1: step_index + 1 overflowed on the next GREEN run.
  static v1::CadenceModule OverflowingCadence() {
    v1::CadenceModule c;
    c.set_enabled(true);
    c.set_baseline_spm(160);
    c.set_step_index(INT_MAX);
    c.set_target_spm(1);
    c.set_green_streak(100);
    return c;
  }

  // Stops the server, lets `edit` change the stored data, and starts it again on the same
  // database (new port, new stubs).
  void RestartWith(const std::function<void(Txn&)>& edit) {
    server_.reset();
    {
      SqliteStoreOptions store_options;
      store_options.path = (dir_ / "kneecoach.db").string();
      auto store = SqliteStore::Open(store_options);
      ASSERT_TRUE(store.ok()) << store.status();
      auto txn = (*store)->Begin(/*write=*/true);
      ASSERT_TRUE(txn.ok()) << txn.status();
      edit(**txn);
      ASSERT_TRUE((*txn)->Commit().ok());
    }
    StartServer();
  }

  bool ServerAnswers() {
    v1::ListExercisesRequest request;
    v1::ListExercisesResponse response;
    return Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response)
        .ok();
  }

  v1::Program RunnerProgram(const v1::Patient& patient) {
    v1::CreateProgramRequest request;
    request.mutable_program()->set_patient(patient.name());
    request.mutable_program()->add_prescriptions()->set_exercise("exercises/run-walk-stage-1");
    request.mutable_program()->mutable_cadence()->set_enabled(true);
    request.mutable_program()->mutable_cadence()->set_baseline_spm(160);
    request.mutable_program()->mutable_cadence()->set_step_index(-1);
    v1::CreateProgramResponse response;
    grpc::Status status =
        Call(*programs_, &v1::ProgramService::Stub::CreateProgram, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.program();
  }

  // An enrollment code for `patient`, and the phone's EnrollDevice answer.
  v1::EnrollDeviceResponse Enroll(const v1::Patient& patient, const std::string& device) {
    v1::CreateEnrollmentCodeRequest code_request;
    code_request.set_patient(patient.name());
    v1::CreateEnrollmentCodeResponse code;
    EXPECT_TRUE(
        Call(*access_, &v1::AccessService::Stub::CreateEnrollmentCode, code_request, &code).ok());
    v1::EnrollDeviceRequest enroll;
    enroll.set_device_name(device);
    v1::EnrollDeviceResponse enrolled;
    grpc::Status status =
        CallAs(code.code(), *access_, &v1::AccessService::Stub::EnrollDevice, enroll, &enrolled);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return enrolled;
  }

  // The google.rpc.RetryInfo delay attached to `status` (zero if none), read from the wire
  // (RetryInfo: field 1, a google.protobuf.Duration).
  static absl::Duration RetryDelay(const grpc::Status& status) {
    google::rpc::Status details;
    if (!details.ParseFromString(status.error_details())) return absl::ZeroDuration();
    for (const auto& any : details.details()) {
      if (any.type_url() != "type.googleapis.com/google.rpc.RetryInfo") continue;
      google::protobuf::UnknownFieldSet fields;
      google::protobuf::Duration delay;
      if (fields.ParseFromString(any.value()) && fields.field_count() == 1 &&
          fields.field(0).number() == 1 &&
          delay.ParseFromString(fields.field(0).length_delimited())) {
        return absl::Seconds(delay.seconds()) + absl::Nanoseconds(delay.nanos());
      }
    }
    return absl::ZeroDuration();
  }

  // One number from the server's database (read while it runs).
  int64_t Count(const std::string& sql) {
    SQLite::Database db((dir_ / "kneecoach.db").string(), SQLite::OPEN_READONLY);
    return db.execAndGet(sql).getInt64();
  }
};

// Finding 1: the one-request crash, through SimulateProgram.
TEST_F(HardeningTest, Finding1SimulateRefusesCadenceOutOfTheProtocolsSteps) {
  v1::SimulateProgramRequest request;
  request.set_start_date("2026-03-02");
  request.mutable_program()->add_prescriptions()->set_exercise("exercises/run-walk-stage-1");
  *request.mutable_program()->mutable_cadence() = OverflowingCadence();
  auto* event = request.add_events();
  event->set_local_date("2026-03-02");
  event->mutable_session()->set_pain_during(0);
  event->mutable_session()->set_pain_after_1h(0);
  v1::SimulateProgramResponse response;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("program.cadence.step_index"));
  EXPECT_TRUE(ServerAnswers());
}

// Finding 1: the same values cannot be stored by CreateProgram or UpdateProgram.
TEST_F(HardeningTest, Finding1CreateAndUpdateProgramRefuseCadenceOutOfRange) {
  const v1::Patient patient = MakePatient();
  v1::CreateProgramRequest create;
  create.mutable_program()->set_patient(patient.name());
  create.mutable_program()->add_prescriptions()->set_exercise("exercises/run-walk-stage-1");
  *create.mutable_program()->mutable_cadence() = OverflowingCadence();
  v1::CreateProgramResponse created;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::CreateProgram, create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("program.cadence.step_index"));

  create.mutable_program()->mutable_cadence()->set_step_index(0);
  create.mutable_program()->mutable_cadence()->set_baseline_spm(-5);
  status = Call(*programs_, &v1::ProgramService::Stub::CreateProgram, create, &created);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("program.cadence.baseline_spm"));

  const v1::Program program = RunnerProgram(patient);
  for (const char* path : {"cadence", "cadence.step_index"}) {
    v1::UpdateProgramRequest update;
    update.mutable_program()->set_name(program.name());
    *update.mutable_program()->mutable_cadence() = OverflowingCadence();
    update.mutable_update_mask()->add_paths(path);
    update.set_reason("cadence");
    v1::UpdateProgramResponse updated;
    status = Call(*programs_, &v1::ProgramService::Stub::UpdateProgram, update, &updated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    EXPECT_THAT(ViolatedFields(status), ::testing::Contains("program.cadence.step_index"));
  }
  // Fewer cadence steps than the stored step needs is refused too.
  v1::UpdateProgramRequest cadence;
  cadence.mutable_program()->set_name(program.name());
  cadence.mutable_program()->mutable_cadence()->set_enabled(true);
  cadence.mutable_program()->mutable_cadence()->set_baseline_spm(160);
  cadence.mutable_program()->mutable_cadence()->set_step_index(1);
  cadence.mutable_update_mask()->add_paths("cadence");
  cadence.set_reason("second step");
  v1::UpdateProgramResponse updated;
  status = Call(*programs_, &v1::ProgramService::Stub::UpdateProgram, cadence, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.program().cadence().target_spm(), 176);  // 160 + 10%, not the client's
  v1::UpdateProgramRequest rules;
  rules.mutable_program()->set_name(program.name());
  *rules.mutable_program()->mutable_rules() = updated.program().rules();
  rules.mutable_program()->mutable_rules()->mutable_cadence()->mutable_steps()->RemoveLast();
  rules.mutable_update_mask()->add_paths("rules");
  rules.set_reason("one step only");
  status = Call(*programs_, &v1::ProgramService::Stub::UpdateProgram, rules, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("program.cadence.step_index"));
}

// Finding 1: a corrupt stored program is an error on that program, never a crash, also
// after a restart, while every other program goes on.
TEST_F(HardeningTest, Finding1CorruptStoredCadenceIsAnErrorOnThatProgramOnly) {
  const v1::Program bad = RunnerProgram(MakePatient());
  const v1::Program good = RunnerProgram(MakePatient());
  RestartWith([&](Txn& txn) {
    const std::string id = bad.name().substr(std::string("programs/").size());
    auto program = txn.GetProgram(id);
    ASSERT_TRUE(program.ok());
    *program->mutable_cadence() = OverflowingCadence();
    ASSERT_TRUE(txn.UpdateProgram(id, *program).ok());
  });
  const v1::Session session = Today(bad);
  ASSERT_GT(session.items_size(), 0);
  v1::ReportSessionResponse response;
  grpc::Status status = Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                             ReportAll(session, 0, 0, "green-run"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr(bad.name()));
  EXPECT_TRUE(ServerAnswers());
  status = Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                ReportAll(Today(good), 0, 0, "green-run-2"), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Finding 2: a request_id another clinic used is not a replay of their record, and a reused
// id with another body is refused.
TEST_F(HardeningTest, Finding2RequestIdsAreScopedByClinicCallerAndBody) {
  auto south =
      server_->core().BootstrapAdmin(RequestContext::System("bootstrap"), "south", "Sol Admin");
  ASSERT_TRUE(south.ok()) << south.status();
  v1::CreatePatientRequest theirs;
  theirs.set_request_id("same-id");
  theirs.mutable_patient()->set_display_name("Southern Patient");
  theirs.mutable_patient()->set_clinic("clinics/south");
  theirs.mutable_patient()->set_time_zone("UTC");
  theirs.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
  v1::CreatePatientResponse their_patient;
  ASSERT_TRUE(
      CallAs(*south, *patients_, &v1::PatientService::Stub::CreatePatient, theirs, &their_patient)
          .ok());

  v1::CreatePatientRequest ours = theirs;
  ours.mutable_patient()->set_display_name("Northern Patient");
  ours.mutable_patient()->set_clinic("clinics/north");
  v1::CreatePatientResponse our_patient;
  grpc::Status status =
      Call(*patients_, &v1::PatientService::Stub::CreatePatient, ours, &our_patient);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(our_patient.patient().name(), their_patient.patient().name());
  EXPECT_EQ(our_patient.patient().display_name(), "Northern Patient");

  v1::CreatePatientResponse replayed;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::CreatePatient, ours, &replayed).ok());
  EXPECT_EQ(replayed.patient().name(), our_patient.patient().name());

  ours.mutable_patient()->set_display_name("Someone Else");
  status = Call(*patients_, &v1::PatientService::Stub::CreatePatient, ours, &replayed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("request_id"));
}

// Finding 4: SimulateProgram reads a protocol only where GetProtocol may.
TEST_F(HardeningTest, Finding4SimulateCannotReadAnotherClinicsProtocol) {
  auto south =
      server_->core().BootstrapAdmin(RequestContext::System("bootstrap"), "south", "Sol Admin");
  ASSERT_TRUE(south.ok()) << south.status();
  v1::GetProtocolRequest get;
  get.set_name("protocols/default");
  v1::GetProtocolResponse fetched;
  ASSERT_TRUE(Call(*protocols_, &v1::ProtocolService::Stub::GetProtocol, get, &fetched).ok());
  v1::CreateProtocolRequest create;
  *create.mutable_protocol() = fetched.protocol();
  create.mutable_protocol()->set_id("southern");
  create.mutable_protocol()->clear_name();
  v1::CreateProtocolResponse created;
  grpc::Status status =
      CallAs(*south, *protocols_, &v1::ProtocolService::Stub::CreateProtocol, create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(created.protocol().name(), "protocols/south--southern");

  // The same id chosen by another clinic is its own protocol: an ALREADY_EXISTS here would
  // tell north that south uses "southern".
  status = Call(*protocols_, &v1::ProtocolService::Stub::CreateProtocol, create, &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.protocol().name(), "protocols/north--southern");
  status = Call(*protocols_, &v1::ProtocolService::Stub::CreateProtocol, create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << "only its own";

  v1::SimulateProgramRequest simulate;
  simulate.set_start_date("2026-03-02");
  v1::SimulateProgramResponse simulated;
  for (const char* name : {"protocols/south--southern", "protocols/nowhere"}) {
    simulate.set_protocol_name(name);
    status = Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << name;
  }
  status =
      CallAs(*south, *programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  simulate.set_protocol_name("protocols/south--southern");
  status =
      CallAs(*south, *programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Finding 5: a simulation's size is bounded.
TEST_F(HardeningTest, Finding5SimulateRefusesTooManyEvents) {
  v1::SimulateProgramRequest simulate;
  simulate.set_start_date("2026-03-02");
  for (int i = 0; i < 1000; ++i) {
    auto* e = simulate.add_events();
    e->set_local_date(FormatLocalDate(absl::CivilDay(2026, 3, 2) + i / 2));
    e->mutable_check_in()->set_morning_pain(1);
  }
  v1::SimulateProgramResponse simulated;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("events"));
}

// Finding 6: unknown fields are not stored and served back.
TEST_F(HardeningTest, Finding6UnknownFieldsAreNotStored) {
  v1::CreatePatientRequest request;
  request.mutable_patient()->set_display_name("Sam Runner");
  request.mutable_patient()->set_clinic("clinics/north");
  request.mutable_patient()->set_time_zone("UTC");
  request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
  request.mutable_patient()
      ->GetReflection()
      ->MutableUnknownFields(request.mutable_patient())
      ->AddLengthDelimited(4000, std::string(100000, 'x'));
  v1::CreatePatientResponse created;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &created).ok());
  EXPECT_TRUE(created.patient().GetReflection()->GetUnknownFields(created.patient()).empty());
  v1::GetPatientRequest get;
  get.set_name(created.patient().name());
  v1::GetPatientResponse fetched;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::GetPatient, get, &fetched).ok());
  EXPECT_TRUE(fetched.patient().GetReflection()->GetUnknownFields(fetched.patient()).empty());
  EXPECT_LT(fetched.ByteSizeLong(), 1000u);
}

// Finding 8: the database, its WAL and SHM are 0600 and a directory made for them 0700,
// whatever the umask.
TEST_F(HardeningTest, Finding8DatabaseFilesArePrivate) {
  const mode_t old = ::umask(0);
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = (dir_ / "fresh" / "kneecoach.db").string();
  options.data_dir = KNEECOACH_TEST_DATA_DIR;
  auto server = KneecoachServer::Start(options, clock_);
  ::umask(old);
  ASSERT_TRUE(server.ok()) << server.status();
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode(dir_ / "fresh"), 0700u);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    EXPECT_EQ(mode(dir_ / "fresh" / absl::StrCat("kneecoach.db", suffix)), 0600u) << suffix;
  }
}

// Finding 9: field masks are checked against the message.
TEST_F(HardeningTest, Finding9FieldMaskPathsMustNameFields) {
  const v1::Program program = MakeProgram(MakePatient(), {"quad-set"});
  for (const char* path : {"dose..sets", "dose.nonexistent", "dose.sets\nE forged line"}) {
    v1::UpdatePrescriptionRequest request;
    *request.mutable_prescription() = program.prescriptions(0);
    request.mutable_prescription()->mutable_dose()->set_sets(0);
    request.mutable_update_mask()->add_paths(path);
    request.set_reason("mask");
    v1::UpdatePrescriptionResponse response;
    grpc::Status status =
        Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    EXPECT_THAT(ViolatedFields(status), ::testing::Contains("update_mask.paths[0]")) << path;
  }
  v1::GetProgramRequest get;
  get.set_name(program.name());
  v1::GetProgramResponse fetched;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::GetProgram, get, &fetched).ok());
  EXPECT_FALSE(fetched.program().prescriptions(0).locked());
  EXPECT_GT(fetched.program().prescriptions(0).dose().sets(), 0);
}

// Finding 10: a perform_time past 2262 is in the future, not "10 minutes ago".
TEST_F(HardeningTest, Finding10FarFutureTimestampsDoNotWrapAround) {
  const v1::Program program = MakeProgram(MakePatient(), {"quad-set"});
  for (int year : {2611, 9999}) {
    v1::ReportSessionRequest request = ReportAll(Today(program), 1, 1, absl::StrCat("far-", year));
    request.mutable_perform_time()->set_seconds(absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilSecond(year, 3, 2, 8, 50, 0), absl::UTCTimeZone())));
    v1::ReportSessionResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << year;
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr("future")) << year;
  }
}

// Finding 7: enrollment codes cannot be guessed at speed: failures from one peer are
// refused after a burst with RESOURCE_EXHAUSTED and a retry delay, and audited.
TEST_F(HardeningTest, Finding7FailedEnrollmentsAreRateLimitedAndAudited) {
  const v1::Patient patient = MakePatient();
  v1::CreateEnrollmentCodeRequest code_request;
  code_request.set_patient(patient.name());
  v1::CreateEnrollmentCodeResponse code;
  ASSERT_TRUE(
      Call(*access_, &v1::AccessService::Stub::CreateEnrollmentCode, code_request, &code).ok());
  v1::EnrollDeviceRequest enroll;
  v1::EnrollDeviceResponse enrolled;
  grpc::Status status;
  int failures = 0;
  for (; failures < 50; ++failures) {
    status =
        CallAs("KC-AAAA-AAAA", *access_, &v1::AccessService::Stub::EnrollDevice, enroll, &enrolled);
    if (status.error_code() != grpc::StatusCode::UNAUTHENTICATED) break;
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_GE(failures, 3);
  EXPECT_LE(failures, 20);
  const absl::Duration delay = RetryDelay(status);
  EXPECT_GT(delay, absl::ZeroDuration());
  // While refused, even the right code is not tried.
  status = CallAs(code.code(), *access_, &v1::AccessService::Stub::EnrollDevice, enroll, &enrolled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE instr(data, 'failed sign-in') > 0"), failures);
  // A valid token from the same peer (every patient behind the web app's gateway shares
  // it) is still served: the budget is for guesses, not for signed-in users.
  v1::GetCurrentUserResponse me;
  status =
      Call(*access_, &v1::AccessService::Stub::GetCurrentUser, v1::GetCurrentUserRequest(), &me);
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Another client behind the gateway (x-forwarded-for from loopback) has its own budget.
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer KC-BBBB-BBBB");
    context.AddMetadata("x-forwarded-for", "192.0.2.7");
    EXPECT_EQ(access_->EnrollDevice(&context, enroll, &enrolled).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  clock_.Advance(delay);
  status = CallAs(code.code(), *access_, &v1::AccessService::Stub::EnrollDevice, enroll, &enrolled);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

// Finding 11: erasing a patient erases its user's traces too: audit entries of its own
// token operations and stored responses with its device's label.
TEST_F(HardeningTest, Finding11ErasureLeavesNoTraceOfThePatientsUser) {
  const v1::Patient patient = MakePatient();
  const v1::EnrollDeviceResponse phone = Enroll(patient, "Sams phone");
  v1::CreateTokenRequest mint;
  mint.set_user(phone.user().name());
  mint.set_display_name("Sams tablet");
  v1::CreateTokenResponse minted;
  grpc::Status status =
      CallAs(phone.secret(), *access_, &v1::AccessService::Stub::CreateToken, mint, &minted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::RevokeTokenRequest revoke;
  revoke.set_name(minted.token().name());
  revoke.set_request_id("revoke-tablet");
  v1::RevokeTokenResponse revoked;
  status =
      CallAs(phone.secret(), *access_, &v1::AccessService::Stub::RevokeToken, revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const std::string user = phone.user().name();
  ASSERT_GT(Count(absl::StrCat("SELECT count(*) FROM audit WHERE instr(data, '", user, "') > 0")),
            0);

  v1::ErasePatientRequest erase;
  erase.set_name(patient.name());
  erase.set_reason("patient asked");
  v1::ErasePatientResponse erased;
  status = Call(*patients_, &v1::PatientService::Stub::ErasePatient, erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM audit WHERE instr(data, '", user, "') > 0")),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM requests WHERE instr(response, 'Sams tablet') > 0"), 0);
  EXPECT_EQ(
      Count(absl::StrCat("SELECT count(*) FROM requests WHERE instr(scope, '", user, "') > 0")), 0);
  EXPECT_EQ(Count(absl::StrCat("SELECT count(*) FROM audit WHERE instr(data, '", patient.name(),
                               "') > 0")),
            1);  // the erasure's own entry
}

// Finding 12: a patient's token mints few tokens, none outliving it, none that mint, and
// revoking it revokes them.
TEST_F(HardeningTest, Finding12TokensMadeWithAPhonesTokenAreBounded) {
  const v1::EnrollDeviceResponse phone = Enroll(MakePatient(), "phone");
  v1::CreateTokenRequest mint;
  mint.set_user(phone.user().name());
  mint.set_ttl_days(365);
  v1::CreateTokenResponse first;
  grpc::Status status =
      CallAs(phone.secret(), *access_, &v1::AccessService::Stub::CreateToken, mint, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_LE(first.token().expire_time().seconds(), phone.token().expire_time().seconds());
  // A token so made makes none.
  v1::CreateTokenResponse grandchild;
  status =
      CallAs(first.secret(), *access_, &v1::AccessService::Stub::CreateToken, mint, &grandchild);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A few at most.
  int made = 1;
  for (; made < 20; ++made) {
    v1::CreateTokenResponse more;
    status = CallAs(phone.secret(), *access_, &v1::AccessService::Stub::CreateToken, mint, &more);
    if (!status.ok()) break;
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_LT(made, 10);
  // Revoking the phone's token cuts off what it made.
  v1::RevokeTokenRequest revoke;
  revoke.set_name(phone.token().name());
  v1::RevokeTokenResponse revoked;
  ASSERT_TRUE(Call(*access_, &v1::AccessService::Stub::RevokeToken, revoke, &revoked).ok());
  v1::GetCurrentUserRequest who;
  v1::GetCurrentUserResponse me;
  status = CallAs(first.secret(), *access_, &v1::AccessService::Stub::GetCurrentUser, who, &me);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// Finding 14: names with terminal escapes, NUL or bidi overrides are refused, and page
// tokens do not tell a table's row count.
TEST_F(HardeningTest, Finding14ControlCharactersInNamesAndOpaquePageTokens) {
  for (const std::string& name : {std::string("Sam\x1b[2J"), std::string("Sam\0Runner", 10),
                                  std::string("Sam \u202eRunner"), std::string("Sam\nRunner")}) {
    v1::CreatePatientRequest request;
    request.mutable_patient()->set_display_name(name);
    request.mutable_patient()->set_clinic("clinics/north");
    request.mutable_patient()->set_time_zone("UTC");
    request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
    v1::CreatePatientResponse response;
    grpc::Status status =
        Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << absl::CEscape(name);
    EXPECT_THAT(ViolatedFields(status), ::testing::Contains("patient.display_name"));
  }
  MakePatient();
  MakePatient();
  v1::ListPatientsRequest list;
  list.set_page_size(1);
  v1::ListPatientsResponse page;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ListPatients, list, &page).ok());
  ASSERT_FALSE(page.next_page_token().empty());
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(page.next_page_token(), &raw));
  EXPECT_FALSE(absl::StrContains(raw, "kc1:"));
  list.set_page_token(page.next_page_token());
  v1::ListPatientsResponse next;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ListPatients, list, &next).ok());
  EXPECT_EQ(next.patients_size(), 1);
}

}  // namespace
}  // namespace kneecoach::testing
