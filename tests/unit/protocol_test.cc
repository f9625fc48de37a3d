#include "service/domain/protocol.h"

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "service/domain/errors.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::testing::Contains;

using ::kneecoach::testing::DataDir;
using ::kneecoach::testing::TestLibrary;

v1::Protocol DefaultProtocol() { return ::kneecoach::testing::DefaultProtocol(); }

// The field paths of the BadRequest payload of `status`.
std::vector<std::string> ViolatedFields(const absl::Status& status) {
  std::vector<std::string> fields;
  auto payload = status.GetPayload(kBadRequestTypeUrl);
  if (!payload.has_value()) return fields;
  google::rpc::BadRequest bad_request;
  if (!bad_request.ParseFromString(std::string(*payload))) return fields;
  for (const auto& v : bad_request.field_violations()) fields.push_back(v.field());
  return fields;
}

TEST(Protocol, DefaultFileLoadsAndValidates) {
  const v1::Protocol protocol = DefaultProtocol();
  EXPECT_EQ(protocol.name(), "protocols/default");
  EXPECT_EQ(protocol.id(), "default");
  EXPECT_EQ(protocol.version(), 5);
  EXPECT_EQ(protocol.rules().confirmation().unconfirmed_counts_after_hours(), 48);
  EXPECT_EQ(protocol.rules().regression_variables_size(), 8);  // every category
  EXPECT_DOUBLE_EQ(protocol.rules().maintenance().max_weekly_volume_increase(), 0.1);
  EXPECT_EQ(protocol.rules().alerts().meaningful_akps_change(), 10);
  EXPECT_EQ(protocol.rules().alerts().sustained_pain_above(), 7);
  EXPECT_EQ(protocol.rules().alerts().sustained_pain_days(), 2);
  EXPECT_EQ(protocol.rules().alerts().usual_pain_fast_rise_points(), 3);
  EXPECT_EQ(protocol.rules().alerts().usual_pain_fast_window_days(), 3);
  ASSERT_EQ(protocol.phases_size(), 4);
  EXPECT_EQ(protocol.phases(0).phase(), v1::PHASE_SETTLE);
  EXPECT_EQ(protocol.phases(3).phase(), v1::PHASE_MAINTENANCE);
  EXPECT_EQ(protocol.rules().exercise_traffic_light().green_max_pain_during(), 3);
  EXPECT_EQ(protocol.rules().running_traffic_light().green_max_pain_during(), 2);
  EXPECT_EQ(protocol.rules().return_to_run().stages_size(), 9);
  EXPECT_TRUE(ValidateProtocol(protocol, TestLibrary()).ok());
}

struct BrokenCase {
  std::string field;  // the field path the violation must name
  std::function<void(v1::Protocol&)> breakit;
};

TEST(Protocol, BrokenCopiesAreRejectedNamingTheField) {
  const std::vector<BrokenCase> cases = {
      {"id", [](v1::Protocol& p) { p.clear_id(); }},
      {"version", [](v1::Protocol& p) { p.set_version(0); }},
      {"rules.baseline_window_days",
       [](v1::Protocol& p) { p.mutable_rules()->set_baseline_window_days(0); }},
      {"rules.exercise_traffic_light.green_max_pain_during",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_exercise_traffic_light()->set_green_max_pain_during(6);
       }},
      {"rules.exercise_traffic_light.amber_morning_over_baseline",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_exercise_traffic_light()->set_amber_morning_over_baseline(2);
       }},
      {"rules.running_traffic_light.amber_max_pain_during",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_running_traffic_light()->set_amber_max_pain_during(11);
       }},
      {"rules.progression.greens_to_progress",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_progression()->set_greens_to_progress(0);
       }},
      {"rules.progression.regress_volume_fraction",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_progression()->set_regress_volume_fraction(1.0);
       }},
      {"rules.progression.red_volume_fraction",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_progression()->set_red_volume_fraction(0);
       }},
      {"rules.progression.hold_step_seconds",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_progression()->set_hold_step_seconds(-15);
       }},
      {"rules.progression.reps_after_load_step",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_progression()->set_reps_after_load_step(20);
       }},
      {"rules.alerts.meaningful_akps_change",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_alerts()->set_meaningful_akps_change(101);
       }},
      {"rules.alerts.sustained_pain_above",
       [](v1::Protocol& p) {  // pauses on any pain
         p.mutable_rules()->mutable_alerts()->set_sustained_pain_above(0);
       }},
      {"rules.alerts.sustained_pain_above",
       [](v1::Protocol& p) {  // pain cannot exceed 10
         p.mutable_rules()->mutable_alerts()->set_sustained_pain_above(10);
       }},
      {"rules.alerts.sustained_pain_days",
       [](v1::Protocol& p) { p.mutable_rules()->mutable_alerts()->set_sustained_pain_days(-1); }},
      {"rules.alerts.sustained_pain_days",
       [](v1::Protocol& p) { p.mutable_rules()->mutable_alerts()->set_sustained_pain_days(29); }},
      {"rules.alerts.usual_pain_fast_rise_points",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_alerts()->set_usual_pain_fast_rise_points(11);
       }},
      {"rules.alerts.usual_pain_fast_rise_points",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_alerts()->set_usual_pain_fast_rise_points(-1);
       }},
      {"rules.alerts.usual_pain_fast_window_days",
       [](v1::Protocol& p) {  // on, no window
         p.mutable_rules()->mutable_alerts()->set_usual_pain_fast_window_days(0);
       }},
      {"rules.alerts.usual_pain_fast_window_days",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_alerts()->set_usual_pain_fast_window_days(29);
       }},
      {"rules.outcome_schedule.akps_every_days",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_outcome_schedule()->set_akps_every_days(-1);
       }},
      {"rules.outcome_schedule.global_rating_weeks[1]",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_outcome_schedule()->set_global_rating_weeks(1, 6);
       }},
      {"rules.return_to_run.stages_back_severe",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_return_to_run()->set_stages_back_severe(0);
       }},
      {"rules.return_to_run.stages[0].exercise_slug",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_return_to_run()->mutable_stages(0)->set_exercise_slug(
             "moon-walk");
       }},
      {"rules.return_to_run.stages",
       [](v1::Protocol& p) { p.mutable_rules()->mutable_return_to_run()->clear_stages(); }},
      {"rules.cadence.steps[1]",
       [](v1::Protocol& p) { p.mutable_rules()->mutable_cadence()->set_steps(1, 0.04); }},
      {"rules.alerts.min_adherence",
       [](v1::Protocol& p) { p.mutable_rules()->mutable_alerts()->set_min_adherence(1.5); }},
      {"rules.frequency_rules[1].frequency_class",
       [](v1::Protocol& p) {
         *p.mutable_rules()->mutable_frequency_rules(1) = p.rules().frequency_rules(0);
       }},
      {"phases[1].prescriptions[0].exercise_slug",
       [](v1::Protocol& p) {
         p.mutable_phases(1)->mutable_prescriptions(0)->set_exercise_slug("no-such-exercise");
       }},
      {"phases[0].prescriptions[1].ladder_id",
       [](v1::Protocol& p) {
         p.mutable_phases(0)->mutable_prescriptions(1)->set_ladder_id("squat");
       }},
      {"phases[0].prescriptions[0].dose.sets",
       [](v1::Protocol& p) {
         p.mutable_phases(0)->mutable_prescriptions(0)->mutable_dose()->set_sets(50);
         p.mutable_phases(0)->mutable_prescriptions(0)->mutable_dose()->set_reps(10);
       }},
      {"rules.confirmation.unconfirmed_counts_after_hours",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_confirmation()->set_unconfirmed_counts_after_hours(-1);
       }},
      {"rules.confirmation.unconfirmed_counts_after_hours",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_confirmation()->set_unconfirmed_counts_after_hours(169);
       }},
      {"rules.maintenance.max_weekly_volume_increase",
       [](v1::Protocol& p) {  // > 20%
         p.mutable_rules()->mutable_maintenance()->set_max_weekly_volume_increase(0.25);
       }},
      {"rules.maintenance.max_weekly_volume_increase",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_maintenance()->set_max_weekly_volume_increase(0);
       }},
      {"rules.maintenance.greens_to_increase",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_maintenance()->set_greens_to_increase(0);
       }},
      {"rules.maintenance", [](v1::Protocol& p) { p.mutable_rules()->clear_maintenance(); }},
      // A protocol says these; a program may leave them to its protocol.
      {"rules.confirmation", [](v1::Protocol& p) { p.mutable_rules()->clear_confirmation(); }},
      {"rules.regression_variables",
       [](v1::Protocol& p) { p.mutable_rules()->clear_regression_variables(); }},
      {"rules.regression_variables",
       [](v1::Protocol& p) {  // a category missing
         p.mutable_rules()->mutable_regression_variables()->RemoveLast();
       }},
      {"rules.regression_variables[1].category",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_regression_variables(1)->set_category(
             p.rules().regression_variables(0).category());
       }},
      {"rules.regression_variables[0].category",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_regression_variables(0)->clear_category();
       }},
      {"rules.regression_variables[0].variables[1]",
       [](v1::Protocol& p) {
         auto* r = p.mutable_rules()->mutable_regression_variables(0);
         r->set_variables(1, r->variables(0));
       }},
      {"rules.regression_variables[0].variables[0]",
       [](v1::Protocol& p) {
         p.mutable_rules()->mutable_regression_variables(0)->set_variables(
             0, v1::REGRESSION_VARIABLE_UNSPECIFIED);
       }},
      {"phases[1].phase",
       [](v1::Protocol& p) { p.mutable_phases(1)->set_phase(v1::PHASE_SETTLE); }},
      {"phases[0].exit_criteria",
       [](v1::Protocol& p) {
         p.mutable_phases(0)->clear_exit_criteria();
         p.mutable_phases(0)->mutable_exit_criteria()->set_max_usual_pain(-1);
       }},
      {"phases[0].exit_criteria.tests[0].exercise_slugs[0]",
       [](v1::Protocol& p) {
         p.mutable_phases(0)->mutable_exit_criteria()->mutable_tests(0)->set_exercise_slugs(
             0, "wall-sit-90");
       }},
      {"phases[2].frequency_rules[0].max_per_week",
       [](v1::Protocol& p) {
         p.mutable_phases(2)->mutable_frequency_rules(0)->set_max_per_week(8);
       }},
  };
  for (const BrokenCase& c : cases) {
    SCOPED_TRACE(c.field);
    v1::Protocol protocol = DefaultProtocol();
    c.breakit(protocol);
    const absl::Status status = ValidateProtocol(protocol, TestLibrary());
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(ViolatedFields(status), Contains(c.field));
  }
}

TEST(Protocol, PainRulesThatPauseAreOffAtZero) {
  struct Case {
    std::string name;
    std::function<void(v1::AlertRules&)> change;
  };
  const std::vector<Case> cases = {
      // Programs created before the rules existed hold 0 in all four fields.
      {"all four 0",
       [](v1::AlertRules& r) {
         r.clear_sustained_pain_above();
         r.clear_sustained_pain_days();
         r.clear_usual_pain_fast_rise_points();
         r.clear_usual_pain_fast_window_days();
       }},
      {"sustained off, threshold kept", [](v1::AlertRules& r) { r.set_sustained_pain_days(0); }},
      {"rising fast off, window kept",
       [](v1::AlertRules& r) { r.set_usual_pain_fast_rise_points(0); }},
      {"the highest values",
       [](v1::AlertRules& r) {
         r.set_sustained_pain_above(9);
         r.set_sustained_pain_days(28);
         r.set_usual_pain_fast_rise_points(10);
         r.set_usual_pain_fast_window_days(28);
       }},
      {"the lowest values when on",
       [](v1::AlertRules& r) {
         r.set_sustained_pain_above(1);
         r.set_sustained_pain_days(1);
         r.set_usual_pain_fast_rise_points(1);
         r.set_usual_pain_fast_window_days(1);
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Protocol protocol = DefaultProtocol();
    c.change(*protocol.mutable_rules()->mutable_alerts());
    EXPECT_TRUE(ValidateProtocol(protocol, TestLibrary()).ok())
        << ValidateProtocol(protocol, TestLibrary());
  }
}

TEST(Protocol, ProgramsCreatedBeforeTheNewRulesTakeTheirProtocols) {
  const v1::ProtocolRules protocol = DefaultProtocol().rules();
  v1::ProtocolRules old = protocol;
  old.clear_confirmation();
  old.clear_regression_variables();
  old.clear_maintenance();
  EXPECT_TRUE(ValidateRules(old, "program.rules", TestLibrary()).ok());
  const v1::ProtocolRules in_force = RulesInForce(old, protocol);
  EXPECT_EQ(in_force.confirmation().unconfirmed_counts_after_hours(), 48);
  EXPECT_EQ(in_force.regression_variables_size(), protocol.regression_variables_size());
  EXPECT_EQ(in_force.maintenance().greens_to_increase(), 2);
  // A program's own choice stands, "never" included.
  v1::ProtocolRules own = protocol;
  own.mutable_confirmation()->set_unconfirmed_counts_after_hours(0);
  own.mutable_regression_variables()->DeleteSubrange(1, own.regression_variables_size() - 1);
  EXPECT_EQ(RulesInForce(own, protocol).confirmation().unconfirmed_counts_after_hours(), 0);
  EXPECT_EQ(RulesInForce(own, protocol).regression_variables_size(), 1);
}

TEST(Protocol, ProgramRulesOverrideIsValidatedUnderItsOwnPrefix) {
  v1::ProtocolRules rules = DefaultProtocol().rules();
  EXPECT_TRUE(ValidateRules(rules, "program.rules", TestLibrary()).ok());
  rules.mutable_progression()->set_max_reps(0);
  const absl::Status status = ValidateRules(rules, "program.rules", TestLibrary());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ViolatedFields(status), Contains("program.rules.progression.max_reps"));
}

TEST(Protocol, MissingFileIsNotFound) {
  EXPECT_EQ(
      LoadProtocolFromFile(DataDir() + "/protocols/nope.textproto", TestLibrary()).status().code(),
      absl::StatusCode::kNotFound);
}

TEST(Protocol, UnparsableFileIsInvalidArgument) {
  const std::string path = ::testing::TempDir() + "/broken_protocol.textproto";
  std::ofstream(path) << "id: \"x\" rules { no_such_field: 1 }";
  const absl::Status status = LoadProtocolFromFile(path, TestLibrary()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("no_such_field"));
}

TEST(Protocol, InvalidFileNamesTheFileAndKeepsTheFieldViolations) {
  const std::string path = ::testing::TempDir() + "/invalid_protocol.textproto";
  std::ofstream(path) << "id: \"x\" version: 1";
  const absl::Status status = LoadProtocolFromFile(path, TestLibrary()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr(path));
  EXPECT_THAT(ViolatedFields(status), Contains("rules"));
}

}  // namespace
}  // namespace kneecoach
