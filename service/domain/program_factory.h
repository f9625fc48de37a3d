// Builds a new Program from a CreateProgram request and a protocol: defaults (phase settle,
// automatic approval, the protocol's rules), prescriptions from the phase template when
// none are given, starting doses from the library, and validation of everything the
// caller supplied.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "service/domain/errors.h"
#include "service/domain/library.h"

namespace kneecoach {

// `requested` is CreateProgramRequest.program (patient already checked by the caller).
// `name` is the new program's resource name; prescriptions are named
// "{name}/prescriptions/{1..n}". INVALID_ARGUMENT with field violations (paths under
// "program.") when the request is wrong; FAILED_PRECONDITION if the protocol has no
// template for the phase and no prescriptions were given.
absl::StatusOr<v1::Program> NewProgram(const v1::Program& requested, const v1::Protocol& protocol,
                                       const Library& library, const std::string& name,
                                       absl::CivilDay start_date);

// Prescriptions from a protocol's template for `phase`, appended to `program` with names
// continuing its numbering. Used at creation and when the engine changes phase.
void AddTemplatePrescriptions(const v1::Protocol& protocol, v1::Phase phase, const Library& library,
                              v1::Program& program);

// Checks what a client may set in a cadence module (enabled, baseline_spm, step_index)
// against the cadence rules in force: step_index from -1 (not started) to the last of the
// rules' steps, baseline_spm 0 (taken from the first run) or a human step rate (60..300).
// Violations are named under `prefix` ("program.cadence").
void AddCadenceViolations(const v1::CadenceModule& cadence, const v1::CadenceRules& rules,
                          absl::string_view prefix, FieldViolations& violations);

// The cadence module to store for a checked `requested` one: the client's fields, the target
// of its step (0 before the first step or without a baseline), and the engine's streaks of
// `kept` (the stored module) when the step is unchanged, else 0. The client's target and
// streaks are output only.
v1::CadenceModule RequestedCadence(const v1::CadenceModule& requested,
                                   const v1::CadenceModule& kept, const v1::CadenceRules& rules);

// OK if the stored program's modules are within the bounds the engine relies on (the
// cadence step inside the rules' steps, rates and streaks in range); FAILED_PRECONDITION
// naming the program otherwise: a corrupt program is an error on that program, never a
// crash of the engine.
absl::Status CheckStoredProgram(const v1::Program& program);

// The slug in "exercises/{slug}" (the input unchanged if it has no such prefix).
std::string ExerciseSlug(absl::string_view exercise_name);

}  // namespace kneecoach

namespace kneecoach {
// "settle", "strengthen", "return to run", "maintenance".
std::string PhaseDisplayName(v1::Phase phase);
}  // namespace kneecoach
