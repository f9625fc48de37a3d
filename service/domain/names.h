// Resource names (AIP-122): "patients/{patient}", "programs/{program}",
// "programs/{program}/sessions/{session}", ... Ids are 1-64 characters of [a-z0-9-].
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kneecoach {

// Parses `name` against `pattern`, e.g. ParseName("programs/ab/sessions/cd",
// {"programs", "sessions"}) -> {"ab", "cd"}. INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    const std::vector<absl::string_view>& collections);

// Single-segment convenience: ParseId("name", "patients/ab", "patients") -> "ab".
absl::StatusOr<std::string> ParseId(absl::string_view field, absl::string_view name,
                                    absl::string_view collection);

// True for 1-64 characters of [a-z0-9-] (ids) .
bool IsValidId(absl::string_view id);

// True for a client request id: 1-64 characters of [A-Za-z0-9_-].
bool IsValidRequestId(absl::string_view id);

}  // namespace kneecoach
