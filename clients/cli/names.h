// Resource names from what a user types: short ids are accepted wherever they are
// unambiguous ("abc" -> "patients/abc"), full names pass through unchanged.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace kneecoach::cli {

// `id` as a name in `collection`: "abc" -> "patients/abc"; "patients/abc" and anything else
// containing "/" are returned as given (the server judges them). Empty stays empty.
std::string Qualify(absl::string_view collection, absl::string_view id);

// A child resource of a program-like parent, e.g. parent "programs", child "prescriptions":
//   "programs/p/prescriptions/x" -> unchanged
//   "p/prescriptions/x"          -> "programs/p/prescriptions/x"
//   "p/x"                        -> "programs/p/prescriptions/x"
// Anything else is returned as given.
std::string QualifyChild(absl::string_view parent, absl::string_view child, absl::string_view id);

// The inverse of QualifyChild: "users/u/tokens/t" -> "u/t"; any other name -> ShortId.
std::string ShortChildId(absl::string_view name);

// The last segment of a resource name ("programs/p/prescriptions/x" -> "x").
std::string ShortId(absl::string_view name);

}  // namespace kneecoach::cli
