// What the desktop shows, computed from API messages: the caseload's urgency order, the
// weekly trend, and the words for doses and enums. Plain functions, no widgets, no calls.
#pragma once

#include <map>
#include <optional>
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

// Gives every row whose display name another row shares a patient_tag that tells them
// apart: "id " and the patient's id ("patients/7f3a" -> "id 7f3a"). Others get none.
void DisambiguateNames(std::vector<CaseloadRow>& rows);
// "Sam Runner" or, with a tag, "Sam Runner (id 7f3a)".
std::string PatientLabel(const CaseloadRow& row);

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

// Exercise resource name -> display name, as ProgramDetail::exercise_names.
using ExerciseNames = std::map<std::string, std::string>;
// The library's name of `exercise` ("exercises/wall-sit-30-45" -> "Wall sit 30-45°"); its
// id when the library does not know it; "" for "".
std::string ExerciseName(const ExerciseNames& names, const std::string& exercise);

// What a decision changed, for a table cell: "Bridge", or "Wall sit -> Quad set" when the
// exercise changed (library names; ids when `names` lacks them).
std::string DecisionExercise(const v1::Decision& decision, const ExerciseNames& names = {});
// "3 x 10 reps -> 3 x 8 reps"; "" for a decision without doses (pause, phase, approval).
std::string DecisionDoses(const v1::Decision& decision);
// The reason to show: the clinician's review or override reason, else the engine's
// reason for the clinician, else the patient's line.
std::string DecisionReason(const v1::Decision& decision);
// Who and when: "engine", "engine, approved by Pat Physio 2026-11-22 05:38Z", "Pat Physio"
// (the reviewer's display name; "clinician" when the server recorded none).
std::string DecisionWho(const v1::Decision& decision);

// How much of a prescribed exercise the patient did.
enum class Done { kDone, kPartly, kNotDone };
// "done", "partly", "not done".
std::string DoneWord(Done done);
// Every count the report gives against the dose prescribed (sets, reps, holds, seconds):
// all at or above it is done, any below is partly; a report without counts is done.
Done DoneOf(const v1::ExerciseReport& report);

// One exercise of one reported session, as the overview lists it.
struct SessionLine {
  std::string date;      // the session's local date
  std::string session;   // "programs/{p}/sessions/{s}"
  std::string exercise;  // library name
  std::string dose;      // the dose prescribed then
  std::optional<int> pain_during;
  std::optional<int> pain_after_1h;
  Done done = Done::kNotDone;
  std::string traffic_light;  // "green", "amber", "red", "-"
};
// A session's lines: each report, then each item the patient did not report (not done).
std::vector<SessionLine> SessionLines(const v1::Session& session, const ExerciseNames& names);

// A check-in's red flags in words, "; "-joined ("new swelling; true locking"), "" if none.
std::string RedFlagWords(const v1::MorningCheckIn& check_in);

// The overview's numbers, from GetProgress and ListOutcomes.
struct OverviewNumbers {
  // The latest of each measure (ListOutcomes, newest first), unset if never recorded.
  std::optional<int> akps, step_downs, global_rating;
  std::string akps_date, step_downs_date, global_rating_date;
  // GetProgress: the AKPS change since the first, the morning pain change.
  std::optional<int> akps_change;
  std::optional<double> morning_pain_change;
  // The latest week's sessions done of planned; the whole program's.
  int week = 0;
  int week_done = 0, week_planned = 0;
  int total_done = 0, total_planned = 0;
};
OverviewNumbers OverviewOf(const v1::ProgramProgress& progress,
                           const std::vector<v1::Outcome>& outcomes);
// "2 of 3 sessions (67%)"; "no sessions planned yet".
std::string AdherenceWords(int done, int planned);

}  // namespace kneecoach::desktop
