// What the desktop shows, computed from API messages: the caseload's urgency order, the
// weekly trend, and the words for doses and enums. Plain functions, no widgets, no calls.
#pragma once

#include <string>
#include <vector>

#include "clients/common/client_common.h"
#include "clients/desktop/client.h"
#include "google/protobuf/descriptor.h"
#include "kneecoach/v1/outcome.pb.h"

namespace kneecoach::desktop {

// Whether `a` needs the physiotherapist before `b`: more open alerts first, then paused
// programs, then more pending decisions, then higher morning pain; by name last.
bool MoreUrgent(const CaseloadRow& a, const CaseloadRow& b);
void SortByUrgency(std::vector<CaseloadRow>& rows);

// One point of a weekly series: the program week (from 1) and the value.
struct TrendPoint {
  double week = 0;
  double value = 0;
};

// The program view's chart: pain on 0-10, adherence in percent. Weeks without a value
// (no check-in, no reported exercise, nothing planned) have no point.
struct Trend {
  std::vector<TrendPoint> morning_pain_median;
  std::vector<TrendPoint> max_pain_during;
  std::vector<TrendPoint> adherence_percent;
  int weeks = 0;
};
Trend TrendOf(const v1::ProgramProgress& progress);

// "3 x 10 reps, 5 s hold per side, rest 30 s", as every client writes a dose
// (clients/common).
using clients::FormatDose;

// An enum value as a lower-case word without its prefix: PHASE_SETTLE -> "settle",
// DECISION_KIND_SWAP_TO_ISOMETRIC -> "swap to isometric"; 0 -> "-".
std::string EnumWord(const google::protobuf::EnumDescriptor* type, int value);

// The last segment of a resource name: "exercises/bridge" -> "bridge".
std::string ShortName(const std::string& name);

// "2026-11-22 05:38Z"; "" for an unset time.
std::string FormatTime(const google::protobuf::Timestamp& time);

// The update mask paths of a dose override: "dose.<field>" for each field of `after` that
// differs from `before`, in field order; empty if none does.
std::vector<std::string> DoseMaskPaths(const v1::Dose& before, const v1::Dose& after);

// What a decision changed, for a table cell: "bridge", or "wall-sit -> wall-sit-iso" when
// the exercise changed.
std::string DecisionExercise(const v1::Decision& decision);
// "3 x 10 reps -> 3 x 8 reps"; "" for a decision without doses (pause, phase, approval).
std::string DecisionDoses(const v1::Decision& decision);
// The reason to show: the clinician's review or override reason, else the engine's
// reason for the clinician, else the patient's line.
std::string DecisionReason(const v1::Decision& decision);
// Who and when: "engine", "engine, reviewed 2026-11-22 05:38Z", "clinician".
std::string DecisionWho(const v1::Decision& decision);

}  // namespace kneecoach::desktop
