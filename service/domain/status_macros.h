// RETURN_IF_ERROR and ASSIGN_OR_RETURN: the early returns on a failed absl::Status or
// absl::StatusOr that Abseil 20220623 does not ship. Usable in every layer (domain, store,
// core, server), in functions and lambdas returning absl::Status or absl::StatusOr<T>.
//
//   RETURN_IF_ERROR(txn.PutProtocol(id, protocol));
//   ASSIGN_OR_RETURN(v1::Program program, txn.GetProgram(id));
//   ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KC_STATUS_MACROS_CONCAT_INNER(a, b) a##b
#define KC_STATUS_MACROS_CONCAT(a, b) KC_STATUS_MACROS_CONCAT_INNER(a, b)

// Returns the status of `expr` (an absl::Status) from the enclosing function unless it is OK.
#define RETURN_IF_ERROR(expr)                                                             \
  do {                                                                                    \
    if (::absl::Status kc_status_macros_status = (expr); !kc_status_macros_status.ok()) { \
      return kc_status_macros_status;                                                     \
    }                                                                                     \
  } while (false)

// Evaluates `expr` (an absl::StatusOr<T>); returns its status from the enclosing function
// unless it is OK, else moves its value into `lhs` (a declaration or an lvalue). `lhs` may
// not contain an unparenthesized comma.
#define ASSIGN_OR_RETURN(lhs, expr) \
  KC_ASSIGN_OR_RETURN_IMPL(KC_STATUS_MACROS_CONCAT(kc_status_macros_or_, __LINE__), lhs, expr)

#define KC_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr)      \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
