// Protocols: the clinic-configurable rules of the pain-monitoring model and the phase
// templates programs are created from (kneecoach.v1.Protocol). Every number a protocol holds
// is [ext], [EO] or [DC] in the clinical reference, so it is data: this file loads a protocol
// and checks it is internally consistent and matches the exercise library before the engine
// trusts it.
//
// Validation errors are INVALID_ARGUMENT with a google.rpc.BadRequest payload whose field
// violations name each offending field by its path, e.g.
// "rules.exercise_traffic_light.green_max_pain_during" or
// "phases[1].prescriptions[0].exercise_slug".
//
// Thread safety: free functions over immutable inputs; safe from any thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kneecoach/v1/protocol.pb.h"
#include "service/domain/errors.h"
#include "service/domain/library.h"

namespace kneecoach {

// Reads a Protocol textproto and validates it. NOT_FOUND if the file is missing;
// INVALID_ARGUMENT (naming the file) if it does not parse; the field violations of
// ValidateProtocol otherwise. Sets `name` to "protocols/{id}".
absl::StatusOr<v1::Protocol> LoadProtocolFromFile(const std::string& path, const Library& library);

// Checks a whole protocol: id and version, its rules (as ValidateRules, under "rules"; a
// protocol must also set confirmation, regression_variables and maintenance, which a program
// may leave to its protocol) and
// its phase templates (each phase at most once; known exercises and ladders; sane doses;
// exit criteria that can be met; a phase followed by another must have exit criteria).
absl::Status ValidateProtocol(const v1::Protocol& protocol, const Library& library);

// As ValidateProtocol, adding to `violations` with paths under `prefix` (e.g. "protocol"
// for CreateProtocolRequest.protocol; "" for none).
void AddProtocolViolations(const v1::Protocol& protocol, absl::string_view prefix,
                           const Library& library, FieldViolations& violations);

// Checks rules alone, with field paths under `prefix` (e.g. "rules" for a protocol,
// "program.rules" for a per-program override from UpdateProgram): thresholds on 0..10 and
// ordered (green <= amber; amber morning < red morning), counts >= 1, fractions in range,
// steps > 0, run stages on known exercises, one frequency rule per class. Alert rules that
// 0 switches off (AKPS change, pain sustained high, usual pain rising fast) need their other
// field only when on. Confirmation hours 0..168; regression_variables, when given, list
// every exercise category once with known variables, none twice; maintenance, when given,
// a weekly increase in (0, 0.2].
absl::Status ValidateRules(const v1::ProtocolRules& rules, absl::string_view prefix,
                           const Library& library);

// As ValidateRules, adding to `violations` so a caller can combine them with its own.
void AddRulesViolations(const v1::ProtocolRules& rules, absl::string_view prefix,
                        const Library& library, FieldViolations& violations);

// The rules a program is judged by: its own copy, with the rules it was created before
// (confirmation, regression_variables, maintenance: unset or empty) taken from its
// protocol's.
v1::ProtocolRules RulesInForce(const v1::ProtocolRules& program_rules,
                               const v1::ProtocolRules& protocol_rules);

}  // namespace kneecoach
