// Outcome measures (clinical.md, "Outcomes a clinician expects"): the Anterior Knee Pain
// Scale as published, and the checks a recorded measure must pass.
//
// The AKPS's items and points are a validated instrument (Kujala et al. 1993, 13 items,
// 0-100), not clinic data: changing a point value would make scores incomparable with
// the literature and with the clinic's earlier scores. What counts as a meaningful
// change is a clinic's rule (AlertRules.meaningful_akps_change).
//
// Thread safety: free functions and an immutable table; safe from any thread.
#pragma once

#include <optional>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "service/domain/errors.h"

namespace kneecoach {

inline constexpr absl::string_view kAkpsQuestionnaire = "questionnaires/akps";

// The AKPS as published: 13 items, their options in order, and the points of each.
const v1::Questionnaire& AkpsQuestionnaire();

// The questionnaire named `name`, or nullptr.
const v1::Questionnaire* FindQuestionnaire(absl::string_view name);

// The total score of AKPS choices (one option index per item), or nullopt when there are
// not 13 choices or one is out of its item's range.
std::optional<int> ScoreAkps(const google::protobuf::RepeatedField<int32_t>& choices);

// Field checks of an outcome to record (paths under `prefix`, e.g. "outcome."): a known
// kind; for AKPS one valid choice per item and no value; for the step-down count 0-100
// and for the global rating of change -3..+3, and no choices.
void CheckOutcome(const v1::Outcome& outcome, absl::string_view prefix,
                  FieldViolations& violations);

// The value a recorded outcome stores: the AKPS's score, or the value given. Call only on
// an outcome CheckOutcome accepted.
int OutcomeValue(const v1::Outcome& outcome);

// The measures the program's rules.outcome_schedule asks for on `today`, given the
// program's recorded outcomes (any order): the AKPS when none was recorded in the last
// akps_every_days (the first on the program's first day), the step-down count likewise,
// and the global rating of change once a listed week is reached (day 7 x week) until one
// is recorded from the week before it on. Nothing for a completed program, or before it
// starts.
std::vector<v1::OutcomeKind> OutcomesDue(const v1::Program& program,
                                         const std::vector<v1::Outcome>& recorded,
                                         absl::CivilDay today);

}  // namespace kneecoach
