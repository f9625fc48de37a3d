// RETURN_IF_ERROR and ASSIGN_OR_RETURN (Abseil 20220623 has neither): early returns of an
// absl::Status or the status of an absl::StatusOr.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KC_STATUS_CONCAT_INNER(a, b) a##b
#define KC_STATUS_CONCAT(a, b) KC_STATUS_CONCAT_INNER(a, b)

// Returns the status of `expr` (an absl::Status) from the enclosing function unless OK.
#define RETURN_IF_ERROR(expr)                                               \
  do {                                                                      \
    if (absl::Status kc_status = (expr); !kc_status.ok()) return kc_status; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status unless OK, else moves its
// value into `lhs` (a declaration such as `auto x` or an existing variable).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ASSIGN_OR_RETURN_IMPL(KC_STATUS_CONCAT(kc_statusor_, __LINE__), lhs, rexpr)
#define ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                          \
  if (!statusor.ok()) return statusor.status();     \
  lhs = *std::move(statusor)
