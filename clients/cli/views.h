// Text renderings of kneecoach messages that several commands print (a program, a session,
// decisions, alerts). Each writes to `out` and never fails.
#pragma once

#include <ostream>

#include "google/protobuf/repeated_field.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach::cli {

// Header lines (state, phase, dates, pause reason) and the prescriptions table.
void PrintProgram(std::ostream& out, const v1::Program& program);

// Today's plan: each item with its dose and cues, education cards; or the paused message.
void PrintSessionPlan(std::ostream& out, const v1::Session& session);

// A reported session: its traffic light and each exercise's pain and light.
void PrintReportedSession(std::ostream& out, const v1::Session& session);

// "Decisions:" with one line each (nothing when empty).
void PrintDecisions(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::Decision>& d);

// "Alerts:" with one line each (nothing when empty).
void PrintAlerts(std::ostream& out, const google::protobuf::RepeatedPtrField<v1::Alert>& alerts);

// A traffic light in capitals ("GREEN"), "-" when unset.
std::string LightWord(v1::TrafficLight light);

// One line describing what a decision changed, e.g. "3 x 10 reps -> 3 x 12 reps".
std::string DecisionChange(const v1::Decision& decision);

}  // namespace kneecoach::cli
