// Outcome measures through the API: the AKPS questionnaire as published, scores computed
// by the server, retries that store nothing twice, clean errors, and the "no meaningful
// change" alert judged on the AKPS.
#include <algorithm>
#include <vector>

#include "service/domain/dates.h"
#include "service/domain/outcomes.h"
#include "tests/integration/server_fixture.h"

namespace kneecoach::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class OutcomesTest : public ServerTest {
 protected:
  // Day `d` of the test (day 0 is the program's first) at 12:00 UTC.
  void GoToDay(int d) {
    clock_.Set(absl::FromCivil(absl::CivilHour(2026, 3, 2, 12) + 24 * d, absl::UTCTimeZone()));
  }

  // AKPS choices that score `score` (found over the published points).
  static std::vector<int> ChoicesScoring(int score) {
    const v1::Questionnaire& q = AkpsQuestionnaire();
    // reach[i][s]: the option of item i on a way to total s over items 0..i, or -1.
    std::vector<std::vector<int>> reach(q.items_size(), std::vector<int>(101, -1));
    for (int i = 0; i < q.items_size(); ++i) {
      for (int o = 0; o < q.items(i).options_size(); ++o) {
        const int points = q.items(i).options(o).points();
        for (int s = points; s <= 100; ++s) {
          if (reach[i][s] < 0 && (i == 0 ? s == points : reach[i - 1][s - points] >= 0)) {
            reach[i][s] = o;
          }
        }
      }
    }
    std::vector<int> choices(q.items_size(), 0);
    EXPECT_GE(reach.back()[score], 0) << "no choices score " << score;
    for (int i = q.items_size() - 1, s = score; i >= 0 && s >= 0; --i) {
      choices[i] = std::max(reach[i][s], 0);
      s -= q.items(i).options(choices[i]).points();
    }
    return choices;
  }

  grpc::Status Record(const v1::Program& program, v1::Outcome outcome, const std::string& id,
                      v1::RecordOutcomeResponse* response) {
    outcome.set_program(program.name());
    v1::RecordOutcomeRequest request;
    *request.mutable_outcome() = std::move(outcome);
    request.set_request_id(id);
    return Call(*outcomes_, &v1::OutcomeService::Stub::RecordOutcome, request, response);
  }

  v1::RecordOutcomeResponse RecordAkps(const v1::Program& program, int score,
                                       const std::string& id) {
    v1::Outcome outcome;
    outcome.set_kind(v1::OUTCOME_KIND_AKPS);
    for (int c : ChoicesScoring(score)) outcome.add_akps_choices(c);
    v1::RecordOutcomeResponse response;
    grpc::Status status = Record(program, outcome, id, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  std::vector<v1::Outcome> List(const v1::Program& program,
                                v1::OutcomeKind kind = v1::OUTCOME_KIND_UNSPECIFIED) {
    v1::ListOutcomesRequest request;
    request.set_program(program.name());
    request.set_kind(kind);
    v1::ListOutcomesResponse response;
    grpc::Status status =
        Call(*outcomes_, &v1::OutcomeService::Stub::ListOutcomes, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.outcomes().begin(), response.outcomes().end()};
  }

  std::vector<v1::Alert> NoChangeAlerts(const v1::Program& program) {
    v1::ListAlertsRequest request;
    request.set_program(program.name());
    v1::ListAlertsResponse response;
    EXPECT_TRUE(Call(*alerts_, &v1::AlertService::Stub::ListAlerts, request, &response).ok());
    std::vector<v1::Alert> out;
    for (const auto& a : response.alerts()) {
      if (a.kind() == v1::ALERT_KIND_NO_MEANINGFUL_CHANGE) out.push_back(a);
    }
    return out;
  }
};

TEST_F(OutcomesTest, TheQuestionnaireIsTheAkpsAsPublished) {
  v1::GetQuestionnaireRequest request;
  request.set_name("questionnaires/akps");
  v1::GetQuestionnaireResponse response;
  ASSERT_TRUE(
      Call(*outcomes_, &v1::OutcomeService::Stub::GetQuestionnaire, request, &response).ok());
  const v1::Questionnaire& q = response.questionnaire();
  ASSERT_EQ(q.items_size(), 13);
  EXPECT_EQ(q.max_score(), 100);
  EXPECT_EQ(q.kind(), v1::OUTCOME_KIND_AKPS);
  EXPECT_EQ(q.items(3).title(), "Stairs");
  std::vector<int> stairs;
  for (const auto& o : q.items(3).options()) stairs.push_back(o.points());
  EXPECT_THAT(stairs, ElementsAre(10, 8, 5, 0));

  request.set_name("questionnaires/koos");
  grpc::Status missing =
      Call(*outcomes_, &v1::OutcomeService::Stub::GetQuestionnaire, request, &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(OutcomesTest, RecordedOutcomesAreScoredListedAndStoredOnce) {
  const v1::Program program = MakeProgram(MakePatient());
  GoToDay(9);
  const v1::RecordOutcomeResponse akps = RecordAkps(program, 62, "akps-1");
  EXPECT_EQ(akps.outcome().value(), 62);
  EXPECT_EQ(akps.outcome().local_date(), "2026-03-11");
  EXPECT_EQ(akps.outcome().program_week(), 2);
  EXPECT_THAT(akps.outcome().name(), HasSubstr(program.name() + "/outcomes/"));
  EXPECT_THAT(akps.outcome().recorded_by(), HasSubstr("users/"));
  EXPECT_TRUE(akps.alerts().empty());

  v1::Outcome steps;
  steps.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
  steps.set_value(14);
  v1::RecordOutcomeResponse first;
  ASSERT_TRUE(Record(program, steps, "steps-1", &first).ok());
  // The phone retries after a lost acknowledgement: the same outcome comes back, and
  // nothing is stored twice.
  v1::RecordOutcomeResponse again;
  ASSERT_TRUE(Record(program, steps, "steps-1", &again).ok());
  EXPECT_EQ(again.outcome().name(), first.outcome().name());

  v1::Outcome rating;
  rating.set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  rating.set_value(-3);
  rating.set_local_date("2026-03-10");
  v1::RecordOutcomeResponse groc;
  ASSERT_TRUE(Record(program, rating, "groc-1", &groc).ok());
  EXPECT_EQ(groc.outcome().local_date(), "2026-03-10");

  const std::vector<v1::Outcome> all = List(program);
  ASSERT_EQ(all.size(), 3u);  // newest first
  EXPECT_EQ(all[0].kind(), v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
  EXPECT_EQ(all[1].value(), 14);
  EXPECT_EQ(all[2].value(), 62);
  const std::vector<v1::Outcome> only_akps = List(program, v1::OUTCOME_KIND_AKPS);
  ASSERT_EQ(only_akps.size(), 1u);
  EXPECT_EQ(only_akps[0].akps_choices_size(), 13);

  // The patient's export carries them; erasing the patient removes them.
  v1::ExportPatientDataRequest export_request;
  export_request.set_name(program.patient());
  v1::ExportPatientDataResponse exported;
  ASSERT_TRUE(
      Call(*patients_, &v1::PatientService::Stub::ExportPatientData, export_request, &exported)
          .ok());
  EXPECT_THAT(exported.json(), HasSubstr("\"outcomes\":[{"));
  EXPECT_THAT(exported.json(), HasSubstr("OUTCOME_KIND_STEP_DOWN_30S"));
}

TEST_F(OutcomesTest, BadOutcomesAreInvalidArgumentsNamingTheField) {
  const v1::Program program = MakeProgram(MakePatient());
  GoToDay(3);
  struct Case {
    const char* what;
    v1::Outcome outcome;
    const char* field;
  };
  std::vector<Case> cases;
  auto add = [&](const char* what, const char* field, auto fill) {
    v1::Outcome o;
    fill(o);
    cases.push_back({what, o, field});
  };
  add("no kind", "outcome.kind", [](v1::Outcome& o) { o.set_value(3); });
  add("unknown kind", "outcome.kind", [](v1::Outcome& o) { o.set_kind(v1::OutcomeKind(42)); });
  add("twelve AKPS choices", "outcome.akps_choices", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    for (int i = 0; i < 12; ++i) o.add_akps_choices(0);
  });
  add("an AKPS choice past its item's options", "outcome.akps_choices[0]", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    o.add_akps_choices(3);  // limp has three options
    for (int i = 1; i < 13; ++i) o.add_akps_choices(0);
  });
  add("a negative AKPS choice", "outcome.akps_choices[12]", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    for (int i = 0; i < 12; ++i) o.add_akps_choices(0);
    o.add_akps_choices(-1);
  });
  add("an AKPS score given", "outcome.value", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    for (int i = 0; i < 13; ++i) o.add_akps_choices(0);
    o.set_value(100);
  });
  add("negative step-downs", "outcome.value", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o.set_value(-1);
  });
  add("101 step-downs", "outcome.value", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o.set_value(101);
  });
  add("rating +4", "outcome.value", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
    o.set_value(4);
  });
  add("choices on a rating", "outcome.akps_choices", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
    o.add_akps_choices(0);
  });
  add("a malformed date", "outcome.local_date", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o.set_local_date("2026-02-30");
  });
  add("a future date", "outcome.local_date", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o.set_local_date("2026-03-06");
  });
  add("a date before the program", "outcome.local_date", [](v1::Outcome& o) {
    o.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o.set_local_date("2026-03-01");
  });
  int n = 0;
  for (const Case& c : cases) {
    v1::RecordOutcomeResponse response;
    grpc::Status status = Record(program, c.outcome, absl::StrCat("bad-", n++), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.what;
    EXPECT_TRUE(ViolatedFields(status).count(c.field)) << c.what << ": " << status.error_message();
  }
  // The boundaries are accepted.
  for (int value : {-3, 3}) {
    v1::Outcome o;
    o.set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
    o.set_value(value);
    v1::RecordOutcomeResponse response;
    EXPECT_TRUE(Record(program, o, absl::StrCat("groc", value + 3), &response).ok()) << value;
  }
  v1::Outcome no_request_id;
  no_request_id.set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
  v1::RecordOutcomeResponse response;
  EXPECT_EQ(Record(program, no_request_id, "", &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(List(program).size(), 2u);  // only the two boundary ratings

  v1::Program missing = program;
  missing.set_name("programs/nosuchprogram");
  EXPECT_EQ(Record(missing, no_request_id, "x", &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);  // does not reveal what exists
  v1::ListOutcomesRequest list;
  list.set_program(program.name());
  list.set_page_size(-1);
  v1::ListOutcomesResponse listed;
  EXPECT_EQ(Call(*outcomes_, &v1::OutcomeService::Stub::ListOutcomes, list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(OutcomesTest, AnAkpsThatRoseLessThanTenInSixWeeksAlertsTheClinician) {
  const v1::Program program = MakeProgram(MakePatient());
  GoToDay(0);
  RecordAkps(program, 60, "akps-week1");
  GoToDay(41);  // five weeks and six days: too early to judge
  EXPECT_TRUE(RecordAkps(program, 61, "akps-early").alerts().empty());
  GoToDay(42);
  const v1::RecordOutcomeResponse late = RecordAkps(program, 69, "akps-week7");
  ASSERT_EQ(late.alerts_size(), 1);
  const v1::Alert& alert = late.alerts(0);
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_NO_MEANINGFUL_CHANGE);
  EXPECT_THAT(alert.message(), HasSubstr("AKPS 60 -> 69 (needed +10)"));
  EXPECT_EQ(alert.inputs().at("akps_first"), "60");
  EXPECT_EQ(alert.inputs().at("akps_last"), "69");
  EXPECT_EQ(NoChangeAlerts(program).size(), 1u);
  // Raised once per program.
  GoToDay(50);
  EXPECT_TRUE(RecordAkps(program, 62, "akps-week8").alerts().empty());
  EXPECT_EQ(NoChangeAlerts(program).size(), 1u);
}

TEST_F(OutcomesTest, SimulateProgramPredictsTheAkpsAlertWithoutStoringIt) {
  const v1::Program program = MakeProgram(MakePatient());
  v1::SimulateProgramRequest request;
  request.set_protocol_name("protocols/default");
  *request.mutable_program() = program;
  request.set_start_date(program.start_date());
  auto add = [&](int day, int score) {
    v1::SimulatedEvent* e = request.add_events();
    e->set_local_date(FormatLocalDate(*ParseLocalDate(program.start_date()) + day));
    e->mutable_outcome()->set_kind(v1::OUTCOME_KIND_AKPS);
    for (int c : ChoicesScoring(score)) e->mutable_outcome()->add_akps_choices(c);
  };
  add(0, 60);
  add(42, 69);
  v1::SimulateProgramResponse simulated;
  grpc::Status status =
      Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, request, &simulated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(simulated.alerts_size(), 1);
  EXPECT_EQ(simulated.alerts(0).kind(), v1::ALERT_KIND_NO_MEANINGFUL_CHANGE);
  EXPECT_TRUE(List(program).empty());

  // The real service decides the same.
  GoToDay(0);
  RecordAkps(program, 60, "a1");
  GoToDay(42);
  const v1::RecordOutcomeResponse real = RecordAkps(program, 69, "a2");
  ASSERT_EQ(real.alerts_size(), 1);
  EXPECT_EQ(real.alerts(0).message(), simulated.alerts(0).message());

  // A bad outcome event names its field.
  request.mutable_events(1)->mutable_outcome()->set_value(5);
  status = Call(*programs_, &v1::ProgramService::Stub::SimulateProgram, request, &simulated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ViolatedFields(status).count("events[1].outcome.value")) << status.error_message();
}

TEST_F(OutcomesTest, AnAkpsUpByTheMeaningfulChangeRaisesNothing) {
  const v1::Program program = MakeProgram(MakePatient());
  GoToDay(0);
  RecordAkps(program, 60, "akps-week1");
  GoToDay(42);
  EXPECT_TRUE(RecordAkps(program, 70, "akps-week7").alerts().empty());
  EXPECT_TRUE(NoChangeAlerts(program).empty());
}

TEST_F(OutcomesTest, TodaysSessionAsksForTheAkpsUntilItIsRecorded) {
  const v1::Program program = MakeProgram(MakePatient());
  GoToDay(0);
  EXPECT_THAT(Today(program).outcomes_due(), ElementsAre(v1::OUTCOME_KIND_AKPS));
  RecordAkps(program, 60, "akps-1");
  EXPECT_THAT(Today(program).outcomes_due(), ::testing::IsEmpty());  // the kept plan changed
  GoToDay(27);
  EXPECT_THAT(Today(program).outcomes_due(), ::testing::IsEmpty());
  GoToDay(28);
  EXPECT_THAT(Today(program).outcomes_due(), ElementsAre(v1::OUTCOME_KIND_AKPS));
  RecordAkps(program, 66, "akps-2");
  GoToDay(42);
  v1::GetTodaySessionRequest basic;
  basic.set_program(program.name());
  basic.set_view(v1::SESSION_VIEW_BASIC);
  v1::GetTodaySessionResponse response;
  ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::GetTodaySession, basic, &response).ok());
  EXPECT_THAT(response.session().outcomes_due(),
              ElementsAre(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE));
  EXPECT_THAT(Today(program).outcomes_due(),  // and in the full view
              ElementsAre(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE));
}

TEST_F(OutcomesTest, ProgressSumsUpTheStoredWeeks) {
  const v1::Program program = MakeProgram(MakePatient());
  for (int day : {0, 1, 3, 8}) {
    GoToDay(day);
    v1::ReportSessionResponse reported;
    ASSERT_TRUE(Call(*sessions_, &v1::SessionService::Stub::ReportSession,
                     ReportAll(Today(program), 2, 2, absl::StrCat("s", day)), &reported)
                    .ok());
    v1::ReportMorningCheckInRequest check_in;
    check_in.set_request_id(absl::StrCat("c", day));
    check_in.mutable_check_in()->set_program(program.name());
    check_in.mutable_check_in()->set_morning_pain(day < 7 ? 4 : 1);
    v1::ReportMorningCheckInResponse checked;
    ASSERT_TRUE(
        Call(*sessions_, &v1::SessionService::Stub::ReportMorningCheckIn, check_in, &checked).ok());
    if (day == 1) RecordAkps(program, 55, "akps-1");
  }
  GoToDay(9);
  RecordAkps(program, 63, "akps-2");

  v1::GetProgressRequest request;
  request.set_program(program.name());
  v1::GetProgressResponse response;
  grpc::Status status =
      Call(*outcomes_, &v1::OutcomeService::Stub::GetProgress, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::ProgramProgress& p = response.progress();
  ASSERT_EQ(p.weeks_size(), 2);
  EXPECT_EQ(p.weeks(0).sessions_done(), 3);
  EXPECT_EQ(p.weeks(0).green_sessions() + p.weeks(0).amber_sessions(), 3);
  EXPECT_DOUBLE_EQ(p.weeks(0).morning_pain_median(), 4);
  EXPECT_EQ(p.weeks(0).akps(), 55);
  EXPECT_EQ(p.weeks(1).sessions_done(), 1);
  EXPECT_EQ(p.weeks(1).end_date(), "2026-03-11");
  EXPECT_EQ(p.weeks(1).akps(), 63);
  EXPECT_DOUBLE_EQ(p.morning_pain_change(), -3);
  EXPECT_EQ(p.akps_change(), 8);
  EXPECT_EQ(p.weeks_with_three_sessions(), 1);

  request.set_weeks(1);
  ASSERT_TRUE(Call(*outcomes_, &v1::OutcomeService::Stub::GetProgress, request, &response).ok());
  ASSERT_EQ(response.progress().weeks_size(), 1);
  EXPECT_EQ(response.progress().weeks(0).week(), 2);

  request.set_weeks(53);
  status = Call(*outcomes_, &v1::OutcomeService::Stub::GetProgress, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ViolatedFields(status).count("weeks"));
  request.set_weeks(0);
  request.set_program("programs/nosuchprogram");
  EXPECT_EQ(
      Call(*outcomes_, &v1::OutcomeService::Stub::GetProgress, request, &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace kneecoach::testing
