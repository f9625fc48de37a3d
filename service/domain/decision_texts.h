// The patient's words for what one report changed: one sentence per kind of change for the
// whole report ("3 exercises are easier next time; 2 are swapped for holds."), then one line
// per exercise, each saying whether it is already in the program or waiting for the
// physiotherapist (approval mode). The clinician's reasons stay on the decisions.
//
// Thread safety: free functions; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "kneecoach/v1/decision.pb.h"
#include "service/domain/library.h"

namespace kneecoach {

struct PatientSummary {
  // One sentence per kind of change, most cautious first (pause, rest, easier, swapped,
  // repeated, harder, next stage, cadence, phase). Empty: nothing changed.
  std::vector<std::string> headlines;
  // One line per decision about an exercise: "Wall sit: 5 x 45 s hold. Applied: ..."
  std::vector<std::string> details;
};

// `decisions`: what the engine returned for one report (any order).
PatientSummary SummarizeForPatient(const std::vector<v1::Decision>& decisions,
                                   const Library& library);

}  // namespace kneecoach
