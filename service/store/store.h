// The Store: durable records of patients, programs, sessions, check-ins, decisions, alerts,
// protocols and idempotency keys. Callers open one Txn per request and commit it once: all
// of a request's writes land together or not at all ("nothing acknowledged is lost").
//
// Records are protobuf messages keyed by their resource id; lists are keyset-paginated on
// insertion order (`seq`), so paging never scans what it skips.
//
// Thread safety: Store is thread-safe. A Txn belongs to one thread and must be destroyed
// before that thread opens another. Dropping a Txn without Commit() rolls it back.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/report.pb.h"
#include "kneecoach/v1/session.pb.h"

namespace kneecoach {

namespace v1 = ::kneecoach::v1;

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
  bool unacknowledged_only = false;
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
  virtual absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                        const std::string& response) = 0;

  virtual absl::Status InsertPatient(const std::string& id, const v1::Patient& patient) = 0;
  virtual absl::Status UpdatePatient(const std::string& id, const v1::Patient& patient) = 0;
  virtual absl::StatusOr<v1::Patient> GetPatient(const std::string& id) = 0;
  // Oldest first; `clinic` empty: all.
  virtual absl::StatusOr<Page<v1::Patient>> ListPatients(const std::string& clinic,
                                                         PageRequest page) = 0;

  virtual absl::Status InsertProgram(const std::string& id, const std::string& patient_id,
                                     const v1::Program& program) = 0;
  virtual absl::Status UpdateProgram(const std::string& id, const v1::Program& program) = 0;
  virtual absl::StatusOr<v1::Program> GetProgram(const std::string& id) = 0;
  // Newest first; `patient_id` empty: all.
  virtual absl::StatusOr<Page<v1::Program>> ListPrograms(const std::string& patient_id,
                                                         PageRequest page) = 0;

  virtual absl::Status InsertSession(const std::string& id, const std::string& program_id,
                                     const v1::Session& session) = 0;
  // Newest first.
  virtual absl::StatusOr<Page<v1::Session>> ListSessions(const std::string& program_id,
                                                         PageRequest page) = 0;
  // Sessions with local_date >= from_date ("YYYY-MM-DD"), oldest first.
  virtual absl::StatusOr<std::vector<v1::Session>> SessionsSince(
      const std::string& program_id, const std::string& from_date) = 0;

  virtual absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                                     const v1::MorningCheckIn& check_in) = 0;
  virtual absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                                PageRequest page) = 0;
  virtual absl::StatusOr<std::vector<v1::MorningCheckIn>> CheckInsSince(
      const std::string& program_id, const std::string& from_date) = 0;

  virtual absl::Status InsertDecision(const std::string& id, const std::string& program_id,
                                      const v1::Decision& decision) = 0;
  virtual absl::Status UpdateDecision(const std::string& id, const v1::Decision& decision) = 0;
  virtual absl::StatusOr<v1::Decision> GetDecision(const std::string& id) = 0;
  // Newest first; state UNSPECIFIED: all.
  virtual absl::StatusOr<Page<v1::Decision>> ListDecisions(const std::string& program_id,
                                                           v1::DecisionState state,
                                                           PageRequest page) = 0;

  virtual absl::Status InsertAlert(const std::string& id, const std::string& program_id,
                                   const std::string& clinic, const v1::Alert& alert) = 0;
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

  // Makes every write of this Txn durable. After an error the Txn is rolled back.
  virtual absl::Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A read-only (`write` false) or read-write transaction.
  virtual absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write) = 0;
};

}  // namespace kneecoach
