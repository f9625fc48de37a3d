// A program's progress week by week (v1::ProgramProgress): the pain, adherence, running
// and outcome measures a physiotherapist follows (clinical.md, "Outcomes a clinician
// expects"), from the program's stored sessions, check-ins and outcomes.
//
// Weeks are program weeks: week 1 starts on the program's start date; the current week
// ends today. Running minutes count the reports of the rules' return-to-run stages. Sessions
// planned in a week are one every ShortestGapDays of the program as it is now (the adherence
// alert's measure), so a week before a phase change is measured against today's prescriptions.
//
// Pure: no clock, no storage. Thread safety: a free function; safe from any thread.
#pragma once

#include "absl/time/civil_time.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "service/domain/engine.h"
#include "service/domain/library.h"

namespace kneecoach {

inline constexpr int kMaxProgressWeeks = 52;

// The last `weeks` weeks up to `today` (0 or more than kMaxProgressWeeks: the last
// kMaxProgressWeeks). `history` holds what the weeks need: sessions and check-ins (any
// order, oldest needed for the changes since the first week) and outcomes of every kind.
// A program without a valid start date, or starting after today, has no weeks.
v1::ProgramProgress ComputeProgress(const Library& library, const v1::Program& program,
                                    const History& history, absl::CivilDay today, int weeks);

}  // namespace kneecoach
