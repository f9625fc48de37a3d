// The progression engine through the API: decisions change the next session exactly as
// recorded, red flags and pain above 7/10 pause in the same request, clinicians keep the
// last word, and
// SimulateProgram predicts what the real service does without storing anything.
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "google/protobuf/util/message_differencer.h"
#include "service/domain/dates.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

class EngineApiTest : public ServerTest {
 protected:
  // Day `d` of the test at 12:00 UTC (the time SimulateProgram stamps events).
  void GoToDay(int d) {
    clock_.Set(absl::FromCivil(absl::CivilHour(2026, 3, 2 + d, 12), absl::UTCTimeZone()));
  }

  v1::ReportSessionResponse Report(const v1::Program& program, int pain_during, int pain_after,
                                   const std::string& id) {
    v1::ReportSessionResponse response;
    grpc::Status status = Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                               ReportAll(Today(program), pain_during, pain_after, id), &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::ReportMorningCheckInResponse CheckIn(const v1::Program& program, int pain,
                                           const std::string& id,
                                           std::vector<v1::RedFlag> flags = {}) {
    v1::ReportMorningCheckInRequest request;
    request.set_request_id(id);
    request.mutable_check_in()->set_program(program.name());
    request.mutable_check_in()->set_morning_pain(pain);
    for (auto f : flags) request.mutable_check_in()->add_red_flags(f);
    v1::ReportMorningCheckInResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ReportMorningCheckIn, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::Decision> Decisions(const v1::Program& program) {
    v1::ListDecisionsRequest request;
    request.set_program(program.name());
    request.set_page_size(200);
    v1::ListDecisionsResponse response;
    EXPECT_TRUE(
        Call(*programs_, &v1::ProgramService::Stub::ListDecisions, request, &response).ok());
    return {response.decisions().begin(), response.decisions().end()};
  }

  v1::Program Get(const v1::Program& program) {
    v1::GetProgramRequest request;
    request.set_name(program.name());
    v1::GetProgramResponse response;
    EXPECT_TRUE(Call(*programs_, &v1::ProgramService::Stub::GetProgram, request, &response).ok());
    return response.program();
  }

  const v1::SessionItem* ItemFor(const v1::Session& session, const std::string& prescription) {
    for (const auto& item : session.items()) {
      if (item.prescription() == prescription) return &item;
    }
    return nullptr;
  }
};

TEST_F(EngineApiTest, GreenStreakProgressesAndTheNextSessionShowsTheDecidedDose) {
  GoToDay(0);
  const v1::Program program = MakeProgram(MakePatient("UTC"), {"bridge"});
  const std::string bridge = program.prescriptions(0).name();
  std::vector<v1::Decision> progressions;
  std::vector<std::string> progression_summary;
  for (int day = 0; day < 14; ++day) {
    GoToDay(day);
    // A session counts once the next morning confirms it: the third green session's next
    // check-in carries the progression.
    const v1::ReportMorningCheckInResponse morning = CheckIn(program, 0, absl::StrCat("c", day));
    for (const auto& d : morning.decisions()) {
      if (d.kind() == v1::DECISION_KIND_PROGRESS) progressions.push_back(d);
    }
    if (!progressions.empty()) {
      progression_summary.assign(morning.change_summary().begin(), morning.change_summary().end());
    }
    if (!progressions.empty()) break;
    if (day % 2 == 1) continue;  // sessions every other day, a check-in every morning
    const v1::ReportSessionResponse reported = Report(program, 1, 0, absl::StrCat("s", day));
    for (const auto& d : reported.decisions()) {
      EXPECT_NE(d.kind(), v1::DECISION_KIND_PROGRESS) << "a session alone never progresses";
    }
  }
  ASSERT_EQ(progressions.size(), 1u) << "three green sessions progress the bridge once";
  EXPECT_EQ(progressions[0].inputs().at("report_date"), "2026-03-06");
  EXPECT_THAT(progression_summary,
              ::testing::ElementsAre("1 exercise is a small step harder next time."));
  const v1::Decision& decided = progressions[0];
  EXPECT_FALSE(decided.rule().empty());
  EXPECT_FALSE(decided.patient_reason().empty());
  EXPECT_FALSE(decided.clinician_reason().empty());
  EXPECT_FALSE(MessageDifferencer::Equals(decided.dose_before(), decided.dose_after()));

  // ListDecisions shows the same decision, and the next due session uses its dose.
  const std::vector<v1::Decision> listed = Decisions(program);
  ASSERT_FALSE(listed.empty());
  auto it = std::find_if(listed.begin(), listed.end(),
                         [&](const v1::Decision& d) { return d.name() == decided.name(); });
  ASSERT_NE(it, listed.end());
  EXPECT_EQ(it->rule(), decided.rule());
  // Days 0, 2 and 4 used the week's three loaded-strength days; day 7 is the next.
  GoToDay(7);
  const v1::Session next = Today(program);
  const v1::SessionItem* item = ItemFor(next, bridge);
  ASSERT_NE(item, nullptr);
  EXPECT_TRUE(MessageDifferencer::Equals(item->dose(), decided.dose_after()))
      << item->dose().ShortDebugString() << " vs " << decided.dose_after().ShortDebugString();
}

TEST_F(EngineApiTest, RedFlagAtCheckInPausesAndAlertsInTheSameRequest) {
  GoToDay(0);
  const v1::Program program = MakeProgram(MakePatient("UTC"));
  const v1::ReportMorningCheckInResponse response =
      CheckIn(program, 2, "flag-1", {v1::RED_FLAG_CALF_SWELLING_NUMBNESS_OR_COLD_FOOT});
  ASSERT_EQ(response.alerts_size(), 1);
  EXPECT_EQ(response.alerts(0).kind(), v1::ALERT_KIND_RED_FLAG_IMMEDIATE);
  EXPECT_TRUE(response.alerts(0).paused_program());
  EXPECT_FALSE(response.alerts(0).patient_advice().empty());
  EXPECT_EQ(Get(program).state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(Today(program).items_size(), 0);

  v1::ListAlertsRequest list;
  list.set_clinic("clinics/north");
  list.set_unacknowledged_only(true);
  v1::ListAlertsResponse alerts;
  ASSERT_TRUE(Call(*alerts_, &v1::AlertService::Stub::ListAlerts, list, &alerts).ok());
  ASSERT_EQ(alerts.alerts_size(), 1);
  v1::AcknowledgeAlertRequest ack;
  ack.set_name(alerts.alerts(0).name());
  ack.set_note("called the patient; DVT ruled out");
  v1::AcknowledgeAlertResponse acked;
  ASSERT_TRUE(Call(*alerts_, &v1::AlertService::Stub::AcknowledgeAlert, ack, &acked).ok());
  EXPECT_TRUE(acked.alert().acknowledged());
  EXPECT_EQ(Call(*alerts_, &v1::AlertService::Stub::AcknowledgeAlert, ack, &acked).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(Call(*alerts_, &v1::AlertService::Stub::ListAlerts, list, &alerts).ok());
  EXPECT_EQ(alerts.alerts_size(), 0);
}

TEST_F(EngineApiTest, ClinicianOverrideSurvivesLaterEngineRuns) {
  GoToDay(0);
  const v1::Program program = MakeProgram(MakePatient("UTC"), {"bridge"});
  v1::UpdatePrescriptionRequest update;
  update.mutable_prescription()->set_name(program.prescriptions(0).name());
  update.mutable_prescription()->mutable_dose()->set_sets(2);
  update.mutable_prescription()->mutable_dose()->set_reps(8);
  update.mutable_update_mask()->add_paths("dose.sets");
  update.mutable_update_mask()->add_paths("dose.reps");
  update.set_reason("sore after a long shift; keep it light");
  v1::UpdatePrescriptionResponse updated;
  ASSERT_TRUE(
      Call(*programs_, &v1::ProgramService::Stub::UpdatePrescription, update, &updated).ok());
  const v1::Dose set_by_clinician = updated.prescription().dose();
  // Greens, a red, ambers: the engine judges them but the clinician's dose stays.
  const int pains[] = {1, 1, 1, 1, 7, 1, 4, 4, 1, 1};
  for (int n = 0; n < 10; ++n) {
    GoToDay(3 * n);
    Report(program, pains[n], pains[n], absl::StrCat("s", n));
  }
  const v1::Program after = Get(program);
  EXPECT_TRUE(MessageDifferencer::Equals(after.prescriptions(0).dose(), set_by_clinician))
      << after.prescriptions(0).dose().ShortDebugString();
  EXPECT_EQ(after.prescriptions(0).exercise(), "exercises/bridge");
  EXPECT_EQ(after.state(), v1::PROGRAM_STATE_ACTIVE);
}

TEST_F(EngineApiTest, ApprovalModeProposesAndTheClinicianDecides) {
  GoToDay(0);
  const v1::Patient patient = MakePatient("UTC");
  v1::CreateProgramRequest create;
  create.mutable_program()->set_patient(patient.name());
  create.mutable_program()->set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  create.mutable_program()->add_prescriptions()->set_exercise("exercises/bridge");
  v1::CreateProgramResponse created;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::CreateProgram, create, &created).ok());
  const v1::Program& program = created.program();
  const v1::Dose start = program.prescriptions(0).dose();
  // Three green sessions, each confirmed by the next morning's check-in: the third morning
  // carries the proposal, in words that say it waits for the physiotherapist.
  v1::ReportMorningCheckInResponse morning;
  for (int n = 0; n < 3; ++n) {
    GoToDay(2 * n);
    Report(program, 0, 0, absl::StrCat("s", n));
    GoToDay(2 * n + 1);
    morning = CheckIn(program, 0, absl::StrCat("c", n));
  }
  ASSERT_EQ(morning.decisions_size(), 1);
  EXPECT_EQ(morning.decisions(0).state(), v1::DECISION_STATE_PROPOSED);
  EXPECT_THAT(morning.change_summary(),
              ::testing::ElementsAre("1 exercise is a small step harder next time, once your "
                                     "physiotherapist agrees."));
  ASSERT_EQ(morning.change_details_size(), 1);
  EXPECT_THAT(morning.change_details(0),
              ::testing::HasSubstr("Waiting for your physiotherapist: until they agree, keep"));
  v1::ListDecisionsRequest list;
  list.set_program(program.name());
  list.set_state(v1::DECISION_STATE_PROPOSED);
  v1::ListDecisionsResponse proposed;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::ListDecisions, list, &proposed).ok());
  ASSERT_EQ(proposed.decisions_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(Get(program).prescriptions(0).dose(), start))
      << "a proposal changes nothing until approved";

  v1::ApproveDecisionRequest approve;
  approve.set_name(proposed.decisions(0).name());
  approve.set_reason("agreed");
  v1::ApproveDecisionResponse approved;
  ASSERT_TRUE(
      Call(*programs_, &v1::ProgramService::Stub::ApproveDecision, approve, &approved).ok());
  EXPECT_EQ(approved.decision().state(), v1::DECISION_STATE_APPLIED);
  EXPECT_TRUE(MessageDifferencer::Equals(Get(program).prescriptions(0).dose(),
                                         proposed.decisions(0).dose_after()));
  EXPECT_EQ(
      Call(*programs_, &v1::ProgramService::Stub::ApproveDecision, approve, &approved).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  v1::RejectDecisionRequest reject;
  reject.set_name(proposed.decisions(0).name());
  v1::RejectDecisionResponse rejected;
  EXPECT_EQ(
      Call(*programs_, &v1::ProgramService::Stub::RejectDecision, reject, &rejected).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);  // reason required
}

// Morning pain above 7/10 two days running, no red flag ticked: the second check-in pauses
// the program in the same request, the clinician's inbox lists the urgent alert, and
// SimulateProgram predicts the same alert from the same check-ins.
TEST_F(EngineApiTest, PainAboveSevenTwoDaysRunningPausesAndAlertsTheClinician) {
  const int pains[] = {2, 2, 2, 8, 9, 9};
  GoToDay(0);
  const v1::Program program = MakeProgram(MakePatient("UTC"));
  for (int day = 0; day < 4; ++day) {
    GoToDay(day);
    EXPECT_EQ(CheckIn(program, pains[day], absl::StrCat("c", day)).alerts_size(), 0) << day;
  }
  EXPECT_EQ(Get(program).state(), v1::PROGRAM_STATE_ACTIVE);
  GoToDay(4);
  const v1::ReportMorningCheckInResponse response = CheckIn(program, pains[4], "c4");
  ASSERT_EQ(response.alerts_size(), 1);
  const v1::Alert& alert = response.alerts(0);
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_PAIN_SUSTAINED_HIGH);
  EXPECT_TRUE(alert.paused_program());
  ASSERT_EQ(alert.red_flags_size(), 1);
  EXPECT_EQ(alert.red_flags(0), v1::RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN);
  EXPECT_EQ(alert.message(),
            "Pain above 7/10 on 2 days with check-ins in a row since 2026-03-05 (2026-03-05: 8, "
            "2026-03-06: 9; limit 2 days): urgent review, program paused.");
  EXPECT_FALSE(alert.patient_advice().empty());
  auto pause =
      std::find_if(response.decisions().begin(), response.decisions().end(),
                   [](const v1::Decision& d) { return d.kind() == v1::DECISION_KIND_PAUSE; });
  ASSERT_NE(pause, response.decisions().end());
  EXPECT_EQ(pause->rule(), "safety.pain_sustained_high");
  EXPECT_EQ(Get(program).state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(Today(program).items_size(), 0);

  v1::ListAlertsRequest list;
  list.set_program(program.name());
  list.set_unacknowledged_only(true);
  v1::ListAlertsResponse listed;
  ASSERT_TRUE(Call(*alerts_, &v1::AlertService::Stub::ListAlerts, list, &listed).ok());
  ASSERT_EQ(listed.alerts_size(), 1);
  EXPECT_EQ(listed.alerts(0).name(), alert.name());
  EXPECT_EQ(listed.alerts(0).kind(), v1::ALERT_KIND_PAIN_SUSTAINED_HIGH);
  EXPECT_EQ(listed.alerts(0).inputs().at("pain_high_days"), "2");
  // Still above 7 while paused: nothing more.
  GoToDay(5);
  EXPECT_EQ(CheckIn(program, pains[5], "c5").alerts_size(), 0);

  v1::SimulateProgramRequest simulate;
  simulate.set_start_date("2026-03-02");
  for (int day = 0; day < 6; ++day) {
    auto* check_in = simulate.add_events();
    check_in->set_local_date(FormatLocalDate(absl::CivilDay(2026, 3, 2) + day));
    check_in->mutable_check_in()->set_morning_pain(pains[day]);
  }
  v1::SimulateProgramResponse simulated;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(simulated.alerts_size(), 1);
  EXPECT_EQ(simulated.alerts(0).kind(), alert.kind());
  EXPECT_EQ(simulated.alerts(0).message(), alert.message());
  EXPECT_EQ(simulated.alerts(0).paused_program(), alert.paused_program());
  using Inputs = std::map<std::string, std::string>;
  EXPECT_EQ(Inputs(simulated.alerts(0).inputs().begin(), simulated.alerts(0).inputs().end()),
            Inputs(alert.inputs().begin(), alert.inputs().end()));
  EXPECT_EQ(simulated.program().state(), v1::PROGRAM_STATE_PAUSED);
}

// The same four weeks twice: through the real API day by day, and as one SimulateProgram
// call. The simulation must predict the real outcome and store nothing.
TEST_F(EngineApiTest, SimulateProgramReproducesTheRealRunWithoutWriting) {
  constexpr int kDays = 28;
  auto pain_on = [](int day) { return day >= 15 && day <= 17 ? 5 : 1; };  // a flare in week 3

  GoToDay(0);
  const v1::Program program = MakeProgram(MakePatient("UTC"));
  for (int day = 0; day < kDays; ++day) {
    GoToDay(day);
    CheckIn(program, day >= 16 && day <= 18 ? 2 : 1, absl::StrCat("c", day));
    if (Today(program).items_size() > 0) {
      Report(program, pain_on(day), pain_on(day) - 1, absl::StrCat("s", day));
    }
  }
  const v1::Program real = Get(program);
  std::vector<v1::Decision> real_decisions = Decisions(program);
  std::reverse(real_decisions.begin(), real_decisions.end());  // oldest first

  v1::SimulateProgramRequest simulate;
  simulate.set_start_date("2026-03-02");
  for (int day = 0; day < kDays; ++day) {
    const std::string date = FormatLocalDate(absl::CivilDay(2026, 3, 2) + day);
    auto* check_in = simulate.add_events();
    check_in->set_local_date(date);
    check_in->mutable_check_in()->set_morning_pain(day >= 16 && day <= 18 ? 2 : 1);
    auto* session = simulate.add_events();
    session->set_local_date(date);
    session->mutable_session()->set_pain_during(pain_on(day));
    session->mutable_session()->set_pain_after_1h(pain_on(day) - 1);
  }
  v1::ListPatientsRequest count;
  v1::ListPatientsResponse before;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ListPatients, count, &before).ok());
  v1::SimulateProgramResponse simulated;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(simulated.program().phase(), real.phase());
  EXPECT_EQ(simulated.program().state(), real.state());
  ASSERT_EQ(simulated.program().prescriptions_size(), real.prescriptions_size());
  for (int i = 0; i < real.prescriptions_size(); ++i) {
    SCOPED_TRACE(real.prescriptions(i).exercise());
    EXPECT_EQ(simulated.program().prescriptions(i).exercise(), real.prescriptions(i).exercise());
    EXPECT_TRUE(MessageDifferencer::Equals(simulated.program().prescriptions(i).dose(),
                                           real.prescriptions(i).dose()));
  }
  ASSERT_EQ(simulated.decisions_size(), static_cast<int>(real_decisions.size()));
  for (size_t i = 0; i < real_decisions.size(); ++i) {
    SCOPED_TRACE(real_decisions[i].rule());
    EXPECT_EQ(simulated.decisions(i).kind(), real_decisions[i].kind());
    EXPECT_EQ(simulated.decisions(i).rule(), real_decisions[i].rule());
  }
  EXPECT_GT(real_decisions.size(), 0u);

  v1::ListPatientsResponse after;
  ASSERT_TRUE(Call(*patients_, &v1::PatientService::Stub::ListPatients, count, &after).ok());
  EXPECT_EQ(after.patients_size(), before.patients_size());
  EXPECT_EQ(Decisions(program).size(), real_decisions.size());
}

// The same events through the API and through SimulateProgram, with a gap of more than
// 120 days (kHistoryDays, what the server loads): a RED morning, 133 days of nothing, then a
// RED session. Both must decide alike; the rules must not reach back over the gap in one
// and not the other ("RED still present after 72 h" did).
TEST_F(EngineApiTest, SimulateProgramDecidesAsTheServerAcrossAGapOfMoreThan120Days) {
  struct Event {
    int day;
    int morning;  // -1: no check-in
    int pain;     // -1: no session
  };
  std::vector<Event> events;
  for (int day = 0; day < 7; ++day) events.push_back({day, 1, 1});
  events.push_back({7, 4, -1});    // RED morning (baseline 1 + 3)
  events.push_back({140, -1, 7});  // RED session after the gap
  events.push_back({141, 1, -1});
  events.push_back({142, 1, 1});

  GoToDay(0);
  // The bootstrap token expires before the gap ends: a year-long one for this test.
  v1::GetCurrentUserResponse me;
  ASSERT_TRUE(
      Call(*access_, &v1::AccessService::Stub::GetCurrentUser, v1::GetCurrentUserRequest(), &me)
          .ok());
  v1::CreateTokenRequest long_lived;
  long_lived.set_user(me.user().name());
  long_lived.set_display_name("gap test");
  long_lived.set_ttl_days(365);
  v1::CreateTokenResponse issued;
  ASSERT_TRUE(Call(*access_, &v1::AccessService::Stub::CreateToken, long_lived, &issued).ok());
  token_ = issued.secret();
  const v1::Program program = MakeProgram(MakePatient("UTC"));
  std::vector<v1::Alert> real_alerts;
  for (const Event& e : events) {
    GoToDay(e.day);
    if (e.morning >= 0) {
      const auto morning = CheckIn(program, e.morning, absl::StrCat("c", e.day));
      real_alerts.insert(real_alerts.end(), morning.alerts().begin(), morning.alerts().end());
    }
    if (e.pain >= 0 && Today(program).items_size() > 0) {
      const auto session = Report(program, e.pain, e.pain, absl::StrCat("s", e.day));
      real_alerts.insert(real_alerts.end(), session.alerts().begin(), session.alerts().end());
    }
  }
  const v1::Program real = Get(program);
  std::vector<v1::Decision> real_decisions = Decisions(program);
  std::reverse(real_decisions.begin(), real_decisions.end());  // oldest first

  v1::SimulateProgramRequest simulate;
  simulate.set_start_date("2026-03-02");
  for (const Event& e : events) {
    const std::string date = FormatLocalDate(absl::CivilDay(2026, 3, 2) + e.day);
    if (e.morning >= 0) {
      auto* check_in = simulate.add_events();
      check_in->set_local_date(date);
      check_in->mutable_check_in()->set_morning_pain(e.morning);
    }
    if (e.pain >= 0) {
      auto* session = simulate.add_events();
      session->set_local_date(date);
      session->mutable_session()->set_pain_during(e.pain);
      session->mutable_session()->set_pain_after_1h(e.pain);
    }
  }
  v1::SimulateProgramResponse simulated;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, simulate, &simulated);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(real.state(), v1::PROGRAM_STATE_ACTIVE) << "one RED session, not 72 h of RED";
  EXPECT_EQ(simulated.program().state(), real.state());
  ASSERT_EQ(simulated.decisions_size(), static_cast<int>(real_decisions.size()));
  for (size_t i = 0; i < real_decisions.size(); ++i) {
    SCOPED_TRACE(real_decisions[i].rule());
    EXPECT_EQ(simulated.decisions(i).kind(), real_decisions[i].kind());
    EXPECT_EQ(simulated.decisions(i).rule(), real_decisions[i].rule());
    // Same prescription number (the program names differ).
    auto number = [](const std::string& name) { return name.substr(name.rfind('/') + 1); };
    EXPECT_EQ(number(simulated.decisions(i).prescription()),
              number(real_decisions[i].prescription()));
  }
  ASSERT_EQ(simulated.alerts_size(), static_cast<int>(real_alerts.size()));
  for (size_t i = 0; i < real_alerts.size(); ++i) {
    EXPECT_EQ(simulated.alerts(i).kind(), real_alerts[i].kind());
  }
  for (int i = 0; i < real.prescriptions_size(); ++i) {
    SCOPED_TRACE(real.prescriptions(i).exercise());
    EXPECT_EQ(simulated.program().prescriptions(i).exercise(), real.prescriptions(i).exercise());
    EXPECT_TRUE(MessageDifferencer::Equals(simulated.program().prescriptions(i).dose(),
                                           real.prescriptions(i).dose()));
  }
}

}  // namespace
}  // namespace kneecoach::testing

namespace kneecoach::testing {
namespace {

TEST_F(ServerTest, ClinicsCopyTheDefaultProtocolAndChangeItsNumbers) {
  v1::GetProtocolRequest get;
  get.set_name("protocols/default");
  v1::GetProtocolResponse base;
  ASSERT_TRUE(Call(*protocols_, &v1::ProtocolService::Stub::GetProtocol, get, &base).ok());

  v1::CreateProtocolRequest create;
  *create.mutable_protocol() = base.protocol();
  create.mutable_protocol()->set_id("cautious");
  create.mutable_protocol()
      ->mutable_rules()
      ->mutable_exercise_traffic_light()
      ->set_green_max_pain_during(7);
  v1::CreateProtocolResponse created;
  grpc::Status status =
      Call(*protocols_, &v1::ProtocolService::Stub::CreateProtocol, create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::Contains("protocol.rules.exercise_traffic_light.green_max_pain_during"));

  create.mutable_protocol()
      ->mutable_rules()
      ->mutable_exercise_traffic_light()
      ->set_green_max_pain_during(2);
  create.mutable_protocol()->mutable_rules()->mutable_progression()->set_greens_to_progress(4);
  ASSERT_TRUE(Call(*protocols_, &v1::ProtocolService::Stub::CreateProtocol, create, &created).ok());
  // In the clinic's own namespace: another clinic's ids are neither seen nor taken.
  EXPECT_EQ(created.protocol().name(), "protocols/north--cautious");
  EXPECT_EQ(created.protocol().id(), "north--cautious");
  EXPECT_EQ(created.protocol().clinic(), "clinics/north");

  v1::CreateProgramRequest program;
  program.mutable_program()->set_patient(MakePatient().name());
  program.mutable_program()->set_protocol("protocols/north--cautious");
  v1::CreateProgramResponse made;
  ASSERT_TRUE(Call(*programs_, &v1::ProgramService::Stub::CreateProgram, program, &made).ok());
  EXPECT_EQ(made.program().rules().progression().greens_to_progress(), 4);
  EXPECT_EQ(made.program().rules().exercise_traffic_light().green_max_pain_during(), 2);

  // A per-patient override is validated the same way.
  v1::UpdateProgramRequest update;
  update.mutable_program()->set_name(made.program().name());
  update.mutable_program()->mutable_rules()->mutable_progression()->set_greens_to_progress(0);
  update.mutable_update_mask()->add_paths("rules.progression.greens_to_progress");
  update.set_reason("test");
  v1::UpdateProgramResponse updated;
  status = Call(*programs_, &v1::ProgramService::Stub::UpdateProgram, update, &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::Contains("program.rules.progression.greens_to_progress"));
}

TEST_F(ServerTest, ABrokenLibraryStopsTheServerNamingTheEntry) {
  const auto data = dir_ / "data";
  std::filesystem::create_directories(data / "protocols");
  std::filesystem::copy_file(std::string(KNEECOACH_TEST_DATA_DIR) + "/protocols/default.textproto",
                             data / "protocols/default.textproto");
  std::ifstream in(std::string(KNEECOACH_TEST_DATA_DIR) + "/library.textproto");
  std::stringstream text;
  text << in.rdbuf();
  std::string library = text.str();
  // Point one ladder rung at an exercise that does not exist.
  const std::string rung = "\"partial-squat-45\", \"box-squat-60\"";
  ASSERT_NE(library.find(rung), std::string::npos);
  library.replace(library.find(rung), rung.size(), "\"partial-squat-45\", \"box-squat-600\"");
  std::ofstream(data / "library.textproto") << library;

  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.db_path = (dir_ / "broken.db").string();
  options.data_dir = data.string();
  auto server = KneecoachServer::Start(options, clock_);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("box-squat-600"), std::string::npos) << server.status();
}

}  // namespace
}  // namespace kneecoach::testing
