// Scheduling: which prescriptions are due on a patient's local date, and the day's plan.
//
// Frequency follows the protocol's FrequencyRule for each exercise's FrequencyClass
// (clinical.md: isometrics daily; loaded strength at most 3 a week, at least 48 h apart;
// running every other day), counted in local calendar days, with per-prescription
// overrides. A prescription that was not done stays due the next day. Running rests until
// progress.rest_until_date after a RED run. A paused program has nothing due.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/civil_time.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/domain/library.h"

namespace kneecoach {

// Dates (any order, duplicates allowed) on which each prescription, by resource name, was
// reported done.
using DoneDates = absl::flat_hash_map<std::string, std::vector<absl::CivilDay>>;

// The frequency in force for a prescription: its own override, else the protocol's rule
// for the exercise's class, else daily.
v1::FrequencyRule FrequencyFor(const v1::Prescription& prescription, const v1::Exercise& exercise,
                               const v1::ProtocolRules& rules);

// The fewest days between two sessions of the program: the smallest min_days_between in
// force among its prescriptions that are not suspended (1 = daily); 0 if there are none.
// A day of sessions every `gap` days is what adherence is measured against.
int ShortestGapDays(const v1::Program& program, const Library& library);

// Prescriptions due on `day`, in program order. Only reports before `day` count.
std::vector<const v1::Prescription*> DuePrescriptions(const v1::Program& program,
                                                      const Library& library, const DoneDates& done,
                                                      absl::CivilDay day);

// 1-based program day of `day` (1 on the start date; <1 before it).
int ProgramDay(const v1::Program& program, absl::CivilDay day);

// How much of the library's texts a plan carries: kBasic leaves out each item's
// display_name, summary and cues and gives education cards by name only (v1::SessionView).
enum class PlanDetail { kFull, kBasic };

// The plan for `day`: due prescriptions plus those already reported that day (done), and
// the education cards that matter that day. `last_light` is the traffic light of the most
// recent reported session (UNSPECIFIED if none). A paused program's plan has no items,
// program_paused set and a message saying why.
v1::Session PlanSession(const v1::Program& program, const Library& library, const DoneDates& done,
                        absl::CivilDay day, v1::TrafficLight last_light,
                        PlanDetail detail = PlanDetail::kFull);

// Turns a kBasic plan into the kFull one: each item's display_name, summary and cues and
// each education card whole, from the library. PlanSession(kFull) is exactly
// AddLibraryTexts(PlanSession(kBasic)); a server can keep basic plans and hand out either.
void AddLibraryTexts(const Library& library, v1::Session& plan);

}  // namespace kneecoach
