#include "service/domain/schedule.h"

#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "service/domain/dates.h"

namespace kneecoach {
namespace {

const Library& TestLibrary() {
  static const Library* library = [] {
    auto loaded =
        Library::LoadFromFile(std::string(KNEECOACH_TEST_DATA_DIR) + "/library.textproto");
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    return loaded->release();
  }();
  return *library;
}

v1::Program ProgramWith(const std::vector<std::string>& slugs) {
  v1::Program program;
  program.set_name("programs/p");
  program.set_state(v1::PROGRAM_STATE_ACTIVE);
  program.set_start_date("2026-03-02");
  auto* strength = program.mutable_rules()->add_frequency_rules();
  strength->set_frequency_class(v1::FREQUENCY_CLASS_LOADED_STRENGTH);
  strength->set_min_days_between(2);
  strength->set_max_per_week(3);
  auto* running = program.mutable_rules()->add_frequency_rules();
  running->set_frequency_class(v1::FREQUENCY_CLASS_RUNNING);
  running->set_min_days_between(2);
  for (size_t i = 0; i < slugs.size(); ++i) {
    auto* p = program.add_prescriptions();
    p->set_name(absl::StrCat("programs/p/prescriptions/", i + 1));
    p->set_exercise("exercises/" + slugs[i]);
  }
  return program;
}

absl::CivilDay Day(int d) { return absl::CivilDay(2026, 3, d); }

std::vector<std::string> DueSlugs(const v1::Program& program, const DoneDates& done,
                                  absl::CivilDay day) {
  std::vector<std::string> out;
  for (const auto* p : DuePrescriptions(program, TestLibrary(), done, day)) {
    out.push_back(p->exercise().substr(sizeof("exercises/") - 1));
  }
  return out;
}

TEST(Schedule, FrequencyRulesByClass) {
  const v1::Program program = ProgramWith({"quad-set", "bridge", "run-walk-stage-1"});
  struct Case {
    const char* what;
    std::vector<int> done_days;  // March days when everything was done
    int today;
    std::vector<std::string> due;
  };
  const std::vector<Case> cases = {
      {"nothing done yet", {}, 2, {"quad-set", "bridge", "run-walk-stage-1"}},
      {"done yesterday", {2}, 3, {"quad-set"}},
      {"done two days ago", {2}, 4, {"quad-set", "bridge", "run-walk-stage-1"}},
      {"missed days stay due", {2}, 9, {"quad-set", "bridge", "run-walk-stage-1"}},
      // Mon, Wed, Fri done: a fourth loaded-strength day in 7 is not due on Sun...
      {"three strength days this week", {2, 4, 6}, 8, {"quad-set", "run-walk-stage-1"}},
      // ...but is on Mon, when the first falls out of the window.
      {"window moves on", {2, 4, 6}, 9, {"quad-set", "bridge", "run-walk-stage-1"}},
      {"only earlier days count", {5}, 5, {"quad-set", "bridge", "run-walk-stage-1"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    DoneDates done;
    for (const auto& p : program.prescriptions()) {
      for (int d : c.done_days) done[p.name()].push_back(Day(d));
    }
    EXPECT_EQ(DueSlugs(program, done, Day(c.today)), c.due);
  }
}

TEST(Schedule, PrescriptionOverridesAndSuspension) {
  v1::Program program = ProgramWith({"quad-set", "bridge"});
  program.mutable_prescriptions(0)->set_min_days_between(3);
  DoneDates done;
  done["programs/p/prescriptions/1"] = {Day(2)};
  EXPECT_EQ(DueSlugs(program, done, Day(4)), (std::vector<std::string>{"bridge"}));
  EXPECT_EQ(DueSlugs(program, done, Day(5)), (std::vector<std::string>{"quad-set", "bridge"}));
  program.mutable_prescriptions(1)->set_suspended(true);
  EXPECT_EQ(DueSlugs(program, done, Day(5)), (std::vector<std::string>{"quad-set"}));
}

TEST(Schedule, RunningRestsAfterARedRun) {
  v1::Program program = ProgramWith({"run-walk-stage-2"});
  program.mutable_prescriptions(0)->mutable_progress()->set_rest_until_date("2026-03-05");
  EXPECT_TRUE(DueSlugs(program, {}, Day(4)).empty());
  EXPECT_EQ(DueSlugs(program, {}, Day(5)).size(), 1u);
}

TEST(Schedule, PausedProgramHasNothingDueAndSaysWhy) {
  v1::Program program = ProgramWith({"quad-set"});
  program.set_state(v1::PROGRAM_STATE_PAUSED);
  program.set_pause_reason("red flag: new swelling");
  const v1::Session plan =
      PlanSession(program, TestLibrary(), {}, Day(3), v1::TRAFFIC_LIGHT_UNSPECIFIED);
  EXPECT_EQ(plan.items_size(), 0);
  EXPECT_TRUE(plan.program_paused());
  EXPECT_NE(plan.message().find("new swelling"), std::string::npos);
}

TEST(Schedule, CompletedProgramHasNothingDueAndPointsToTheCurrentOne) {
  v1::Program program = ProgramWith({"quad-set"});
  program.set_state(v1::PROGRAM_STATE_COMPLETED);
  const v1::Session plan =
      PlanSession(program, TestLibrary(), {}, Day(2), v1::TRAFFIC_LIGHT_UNSPECIFIED);
  EXPECT_EQ(plan.items_size(), 0);
  EXPECT_FALSE(plan.program_paused());
  EXPECT_TRUE(plan.education_cards().empty());
  EXPECT_NE(plan.message().find("completed"), std::string::npos);
  EXPECT_EQ(plan.message().find("Rest day"), std::string::npos);
}

TEST(Schedule, PlanFillsItemsAndEducation) {
  const v1::Program program = ProgramWith({"quad-set", "bridge"});
  const v1::Session plan =
      PlanSession(program, TestLibrary(), {}, Day(2), v1::TRAFFIC_LIGHT_UNSPECIFIED);
  ASSERT_EQ(plan.items_size(), 2);
  EXPECT_EQ(plan.program_day(), 1);
  EXPECT_FALSE(plan.items(0).display_name().empty());
  EXPECT_FALSE(plan.items(0).cues().empty());
  EXPECT_FALSE(plan.education_cards().empty());  // day-one cards
  EXPECT_LE(plan.education_cards_size(), 2);
}

// The server keeps basic plans and adds the library's texts for the full view: the two
// must be the same plan, on every kind of day (first day with cards, done items, paused,
// after a flare, rest day).
TEST(Schedule, FullPlanIsBasicPlanWithLibraryTexts) {
  v1::Program program = ProgramWith({"quad-set", "bridge", "run-walk-stage-2"});
  DoneDates done;
  done["programs/p/prescriptions/2"].push_back(Day(3));
  v1::Program paused = program;
  paused.set_state(v1::PROGRAM_STATE_PAUSED);
  struct Case {
    const v1::Program* program;
    int day;
    v1::TrafficLight light;
  };
  int items = 0, cards = 0, texts = 0;
  for (const Case& c :
       {Case{&program, 2, v1::TRAFFIC_LIGHT_UNSPECIFIED},
        Case{&program, 3, v1::TRAFFIC_LIGHT_AMBER}, Case{&program, 4, v1::TRAFFIC_LIGHT_RED},
        Case{&paused, 5, v1::TRAFFIC_LIGHT_GREEN}}) {
    const v1::Session full =
        PlanSession(*c.program, TestLibrary(), done, Day(c.day), c.light, PlanDetail::kFull);
    v1::Session basic =
        PlanSession(*c.program, TestLibrary(), done, Day(c.day), c.light, PlanDetail::kBasic);
    for (const auto& item : basic.items()) {
      EXPECT_TRUE(item.display_name().empty() && item.summary().empty() && item.cues().empty());
    }
    for (const auto& card : basic.education_cards()) {
      EXPECT_FALSE(card.name().empty());
      EXPECT_TRUE(card.title().empty()) << card.name();
    }
    AddLibraryTexts(TestLibrary(), basic);
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(full, basic)) << "day " << c.day << ": " << diff;
    items += full.items_size();
    cards += full.education_cards_size();
    for (const auto& item : full.items()) texts += !item.display_name().empty();
  }
  // The cases cover items, texts and cards (otherwise the comparison proves little).
  EXPECT_GT(items, 3);
  EXPECT_EQ(texts, items);
  EXPECT_GT(cards, 1);
}

}  // namespace
}  // namespace kneecoach
