// The progression engine: the pain-monitoring model of clinical.md applied to a patient's
// program. Given a reported session or morning check-in and what came before, it fills in
// the traffic lights, updates the program (counters, doses, exercises, phase, state) and
// says why, as Decisions a clinician can follow (rule id, inputs, before/after, reasons) and
// Alerts for the clinician's inbox.
//
// Pure: no gRPC, no storage, no clock. The caller passes the local date and the time and
// stores what comes back. Every number comes from the program's rules (copied from its
// protocol, overridable per patient) or the protocol's phase templates.
//
// What the engine reads from a report. sets_done: sets completed; reps_done and holds_done:
// repetitions (holds) in a set, or, for a hold-only dose, holds in total; duration_seconds_done:
// continuous work in a set. Unreported (zero) fields count as done as prescribed.
//
// Thread safety: free functions over their arguments; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/domain/library.h"

namespace kneecoach {

// What the engine needs besides the program and the report.
struct EngineContext {
  const Library& library;
  // The program's protocol: its phase templates are used when a phase ends.
  const v1::Protocol& protocol;
  // The patient's local date; used when a session or check-in has no local_date.
  absl::CivilDay today;
  // Stamped as create_time on decisions and alerts; compared with earlier alerts'
  // create_time so an alert is not repeated within its window.
  absl::Time now;
};

// How many days before a report's local date History must reach back: the server loads
// the program's sessions and check-ins of these days. Most rules look back a baseline or
// alert window (7-28 days); "no meaningful change" compares with the program's first
// baseline window and is not judged when that is missing; older reports otherwise only
// lengthen streaks. Pain sustained high counts back over days with check-ins, which gaps
// could stretch without end, so it stops here: the server and SimulateProgram (which keeps
// every report) then decide alike.
inline constexpr int kHistoryDays = 120;

// The program's earlier reports, oldest first, as stored (lights, baselines and
// prescribed doses filled in by the engine when they were reported), and its earlier alerts
// (any order; used so an alert is not raised twice in its window, and so pain sustained
// high does not count again the days an earlier alert counted). See kHistoryDays.
struct History {
  std::vector<v1::Session> sessions;
  std::vector<v1::MorningCheckIn> check_ins;
  std::vector<v1::Alert> alerts;
  // The program's outcomes, any order. The engine reads only the AKPS ("no meaningful
  // change" compares the first score with the latest); ComputeProgress reads every kind.
  std::vector<v1::Outcome> outcomes;
};

// What a report changed. Decisions and alerts have empty names: the store assigns them.
// New prescriptions (added when a phase starts) are named "{program}/prescriptions/{n}",
// continuing the program's numbering.
struct EngineResult {
  v1::Program program;
  std::vector<v1::Decision> decisions;
  std::vector<v1::Alert> alerts;
};

// A reported session. In: `session.reports` (prescription, pain, what was done),
// `session.local_date` (empty: ctx.today) and `session.name` (used as the decisions'
// source). Out: each report's exercise, prescribed_dose and traffic_light, and the
// session's traffic_light. Reports for prescriptions the program does not have are judged
// but change nothing.
EngineResult OnSessionReported(const EngineContext& ctx, const v1::Program& program,
                               v1::Session& session, const History& history);

// A morning check-in. In: morning pain, swelling/locking/giving way, red flags, optional
// usual pain, local_date (empty: ctx.today). Out: baseline (median morning pain of the
// baseline window before it; after a gap, the last morning known; the first check-in is its
// own baseline) and traffic_light. Red flags pause the program at once, in any approval
// mode.
EngineResult OnCheckInReported(const EngineContext& ctx, const v1::Program& program,
                               v1::MorningCheckIn& check_in, const History& history);

// A recorded outcome measure, already in `history.outcomes`. Runs only the rule that reads
// outcomes ("no meaningful change") on the outcome's local_date (empty: ctx.today); the
// program comes back unchanged apart from what that rule does.
EngineResult OnOutcomeRecorded(const EngineContext& ctx, const v1::Program& program,
                               const v1::Outcome& outcome, const History& history);

// Applies a decision a clinician approved (approval mode). Prescription decisions need the
// prescription unchanged since the proposal (exercise and dose equal to exercise_before and
// dose_before), unlocked, in an active or paused program (a paused one stays paused):
// FAILED_PRECONDITION otherwise, NOT_FOUND if
// it is gone. A phase change needs the program still in phase_before; it adds the new
// phase's template prescriptions and starts the phase on ctx.today. Decisions that change
// nothing (holds, notes) return the program unchanged.
absl::StatusOr<v1::Program> ApplyDecision(const EngineContext& ctx, const v1::Program& program,
                                          const v1::Decision& decision);

}  // namespace kneecoach
