// Bounded retry of a whole transaction that the store aborted (Store contract, store.h: a
// write Txn that conflicts with a concurrent one fails with ABORTED and keeps nothing, so
// running it again from Begin is safe).
#pragma once

#include <algorithm>
#include <cstdint>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kneecoach::internal {

// Attempts of one write request, the first included.
inline constexpr int kWriteAttempts = 5;

inline const absl::Status& StatusOf(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}

// The message of a request that kept conflicting: plain words, for whoever reads it.
inline constexpr char kStillConflicting[] =
    "the request conflicted with other changes made at the same time; please try again";

// How long to wait before attempt `attempt` + 1: about 1, 2, 4, 8 ms..., at most 50 ms,
// each between half and one and a half times that (jitter keeps two requests that
// conflicted from meeting again).
inline absl::Duration RetryBackoff(int attempt) {
  thread_local absl::InsecureBitGen random;
  const double base_ms =
      std::min(50.0, static_cast<double>(int64_t{1} << std::min(attempt - 1, 6)));
  return absl::Milliseconds(base_ms * absl::Uniform(random, 0.5, 1.5));
}

// Runs `fn()` (returning absl::Status or absl::StatusOr<T>) again while it returns ABORTED,
// `max_attempts` times in all, with a short jittered wait between attempts; after the last
// ABORTED, returns ABORTED with a plain message. Any other result is returned at once, so a
// first attempt that succeeds costs one status check. `fn` must start its transaction
// afresh each time.
template <typename Fn>
auto RetryAborted(int max_attempts, Fn&& fn) -> decltype(fn()) {
  for (int attempt = 1;; ++attempt) {
    auto result = fn();
    if (StatusOf(result).code() != absl::StatusCode::kAborted) return result;
    if (attempt >= max_attempts) return absl::AbortedError(kStillConflicting);
    absl::SleepFor(RetryBackoff(attempt));
  }
}

}  // namespace kneecoach::internal
