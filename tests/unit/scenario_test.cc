// Twelve-week scenarios run through Simulate, the same path SimulateProgram takes, so each
// can be replayed through the API. Each asserts where the program ends: phase, rungs,
// doses, state and alerts.
#include "service/domain/simulate.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::kneecoach::testing::DefaultProtocol;
using ::kneecoach::testing::TestLibrary;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kStart[] = "2026-03-02";
constexpr int kTwelveWeeks = 84;

// Builds a SimulateProgramRequest day by day (day 0 = kStart).
class Scenario {
 public:
  Scenario() {
    request_.set_start_date(kStart);
    *request_.mutable_protocol() = DefaultProtocol();
  }

  v1::SimulateProgramRequest& request() { return request_; }

  v1::MorningCheckIn& CheckIn(int day, int morning_pain, std::optional<int> usual = std::nullopt) {
    v1::SimulatedEvent* e = Event(day);
    e->mutable_check_in()->set_morning_pain(morning_pain);
    if (usual.has_value()) e->mutable_check_in()->set_usual_pain(*usual);
    return *e->mutable_check_in();
  }

  v1::SimulatedSession& Session(int day, int pain_during,
                                std::optional<int> pain_after = std::nullopt) {
    v1::SimulatedEvent* e = Event(day);
    e->mutable_session()->set_pain_during(pain_during);
    if (pain_after.has_value()) e->mutable_session()->set_pain_after_1h(*pain_after);
    return *e->mutable_session();
  }

  SimulationResult Run() {
    auto result = Simulate(TestLibrary(), request_);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : SimulationResult();
  }

 private:
  v1::SimulatedEvent* Event(int day) {
    v1::SimulatedEvent* e = request_.add_events();
    e->set_local_date(FormatLocalDate(testing::Day(kStart) + day));
    return e;
  }

  v1::SimulateProgramRequest request_;
};

std::vector<const v1::Decision*> OfKind(const SimulationResult& r, v1::DecisionKind kind) {
  std::vector<const v1::Decision*> found;
  for (const auto& d : r.decisions) {
    if (d.kind() == kind) found.push_back(&d);
  }
  return found;
}

std::string DateOf(const v1::Decision& d) {
  auto it = d.inputs().find("local_date");
  return it == d.inputs().end() ? "" : it->second;
}

std::string AlertDate(const v1::Alert& a) {
  return FormatLocalDate(
      absl::ToCivilDay(absl::FromUnixSeconds(a.create_time().seconds()), absl::UTCTimeZone()));
}

// "exercises/{slug}" of each prescription, in program order.
std::vector<std::string> Exercises(const v1::Program& program) {
  std::vector<std::string> slugs;
  for (const auto& p : program.prescriptions()) slugs.push_back(p.exercise());
  return slugs;
}

v1::Dose MakeDose(int sets, int reps, double load_kg = 0, int hold_seconds = 0) {
  v1::Dose d;
  d.set_sets(sets);
  d.set_reps(reps);
  d.set_load_kg(load_kg);
  d.set_hold_seconds(hold_seconds);
  return d;
}

MATCHER_P(DoseIs, expected, "") {
  return arg.sets() == expected.sets() && arg.reps() == expected.reps() &&
         arg.load_kg() == expected.load_kg() && arg.hold_seconds() == expected.hold_seconds();
}

// Morning pain 4 for two weeks, then 3, 2 and 1; usual pain weekly, down from 4.
int ImproverMorning(int day) { return std::max(1, 4 - day / 14); }

void AddImproverDay(Scenario& s, int day) {
  s.CheckIn(day, ImproverMorning(day),
            day % 7 == 0 ? std::optional<int>(std::max(1, 4 - day / 10)) : std::nullopt);
  s.Session(day, 2, ImproverMorning(day));
}

TEST(Scenario, SteadyImproverSettlesThenClimbsTheLadders) {
  Scenario s;
  for (int day = 0; day < kTwelveWeeks; ++day) AddImproverDay(s, day);
  const SimulationResult r = s.Run();

  EXPECT_EQ(r.program.phase(), v1::PHASE_STRENGTHEN);
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_ACTIVE);
  EXPECT_TRUE(r.alerts.empty());
  const auto phases = OfKind(r, v1::DECISION_KIND_CHANGE_PHASE);
  ASSERT_EQ(phases.size(), 1u);
  // Usual pain reaches 3 on day 14; mornings were stable and the wall-sit test passed before.
  EXPECT_EQ(DateOf(*phases[0]), "2026-03-16");
  EXPECT_EQ(phases[0]->phase_after(), v1::PHASE_STRENGTHEN);
  EXPECT_EQ(r.program.phase_start_date(), "2026-03-16");
  // Nothing but progress: no hold, regression or swap for a patient who is always GREEN.
  EXPECT_EQ(OfKind(r, v1::DECISION_KIND_PROGRESS).size() + 1, r.decisions.size());
  EXPECT_THAT(
      Exercises(r.program),
      ElementsAre("exercises/quad-set", "exercises/spanish-squat", "exercises/knee-extension-90-0",
                  "exercises/side-plank-knees", "exercises/glute-squeeze", "exercises/hip-thrust",
                  "exercises/stationary-bike", "exercises/brisk-walk", "exercises/goblet-squat-90",
                  "exercises/lateral-step-down-10", "exercises/single-leg-rdl",
                  "exercises/single-leg-hops"));
  EXPECT_THAT(r.program.prescriptions(0).dose(), DoseIs(MakeDose(3, 15, 0, 60)));
  EXPECT_THAT(r.program.prescriptions(5).dose(), DoseIs(MakeDose(3, 15, 10.8)));
  // Goblet squat: reps 10 -> 15, then one load step (+7.5%) back to 10 reps.
  EXPECT_THAT(r.program.prescriptions(8).dose(), DoseIs(MakeDose(3, 10, 8.6)));
  for (const auto& d : r.decisions) {
    SCOPED_TRACE(d.rule());
    EXPECT_EQ(d.state(), v1::DECISION_STATE_APPLIED);
    EXPECT_EQ(d.author(), "engine");
    EXPECT_FALSE(d.patient_reason().empty());
    EXPECT_FALSE(d.clinician_reason().empty());
  }
  EXPECT_EQ(r.decisions.front().name(), "programs/simulation/decisions/1");
}

TEST(Scenario, FlareInWeekThreeSwapsRegressesAndRecovers) {
  Scenario s;
  for (int day = 0; day < kTwelveWeeks; ++day) {
    if (day == 15) {  // a RED session: pain 6 during
      s.CheckIn(day, ImproverMorning(day));
      s.Session(day, 6, 5);
    } else if (day == 16) {  // next morning baseline + 2, AMBER session
      s.CheckIn(day, 6);
      s.Session(day, 4, 5);
    } else if (day == 17) {  // morning baseline + 1, AMBER again
      s.CheckIn(day, 5);
      s.Session(day, 4, 4);
    } else {
      AddImproverDay(s, day);
    }
  }
  const SimulationResult r = s.Run();

  const auto swaps = OfKind(r, v1::DECISION_KIND_SWAP_TO_ISOMETRIC);
  ASSERT_EQ(swaps.size(), 1u);
  EXPECT_EQ(DateOf(*swaps[0]), "2026-03-17");
  EXPECT_EQ(swaps[0]->prescription(), "programs/simulation/prescriptions/3");
  EXPECT_EQ(swaps[0]->exercise_before(), "exercises/knee-extension-90-45");
  EXPECT_EQ(swaps[0]->exercise_after(), "exercises/isometric-knee-extension-60-90");
  int red_regressions = 0, amber_holds = 0, amber_regressions = 0;
  for (const auto* d : OfKind(r, v1::DECISION_KIND_REGRESS)) {
    red_regressions += d->rule().rfind("regress.red", 0) == 0;
    amber_regressions += d->rule() == "regress.amber_streak";
  }
  for (const auto* d : OfKind(r, v1::DECISION_KIND_HOLD)) amber_holds += d->rule() == "hold.amber";
  EXPECT_EQ(red_regressions, 5);    // the other exercises done on day 15
  EXPECT_EQ(amber_holds, 12);       // day 16: every exercise done, AMBER once
  EXPECT_EQ(amber_regressions, 6);  // day 17: the daily ones, AMBER twice at the same dose
  const auto back = std::find_if(r.decisions.begin(), r.decisions.end(), [](const auto& d) {
    return d.rule() == "progress.return_from_isometric";
  });
  ASSERT_NE(back, r.decisions.end());
  // The third green isometric session was on 2026-03-22; its next morning confirms it.
  EXPECT_EQ(DateOf(*back), "2026-03-23");
  EXPECT_EQ(back->exercise_after(), "exercises/knee-extension-90-45");

  EXPECT_TRUE(r.alerts.empty());  // one RED session, not two in a row, not for 72 h
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_ACTIVE);
  EXPECT_EQ(r.program.phase(), v1::PHASE_STRENGTHEN);
  for (const auto& p : r.program.prescriptions()) {
    EXPECT_EQ(p.progress().swapped_from_exercise(), "") << p.name();
  }
  EXPECT_EQ(r.program.prescriptions(1).exercise(), "exercises/spanish-squat");
  EXPECT_EQ(r.program.prescriptions(2).exercise(), "exercises/knee-extension-90-0");
  // The flare cost the squat a week: still at goblet squat reps, before its load step.
  EXPECT_THAT(r.program.prescriptions(8).dose(), DoseIs(MakeDose(3, 15, 8)));
}

TEST(Scenario, RedFlagAtCheckInPausesAtOnce) {
  Scenario s;
  for (int day = 0; day < kTwelveWeeks; ++day) {
    if (day == 10) {
      s.CheckIn(day, 4).set_locking(true);
      s.Session(day, 2);
    } else {
      AddImproverDay(s, day);
    }
  }
  const SimulationResult r = s.Run();

  ASSERT_EQ(r.alerts.size(), 1u);
  const v1::Alert& alert = r.alerts[0];
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_RED_FLAG_URGENT);
  EXPECT_THAT(alert.red_flags(), ElementsAre(v1::RED_FLAG_TRUE_LOCKING));
  EXPECT_TRUE(alert.paused_program());
  EXPECT_EQ(AlertDate(alert), "2026-03-12");
  EXPECT_FALSE(alert.patient_advice().empty());
  const auto pauses = OfKind(r, v1::DECISION_KIND_PAUSE);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(DateOf(*pauses[0]), "2026-03-12");
  EXPECT_EQ(pauses[0]->rule(), "safety.red_flag");
  // Nothing after the pause: no session is due and no dose changes.
  EXPECT_EQ(&r.decisions.back(), pauses[0]);
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(r.program.pause_reason(), "Red flag: true locking");
  EXPECT_EQ(r.program.phase(), v1::PHASE_SETTLE);
  EXPECT_EQ(r.history.sessions.size(), 10u);
}

TEST(Scenario, PainAboveSevenTwoMorningsRunningPausesForAnUrgentReview) {
  Scenario s;
  for (int day = 0; day < kTwelveWeeks; ++day) {
    if (day == 10 || day == 11) {  // morning pain 8, nothing ticked; the sessions feel fine
      s.CheckIn(day, 8);
      s.Session(day, 2);
    } else {
      AddImproverDay(s, day);
    }
  }
  const SimulationResult r = s.Run();

  ASSERT_EQ(r.alerts.size(), 1u);
  const v1::Alert& alert = r.alerts[0];
  EXPECT_EQ(alert.kind(), v1::ALERT_KIND_PAIN_SUSTAINED_HIGH);
  EXPECT_TRUE(alert.paused_program());
  EXPECT_THAT(alert.red_flags(), ElementsAre(v1::RED_FLAG_PAIN_RISING_FAST_OR_ABOVE_SEVEN));
  EXPECT_EQ(AlertDate(alert), "2026-03-13");
  EXPECT_THAT(alert.message(), HasSubstr("(2026-03-12: 8, 2026-03-13: 8; limit 2 days)"));
  const auto pauses = OfKind(r, v1::DECISION_KIND_PAUSE);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(DateOf(*pauses[0]), "2026-03-13");
  EXPECT_EQ(pauses[0]->rule(), "safety.pain_sustained_high");
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(r.program.pause_reason(), "Pain above 7/10 on 2 days in a row");
  // Day 11's session came after the pause: nothing was due.
  EXPECT_EQ(r.history.sessions.size(), 11u);
}

TEST(Scenario, ImmediateRedFlagPausesEvenInApprovalMode) {
  Scenario s;
  s.request().mutable_program()->set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  for (int day = 0; day < 5; ++day) AddImproverDay(s, day);
  s.CheckIn(5, 3).add_red_flags(v1::RED_FLAG_HOT_SWOLLEN_KNEE_WITH_FEVER);
  const SimulationResult r = s.Run();

  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].kind(), v1::ALERT_KIND_RED_FLAG_IMMEDIATE);
  EXPECT_THAT(r.alerts[0].patient_advice(), HasSubstr("Seek same-day care"));
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_PAUSED);
  const auto pauses = OfKind(r, v1::DECISION_KIND_PAUSE);
  ASSERT_EQ(pauses.size(), 1u);
  EXPECT_EQ(pauses[0]->state(), v1::DECISION_STATE_APPLIED);
  // Dose decisions before it were only proposed.
  for (const auto* d : OfKind(r, v1::DECISION_KIND_PROGRESS)) {
    EXPECT_EQ(d->state(), v1::DECISION_STATE_PROPOSED);
  }
  EXPECT_EQ(r.program.prescriptions(1).dose().hold_seconds(), 30);  // unchanged
}

TEST(Scenario, NonAdherentPatientRaisesAdherenceAlerts) {
  Scenario s;
  for (int day = 0; day < kTwelveWeeks; ++day) {
    if (day % 7 == 0 || day % 7 == 2 || day % 7 == 4) {  // check-ins three times a week
      s.CheckIn(day, 4, day % 7 == 0 ? std::optional<int>(4) : std::nullopt);
    }
    if (day % 7 == 5) s.Session(day, 2);  // one session a week
  }
  const SimulationResult r = s.Run();

  std::vector<std::string> adherence;
  std::vector<std::string> no_change;
  for (const auto& a : r.alerts) {
    if (a.kind() == v1::ALERT_KIND_LOW_ADHERENCE) adherence.push_back(AlertDate(a));
    if (a.kind() == v1::ALERT_KIND_NO_MEANINGFUL_CHANGE) no_change.push_back(AlertDate(a));
    EXPECT_FALSE(a.paused_program());
  }
  // Once the first 14 days are in, then not again within 14 days.
  EXPECT_THAT(adherence,
              ElementsAre("2026-03-16", "2026-03-30", "2026-04-13", "2026-04-27", "2026-05-11"));
  EXPECT_EQ(r.alerts[0].inputs().at("sessions_done"), "2");
  EXPECT_EQ(r.alerts[0].inputs().at("sessions_planned"), "14");
  // Morning pain 4 throughout: no meaningful change after six weeks, raised once.
  EXPECT_THAT(no_change, ElementsAre("2026-04-13"));
  EXPECT_EQ(r.program.state(), v1::PROGRAM_STATE_ACTIVE);
  EXPECT_EQ(r.program.phase(), v1::PHASE_SETTLE);  // usual pain 4 > 3
}

v1::Prescription Requested(absl::string_view slug, absl::string_view ladder = "") {
  v1::Prescription p;
  p.set_exercise(absl::StrCat("exercises/", slug));
  if (!ladder.empty()) p.set_ladder(absl::StrCat("ladders/", ladder));
  return p;
}

TEST(Scenario, RunnerGoesThroughAllEightStagesToMaintenance) {
  Scenario s;
  v1::Program& program = *s.request().mutable_program();
  program.set_phase(v1::PHASE_STRENGTHEN);
  *program.add_prescriptions() = Requested("single-leg-squat-60", "squat");
  *program.add_prescriptions() = Requested("calf-raise-single", "impact");
  *program.add_prescriptions() = Requested("single-leg-hops", "impact");
  v1::Prescription walk = Requested("brisk-walk");
  walk.mutable_dose()->set_sets(1);
  walk.mutable_dose()->set_duration_seconds(1800);
  *program.add_prescriptions() = walk;
  *program.add_prescriptions() = Requested("wall-sit-60", "quad-isometric");
  program.mutable_cadence()->set_enabled(true);
  program.mutable_cadence()->set_baseline_spm(160);
  program.mutable_cadence()->set_step_index(-1);
  for (int day = 0; day < kTwelveWeeks; ++day) {
    s.CheckIn(day, 1, day % 7 == 0 ? std::optional<int>(1) : std::nullopt);
    if (day != 1) {
      s.Session(day, 1, 1);
      continue;
    }
    // Day 1, the strengthen exit tests: 10 single-leg squats, 20 single-leg calf raises,
    // 10 single-leg hops and a 30 min brisk walk, all with pain <= 2.
    v1::SimulatedSession& tests = s.Session(day, 1, 1);
    for (int i = 1; i <= 4; ++i) {
      v1::ExerciseReport* report = tests.add_reports();
      report->set_prescription(absl::StrCat("programs/simulation/prescriptions/", i));
      report->set_pain_during(1);
      if (i == 2) report->set_reps_done(20);
    }
  }
  const SimulationResult r = s.Run();

  const auto phases = OfKind(r, v1::DECISION_KIND_CHANGE_PHASE);
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(DateOf(*phases[0]), "2026-03-23");  // strengthen's 21 days
  EXPECT_EQ(phases[0]->phase_after(), v1::PHASE_RETURN_TO_RUN);
  EXPECT_EQ(DateOf(*phases[1]), "2026-04-27");  // stage 8 at 30 min green twice
  EXPECT_EQ(phases[1]->phase_after(), v1::PHASE_MAINTENANCE);
  std::vector<std::string> stages;
  for (const auto* d : OfKind(r, v1::DECISION_KIND_ADVANCE_STAGE)) {
    stages.push_back(d->inputs().at("stage_after"));
  }
  EXPECT_THAT(stages, ElementsAre("stage 2", "stage 3", "stage 4", "stage 5", "stage 6", "stage 7",
                                  "stage 8 (20 min continuous)", "stage 8 (30 min continuous)"));
  // Maintenance: the 30 min run grows by 10% a week at most, volume only.
  std::vector<int> volumes;
  std::vector<std::string> volume_dates;
  for (const auto* d : OfKind(r, v1::DECISION_KIND_PROGRESS)) {
    if (d->rule() != "maintenance.volume") continue;
    volumes.push_back(d->dose_after().duration_seconds());
    volume_dates.push_back(DateOf(*d));
  }
  EXPECT_THAT(volumes, ElementsAre(1980, 2178, 2395));
  for (size_t i = 1; i < volume_dates.size(); ++i) {
    EXPECT_GE(testing::Day(volume_dates[i]) - testing::Day(volume_dates[i - 1]), 7);
  }
  const v1::Prescription& run = r.program.prescriptions(5);
  EXPECT_EQ(run.exercise(), "exercises/run-walk-stage-8");
  EXPECT_EQ(run.dose().duration_seconds(), 2395);
  EXPECT_EQ(run.added_in_phase(), v1::PHASE_RETURN_TO_RUN);
  // Strength continues twice a week in return to run.
  bool twice_a_week = false;
  for (const auto& rule : r.program.rules().frequency_rules()) {
    if (rule.frequency_class() == v1::FREQUENCY_CLASS_LOADED_STRENGTH) {
      twice_a_week = rule.max_per_week() == 2;
    }
  }
  EXPECT_TRUE(twice_a_week);
  // Cadence: +5%, then +10% of the runner's own 160 steps/min.
  EXPECT_EQ(r.program.cadence().step_index(), 1);
  EXPECT_EQ(r.program.cadence().target_spm(), 176);
  EXPECT_EQ(OfKind(r, v1::DECISION_KIND_CADENCE_STEP).size(), 2u);
  EXPECT_EQ(r.program.phase(), v1::PHASE_MAINTENANCE);
  EXPECT_TRUE(r.alerts.empty());

  const v1::SimulateProgramResponse response = ToResponse(r);
  EXPECT_EQ(response.decisions_size(), static_cast<int>(r.decisions.size()));
  EXPECT_EQ(response.program().phase(), v1::PHASE_MAINTENANCE);
}

// Twelve weeks of daily green wall sits (pain 1) in maintenance, where nothing else moves,
// with the next mornings given by `morning` (day -> pain, nullopt: no check-in).
SimulationResult WallSitTwelveWeeks(const std::function<std::optional<int>(int)>& morning) {
  Scenario s;
  v1::Program& program = *s.request().mutable_program();
  program.set_phase(v1::PHASE_MAINTENANCE);
  *program.add_prescriptions() = Requested("wall-sit-30-45", "quad-isometric");
  for (int day = 0; day < 7; ++day) s.CheckIn(day, 1);  // baseline 1
  for (int day = 7; day < kTwelveWeeks; ++day) {
    if (std::optional<int> pain = morning(day)) s.CheckIn(day, *pain);
    s.Session(day, 1, 1);
  }
  return s.Run();
}

std::vector<std::string> ProgressDates(const SimulationResult& r) {
  std::vector<std::string> dates;
  for (const auto* d : OfKind(r, v1::DECISION_KIND_PROGRESS)) dates.push_back(DateOf(*d));
  return dates;
}

TEST(Scenario, TwelveWeeksWhereOnlyConfirmedSessionsProgress) {
  // Every morning at baseline: each third green session is confirmed the next morning.
  const SimulationResult confirmed = WallSitTwelveWeeks([](int) { return 1; });
  const std::vector<std::string> steps = ProgressDates(confirmed);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0], "2026-03-12");  // sessions of 03-09..03-11, confirmed on 03-12
  EXPECT_GT(confirmed.program.prescriptions(0).dose().hold_seconds(), 30);

  // The morning after every third session at baseline + 1 (AMBER): those sessions were
  // never GREEN, so nothing ever progresses. Acting at the session, the engine progressed
  // on each third "green" and then held the new dose.
  const SimulationResult amber =
      WallSitTwelveWeeks([](int day) { return (day - 7) % 3 == 0 && day > 7 ? 2 : 1; });
  EXPECT_TRUE(ProgressDates(amber).empty());
  EXPECT_THAT(amber.program.prescriptions(0).dose(), DoseIs(MakeDose(5, 0, 0, 30)));
  int holds = 0;
  for (const auto* d : OfKind(amber, v1::DECISION_KIND_HOLD)) {
    EXPECT_EQ(d->rule(), "hold.amber");
    EXPECT_EQ(d->dose_before().hold_seconds(), 30) << "held at the dose that was done";
    ++holds;
  }
  EXPECT_GT(holds, 20);

  // No check-ins at all after the first week: a session counts 48 h after its day ends,
  // so each step comes two days after the confirmed path's.
  const SimulationResult silent = WallSitTwelveWeeks([](int) { return std::nullopt; });
  const std::vector<std::string> late = ProgressDates(silent);
  ASSERT_FALSE(late.empty());
  EXPECT_EQ(late[0], "2026-03-14");
  EXPECT_NE(late, steps);
}

TEST(Scenario, BadRequestsNameTheField) {
  struct Case {
    std::string field;
    std::function<void(v1::SimulateProgramRequest&)> breakit;
  };
  const std::vector<Case> cases = {
      {"protocol", [](auto& r) { r.clear_protocol(); }},
      {"protocol.rules.progression.max_reps",
       [](auto& r) {
         r.mutable_protocol()->mutable_rules()->mutable_progression()->set_max_reps(0);
       }},
      {"start_date", [](auto& r) { r.set_start_date("2026-02-30"); }},
      {"events[0].local_date", [](auto& r) { r.mutable_events(0)->set_local_date("2026-03-01"); }},
      {"events[0].check_in.morning_pain",
       [](auto& r) { r.mutable_events(0)->mutable_check_in()->set_morning_pain(11); }},
      {"events[0].check_in.usual_pain",
       [](auto& r) { r.mutable_events(0)->mutable_check_in()->set_usual_pain(11); }},
      {"events[0].check_in.worst_pain",
       [](auto& r) { r.mutable_events(0)->mutable_check_in()->set_worst_pain(-1); }},
      {"events[1].session.pain_during",
       [](auto& r) { r.mutable_events(1)->mutable_session()->clear_pain_during(); }},
      {"events[2]", [](auto& r) { r.add_events()->set_local_date("2026-03-03"); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    Scenario s;
    s.CheckIn(0, 2);
    s.Session(0, 2);
    c.breakit(s.request());
    const auto result = Simulate(TestLibrary(), s.request());
    ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(c.field + ":"));
  }
}

}  // namespace
}  // namespace kneecoach
