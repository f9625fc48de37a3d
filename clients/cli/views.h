// Text renderings of kneecoach messages that several commands print (a patient, a program,
// a session, decisions, alerts). Each writes to `out` and never fails.
#pragma once

#include <iostream>
#include <ostream>

#include "google/protobuf/repeated_field.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach::cli {

// Name, clinic, time zone, knees, active program and physiotherapists.
void PrintPatient(std::ostream& out, const v1::Patient& patient);

// PrintPatient of a response's patient to stdout: the text of the patient commands.
template <typename Response>
void PrintPatientOf(const Response& response) {
  PrintPatient(std::cout, response.patient());
}

// The affected knees, e.g. "left, right".
std::string KneeSides(const v1::Patient& patient);

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
