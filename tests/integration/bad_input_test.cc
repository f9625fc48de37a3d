// Every bad input gets the exact status code, names the field, and changes nothing.
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

using ::testing::Contains;  // gmock

TEST_F(ServerTest, CreatePatientRejectsBadFieldsAndStoresNothing) {
  struct Case {
    const char* what;
    std::function<void(v1::Patient&)> breaks;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"empty name", [](v1::Patient& p) { p.set_display_name(""); }, "patient.display_name"},
      {"blank name", [](v1::Patient& p) { p.set_display_name("   "); }, "patient.display_name"},
      {"long name", [](v1::Patient& p) { p.set_display_name(std::string(201, 'x')); },
       "patient.display_name"},
      {"unknown zone", [](v1::Patient& p) { p.set_time_zone("Mars/Olympus"); },
       "patient.time_zone"},
      {"path zone", [](v1::Patient& p) { p.set_time_zone("../../etc/passwd"); },
       "patient.time_zone"},
      {"no clinic", [](v1::Patient& p) { p.clear_clinic(); }, "patient.clinic"},
      {"bad clinic", [](v1::Patient& p) { p.set_clinic("north"); }, "patient.clinic"},
      {"no side", [](v1::Patient& p) { p.clear_affected_sides(); }, "patient.affected_sides"},
      {"unspecified side",
       [](v1::Patient& p) { p.set_affected_sides(0, v1::KNEE_SIDE_UNSPECIFIED); },
       "patient.affected_sides[0]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::CreatePatientRequest request;
    auto* p = request.mutable_patient();
    p->set_display_name("Sam");
    p->set_clinic("clinics/north");
    p->set_time_zone("Europe/Paris");
    p->add_affected_sides(v1::KNEE_SIDE_RIGHT);
    c.breaks(*p);
    v1::CreatePatientResponse response;
    grpc::Status status =
        Call(*patients_, &v1::PatientService::Stub::CreatePatient, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), Contains(c.field));
    EXPECT_NE(status.error_message().find(c.field), std::string::npos) << status.error_message();
  }
  v1::ListPatientsRequest list;
  list.set_page_size(200);
  v1::ListPatientsResponse listed;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ListPatients, list, &listed).ok());
  EXPECT_EQ(listed.patients_size(), 0);
}

// Patient-scoped ids that do not exist are PERMISSION_DENIED, exactly like ids of another
// clinic: a caller learns nothing about what exists outside their scope. Library entries
// (public) are NOT_FOUND.
TEST_F(ServerTest, UnknownIdsAreDeniedOrNotFoundAndMalformedNamesInvalid) {
  v1::GetPatientRequest get_patient;
  v1::GetPatientResponse patient;
  get_patient.set_name("patients/nobody");
  EXPECT_EQ(
      Call(*patients_, &v1::PatientService::Stub::GetPatient, get_patient, &patient).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  get_patient.set_name("people/nobody");
  grpc::Status malformed =
      Call(*patients_, &v1::PatientService::Stub::GetPatient, get_patient, &patient);
  EXPECT_EQ(malformed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(malformed), Contains("name"));

  v1::GetProgramRequest get_program;
  v1::GetProgramResponse program;
  get_program.set_name("programs/none");
  EXPECT_EQ(
      Call(*programs_, &v1::ProgramService::Stub::GetProgram, get_program, &program).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  v1::GetExerciseRequest get_exercise;
  v1::GetExerciseResponse exercise;
  get_exercise.set_name("exercises/moonwalk");
  EXPECT_EQ(Call(*library_, &v1::ExerciseLibraryService::Stub::GetExercise, get_exercise, &exercise)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::GetTodaySessionRequest today;
  v1::GetTodaySessionResponse session;
  today.set_program("programs/none");
  EXPECT_EQ(
      Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, today, &session).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  v1::CreateProgramRequest create;
  v1::CreateProgramResponse created;
  create.mutable_program()->set_patient("patients/nobody");
  EXPECT_EQ(
      Call(*programs_, &v1::ProgramService::Stub::CreateProgram, create, &created).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // Within scope, an unknown child is NOT_FOUND.
  const v1::Program real = MakeProgram(MakePatient());
  v1::UpdatePrescriptionRequest update;
  update.mutable_prescription()->set_name(real.name() + "/prescriptions/999");
  update.mutable_prescription()->set_locked(true);
  update.mutable_update_mask()->add_paths("locked");
  v1::UpdatePrescriptionResponse updated;
  EXPECT_EQ(Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServerTest, PagingInputsAreChecked) {
  struct Case {
    int page_size;
    const char* token;
    const char* field;
  };
  for (const Case& c : {Case{201, "", "page_size"}, Case{-1, "", "page_size"},
                        Case{10, "garbage!", "page_token"}, Case{10, "a2MxOi01", "page_token"}}) {
    SCOPED_TRACE(absl::StrCat(c.page_size, " ", c.token));
    v1::ListExercisesRequest request;
    request.set_page_size(c.page_size);
    request.set_page_token(c.token);
    v1::ListExercisesResponse response;
    grpc::Status status =
        Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), Contains(c.field));

    v1::ListPatientsRequest patients;
    patients.set_page_size(c.page_size);
    patients.set_page_token(c.token);
    v1::ListPatientsResponse listed;
    status = Call(*patients_, &v1::PatientService::Stub::ListPatients, patients, &listed);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  v1::ListExercisesRequest max;
  max.set_page_size(200);
  v1::ListExercisesResponse response;
  EXPECT_TRUE(
      Call(*library_, &v1::ExerciseLibraryService::Stub::ListExercises, max, &response).ok());
}

TEST_F(ServerTest, CreateProgramRejectsUnknownExerciseAndBadDose) {
  const v1::Patient patient = MakePatient();
  v1::CreateProgramRequest request;
  request.mutable_program()->set_patient(patient.name());
  request.mutable_program()->add_prescriptions()->set_exercise("exercises/moonwalk");
  auto* second = request.mutable_program()->add_prescriptions();
  second->set_exercise("exercises/bridge");
  second->mutable_dose()->set_sets(3);
  second->mutable_dose()->set_reps(-5);
  v1::CreateProgramResponse response;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::CreateProgram, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), Contains("program.prescriptions[0].exercise"));
  EXPECT_THAT(ViolatedFields(status), Contains("program.prescriptions[1].dose.reps"));

  v1::ListProgramsRequest list;
  list.set_patient(patient.name());
  v1::ListProgramsResponse programs;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ListPrograms, list, &programs).ok());
  EXPECT_EQ(programs.programs_size(), 0);
}

TEST_F(ServerTest, ReportSessionRejectsBadReportsAndStoresNothing) {
  const v1::Program program = MakeProgram(MakePatient());
  const v1::Session today = Today(program);
  ASSERT_GT(today.items_size(), 0);
  const std::string first = today.items(0).prescription();
  struct Case {
    const char* what;
    std::function<void(v1::ReportSessionRequest&)> breaks;
    grpc::StatusCode code;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"pain 11", [](auto& r) { r.mutable_reports(0)->set_pain_during(11); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].pain_during"},
      {"pain -1", [](auto& r) { r.mutable_reports(0)->set_pain_during(-1); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].pain_during"},
      {"no pain", [](auto& r) { r.mutable_reports(0)->clear_pain_during(); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].pain_during"},
      {"after 12", [](auto& r) { r.mutable_reports(0)->set_pain_after_1h(12); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].pain_after_1h"},
      {"negative sets", [](auto& r) { r.mutable_reports(0)->set_sets_done(-3); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].sets_done"},
      {"no request id", [](auto& r) { r.clear_request_id(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "request_id"},
      {"bad request id", [](auto& r) { r.set_request_id("has space"); },
       grpc::StatusCode::INVALID_ARGUMENT, "request_id"},
      {"no reports", [](auto& r) { r.clear_reports(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "reports"},
      {"twice", [first](auto& r) { r.add_reports()->CopyFrom(r.reports(0)); },
       grpc::StatusCode::INVALID_ARGUMENT, ""},
      {"foreign prescription",
       [](auto& r) { r.mutable_reports(0)->set_prescription("programs/other/prescriptions/1"); },
       grpc::StatusCode::INVALID_ARGUMENT, "reports[0].prescription"},
      {"future",
       [](auto& r) { r.mutable_perform_time()->set_seconds(absl::ToUnixSeconds(Start()) + 86400); },
       grpc::StatusCode::INVALID_ARGUMENT, "perform_time"},
      {"before start",
       [](auto& r) {
         r.mutable_perform_time()->set_seconds(absl::ToUnixSeconds(Start()) - 3 * 86400);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "perform_time"},
      {"unknown program", [](auto& r) { r.set_program("programs/none"); },
       grpc::StatusCode::PERMISSION_DENIED, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::ReportSessionRequest request = ReportAll(today, 2, 1, "report-1");
    c.breaks(request);
    v1::ReportSessionResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &response);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message();
    if (*c.field) {
      EXPECT_THAT(ViolatedFields(status), Contains(c.field));
    }
  }
  v1::ListSessionsRequest list;
  list.set_program(program.name());
  v1::ListSessionsResponse sessions;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListSessions, list, &sessions).ok());
  EXPECT_EQ(sessions.sessions_size(), 0);
  // The failed attempts did not burn the request id.
  v1::ReportSessionResponse ok;
  EXPECT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                   ReportAll(today, 2, 1, "report-1"), &ok)
                  .ok());
}

TEST_F(ServerTest, CheckInRejectsBadPainAndFlags) {
  const v1::Program program = MakeProgram(MakePatient());
  struct Case {
    const char* what;
    std::function<void(v1::MorningCheckIn&)> breaks;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"pain 11", [](auto& c) { c.set_morning_pain(11); }, "check_in.morning_pain"},
      {"no pain", [](auto& c) { c.clear_morning_pain(); }, "check_in.morning_pain"},
      {"usual -1", [](auto& c) { c.set_usual_pain(-1); }, "check_in.usual_pain"},
      {"unknown flag", [](auto& c) { c.add_red_flags(static_cast<v1::RedFlag>(99)); },
       "check_in.red_flags[0]"},
      {"bad date", [](auto& c) { c.set_local_date("2026-02-30"); }, "check_in.local_date"},
      {"future date", [](auto& c) { c.set_local_date("2026-03-09"); }, "check_in.local_date"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::ReportMorningCheckInRequest request;
    request.set_request_id("checkin-1");
    request.mutable_check_in()->set_program(program.name());
    request.mutable_check_in()->set_morning_pain(1);
    c.breaks(*request.mutable_check_in());
    v1::ReportMorningCheckInResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ReportMorningCheckIn, request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    EXPECT_THAT(ViolatedFields(status), Contains(c.field));
  }
  v1::ListMorningCheckInsRequest list;
  list.set_program(program.name());
  v1::ListMorningCheckInsResponse listed;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListMorningCheckIns, list, &listed).ok());
  EXPECT_EQ(listed.check_ins_size(), 0);
}

}  // namespace
}  // namespace kneecoach::testing
