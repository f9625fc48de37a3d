// Size limits every request obeys, checked generically before any use case runs: no string
// longer than kMaxStringBytes, no repeated field with more than kMaxRepeated entries.
// (gRPC bounds the whole message; protobuf bounds nesting depth and rejects invalid UTF-8 in
// string fields while parsing.)
#pragma once

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace kneecoach {

inline constexpr int kMaxStringBytes = 10000;
inline constexpr int kMaxRepeated = 1000;

// INVALID_ARGUMENT naming the first offending field path, e.g. "reports[3].prescription".
absl::Status CheckRequestLimits(const google::protobuf::Message& request);

}  // namespace kneecoach
