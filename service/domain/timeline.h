// Internal to the engine: a dated view of a program's reports (history plus the report
// being processed) that answers the questions the rules ask: the morning baseline on a
// date, the next morning's light after a session, a prescription's reports and its streaks.
//
// A report's *effective* light is the worse of its own light (pain during, pain 1 h after)
// and the light of the next morning's check-in judged by the same thresholds: clinical.md's
// GREEN needs "next-morning <= baseline, no swelling", so a flare the next morning turns the
// session AMBER or RED after the fact.
//
// A report whose own light is GREEN is *confirmed* only once its next morning is known: a
// check-in that morning (which may turn it AMBER or RED), or, without one, once
// rules.confirmation.unconfirmed_counts_after_hours have passed (0: never). Until then it is
// pending: it counts towards no progression. Reports whose own light is AMBER or RED are
// decided at once (a morning can only make them worse).
//
// The timeline sees the program as of one day (`as_of`, the day of the report being
// processed, or of an earlier event for the view before it) and only reports dated within
// kHistoryDays before the report being processed: the server loads no more, and
// SimulateProgram, which keeps every report, must decide alike.
//
// Not thread-safe; holds pointers into the History and reports it was built from, which
// must outlive it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/domain/engine.h"

namespace kneecoach {

struct SessionEntry {
  absl::CivilDay day;
  const v1::Session* session;
};

struct CheckInEntry {
  absl::CivilDay day;
  const v1::MorningCheckIn* check_in;
};

struct ReportEntry {
  absl::CivilDay day;
  const v1::ExerciseReport* report;
  // The worse of the report's own light and the next morning's.
  v1::TrafficLight effective;
  // The morning baseline the report was judged against (SessionBaseline of its day).
  double baseline;
  // Whether its light is known: not GREEN on its own, or its next morning is known (a
  // check-in, or enough time without one). A pending report is GREEN but counts for nothing.
  bool confirmed = true;
};

// Consecutive reports of one prescription, counted back from the latest.
struct Streaks {
  // Confirmed GREEN at the current exercise and dose, done in full, counted back from the
  // latest confirmed report (pending reports after it are skipped; one before it breaks
  // the streak).
  int green = 0;
  // AMBER at the current exercise and dose.
  int amber = 0;
  // RED at any dose (a RED step-down does not forgive the next RED).
  int red = 0;
  // Below the prescribed dose at the current exercise and dose.
  int under_dose = 0;
};

class Timeline {
 public:
  // `session` / `check_in` (nullable) are the report being processed, taken as the latest.
  // Entries whose local_date does not parse, or dated before `window_end` - kHistoryDays,
  // are ignored. `as_of`: the day the timeline is seen from (when unconfirmed reports
  // start to count).
  Timeline(const History& history, const v1::Session* session, const v1::MorningCheckIn* check_in,
           const v1::ProtocolRules& rules, absl::CivilDay window_end, absl::CivilDay as_of);

  absl::CivilDay as_of() const { return as_of_; }

  const std::vector<SessionEntry>& sessions() const { return sessions_; }
  const std::vector<CheckInEntry>& check_ins() const { return check_ins_; }

  // The latest check-in on `day`, or nullptr.
  const v1::MorningCheckIn* CheckInOn(absl::CivilDay day) const;
  // Median morning pain of check-ins dated first..last (inclusive); nullopt if none.
  std::optional<double> MedianMorningPain(absl::CivilDay first, absl::CivilDay last) const;
  // The baseline in force on `day`: median morning pain over the baseline window before it
  // (day - window .. day - 1); nullopt if there was no check-in in the window.
  std::optional<double> BaselineBefore(absl::CivilDay day) const;
  // Morning pain of the latest check-in on or before `day`; nullopt if none.
  std::optional<double> LatestMorningPain(absl::CivilDay day) const;
  // The baseline a session on `day` is judged against: BaselineBefore(day), else the latest
  // morning pain known (a gap in check-ins), else 0 (no check-in ever: any pain 1 h after
  // counts as not settled).
  double SessionBaseline(absl::CivilDay day) const;

  // Whether an exercise ("exercises/{slug}" or slug) is a return-to-run stage, and the
  // traffic-light thresholds that judge it.
  bool IsRunStage(absl::string_view exercise) const;
  const v1::TrafficLightRules& LightRulesFor(absl::string_view exercise) const;

  // The light of the check-in on the morning after `day` by `rules`; UNSPECIFIED if none.
  v1::TrafficLight NextMorningLight(absl::CivilDay day, const v1::TrafficLightRules& rules) const;
  // The worst effective light of a session's reports.
  v1::TrafficLight EffectiveSessionLight(const SessionEntry& entry) const;

  // One report of a session on `day`, with its effective light and baseline.
  ReportEntry EntryFor(absl::CivilDay day, const v1::ExerciseReport& report) const;
  // A prescription's reports, oldest first, with effective lights.
  std::vector<ReportEntry> ReportsFor(absl::string_view prescription) const;
  Streaks StreaksFor(const v1::Prescription& prescription) const;

 private:
  const v1::ProtocolRules& rules_;
  absl::CivilDay as_of_;
  std::vector<SessionEntry> sessions_;
  std::vector<CheckInEntry> check_ins_;
  // The latest check-in of each day.
  std::map<absl::CivilDay, const v1::MorningCheckIn*> check_in_by_day_;
};

// Fraction of the prescribed dose a report did, 0..1: the smallest ratio over the fields
// reported (sets, reps or holds per set, duration per set); 1 when nothing was reported.
double Completion(const v1::ExerciseReport& report, const v1::Dose& prescribed);

// Whether `exercise` ("exercises/{slug}" or a slug) is one of the rules' return-to-run
// stages.
bool IsRunStage(const v1::ProtocolRules& rules, absl::string_view exercise);

// "ladders/{id}" -> id (input unchanged without the prefix). For exercises see
// ExerciseSlug in program_factory.h.
std::string LadderIdOf(absl::string_view ladder_name);

}  // namespace kneecoach
