// SimulateProgram: runs the engine over hypothetical reports, storing nothing. The program
// is built as CreateProgram would (from the protocol's phase template when no prescriptions
// are given), then each event is fed, in date order (a day's check-ins before its
// sessions, otherwise as given), through the same OnCheckInReported / OnSessionReported the
// server calls. A SimulatedSession without explicit reports applies its pain to every
// prescription due that day (schedule.h) and `completion` to the dose; a paused program has
// nothing due, so such sessions report nothing.
//
// Names are deterministic: the program is "programs/simulation", prescriptions
// ".../prescriptions/1..", sessions ".../sessions/1..", check-ins ".../checkIns/1..",
// decisions ".../decisions/1..", alerts ".../alerts/1..". Each event is stamped at 12:00 UTC
// of its date.
//
// Thread safety: a free function; safe from any thread.
#pragma once

#include <functional>

#include <vector>

#include "absl/status/statusor.h"
#include "kneecoach/v1/program.pb.h"
#include "service/domain/engine.h"
#include "service/domain/library.h"

namespace kneecoach {

struct SimulationResult {
  std::vector<v1::Decision> decisions;
  std::vector<v1::Alert> alerts;
  // The program after the last event.
  v1::Program program;
  // The sessions and check-ins as the engine filled them in, oldest first.
  History history;
};

// `request.protocol` must be set: the server resolves `protocol_name` into it.
// INVALID_ARGUMENT with field violations (paths as in the request: "protocol.rules...",
// "program.prescriptions[0].exercise", "events[3].local_date", ...) for bad input.
// What one simulation may cost (CoreOptions sets them for SimulateProgram).
struct SimulationLimits {
  // More events is INVALID_ARGUMENT ("events").
  int max_events = 300;
  // A starting program with more prescriptions, requested or from the protocol's template,
  // is INVALID_ARGUMENT ("program.prescriptions").
  int max_prescriptions = 30;
  // Asked before each event; a non-OK status (the caller's deadline passed, or it cancelled)
  // ends the simulation with that status.
  std::function<absl::Status()> check;
};

absl::StatusOr<SimulationResult> Simulate(const Library& library,
                                          const v1::SimulateProgramRequest& request,
                                          const SimulationLimits& limits = {});

v1::SimulateProgramResponse ToResponse(SimulationResult result);

}  // namespace kneecoach
