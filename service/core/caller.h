// The caller of the RPC being served: who they are (from their credential), which method
// they called, and what authorization resolved the request's target to. The server sets it
// with a CallScope around each Core call; Core reads it to scope lists and to write the
// audit entry in the request's own transaction.
//
// Thread safety: one Caller per thread (thread-local): a CallScope must begin and end on the
// thread that serves the call, which holds for unary handlers.
#pragma once

#include <functional>
#include <string>

#include "absl/time/time.h"

#include "kneecoach/v1/access.pb.h"

namespace kneecoach {

struct Caller {
  // "users/{id}" of the authenticated user; empty for the system (seeding, bootstrap).
  std::string user_name;
  v1::User user;
  // Id of the token the caller presented ("" for the system and enrollment codes).
  std::string token_id;
  // The enrollment code presented instead of a token (EnrollDevice only).
  std::string enrollment_code;
  // Full method name, "/kneecoach.v1.SessionService/ReportSession".
  std::string method;
  // What the request acts on, as authorization resolved it.
  std::string resource;
  std::string clinic;
  std::string patient_id;
  // Hex SHA-256 of the method and the request's deterministic serialization: a request_id
  // reused with another request is refused, not replayed (AIP-155). Empty outside the server.
  std::string request_digest;
  // When the caller stops waiting (infinite outside the server), and whether the call was
  // cancelled: long use cases (SimulateProgram) stop early rather than work for nobody.
  absl::Time deadline = absl::InfiniteFuture();
  std::function<bool()> cancelled;

  bool is_system() const { return user_name.empty() && enrollment_code.empty(); }
};

// The current thread's caller; the system caller when no CallScope is active.
const Caller& CurrentCaller();

// Makes `caller` current for its lifetime.
class CallScope {
 public:
  explicit CallScope(Caller caller);
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  Caller caller_;
  const Caller* previous_;
};

}  // namespace kneecoach
