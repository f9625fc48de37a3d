// Today's session follows the patient's calendar and the frequency rules; reports are
// stored once however often a phone retries.
#include <algorithm>

#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

bool HasExercise(const v1::Session& session, const std::string& slug) {
  return std::any_of(session.items().begin(), session.items().end(),
                     [&](const v1::SessionItem& i) { return i.exercise() == "exercises/" + slug; });
}

TEST_F(ServerTest, TodayIsThePatientsLocalDate) {
  // 2026-03-02 23:30 UTC is already 3 March in Tokyo and still 2 March in Los Angeles.
  clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 23, 30, 0), absl::UTCTimeZone()));
  const v1::Program tokyo = MakeProgram(MakePatient("Asia/Tokyo"));
  const v1::Program la = MakeProgram(MakePatient("America/Los_Angeles"));
  EXPECT_EQ(Today(tokyo).local_date(), "2026-03-03");
  EXPECT_EQ(Today(la).local_date(), "2026-03-02");
  EXPECT_EQ(Today(tokyo).program_day(), 1);
}

TEST_F(ServerTest, DefaultProgramStartsInSettleWithEducation) {
  const v1::Program program = MakeProgram(MakePatient());
  EXPECT_EQ(program.phase(), v1::PHASE_SETTLE);
  EXPECT_EQ(program.state(), v1::PROGRAM_STATE_ACTIVE);
  EXPECT_GT(program.prescriptions_size(), 0);
  const v1::Session today = Today(program);
  EXPECT_EQ(today.items_size(), program.prescriptions_size());  // day one: everything is due
  EXPECT_FALSE(today.education_cards().empty());
}

TEST_F(ServerTest, LoadedStrengthIsNotDueTwoDaysRunningButIsometricsAre) {
  const v1::Program program = MakeProgram(MakePatient(), {"quad-set", "bridge"});
  v1::Session today = Today(program);
  ASSERT_TRUE(HasExercise(today, "quad-set"));
  ASSERT_TRUE(HasExercise(today, "bridge"));
  v1::ReportSessionResponse reported;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                   ReportAll(today, 1, 0, "day-1"), &reported)
                  .ok());
  // Same day: both shown as done.
  today = Today(program);
  for (const auto& item : today.items()) EXPECT_TRUE(item.done()) << item.exercise();

  clock_.Advance(absl::Hours(24));  // day 2: the bridge (loaded strength) rests
  today = Today(program);
  EXPECT_TRUE(HasExercise(today, "quad-set"));
  EXPECT_FALSE(HasExercise(today, "bridge"));

  clock_.Advance(absl::Hours(24));  // day 3: 48 h later, due again
  today = Today(program);
  EXPECT_TRUE(HasExercise(today, "quad-set"));
  EXPECT_TRUE(HasExercise(today, "bridge"));
}

TEST_F(ServerTest, RetriedReportWithTheSameRequestIdStoresOneSession) {
  const v1::Program program = MakeProgram(MakePatient());
  const v1::Session today = Today(program);
  const v1::ReportSessionRequest request = ReportAll(today, 2, 1, "phone-7f3a");
  v1::ReportSessionResponse first;
  v1::ReportSessionResponse retry;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &first).ok());
  clock_.Advance(absl::Minutes(30));  // synced again later from offline
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &retry).ok());
  EXPECT_EQ(first.session().name(), retry.session().name());

  v1::ListSessionsRequest list;
  list.set_program(program.name());
  v1::ListSessionsResponse sessions;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListSessions, list, &sessions).ok());
  ASSERT_EQ(sessions.sessions_size(), 1);
  EXPECT_EQ(sessions.sessions(0).reports_size(), today.items_size());
}

TEST_F(ServerTest, OfflineReportLandsOnTheDayItWasDone) {
  const v1::Program program = MakeProgram(MakePatient("Europe/London"), {"quad-set"});
  const v1::Session today = Today(program);
  clock_.Advance(absl::Hours(48));
  v1::ReportSessionRequest request = ReportAll(today, 1, 0, "offline-1");
  request.mutable_perform_time()->set_seconds(absl::ToUnixSeconds(Start() + absl::Hours(2)));
  v1::ReportSessionResponse response;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, &response).ok());
  EXPECT_EQ(response.session().local_date(), "2026-03-02");
}

TEST_F(ServerTest, HistoryPagesNewestFirst) {
  const v1::Program program = MakeProgram(MakePatient(), {"quad-set"});
  for (int day = 0; day < 5; ++day) {
    v1::ReportSessionResponse response;
    ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                     ReportAll(Today(program), 1, 0, absl::StrCat("d", day)), &response)
                    .ok());
    clock_.Advance(absl::Hours(24));
  }
  v1::ListSessionsRequest list;
  list.set_program(program.name());
  list.set_page_size(2);
  std::vector<std::string> dates;
  do {
    v1::ListSessionsResponse page;
    ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListSessions, list, &page).ok());
    for (const auto& s : page.sessions()) dates.push_back(s.local_date());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(dates, (std::vector<std::string>{"2026-03-06", "2026-03-05", "2026-03-04", "2026-03-03",
                                             "2026-03-02"}));
}

TEST_F(ServerTest, PausedProgramHandsOutNoLoading) {
  const v1::Program program = MakeProgram(MakePatient());
  v1::PauseProgramRequest pause;
  pause.set_name(program.name());
  pause.set_reason("reviewing new swelling");
  v1::PauseProgramResponse paused;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::PauseProgram, pause, &paused).ok());
  EXPECT_EQ(paused.program().state(), v1::PROGRAM_STATE_PAUSED);
  const v1::Session today = Today(program);
  EXPECT_EQ(today.items_size(), 0);
  EXPECT_TRUE(today.program_paused());
  EXPECT_NE(today.message().find("paused"), std::string::npos);

  EXPECT_EQ(Call(*programs_, &v1::ProgramService::Stub::PauseProgram, pause, &paused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ResumeProgramRequest resume;
  resume.set_name(program.name());
  v1::ResumeProgramResponse resumed;
  EXPECT_EQ(
      Call(*programs_, &v1::ProgramService::Stub::ResumeProgram, resume, &resumed).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);  // a reason is required
  resume.set_reason("swelling settled");
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ResumeProgram, resume, &resumed).ok());
  EXPECT_GT(Today(program).items_size(), 0);
}

TEST_F(ServerTest, ClinicianDoseOverrideIsRecordedAndLocked) {
  const v1::Program program = MakeProgram(MakePatient(), {"bridge"});
  v1::UpdatePrescriptionRequest update;
  update.mutable_prescription()->set_name(program.prescriptions(0).name());
  update.mutable_prescription()->mutable_dose()->set_reps(8);
  update.mutable_update_mask()->add_paths("dose.reps");
  update.set_reason("keep volume low this week");
  v1::UpdatePrescriptionResponse updated;
  ASSERT_TRUE(
      Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated).ok());
  EXPECT_EQ(updated.prescription().dose().reps(), 8);
  EXPECT_EQ(updated.prescription().dose().sets(), program.prescriptions(0).dose().sets());
  EXPECT_TRUE(updated.prescription().locked());
  EXPECT_EQ(updated.decision().kind(), v1::DECISION_KIND_CLINICIAN_OVERRIDE);
  EXPECT_EQ(updated.decision().dose_before().reps(), program.prescriptions(0).dose().reps());

  v1::ListDecisionsRequest list;
  list.set_program(program.name());
  v1::ListDecisionsResponse decisions;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ListDecisions, list, &decisions).ok());
  ASSERT_EQ(decisions.decisions_size(), 1);
  EXPECT_EQ(decisions.decisions(0).review_reason(), "keep volume low this week");

  // Disallowed path, missing reason, bad dose: each INVALID_ARGUMENT naming the field.
  update.mutable_update_mask()->set_paths(0, "progress");
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("update_mask.paths[0]"));
  update.mutable_update_mask()->set_paths(0, "dose.reps");
  update.clear_reason();
  status = Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("reason"));
  update.set_reason("x");
  update.mutable_prescription()->mutable_dose()->set_reps(1000);
  status = Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated);
  EXPECT_THAT(ViolatedFields(status), ::testing::Contains("prescription.dose.reps"));
  update.mutable_prescription()->set_name(program.name() + "/prescriptions/99");
  update.mutable_prescription()->mutable_dose()->set_reps(9);
  EXPECT_EQ(Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Today's plans are kept in memory between calls (PlanCache): every kind of write that
// changes a plan, and the patient's midnight, must show in the very next GetTodaySession,
// in both views.
TEST_F(ServerTest, PlanRoundsReadACompletedProgramOnlyOnce) {
  const v1::Patient patient = MakePatient();
  const v1::Program first = MakeProgram(patient, {"quad-set"});
  const v1::Program second = MakeProgram(patient, {"bridge"});  // completes the first
  v1::GetProgramRequest get;
  get.set_name(first.name());
  v1::GetProgramResponse got;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::GetProgram, get, &got).ok());
  ASSERT_EQ(got.program().state(), v1::PROGRAM_STATE_COMPLETED);

  Core& core = server_->core();
  const int64_t skipped = core.sessions().completed_programs_skipped();
  ASSERT_TRUE(core.sessions()
                  .PreparePlans(RequestContext::System("test"))
                  .ok());  // reads the first program, finds it completed
  EXPECT_EQ(core.sessions().completed_programs_skipped(), skipped);
  ASSERT_TRUE(core.sessions().PreparePlans(RequestContext::System("test")).ok());
  ASSERT_TRUE(core.sessions().PreparePlans(RequestContext::System("test")).ok());
  EXPECT_EQ(core.sessions().completed_programs_skipped(), skipped + 2);
  // The current program's plan is kept; the completed one still answers when asked.
  const PlanCache::Stats before = core.plan_cache_stats();
  EXPECT_EQ(Today(second).items_size(), 1);
  EXPECT_EQ(core.plan_cache_stats().hits, before.hits + 1);
  const v1::Session replaced = Today(first);
  EXPECT_EQ(replaced.items_size(), 0);
  EXPECT_NE(replaced.message().find("completed"), std::string::npos);
}

TEST_F(ServerTest, TodaysPlanFollowsEveryWriteAndTheLocalDate) {
  const v1::Patient patient = MakePatient("Europe/London");
  const v1::Program program = MakeProgram(patient, {"quad-set", "bridge"});
  auto today = [&](v1::SessionView view) {
    v1::GetTodaySessionRequest request;
    request.set_program(program.name());
    request.set_view(view);
    v1::GetTodaySessionResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.session();
  };
  auto reps_of = [](const v1::Session& s, const std::string& prescription) {
    for (const auto& item : s.items()) {
      if (item.prescription() == prescription) return item.dose().reps();
    }
    return -1;
  };
  const std::string bridge = program.prescriptions(1).name();

  const v1::Session first = today(v1::SESSION_VIEW_FULL);
  ASSERT_EQ(first.items_size(), 2);
  EXPECT_EQ(first.local_date(), "2026-03-02");
  EXPECT_FALSE(first.items(0).done());
  EXPECT_FALSE(first.items(0).display_name().empty());
  EXPECT_EQ(today(v1::SESSION_VIEW_FULL).DebugString(), first.DebugString());  // kept
  const v1::Session basic = today(v1::SESSION_VIEW_BASIC);
  EXPECT_EQ(basic.items_size(), 2);
  EXPECT_TRUE(basic.items(0).display_name().empty());

  // Writes that cannot change a plan keep every plan; a write to one program keeps the
  // others'.
  const v1::Program other = MakeProgram(MakePatient("Europe/Paris"), {"quad-set"});
  auto other_is_kept = [&] {
    const PlanCache::Stats before = server_->core().plan_cache_stats();
    v1::GetTodaySessionRequest request;
    request.set_program(other.name());
    v1::GetTodaySessionResponse response;
    EXPECT_TRUE(
        Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response).ok());
    const PlanCache::Stats after = server_->core().plan_cache_stats();
    return after.hits == before.hits + 1 && after.misses == before.misses;
  };
  other_is_kept();  // made (or already made in the background) and kept from here on
  EXPECT_TRUE(other_is_kept());
  MakePatient();
  EXPECT_TRUE(other_is_kept());

  // A clinician's dose change.
  v1::UpdatePrescriptionRequest update;
  update.mutable_prescription()->set_name(bridge);
  update.mutable_prescription()->mutable_dose()->set_reps(7);
  update.mutable_update_mask()->add_paths("dose.reps");
  update.set_reason("fewer reps this week");
  v1::UpdatePrescriptionResponse updated;
  ASSERT_TRUE(
      Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated).ok());
  EXPECT_EQ(reps_of(today(v1::SESSION_VIEW_FULL), bridge), 7);
  EXPECT_EQ(reps_of(today(v1::SESSION_VIEW_BASIC), bridge), 7);
  EXPECT_TRUE(other_is_kept());

  // The patient's report: both items done.
  v1::ReportSessionResponse reported;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                   ReportAll(today(v1::SESSION_VIEW_BASIC), 1, 1, "plan-r1"), &reported)
                  .ok());
  const v1::Session after_report = today(v1::SESSION_VIEW_FULL);
  ASSERT_EQ(after_report.items_size(), 2);
  for (const auto& item : after_report.items()) EXPECT_TRUE(item.done()) << item.prescription();

  // Pause and resume.
  v1::PauseProgramRequest pause;
  pause.set_name(program.name());
  pause.set_reason("new swelling");
  v1::PauseProgramResponse paused;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::PauseProgram, pause, &paused).ok());
  EXPECT_TRUE(today(v1::SESSION_VIEW_BASIC).program_paused());
  v1::ResumeProgramRequest resume;
  resume.set_name(program.name());
  resume.set_reason("settled");
  v1::ResumeProgramResponse resumed;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ResumeProgram, resume, &resumed).ok());
  EXPECT_FALSE(today(v1::SESSION_VIEW_FULL).program_paused());

  // The patient's time zone: 09:00 UTC on the 2nd is still the 1st in Pago Pago (-11).
  v1::UpdatePatientRequest move;
  move.mutable_patient()->set_name(patient.name());
  move.mutable_patient()->set_time_zone("Pacific/Pago_Pago");
  move.mutable_update_mask()->add_paths("time_zone");
  v1::UpdatePatientResponse moved;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::UpdatePatient, move, &moved).ok());
  EXPECT_EQ(today(v1::SESSION_VIEW_BASIC).local_date(), "2026-03-01");

  // The patient's midnight: a new day's plan, nothing done on it yet.
  clock_.Advance(absl::Hours(26));
  const v1::Session next = today(v1::SESSION_VIEW_FULL);
  EXPECT_EQ(next.local_date(), "2026-03-03");
  for (const auto& item : next.items()) EXPECT_FALSE(item.done()) << item.prescription();

  const PlanCache::Stats stats = server_->core().plan_cache_stats();
  EXPECT_GT(stats.hits, 0u);  // some calls were served from kept plans
}

}  // namespace
}  // namespace kneecoach::testing
