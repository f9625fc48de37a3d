// A paused program through the API: what was done before the pause is kept without changing
// anything, what was done after it is refused in words a patient can act on, today's plan
// lists nothing and says why, check-ins and outcomes are still recorded (a red flag is never
// refused), and the clinician can still approve or reject the engine's proposals.
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

// The PreconditionFailure violation types attached to `status` (empty if none).
std::vector<std::string> PreconditionTypes(const grpc::Status& status) {
  std::vector<std::string> types;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return types;
  for (const auto& any : details.details()) {
    google::rpc::PreconditionFailure failure;
    if (any.type_url() == "type.googleapis.com/google.rpc.PreconditionFailure" &&
        failure.ParseFromString(any.value())) {
      for (const auto& v : failure.violations()) types.push_back(v.type());
    }
  }
  return types;
}

google::protobuf::Timestamp At(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class PausedTest : public ServerTest {
 protected:
  // The program is made at Start() (09:00 UTC); the pause comes two hours later.
  static absl::Time PauseAt() { return Start() + absl::Hours(2); }

  v1::Program MakeUtcProgram(v1::ApprovalMode mode = v1::APPROVAL_MODE_AUTOMATIC) {
    v1::CreateProgramRequest request;
    request.mutable_program()->set_patient(MakePatient("UTC").name());
    request.mutable_program()->set_approval_mode(mode);
    request.mutable_program()->add_prescriptions()->set_exercise("exercises/bridge");
    v1::CreateProgramResponse response;
    grpc::Status status =
        Call(*programs_, &v1::ProgramService::Stub::CreateProgram, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.program();
  }

  // Pauses `program` at the clock's time.
  v1::Program Pause(const v1::Program& program, const std::string& reason) {
    v1::PauseProgramRequest request;
    request.set_name(program.name());
    request.set_reason(reason);
    v1::PauseProgramResponse response;
    grpc::Status status =
        Call(*programs_, &v1::ProgramService::Stub::PauseProgram, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.program();
  }

  v1::Program Get(const v1::Program& program) {
    v1::GetProgramRequest request;
    request.set_name(program.name());
    v1::GetProgramResponse response;
    EXPECT_TRUE(Call(*programs_, &v1::ProgramService::Stub::GetProgram, request, &response).ok());
    return response.program();
  }

  grpc::Status Report(const v1::ReportSessionRequest& request,
                      v1::ReportSessionResponse* response) {
    return Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, response);
  }

  std::vector<v1::Session> Sessions(const v1::Program& program) {
    v1::ListSessionsRequest request;
    request.set_program(program.name());
    v1::ListSessionsResponse response;
    EXPECT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ListSessions, request, &response).ok());
    return {response.sessions().begin(), response.sessions().end()};
  }

  std::vector<v1::Decision> Decisions(const v1::Program& program,
                                      v1::DecisionState state = v1::DECISION_STATE_UNSPECIFIED) {
    v1::ListDecisionsRequest request;
    request.set_program(program.name());
    request.set_state(state);
    v1::ListDecisionsResponse response;
    EXPECT_TRUE(
        Call(*programs_, &v1::ProgramService::Stub::ListDecisions, request, &response).ok());
    return {response.decisions().begin(), response.decisions().end()};
  }

  grpc::Status CheckIn(const v1::Program& program, int pain, const std::string& id,
                       std::vector<v1::RedFlag> flags, v1::ReportMorningCheckInResponse* out) {
    v1::ReportMorningCheckInRequest request;
    request.set_request_id(id);
    request.mutable_check_in()->set_program(program.name());
    request.mutable_check_in()->set_morning_pain(pain);
    for (v1::RedFlag f : flags) request.mutable_check_in()->add_red_flags(f);
    return Call(*sessions_, &v1::SessionService::Stub::ReportMorningCheckIn, request, out);
  }
};

TEST_F(PausedTest, SessionDoneBeforeThePauseIsStoredButChangesNothing) {
  const v1::Program program = MakeUtcProgram();
  const v1::Session plan = Today(program);
  ASSERT_EQ(plan.items_size(), 1);
  clock_.Set(PauseAt());
  const v1::Program paused = Pause(program, "flare after the weekend");
  ASSERT_TRUE(paused.has_pause_time());
  EXPECT_EQ(paused.pause_time().seconds(), absl::ToUnixSeconds(PauseAt()));

  // Done offline at 10:00, an hour before the pause; the phone syncs at 15:00.
  clock_.Set(PauseAt() + absl::Hours(4));
  v1::ReportSessionRequest request = ReportAll(plan, 1, 0, "offline-before-pause");
  *request.mutable_perform_time() = At(PauseAt() - absl::Hours(1));
  v1::ReportSessionResponse response;
  const grpc::Status status = Report(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.decisions().empty());
  EXPECT_TRUE(response.alerts().empty());
  EXPECT_EQ(response.session().traffic_light(), v1::TRAFFIC_LIGHT_GREEN) << "still judged";
  EXPECT_EQ(response.session().message(),
            "Recorded. Your program was paused after you did this session, so it does not "
            "change your exercises; your physiotherapist can see it.");

  const std::vector<v1::Session> stored = Sessions(program);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].name(), response.session().name());
  EXPECT_EQ(stored[0].local_date(), "2026-03-02");

  // Nothing adapted: no streak counted, no decision beyond the pause, still paused.
  const v1::Program after = Get(program);
  EXPECT_EQ(after.state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(after.prescriptions(0).progress().green_streak(), 0);
  EXPECT_EQ(after.prescriptions(0).progress().last_done_date(), "");
  EXPECT_EQ(after.prescriptions(0).dose().SerializeAsString(),
            program.prescriptions(0).dose().SerializeAsString());
  const std::vector<v1::Decision> decisions = Decisions(program);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].kind(), v1::DECISION_KIND_PAUSE);

  // A retry gets the same answer and stores nothing twice.
  v1::ReportSessionResponse retry;
  ASSERT_TRUE(Report(request, &retry).ok());
  EXPECT_EQ(retry.session().name(), response.session().name());
  EXPECT_EQ(Sessions(program).size(), 1u);
}

TEST_F(PausedTest, SessionDoneAfterThePauseIsRefusedInPlainWords) {
  const v1::Program program = MakeUtcProgram();
  const v1::Session plan = Today(program);
  clock_.Set(PauseAt());
  Pause(program, "flare after the weekend");
  clock_.Advance(absl::Hours(1));

  struct Case {
    std::string name;
    bool has_perform_time;
    absl::Time perform_time;
  };
  const std::vector<Case> cases = {
      {"no perform_time: done now", false, absl::Time()},
      {"a minute after the pause", true, PauseAt() + absl::Minutes(1)},
      {"at the pause", true, PauseAt()},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::ReportSessionRequest request = ReportAll(plan, 1, 0, absl::StrCat("after-", n++));
    if (c.has_perform_time) *request.mutable_perform_time() = At(c.perform_time);
    v1::ReportSessionResponse response;
    const grpc::Status status = Report(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(status.error_message(),
              "Your program is paused until your physiotherapist reviews it, so this session "
              "was not recorded. Please contact your physiotherapist before you exercise "
              "again.");
    EXPECT_EQ(PreconditionTypes(status), std::vector<std::string>{"PROGRAM_PAUSED"});
  }
  EXPECT_TRUE(Sessions(program).empty());
  EXPECT_EQ(Decisions(program).size(), 1u);  // the pause

  // Resumed, the same session is taken and counted again.
  v1::ResumeProgramRequest resume;
  resume.set_name(program.name());
  resume.set_reason("settled");
  v1::ResumeProgramResponse resumed;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ResumeProgram, resume, &resumed).ok());
  EXPECT_FALSE(resumed.program().has_pause_time());
  v1::ReportSessionResponse response;
  ASSERT_TRUE(Report(ReportAll(Today(program), 1, 0, "after-resume"), &response).ok());
  EXPECT_EQ(response.session().message(), "");
  EXPECT_EQ(Sessions(program).size(), 1u);
  // Counted once its next morning confirms it GREEN (docs/engine.md).
  clock_.Advance(absl::Hours(24));
  v1::ReportMorningCheckInResponse morning;
  ASSERT_TRUE(CheckIn(program, 0, "after-resume-morning", {}, &morning).ok());
  EXPECT_EQ(Get(program).prescriptions(0).progress().green_streak(), 1);
}

TEST_F(PausedTest, TodayWhilePausedListsNoExercisesAndSaysWhy) {
  const v1::Program program = MakeUtcProgram();
  v1::ReportSessionResponse reported;
  ASSERT_TRUE(Report(ReportAll(Today(program), 1, 0, "morning"), &reported).ok());
  ASSERT_EQ(Today(program).items_size(), 1) << "done this morning, shown as done";
  clock_.Set(PauseAt());
  Pause(program, "reviewing new swelling");

  for (v1::SessionView view : {v1::SESSION_VIEW_FULL, v1::SESSION_VIEW_BASIC}) {
    SCOPED_TRACE(v1::SessionView_Name(view));
    v1::GetTodaySessionRequest request;
    request.set_program(program.name());
    request.set_view(view);
    v1::GetTodaySessionResponse response;
    ASSERT_TRUE(
        Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, request, &response).ok());
    const v1::Session& today = response.session();
    EXPECT_EQ(today.items_size(), 0);
    EXPECT_TRUE(today.program_paused());
    EXPECT_EQ(today.message(),
              "Your program is paused: reviewing new swelling. No exercises until your "
              "physiotherapist resumes it; contact them if unsure.");
  }
  clock_.Advance(absl::Hours(48));  // still nothing on a later day
  EXPECT_EQ(Today(program).items_size(), 0);
  EXPECT_TRUE(Today(program).program_paused());
}

TEST_F(PausedTest, ClinicianApprovesAndRejectsProposalsWhilePaused) {
  // Two patients in approval mode, each with a progression proposed after three greens.
  const std::vector<v1::Program> programs = {MakeUtcProgram(v1::APPROVAL_MODE_CLINICIAN_APPROVAL),
                                             MakeUtcProgram(v1::APPROVAL_MODE_CLINICIAN_APPROVAL)};
  // Each session is confirmed by the next morning's check-in (progressions wait for it).
  for (int n = 0; n < 3; ++n) {
    clock_.Set(Start() + absl::Hours(48 * n));
    for (size_t p = 0; p < programs.size(); ++p) {
      v1::ReportSessionResponse response;
      ASSERT_TRUE(
          Report(ReportAll(Today(programs[p]), 0, 0, absl::StrCat("p", p, "s", n)), &response)
              .ok());
    }
    clock_.Set(Start() + absl::Hours(48 * n + 24));
    for (size_t p = 0; p < programs.size(); ++p) {
      v1::ReportMorningCheckInResponse morning;
      ASSERT_TRUE(CheckIn(programs[p], 0, absl::StrCat("p", p, "c", n), {}, &morning).ok());
    }
  }
  std::vector<v1::Decision> proposals;
  for (const v1::Program& program : programs) {
    const std::vector<v1::Decision> proposed = Decisions(program, v1::DECISION_STATE_PROPOSED);
    ASSERT_EQ(proposed.size(), 1u);
    proposals.push_back(proposed[0]);
    Pause(program, "knee swollen after a long hike");
  }

  v1::ApproveDecisionRequest approve;
  approve.set_name(proposals[0].name());
  approve.set_reason("the easier start for when we resume");
  v1::ApproveDecisionResponse approved;
  const grpc::Status approve_status =
      Call(*programs_, &v1::ProgramService::Stub::ApproveDecision, approve, &approved);
  ASSERT_TRUE(approve_status.ok()) << approve_status.error_message();
  EXPECT_EQ(approved.decision().state(), v1::DECISION_STATE_APPLIED);
  const v1::Program first = Get(programs[0]);
  EXPECT_EQ(first.state(), v1::PROGRAM_STATE_PAUSED) << "approving does not resume";
  EXPECT_EQ(first.prescriptions(0).dose().SerializeAsString(),
            proposals[0].dose_after().SerializeAsString());
  EXPECT_EQ(Today(programs[0]).items_size(), 0);

  v1::RejectDecisionRequest reject;
  reject.set_name(proposals[1].name());
  reject.set_reason("too much too soon");
  v1::RejectDecisionResponse rejected;
  const grpc::Status reject_status =
      Call(*programs_, &v1::ProgramService::Stub::RejectDecision, reject, &rejected);
  ASSERT_TRUE(reject_status.ok()) << reject_status.error_message();
  EXPECT_EQ(rejected.decision().state(), v1::DECISION_STATE_REJECTED);
  const v1::Program second = Get(programs[1]);
  EXPECT_EQ(second.state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(second.prescriptions(0).dose().SerializeAsString(),
            proposals[1].dose_before().SerializeAsString());
}

TEST_F(PausedTest, CheckInsAndOutcomesAreRecordedWhilePausedAndRedFlagsStillAlert) {
  const v1::Program program = MakeUtcProgram();
  clock_.Set(PauseAt());
  Pause(program, "flare after the weekend");

  clock_.Advance(absl::Hours(22));  // the next morning
  v1::ReportMorningCheckInResponse calm;
  grpc::Status status = CheckIn(program, 3, "morning-1", {}, &calm);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(calm.check_in().name().empty());
  EXPECT_TRUE(calm.decisions().empty());
  EXPECT_TRUE(calm.alerts().empty());

  clock_.Advance(absl::Hours(24));
  v1::ReportMorningCheckInResponse flagged;
  status = CheckIn(program, 6, "morning-2", {v1::RED_FLAG_NEW_SWELLING}, &flagged);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(flagged.alerts_size(), 1);
  EXPECT_EQ(flagged.alerts(0).kind(), v1::ALERT_KIND_RED_FLAG_URGENT);
  EXPECT_FALSE(flagged.alerts(0).paused_program()) << "it was paused already";
  v1::ListAlertsRequest alerts;
  alerts.set_program(program.name());
  v1::ListAlertsResponse inbox;
  ASSERT_TRUE(Call(*alerts_, &v1::AlertService::Stub::ListAlerts, alerts, &inbox).ok());
  EXPECT_EQ(inbox.alerts_size(), 1);

  v1::ListMorningCheckInsRequest list;
  list.set_program(program.name());
  v1::ListMorningCheckInsResponse check_ins;
  ASSERT_TRUE(
      Call(*sessions_, &v1::SessionService::Stub::ListMorningCheckIns, list, &check_ins).ok());
  EXPECT_EQ(check_ins.check_ins_size(), 2);

  v1::RecordOutcomeRequest outcome;
  outcome.set_request_id("rating-1");
  outcome.mutable_outcome()->set_program(program.name());
  outcome.mutable_outcome()->set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  outcome.mutable_outcome()->set_value(-1);
  v1::RecordOutcomeResponse recorded;
  status = Call(*outcomes_, &v1::OutcomeService::Stub::RecordOutcome, outcome, &recorded);
  EXPECT_TRUE(status.ok()) << status.error_message();

  const v1::Program after = Get(program);
  EXPECT_EQ(after.state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(after.pause_reason(), "flare after the weekend");
  EXPECT_EQ(after.pause_time().seconds(), absl::ToUnixSeconds(PauseAt()));
}

// A safety pause is dated too: a session done before the red flag is stored, one after it
// refused.
TEST_F(PausedTest, RedFlagPauseSeparatesSessionsBeforeAndAfterIt) {
  const v1::Program program = MakeUtcProgram();
  const v1::Session plan = Today(program);
  clock_.Set(PauseAt());
  v1::ReportMorningCheckInResponse flagged;
  ASSERT_TRUE(CheckIn(program, 5, "flag", {v1::RED_FLAG_GIVING_WAY}, &flagged).ok());
  ASSERT_EQ(Get(program).state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(Get(program).pause_time().seconds(), absl::ToUnixSeconds(PauseAt()));

  clock_.Advance(absl::Hours(1));
  v1::ReportSessionRequest before = ReportAll(plan, 2, 1, "before");
  *before.mutable_perform_time() = At(PauseAt() - absl::Minutes(30));
  v1::ReportSessionResponse response;
  EXPECT_TRUE(Report(before, &response).ok());
  EXPECT_TRUE(response.decisions().empty());
  EXPECT_EQ(Report(ReportAll(plan, 2, 1, "after"), &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Sessions(program).size(), 1u);
}

TEST_F(PausedTest, CompletedProgramStillRefusesNewReports) {
  const v1::Patient patient = MakePatient("UTC");
  const v1::Program first = MakeProgram(patient, {"bridge"});
  const v1::Session plan = Today(first);
  MakeProgram(patient, {"quad-set"});  // completes the first
  clock_.Advance(absl::Hours(1));
  v1::ReportSessionRequest request = ReportAll(plan, 1, 0, "late");
  *request.mutable_perform_time() = At(Start());
  v1::ReportSessionResponse response;
  const grpc::Status status = Report(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(PreconditionTypes(status), std::vector<std::string>{"PROGRAM_STATE"});
  v1::ReportMorningCheckInResponse check_in;
  EXPECT_EQ(CheckIn(first, 2, "ci", {}, &check_in).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace kneecoach::testing
