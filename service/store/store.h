// The Store: durable records of patients, programs, sessions, check-ins, outcomes, decisions,
// alerts, protocols and idempotency keys. Callers open one Txn per request and commit it once: all
// of a request's writes land together or not at all ("nothing acknowledged is lost").
//
// This header is the contract every backend meets (SqliteStore, and any other); the
// conformance suite in tests/store/store_conformance.h checks it. What it promises:
//
// Isolation. Every write Txn is serializable: it reads one consistent snapshot that
// includes every Txn committed before it began, and its writes apply as if no other write
// Txn ran at the same time. SqliteStore gets this from a single writer (one BEGIN IMMEDIATE
// transaction at a time; write Txns wait for each other in Begin). A backend with
// concurrent writers may instead fail a conflicting statement or Commit() with ABORTED:
// nothing of that Txn is kept, and the caller may run the whole request again (the write
// path, InWrite in service/core/core_util.h, does so a bounded number of times). A read
// Txn sees a consistent snapshot of committed Txns only, never another Txn's uncommitted
// writes; a backend may make it wait for a writer to end (SqliteStore in memory does).
//
// Errors, from any method (Begin included):
//   NOT_FOUND           Get/Update of an id that is not stored (the message names the kind
//                       of record and the id), GetToken of an unknown id;
//   ALREADY_EXISTS      Insert* of an id already stored, PutRequestResult of a (scope,
//                       request_id) already stored, InsertEnrollmentCode of a known hash;
//   FAILED_PRECONDITION an insert naming a parent record that does not exist (a program's
//                       patient; a session's, check-in's, outcome's, decision's or alert's
//                       program; a token's user), a database that is read-only, a Txn used
//                       after Commit();
//   INVALID_ARGUMENT    a PageRequest whose `after` is not a cursor this store returned,
//                       or whose limit is below 1;
//   ABORTED             a conflict with a concurrent Txn (never from SqliteStore's single
//                       writer); the Txn is dead: every later call and Commit() fail too;
//   UNAVAILABLE         the store cannot be reached or is locked by another process;
//   RESOURCE_EXHAUSTED  the disk (or the database's quota) is full;
//   DATA_LOSS           a stored record cannot be parsed (the message names the table);
//   INTERNAL            anything else.
// Writes sent later. A backend over a network may hold back a write whose only possible
// failure is a taken id (or key) and send it with the Txn's next statement or Commit(), in
// the same round trip; its error (ALREADY_EXISTS, ABORTED...) then comes from that later
// call, and the Txn is dead (Commit() keeps nothing). The writes it may hold back:
// PutRequestResult and InsertAudit, an insert under a parent record this write Txn has read
// (Get*: a session, check-in, outcome, decision or alert of a program it read), and an
// update of a record this write Txn has read, unless the Txn erased a patient since. Every
// read of the Txn still sees them (GetStoredRequest its own request records, at once).
// After an error other than NOT_FOUND the caller ends the Txn (drops it, or returns the
// error up to whoever does): a backend may roll the whole Txn back on any failed statement
// (PostgreSQL does), where SQLite undoes only the statement. NOT_FOUND (a Get or Update
// that matched nothing) leaves the Txn usable on every backend.
//
// Lists are keyset-paginated: PageRequest::after is an opaque cursor ("" = from the
// start) and Page::next the cursor of the next page ("" = no more). A cursor is only
// meaningful to the list (method and filters) that returned it; it stays valid across
// Txns, restarts and inserts (a later page continues after the last item returned, and
// items inserted since appear on it only if they sort after that item). Cursors may reveal
// the store's internal positions: callers must not show them to clients as they are
// (the Core seals them into page tokens). Insertion order is the order of Commit() for
// SqliteStore; a backend with concurrent writers orders by insertion within a Txn and by
// commit order as nearly as it can, never returning an item twice or skipping one that
// was committed before the first page was read.
//
// Erasure (ErasePatient) removes the records at once for every later Txn. A store that owns
// its files removes their traces from them (logs, free pages) by itself after the erasing
// Txn commits (SqliteStore checkpoints and truncates its WAL, and zeroes freed pages). A
// store on a database server cannot: PostgresStore says what remains, and for how long.
//
// Thread safety: Store is thread-safe. A Txn belongs to one thread, and a thread holds at
// most one Txn at a time: it must destroy its Txn before it opens another (SqliteStore's
// single writer would otherwise wait for itself). Dropping a Txn without Commit() rolls it
// back (only its own writes, even when it shared a database transaction with other Txns).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "kneecoach/v1/access.pb.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/store/store_change.h"

namespace kneecoach {

// One page of a keyset-paginated list.
struct PageRequest {
  // At most this many items (at least 1).
  int limit = 50;
  // Continue after this cursor: "" from the start, else a Page::next of the same list.
  std::string after;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // Pass as PageRequest::after for the next page; "" when there is none.
  std::string next;
};

// Filters for alert lists; empty fields do not filter.
struct AlertFilter {
  std::string program_id;
  std::string clinic;
  // Only alerts of patients assigned to this user id.
  std::string physiotherapist_id;
  bool unacknowledged_only = false;
};

// A stored token with the ids it hangs from.
struct TokenRecord {
  std::string id;
  std::string user_id;
  v1::Token token;
  // The token whose holder made this one with it (CreateToken for themselves); "" if none.
  std::string parent_id;
};

// What the engine reads of one program besides the program itself, asked for at once
// (Txn::ReadProgramHistory) so that a backend over a network reads it in one round trip.
struct HistoryQuery {
  std::string program_id;
  // The program's protocol (GetProtocol); "" reads none.
  std::string protocol_id;
  // Sessions and check-ins with local_date >= since (SessionsSince, CheckInsSince).
  std::string since;
  // The newest alerts of the program, at most this many (ListAlerts); 0 reads none.
  int alert_limit = 0;
  // The newest outcomes of this kind (UNSPECIFIED: every kind), at most outcome_limit
  // (ListOutcomes); 0 reads none.
  v1::OutcomeKind outcome_kind = v1::OUTCOME_KIND_UNSPECIFIED;
  int outcome_limit = 0;
};

// The answer to a HistoryQuery, each list as its own method returns it.
struct ProgramHistory {
  v1::Protocol protocol;
  std::vector<v1::Session> sessions;          // oldest first
  std::vector<v1::MorningCheckIn> check_ins;  // oldest first
  std::vector<v1::Alert> alerts;              // newest first
  std::vector<v1::Outcome> outcomes;          // newest first
};

// Errors: see the top of this file. Ids are resource ids, not names.
class Txn {
 public:
  virtual ~Txn() = default;

  // Idempotency records: the response a write request got, stored in the same Txn as the
  // request's writes, so that a retried request is answered from it and writes nothing
  // twice. A Txn that fails or aborts keeps neither, so running it again is safe.
  //
  // The stored response for (scope, request_id), if any.
  virtual absl::StatusOr<std::optional<std::string>> GetRequestResult(
      absl::string_view scope, absl::string_view request_id) = 0;
  // The same with the digest of the request it answered ("" for rows stored before
  // digests were kept).
  struct StoredRequest {
    std::string response;
    std::string digest;
  };
  virtual absl::StatusOr<std::optional<StoredRequest>> GetStoredRequest(
      absl::string_view scope, absl::string_view request_id) = 0;
  // ALREADY_EXISTS if (scope, request_id) is stored (ABORTED if a concurrent Txn is
  // storing it, on a backend with concurrent writers).
  virtual absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                        const std::string& response,
                                        absl::string_view digest = "") = 0;

  // A secret of the store, shared by every process that uses it (the key of page tokens):
  // the value stored under `name` if there is one; otherwise, in a write Txn, stores
  // `value` and returns it (two Txns racing both get the one stored first, or ABORTED),
  // and in a read Txn NOT_FOUND.
  virtual absl::StatusOr<std::string> GetOrPutSecret(const std::string& name,
                                                     const std::string& value) = 0;

  virtual absl::Status InsertPatient(const std::string& id, const v1::Patient& patient) = 0;
  virtual absl::Status UpdatePatient(const std::string& id, const v1::Patient& patient) = 0;
  virtual absl::StatusOr<v1::Patient> GetPatient(const std::string& id) = 0;
  // Oldest first; empty filters do not filter. `physiotherapist_id`: only patients
  // assigned to that user.
  virtual absl::StatusOr<Page<v1::Patient>> ListPatients(const std::string& clinic,
                                                         const std::string& physiotherapist_id,
                                                         PageRequest page) = 0;

  virtual absl::Status InsertProgram(const std::string& id, const std::string& patient_id,
                                     const v1::Program& program) = 0;
  virtual absl::Status UpdateProgram(const std::string& id, const v1::Program& program) = 0;
  virtual absl::StatusOr<v1::Program> GetProgram(const std::string& id) = 0;
  // Newest first; `patient_id` empty: all.
  virtual absl::StatusOr<Page<v1::Program>> ListPrograms(const std::string& patient_id,
                                                         PageRequest page) = 0;
  // Newest first: the programs of `clinic`'s patients; `physiotherapist_id` non-empty: only
  // of the patients assigned to that user.
  virtual absl::StatusOr<Page<v1::Program>> ListClinicPrograms(
      const std::string& clinic, const std::string& physiotherapist_id, PageRequest page) = 0;
  // Every program's id, oldest first (for keeping today's plans ready).
  virtual absl::StatusOr<Page<std::string>> ListProgramIds(PageRequest page) = 0;

  virtual absl::Status InsertSession(const std::string& id, const std::string& program_id,
                                     const v1::Session& session) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::Session>> ListSessions(const std::string& program_id,
                                                         PageRequest page) = 0;
  // Sessions with local_date >= from_date ("YYYY-MM-DD"), oldest first (by local_date, then
  // insertion).
  virtual absl::StatusOr<std::vector<v1::Session>> SessionsSince(const std::string& program_id,
                                                                 const std::string& from_date) = 0;

  virtual absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                                     const v1::MorningCheckIn& check_in) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                                PageRequest page) = 0;
  // Check-ins with local_date >= from_date, oldest first.
  virtual absl::StatusOr<std::vector<v1::MorningCheckIn>> CheckInsSince(
      const std::string& program_id, const std::string& from_date) = 0;

  virtual absl::Status InsertOutcome(const std::string& id, const std::string& program_id,
                                     const v1::Outcome& outcome) = 0;
  // Newest first; kind UNSPECIFIED: all.
  virtual absl::StatusOr<Page<v1::Outcome>> ListOutcomes(const std::string& program_id,
                                                         v1::OutcomeKind kind,
                                                         PageRequest page) = 0;

  virtual absl::Status InsertDecision(const std::string& id, const std::string& program_id,
                                      const v1::Decision& decision) = 0;
  virtual absl::Status UpdateDecision(const std::string& id, const v1::Decision& decision) = 0;
  virtual absl::StatusOr<v1::Decision> GetDecision(const std::string& id) = 0;
  // Newest first; state UNSPECIFIED: all.
  virtual absl::StatusOr<Page<v1::Decision>> ListDecisions(const std::string& program_id,
                                                           v1::DecisionState state,
                                                           PageRequest page) = 0;

  virtual absl::Status InsertAlert(const std::string& id, const std::string& program_id,
                                   const std::string& patient_id, const std::string& clinic,
                                   const v1::Alert& alert) = 0;
  virtual absl::Status UpdateAlert(const std::string& id, const v1::Alert& alert) = 0;
  virtual absl::StatusOr<v1::Alert> GetAlert(const std::string& id) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::Alert>> ListAlerts(const AlertFilter& filter,
                                                     PageRequest page) = 0;

  // Insert or replace by id (never ALREADY_EXISTS).
  virtual absl::Status PutProtocol(const std::string& id, const v1::Protocol& protocol) = 0;
  virtual absl::StatusOr<v1::Protocol> GetProtocol(const std::string& id) = 0;
  // Oldest first.
  virtual absl::StatusOr<Page<v1::Protocol>> ListProtocols(PageRequest page) = 0;

  // What `query` names, read in this Txn as its separate methods would read it (the same
  // errors: NOT_FOUND for an unknown protocol). This default calls them one by one; a
  // backend over a network overrides it to read everything in one round trip.
  virtual absl::StatusOr<ProgramHistory> ReadProgramHistory(const HistoryQuery& query);

  // Access: clinics, users, tokens (looked up by the hash of their secret), one-time
  // enrollment codes, physiotherapist assignments, the audit trail.
  virtual absl::Status InsertClinic(const std::string& id, const v1::Clinic& clinic) = 0;
  virtual absl::StatusOr<v1::Clinic> GetClinic(const std::string& id) = 0;
  virtual absl::Status InsertUser(const std::string& id, const std::string& patient_id,
                                  const v1::User& user) = 0;
  virtual absl::Status UpdateUser(const std::string& id, const v1::User& user) = 0;
  virtual absl::StatusOr<v1::User> GetUser(const std::string& id) = 0;
  // Oldest first, users of `clinic`.
  virtual absl::StatusOr<Page<v1::User>> ListUsers(const std::string& clinic, PageRequest page) = 0;
  // The patient-role user of a patient, if enrolled.
  virtual absl::StatusOr<std::optional<v1::User>> FindPatientUser(
      const std::string& patient_id) = 0;
  virtual absl::Status InsertToken(const std::string& id, const std::string& user_id,
                                   const std::string& secret_hash, const v1::Token& token,
                                   const std::string& parent_id = "") = 0;
  // The tokens made with token `parent_id`, in no particular order.
  virtual absl::StatusOr<std::vector<TokenRecord>> ListChildTokens(
      const std::string& parent_id) = 0;
  virtual absl::Status UpdateToken(const std::string& id, const v1::Token& token) = 0;
  virtual absl::StatusOr<TokenRecord> GetToken(const std::string& id) = 0;
  virtual absl::StatusOr<std::optional<TokenRecord>> FindTokenBySecretHash(
      const std::string& secret_hash) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::Token>> ListTokens(const std::string& user_id,
                                                     PageRequest page) = 0;
  virtual absl::Status InsertEnrollmentCode(const std::string& code_hash,
                                            const std::string& patient_id,
                                            int64_t expire_unix_seconds) = 0;
  // Marks an unused, unexpired (expire_unix_seconds > now) code used and returns its
  // patient id; nullopt otherwise (unknown, used or expired): a code is consumed once.
  virtual absl::StatusOr<std::optional<std::string>> ConsumeEnrollmentCode(
      const std::string& code_hash, int64_t now_unix_seconds) = 0;
  // Replaces the set of users assigned to a patient (duplicates in `user_ids` count once).
  virtual absl::Status SetAssignments(const std::string& patient_id,
                                      const std::vector<std::string>& user_ids) = 0;
  virtual absl::StatusOr<bool> IsAssigned(const std::string& patient_id,
                                          const std::string& user_id) = 0;
  virtual absl::Status InsertAudit(const std::string& id, const std::string& clinic,
                                   const std::string& patient_id, const v1::AuditEntry& entry) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::AuditEntry>> ListAudit(const std::string& clinic,
                                                         PageRequest page) = 0;
  // Deletes a patient and everything that hangs from them: programs, sessions, check-ins,
  // outcomes, decisions, alerts, assignments, enrollment codes, their patient user and its tokens,
  // and the audit entries about them; stored responses (idempotency records) that name the
  // patient, their programs, their user or its tokens, and the requests their user made.
  // The store scrubs what the erasure leaves in its files once the Txn commits (above).
  // An unknown patient id is not an error (there is nothing to erase).
  virtual absl::Status ErasePatient(const std::string& patient_id) = 0;

  // Makes every write of this Txn durable and ends it (no method may be called after).
  // Returns:
  //   OK                  this Txn and everything it read are durable;
  //   ABORTED             a conflict with a concurrent Txn: nothing of this Txn was kept,
  //                       and running the whole request again is safe;
  //   UNAVAILABLE         the store cannot be reached or is locked: nothing was kept;
  //   RESOURCE_EXHAUSTED  disk full: nothing was kept;
  //   FAILED_PRECONDITION the database is read-only, or Commit() called twice;
  //   DATA_LOSS/INTERNAL  anything else (an I/O error, a failed sync): nothing was kept.
  // The store may commit several Txns together (SqliteStore batches them); an error means
  // none of this Txn's writes was kept, whatever happened to the others. On a
  // Txn that wrote nothing, Commit() returns once what it read is durable, or the error
  // that lost it (e.g. an idempotent replay learning that the original's batch failed).
  // A Txn waiting in Commit() may wait for other requests' Txns to end: hold no lock
  // across Commit() (or a write Txn's destruction) that another request's Txn needs.
  virtual absl::Status Commit() = 0;

  // Several processes sharing one store (server replicas on PostgreSQL) each keep caches
  // (today's plans, credentials). A write Txn names what it changed before Commit(); when
  // it commits, every other process watching the store (Store::WatchChanges) hears of it,
  // and if it does not commit, no one does. A store only one process uses (SQLite) ignores
  // it. Errors as for a write.
  virtual absl::Status AnnounceChange(const StoreChange& /*change*/) { return absl::OkStatus(); }
};

// Begin()'s clinic for a Txn of every clinic, and for one of the clinic its secret names
// (see Store::Begin).
inline constexpr absl::string_view kEveryClinic = "";
inline constexpr absl::string_view kClinicOfItsSecret = "?";

class Store {
 public:
  virtual ~Store() = default;
  // A read-only (`write` false) or read-write transaction. A write Txn may wait for
  // other write Txns to end (SqliteStore runs one at a time). Errors: UNAVAILABLE,
  // RESOURCE_EXHAUSTED, FAILED_PRECONDITION (read-only database, for a write Txn),
  // ABORTED, INTERNAL, as above.
  //
  // Waiting. A backend whose Txns wait for a connection that other Txns hold across the
  // network (PostgresStore's pool) waits until `wait_until` at most (a call's deadline),
  // then returns DEADLINE_EXCEEDED having begun nothing. SqliteStore's waits are for Txns
  // that run in memory and on the local disk, and are not bounded by it.
  //
  // Clinics. A Txn is of one clinic (`clinic` "clinics/{id}": a request's, its caller's) or
  // of every clinic (kEveryClinic: the server's own work, such as preparing plans at
  // start, seeding, copying a store). A Txn of one clinic is asked only for that clinic's
  // records and for the reference records every clinic shares (clinics, protocols, secrets,
  // its clinic's idempotency records), so a backend distributed by clinic can send each
  // of its statements to that clinic's shard: PostgresStore filters every statement of
  // such a Txn by the clinic, so a record of another clinic is NOT_FOUND there (absent from
  // lists; an insert naming another clinic is FAILED_PRECONDITION). SqliteStore, one file
  // for every clinic, need not. Ids are unique within a clinic; a backend may also refuse
  // an id another clinic has (SqliteStore does, and PostgresStore in a Txn of every
  // clinic): the Core's ids are random (IdGenerator), so they never meet.
  // A Txn begun with kClinicOfItsSecret (authentication, a device enrolling: the caller's
  // clinic is not known yet) is of every clinic until FindTokenBySecretHash or
  // ConsumeEnrollmentCode finds a secret, and then of the clinic the secret names (its
  // caller asks it for nothing of another clinic afterwards).
  virtual absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write, const std::string& clinic,
                                                     absl::Time wait_until) = 0;
  // Waiting as long as it takes.
  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write, const std::string& clinic) {
    return Begin(write, clinic, absl::InfiniteFuture());
  }
  // A Txn of every clinic.
  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write) {
    return Begin(write, std::string(kEveryClinic));
  }

  // Whether the store may hold idempotency records stored before their keys were scoped by
  // caller (SQLite schema version 5, scopes like "ReportSession:programs/..."), which the
  // write path then also looks up under their old scope. Known when the store opens, and
  // false for a store created since (records of that kind are never stored again). A
  // backend that copies records from an older store answers for what it copied.
  virtual bool MayHoldUnscopedRequests() const { return false; }

  // Changes committed by other processes sharing this store (Txn::AnnounceChange): from
  // now on `listener` is called with each, on a thread of the store's, and with
  // kEverything whenever some may have been missed (the store's feed of changes was cut).
  // Call at most once, before serving. A store only one process uses never calls it.
  virtual void WatchChanges(std::function<void(const StoreChange&)> /*listener*/) {}
  // False while the store cannot vouch that changes committed by other processes reach the
  // listener (its feed is down, which also means the database cannot be reached): what a
  // cache holds must not be served then. True for a store only one process uses.
  virtual bool ChangesCurrent() const { return true; }

  // After many records arrived at once (kneecoach-seed, kneecoach-admin migrate): refreshes
  // what the store's query planner knows of its tables, so that the first requests after
  // the load are planned for the data they meet (PostgreSQL's ANALYZE; until autovacuum
  // gets to a freshly loaded table, a query filtered by clinic and by program can be
  // planned on the clinic's index and read every row of the clinic). A no-op for SQLite.
  virtual absl::Status RefreshStatistics() { return absl::OkStatus(); }
};

}  // namespace kneecoach
