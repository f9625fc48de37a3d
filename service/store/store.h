// The Store: durable records of patients, programs, sessions, check-ins, outcomes, decisions,
// alerts, protocols and idempotency keys. Callers open one Txn per request and commit it once: all
// of a request's writes land together or not at all ("nothing acknowledged is lost").
//
// Records are protobuf messages keyed by their resource id; lists are keyset-paginated on
// insertion order (`seq`), so paging never scans what it skips.
//
// Thread safety: Store is thread-safe. A Txn belongs to one thread and must be destroyed
// before that thread opens another. Dropping a Txn without Commit() rolls it back (only
// its own writes, even when it shared a database transaction with other Txns).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kneecoach/v1/access.pb.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach {

// One page of a keyset-paginated list.
struct PageRequest {
  int limit = 50;
  // Continue after this seq (0: from the start).
  int64_t after = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // Pass as PageRequest::after for the next page; 0 when there is none.
  int64_t next = 0;
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

// Every method returns NOT_FOUND for unknown ids on Get/Update, RESOURCE_EXHAUSTED when the
// disk is full, FAILED_PRECONDITION when the database is read-only, UNAVAILABLE when it is
// locked, INTERNAL otherwise. Ids are resource ids, not names.
class Txn {
 public:
  virtual ~Txn() = default;

  // Idempotency: the stored response for (scope, request_id), if any.
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
  virtual absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                        const std::string& response,
                                        absl::string_view digest = "") = 0;

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
  // Sessions with local_date >= from_date ("YYYY-MM-DD"), oldest first.
  virtual absl::StatusOr<std::vector<v1::Session>> SessionsSince(const std::string& program_id,
                                                                 const std::string& from_date) = 0;

  virtual absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                                     const v1::MorningCheckIn& check_in) = 0;
  virtual absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                                PageRequest page) = 0;
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

  // Insert or replace by id.
  virtual absl::Status PutProtocol(const std::string& id, const v1::Protocol& protocol) = 0;
  virtual absl::StatusOr<v1::Protocol> GetProtocol(const std::string& id) = 0;
  // Oldest first.
  virtual absl::StatusOr<Page<v1::Protocol>> ListProtocols(PageRequest page) = 0;

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
  // The tokens made with token `parent_id`.
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
  // Marks an unused, unexpired code used and returns its patient id; nullopt otherwise.
  virtual absl::StatusOr<std::optional<std::string>> ConsumeEnrollmentCode(
      const std::string& code_hash, int64_t now_unix_seconds) = 0;
  // Replaces the set of users assigned to a patient.
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
  // and the audit entries about them.
  virtual absl::Status ErasePatient(const std::string& patient_id) = 0;

  // Makes every write of this Txn durable. After an error the Txn is rolled back. The
  // store may commit several Txns together (SqliteStore batches them): OK means this Txn
  // and everything it read are durable; an error means none of its writes was kept. On a
  // Txn that wrote nothing, Commit() returns once what it read is durable, or the error
  // that lost it (e.g. an idempotent replay learning that the original's batch failed).
  // A Txn waiting in Commit() may wait for other requests' Txns to end: hold no lock
  // across Commit() (or a write Txn's destruction) that another request's Txn needs.
  virtual absl::Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A read-only (`write` false) or read-write transaction.
  virtual absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write) = 0;
  // After an erasure has committed: moves every committed change into the database file and
  // empties the write-ahead log, so that deleted records (already zeroed in the file) no
  // longer survive as old log frames either.
  virtual absl::Status Scrub() = 0;
};

}  // namespace kneecoach
