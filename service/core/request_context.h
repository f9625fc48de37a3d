// RequestContext: everything a use case knows about the call it serves, passed explicitly
// as the first parameter of every use case: who calls (Caller), which method, the id the
// server's log and the client's x-request-id trailer give the call, when the caller stops
// waiting, and whether they have gone. There is no ambient ("current") caller: work that no
// client asked for (seeding, bootstrap, preparing plans) says so with RequestContext::System.
//
// Thread safety: a context is made per call and only read while the call runs; the
// cancellation check may be called from any thread.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/core/caller.h"

namespace kneecoach {

struct MethodInfo;  // service/core/method_registry.h

struct RequestContext {
  // A call from a client: `caller` as authentication found it (Authorize adds what the
  // request targets), `method` its registry entry (never null).
  static RequestContext ForCall(Caller caller, const MethodInfo* method, std::string request_id);
  // Work the system does by itself: `what` ("seed", "bootstrap", "prepare plans") names it
  // in the audit log and must outlive the context (a string literal). Permission checks do
  // not apply; nothing else distinguishes it.
  static RequestContext System(absl::string_view what);

  RequestContext(RequestContext&&) = default;
  RequestContext& operator=(RequestContext&&) = default;
  RequestContext(const RequestContext&) = default;
  RequestContext& operator=(const RequestContext&) = default;

  bool is_system() const { return system_; }

  // OK while the call is worth serving; DEADLINE_EXCEEDED once its deadline has passed and
  // CANCELLED once the client has gone. Checked before a use case starts, when a queued
  // write leaves the queue, and before and after a write transaction begins.
  absl::Status CheckLive() const;

  Caller caller;
  // Full method name, "/kneecoach.v1.SessionService/ReportSession"; for system work, what
  // System was given. Points into the method registry (or a literal).
  absl::string_view method;
  // The registry's entry for `method` (access rule, cache effect, where it runs); null for
  // system work.
  const MethodInfo* rules = nullptr;
  // A short random id of this call, in the server's log lines and the x-request-id
  // trailer; empty for system work.
  std::string request_id;
  // Hex SHA-256 of the method and the request's deterministic serialization: a request_id
  // reused with another request is refused, not replayed (AIP-155). Empty unless the
  // request carries a request_id.
  std::string request_digest;
  // When the caller stops waiting.
  absl::Time deadline = absl::InfiniteFuture();
  // Whether the client has cancelled the call (empty: it cannot).
  std::function<bool()> cancelled;

 private:
  RequestContext() = default;
  bool system_ = false;
};

}  // namespace kneecoach
