// Helpers shared by the Core's use cases: page tokens, transactions, idempotency.
#pragma once

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/core/caller.h"
#include "service/core/core_state.h"
#include "service/core/method_registry.h"
#include "service/core/request_context.h"
#include "service/core/retry.h"
#include "service/domain/errors.h"
#include "service/domain/names.h"

namespace kneecoach::internal {

// Checks page_size (0: default; negative or above the maximum: INVALID_ARGUMENT) and
// opens page_token into the store's cursor (malformed or tampered with: INVALID_ARGUMENT
// naming page_token).
absl::StatusOr<PageRequest> ParsePage(int page_size, const std::string& page_token,
                                      const CoreOptions& options);

// The page token for continuing at the store's cursor `cursor` (Page::next): the cursor
// sealed (encrypted and authenticated) with the page key, so that a client can neither read
// the store's positions nor forge one; empty when the cursor is (no more pages).
std::string PageToken(const std::string& cursor);

// The page key: a secret kept in the store (Txn::GetOrPutSecret), so that a token survives
// a restart and is accepted by every server on the same store. Core's constructor loads it
// (creating it on the store's first start); until then, and if the store cannot give it,
// tokens are sealed with a key of this process. Tokens sealed with any key loaded in this
// process are accepted (a process normally serves one store; tests start several).
void LoadPageKey(Store& store);

// A List response from one page of a store list: the items moved into the repeated field
// `items` of Response, and the token for the next page.
template <typename Response, typename Item>
absl::StatusOr<Response> ToPageResponse(
    absl::StatusOr<Page<Item>> page,
    google::protobuf::RepeatedPtrField<Item>* (Response::*items)()) {
  if (!page.ok()) return page.status();
  Response response;
  for (Item& item : page->items) *(response.*items)()->Add() = std::move(item);
  response.set_next_page_token(PageToken(page->next));
  return response;
}

// The clinic of the call's transactions (Store::Begin, "Clinics"): its caller's; for a
// device enrolling with a code, the code's (kClinicOfItsSecret); every clinic for the
// server's own work.
inline std::string StoreClinic(const RequestContext& ctx) {
  return ctx.caller.enrollment_code.empty() ? ctx.caller.user.clinic()
                                            : std::string(kClinicOfItsSecret);
}

// Runs `fn(Txn&)` in a read transaction of the call's clinic.
template <typename Fn>
auto InRead(const RequestContext& ctx, Store& store, Fn&& fn)
    -> decltype(fn(std::declval<Txn&>())) {
  auto txn = store.Begin(/*write=*/false, StoreClinic(ctx), ctx.deadline);
  if (!txn.ok()) return txn.status();
  return fn(**txn);
}

// Runs `fn(Txn&)` in a read transaction of the clinic its credential's lookup names
// (kClinicOfItsSecret): authentication, before the caller is known.
template <typename Fn>
auto InReadByCredential(Store& store, Fn&& fn) -> decltype(fn(std::declval<Txn&>())) {
  auto txn = store.Begin(/*write=*/false, std::string(kClinicOfItsSecret));
  if (!txn.ok()) return txn.status();
  return fn(**txn);
}

// Writes the audit entry for `caller`'s write of `method` (who, when, what, request id).
absl::Status RecordAudit(Txn& txn, const WriteDeps& deps, const Caller& caller,
                         absl::string_view method, const std::string& scope,
                         const std::string& request_id);

// Whether InWrite stores the response for replay under the request_id. Responses that
// carry a secret (a new token, an enrollment code) must never be stored: for those a
// request_id only labels the audit entry.
enum class Replay { kStore, kNever };

// Which of today's plans (PlanCache) a write may change: any (the default, always safe),
// one program's, or none (the write touches nothing a plan is made from: the program, its
// sessions, its patient's time zone, the library).
struct PlansChanged {
  static PlansChanged Any() { return {}; }
  static PlansChanged Program(absl::string_view id) { return {id, false}; }
  static PlansChanged None() { return {{}, true}; }
  absl::string_view program_id;
  bool none = false;
};

// The key a response is stored under for replay: `scope` within the caller's clinic and
// user, so that one caller's request_id never replays another's record.
std::string RequestKey(const Caller& caller, const std::string& scope);

// One attempt of InWrite (below).
template <typename Response, typename Fn>
absl::StatusOr<Response> InWriteOnce(const RequestContext& ctx, const WriteDeps& deps,
                                     const std::string& scope, const std::string& request_id,
                                     Fn& fn, Replay replay, PlansChanged plans) {
  RETURN_IF_ERROR(ctx.CheckLive());
  auto txn = deps.store.Begin(/*write=*/true, StoreClinic(ctx), ctx.deadline);
  if (!txn.ok()) return txn.status();
  // Begin waited for the writer (SQLite) or a pooled connection (PostgreSQL, until the
  // deadline at most): a caller who stopped waiting meanwhile gets nothing done, and the
  // next call has the Txn sooner.
  RETURN_IF_ERROR(ctx.CheckLive());
  const bool replayable = replay == Replay::kStore && !request_id.empty();
  const Caller& caller = ctx.caller;
  const std::string key = RequestKey(caller, scope);
  if (replayable) {
    auto prior = (*txn)->GetStoredRequest(key, request_id);
    if (!prior.ok()) return prior.status();
    if (!prior->has_value() && deps.store.MayHoldUnscopedRequests() &&
        absl::StrContains(scope, ':')) {
      prior = (*txn)->GetStoredRequest(scope, request_id);  // stored before migration 5
      if (!prior.ok()) return prior.status();
    }
    if (prior->has_value()) {
      if (!(*prior)->digest.empty() && (*prior)->digest != ctx.request_digest) {
        return InvalidField("request_id",
                            "already used for a different request: a retry must repeat the "
                            "request unchanged; a new request needs a new request_id");
      }
      Response replay;
      if (!replay.ParseFromString((*prior)->response)) {
        return absl::DataLossError("stored response for request_id is unreadable");
      }
      // The original may still be on its way to disk (in the same batch of commits): the
      // replay is acknowledged only once it is durable, and fails if it was not.
      RETURN_IF_ERROR((*txn)->Commit());
      return replay;
    }
  }
  absl::StatusOr<Response> response = fn(**txn);
  if (!response.ok()) return response.status();  // the Txn rolls back on destruction
  // Whatever the commit's outcome, before anything is acknowledged.
  struct InvalidateAtExit {
    AccessCache* cache;
    PlanCache& plans;
    PlansChanged changed;
    ~InvalidateAtExit() {
      if (cache != nullptr) cache->Invalidate();
      if (changed.none) return;
      if (changed.program_id.empty()) {
        plans.InvalidateAll();
      } else {
        plans.Invalidate(changed.program_id);
      }
    }
  } invalidate{ctx.rules != nullptr && ctx.rules->keeps_access_cache ? nullptr : &deps.access_cache,
               deps.plan_cache, plans};
  if (replayable) {
    absl::Status put = (*txn)->PutRequestResult(key, request_id, response->SerializeAsString(),
                                                ctx.request_digest);
    if (!put.ok()) return put;
  }
  // Other replicas sharing the store drop the same from their caches once this commits.
  if (!plans.none) {
    RETURN_IF_ERROR((*txn)->AnnounceChange(
        plans.program_id.empty()
            ? StoreChange{StoreChange::Kind::kEverything, ""}
            : StoreChange{StoreChange::Kind::kProgram, std::string(plans.program_id)}));
  }
  if (invalidate.cache != nullptr) {
    RETURN_IF_ERROR((*txn)->AnnounceChange({StoreChange::Kind::kAccess, ""}));
  }
  // A device enrolling is audited by EnrollDevice itself, as the patient it becomes.
  if (caller.enrollment_code.empty()) {
    // System work is audited under its scope ("BootstrapAdmin", "SeedDemo").
    RETURN_IF_ERROR(
        RecordAudit(**txn, deps, caller, ctx.is_system() ? "" : ctx.method, scope, request_id));
  }
  absl::Status committed = (*txn)->Commit();
  if (!committed.ok()) return committed;
  return response;
}

// Runs `fn(Txn&)` in one write transaction for the call `ctx` and, if fn succeeds, records
// the audit entry and commits, all together. A call whose deadline has passed or whose
// client has gone, before its transaction begins or while it waited to, does nothing
// (RequestContext::CheckLive). With a non-empty
// request_id, a response already stored under (caller, scope, request_id) is returned
// instead and nothing is written: a retried request stores nothing twice. The same
// request_id with another request (another method or body, RequestContext::request_digest)
// is INVALID_ARGUMENT.
// When the store aborts the transaction (a conflict, store.h), the whole of it (Begin, the
// replay lookup, fn, the response's record, Commit) runs again, kWriteAttempts times at
// most: an aborted Txn kept nothing, its idempotency record included, so `fn` must only
// depend on the request and what it reads through the Txn.
template <typename Response, typename Fn>
absl::StatusOr<Response> InWrite(const RequestContext& ctx, const WriteDeps& deps,
                                 const std::string& scope, const std::string& request_id, Fn&& fn,
                                 Replay replay = Replay::kStore, PlansChanged plans = {}) {
  return RetryAborted(kWriteAttempts, [&] {
    return InWriteOnce<Response>(ctx, deps, scope, request_id, fn, replay, plans);
  });
}

// Field checks of a patient record (paths under "patient.").
void ValidatePatientFields(const v1::Patient& patient, FieldViolations& violations);

// A Get use case: parses `name` ("{collection}/{id}", field "name"), reads the record with
// `get` and returns it in `field` of Response.
template <typename Response, typename Item>
absl::StatusOr<Response> GetByName(const RequestContext& ctx, Store& store, const std::string& name,
                                   absl::string_view collection,
                                   absl::StatusOr<Item> (Txn::*get)(const std::string&),
                                   Item* (Response::*field)()) {
  auto id = ParseId("name", name, collection);
  if (!id.ok()) return id.status();
  return InRead(ctx, store, [&](Txn& txn) -> absl::StatusOr<Response> {
    auto item = (txn.*get)(*id);
    if (!item.ok()) return item.status();
    Response response;
    *(response.*field)() = *std::move(item);
    return response;
  });
}

// Whether `text` (UTF-8) holds a control character (C0, DEL, C1, NUL), a line or paragraph
// separator, or a bidirectional mark, override or isolate. Names are shown in terminals and
// windows, where such characters rewrite what is displayed; they are refused.
bool HasControlCharacters(absl::string_view text);

// request_id: required (phone writes) or optional, and well-formed when present.
absl::Status CheckRequestId(const std::string& request_id, bool required);

// Credits the caller of `ctx` as the one who made, approved or rejected `d` (its reviewer
// and their display name at that time); the system leaves both empty.
inline void CreditReviewer(const RequestContext& ctx, v1::Decision& d) {
  d.set_reviewer(ctx.caller.user_name);
  d.set_reviewer_display_name(ctx.caller.user.display_name());
}

}  // namespace kneecoach::internal
