// The patient's words for what a report changed: one sentence per kind of change for the
// whole report, then one line per exercise saying whether it is applied or waiting for the
// physiotherapist.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/domain/decision_texts.h"
#include "tests/unit/engine_test_support.h"

namespace kneecoach {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Decision Change(v1::DecisionKind kind, const std::string& slug, int reps_after,
                    v1::DecisionState state = v1::DECISION_STATE_APPLIED) {
  v1::Decision d;
  d.set_kind(kind);
  d.set_state(state);
  d.set_prescription(absl::StrCat("programs/p/prescriptions/", slug));
  d.set_exercise_before(absl::StrCat("exercises/", slug));
  d.set_exercise_after(absl::StrCat("exercises/", slug));
  d.mutable_dose_before()->set_sets(3);
  d.mutable_dose_before()->set_reps(12);
  d.mutable_dose_after()->set_sets(3);
  d.mutable_dose_after()->set_reps(reps_after);
  d.set_patient_reason("Because.");
  return d;
}

TEST(DecisionTexts, OneSentencePerKindOfChangeThenOneLinePerExercise) {
  std::vector<v1::Decision> decisions = {
      Change(v1::DECISION_KIND_REGRESS, "partial-squat-45", 9),
      Change(v1::DECISION_KIND_REGRESS, "step-up-low", 9),
      Change(v1::DECISION_KIND_SIMPLIFY, "bridge", 9),
      Change(v1::DECISION_KIND_SWAP_TO_ISOMETRIC, "box-squat-60", 9),
      Change(v1::DECISION_KIND_SWAP_TO_ISOMETRIC, "reverse-lunge", 9),
  };
  decisions[3].set_exercise_after("exercises/wall-sit-30-45");
  const PatientSummary s = SummarizeForPatient(decisions, testing::TestLibrary());
  EXPECT_THAT(s.headlines, ElementsAre("3 exercises are easier next time.",
                                       "2 exercises are swapped for a holding exercise."));
  ASSERT_EQ(s.details.size(), 5u);
  EXPECT_THAT(s.details[0], HasSubstr("Already in your program: next time 3 x 9"));
  EXPECT_THAT(s.details[3], HasSubstr("next time Shallow wall sit"));
}

TEST(DecisionTexts, ProposalsSayTheyWaitForThePhysiotherapist) {
  const std::vector<v1::Decision> decisions = {
      Change(v1::DECISION_KIND_PROGRESS, "partial-squat-45", 14, v1::DECISION_STATE_PROPOSED),
      Change(v1::DECISION_KIND_PROGRESS, "bridge", 14),
  };
  const PatientSummary s = SummarizeForPatient(decisions, testing::TestLibrary());
  EXPECT_THAT(s.headlines,
              ElementsAre("2 exercises are a small step harder next time (1 of them once your "
                          "physiotherapist agrees)."));
  EXPECT_THAT(s.details[0], HasSubstr("Waiting for your physiotherapist: until they agree, "
                                      "keep 3 x 12"));
  EXPECT_THAT(s.details[1], HasSubstr("Already in your program"));
  const PatientSummary one = SummarizeForPatient({decisions[0]}, testing::TestLibrary());
  EXPECT_THAT(one.headlines, ElementsAre("1 exercise is a small step harder next time, once your "
                                         "physiotherapist agrees."));
}

TEST(DecisionTexts, NothingChangedSaysNothing) {
  const PatientSummary s = SummarizeForPatient({}, testing::TestLibrary());
  EXPECT_TRUE(s.headlines.empty());
  EXPECT_TRUE(s.details.empty());
}

}  // namespace
}  // namespace kneecoach
