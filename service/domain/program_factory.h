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
#include "service/domain/library.h"

namespace kneecoach {

// `requested` is CreateProgramRequest.program (patient already checked by the caller).
// `name` is the new program's resource name; prescriptions are named
// "{name}/prescriptions/{1..n}". INVALID_ARGUMENT with field violations (paths under
// "program.") when the request is wrong; FAILED_PRECONDITION if the protocol has no
// template for the phase and no prescriptions were given.
absl::StatusOr<v1::Program> NewProgram(const v1::Program& requested,
                                       const v1::Protocol& protocol, const Library& library,
                                       const std::string& name, absl::CivilDay start_date);

// Prescriptions from a protocol's template for `phase`, appended to `program` with names
// continuing its numbering. Used at creation and when the engine changes phase.
void AddTemplatePrescriptions(const v1::Protocol& protocol, v1::Phase phase,
                              const Library& library, v1::Program& program);

// The slug in "exercises/{slug}" (the input unchanged if it has no such prefix).
std::string ExerciseSlug(absl::string_view exercise_name);

}  // namespace kneecoach

namespace kneecoach {
// "settle", "strengthen", "return to run", "maintenance".
std::string PhaseDisplayName(v1::Phase phase);
}  // namespace kneecoach
