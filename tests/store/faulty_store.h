// FaultyStore: wraps any Store and makes chosen calls fail as a failing backend would, to
// test that errors surface with their code and that nothing of a failed Txn is kept.
//
//   FaultyStore store(std::move(inner));
//   store.FailAt("Commit", 1, AbortedFault());        // the next Commit() aborts
//   store.FailAt("InsertSession", 2, DiskFull());     // the second InsertSession from now
//   store.FailAt("Begin", 1, Unavailable(), kAlways); // every Begin from now on
//
// A call that fails ends its Txn as a backend that rolls back on error would: the wrapped
// Txn is dropped at once (rolled back), and every later call and Commit() of that Txn
// return the same error. A Commit() that fails drops the wrapped Txn instead of committing
// it. With nothing armed, every call goes straight to the wrapped store (the conformance
// suite runs over it so).
//
// Thread safety: as the wrapped store; arming is thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "service/store/store.h"

namespace kneecoach::testing {

inline absl::Status AbortedFault() {
  return absl::AbortedError("injected: conflict with a concurrent transaction");
}
inline absl::Status Unavailable() { return absl::UnavailableError("injected: store unreachable"); }
inline absl::Status DiskFull() { return absl::ResourceExhaustedError("injected: disk full"); }

// FailAt's `times` for a fault that never wears off.
inline constexpr int kAlways = 1 << 30;

class FaultyStore final : public Store {
 public:
  explicit FaultyStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  // From now on, the `nth` call of `method` (1: the next; "Begin", "Commit" or a Txn
  // method's name) and the `times` - 1 calls of it after that fail with `status`. Replaces
  // what was armed for `method`.
  void FailAt(const std::string& method, int nth, absl::Status status, int times = 1) {
    absl::MutexLock lock(&mu_);
    faults_[method] = Fault{nth, times, std::move(status)};
  }
  // Disarms every fault.
  void Clear() {
    absl::MutexLock lock(&mu_);
    faults_.clear();
  }
  // Calls of `method` so far (failed ones included), and faults injected so far.
  int calls(const std::string& method) {
    absl::MutexLock lock(&mu_);
    return calls_[method];
  }
  int injected() {
    absl::MutexLock lock(&mu_);
    return injected_;
  }
  Store& inner() { return *inner_; }

  using Store::Begin;
  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write, const std::string& clinic,
                                             absl::Time wait_until) override;
  bool MayHoldUnscopedRequests() const override { return inner_->MayHoldUnscopedRequests(); }

  // Counts a call of `method`; its injected failure, if one is due.
  absl::Status Hit(const std::string& method) {
    absl::MutexLock lock(&mu_);
    ++calls_[method];
    auto it = faults_.find(method);
    if (it == faults_.end()) return absl::OkStatus();
    Fault& f = it->second;
    if (--f.countdown > 0) return absl::OkStatus();
    absl::Status status = f.status;
    if (--f.times <= 0) faults_.erase(it);
    ++injected_;
    return status;
  }

 private:
  struct Fault {
    int countdown;  // calls until it fires, this one included
    int times;      // calls it fires for, once it does
    absl::Status status;
  };
  std::unique_ptr<Store> inner_;
  absl::Mutex mu_;
  std::map<std::string, Fault> faults_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  int injected_ ABSL_GUARDED_BY(mu_) = 0;
};

// Forwards every call to the wrapped Txn unless FaultyStore::Hit fails it.
class FaultyTxn final : public Txn {
 public:
  FaultyTxn(FaultyStore& store, std::unique_ptr<Txn> inner)
      : store_(store), inner_(std::move(inner)) {}

#define KNEECOACH_FORWARD(Name, ...) return Call(#Name, [&] { return inner_->Name(__VA_ARGS__); })

  absl::StatusOr<std::optional<std::string>> GetRequestResult(
      absl::string_view scope, absl::string_view request_id) override {
    KNEECOACH_FORWARD(GetRequestResult, scope, request_id);
  }
  absl::StatusOr<std::optional<StoredRequest>> GetStoredRequest(
      absl::string_view scope, absl::string_view request_id) override {
    KNEECOACH_FORWARD(GetStoredRequest, scope, request_id);
  }
  absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                const std::string& response, absl::string_view digest) override {
    KNEECOACH_FORWARD(PutRequestResult, scope, request_id, response, digest);
  }
  absl::StatusOr<std::string> GetOrPutSecret(const std::string& name,
                                             const std::string& value) override {
    KNEECOACH_FORWARD(GetOrPutSecret, name, value);
  }
  absl::Status InsertPatient(const std::string& id, const v1::Patient& patient) override {
    KNEECOACH_FORWARD(InsertPatient, id, patient);
  }
  absl::Status UpdatePatient(const std::string& id, const v1::Patient& patient) override {
    KNEECOACH_FORWARD(UpdatePatient, id, patient);
  }
  absl::StatusOr<v1::Patient> GetPatient(const std::string& id) override {
    KNEECOACH_FORWARD(GetPatient, id);
  }
  absl::StatusOr<Page<v1::Patient>> ListPatients(const std::string& clinic,
                                                 const std::string& physiotherapist_id,
                                                 PageRequest page) override {
    KNEECOACH_FORWARD(ListPatients, clinic, physiotherapist_id, page);
  }
  absl::Status InsertProgram(const std::string& id, const std::string& patient_id,
                             const v1::Program& program) override {
    KNEECOACH_FORWARD(InsertProgram, id, patient_id, program);
  }
  absl::Status UpdateProgram(const std::string& id, const v1::Program& program) override {
    KNEECOACH_FORWARD(UpdateProgram, id, program);
  }
  absl::StatusOr<v1::Program> GetProgram(const std::string& id) override {
    KNEECOACH_FORWARD(GetProgram, id);
  }
  absl::StatusOr<Page<v1::Program>> ListPrograms(const std::string& patient_id,
                                                 PageRequest page) override {
    KNEECOACH_FORWARD(ListPrograms, patient_id, page);
  }
  absl::StatusOr<Page<v1::Program>> ListClinicPrograms(const std::string& clinic,
                                                       const std::string& physiotherapist_id,
                                                       PageRequest page) override {
    KNEECOACH_FORWARD(ListClinicPrograms, clinic, physiotherapist_id, page);
  }
  absl::StatusOr<Page<std::string>> ListProgramIds(PageRequest page) override {
    KNEECOACH_FORWARD(ListProgramIds, page);
  }
  absl::Status InsertSession(const std::string& id, const std::string& program_id,
                             const v1::Session& session) override {
    KNEECOACH_FORWARD(InsertSession, id, program_id, session);
  }
  absl::StatusOr<Page<v1::Session>> ListSessions(const std::string& program_id,
                                                 PageRequest page) override {
    KNEECOACH_FORWARD(ListSessions, program_id, page);
  }
  absl::StatusOr<std::vector<v1::Session>> SessionsSince(const std::string& program_id,
                                                         const std::string& from_date) override {
    KNEECOACH_FORWARD(SessionsSince, program_id, from_date);
  }
  absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                             const v1::MorningCheckIn& check_in) override {
    KNEECOACH_FORWARD(InsertCheckIn, id, program_id, check_in);
  }
  absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                        PageRequest page) override {
    KNEECOACH_FORWARD(ListCheckIns, program_id, page);
  }
  absl::StatusOr<std::vector<v1::MorningCheckIn>> CheckInsSince(
      const std::string& program_id, const std::string& from_date) override {
    KNEECOACH_FORWARD(CheckInsSince, program_id, from_date);
  }
  absl::Status InsertOutcome(const std::string& id, const std::string& program_id,
                             const v1::Outcome& outcome) override {
    KNEECOACH_FORWARD(InsertOutcome, id, program_id, outcome);
  }
  absl::StatusOr<Page<v1::Outcome>> ListOutcomes(const std::string& program_id,
                                                 v1::OutcomeKind kind, PageRequest page) override {
    KNEECOACH_FORWARD(ListOutcomes, program_id, kind, page);
  }
  absl::Status InsertDecision(const std::string& id, const std::string& program_id,
                              const v1::Decision& decision) override {
    KNEECOACH_FORWARD(InsertDecision, id, program_id, decision);
  }
  absl::Status UpdateDecision(const std::string& id, const v1::Decision& decision) override {
    KNEECOACH_FORWARD(UpdateDecision, id, decision);
  }
  absl::StatusOr<v1::Decision> GetDecision(const std::string& id) override {
    KNEECOACH_FORWARD(GetDecision, id);
  }
  absl::StatusOr<Page<v1::Decision>> ListDecisions(const std::string& program_id,
                                                   v1::DecisionState state,
                                                   PageRequest page) override {
    KNEECOACH_FORWARD(ListDecisions, program_id, state, page);
  }
  absl::Status InsertAlert(const std::string& id, const std::string& program_id,
                           const std::string& patient_id, const std::string& clinic,
                           const v1::Alert& alert) override {
    KNEECOACH_FORWARD(InsertAlert, id, program_id, patient_id, clinic, alert);
  }
  absl::Status UpdateAlert(const std::string& id, const v1::Alert& alert) override {
    KNEECOACH_FORWARD(UpdateAlert, id, alert);
  }
  absl::StatusOr<v1::Alert> GetAlert(const std::string& id) override {
    KNEECOACH_FORWARD(GetAlert, id);
  }
  absl::StatusOr<Page<v1::Alert>> ListAlerts(const AlertFilter& filter, PageRequest page) override {
    KNEECOACH_FORWARD(ListAlerts, filter, page);
  }
  absl::Status PutProtocol(const std::string& id, const v1::Protocol& protocol) override {
    KNEECOACH_FORWARD(PutProtocol, id, protocol);
  }
  absl::StatusOr<v1::Protocol> GetProtocol(const std::string& id) override {
    KNEECOACH_FORWARD(GetProtocol, id);
  }
  absl::StatusOr<Page<v1::Protocol>> ListProtocols(PageRequest page) override {
    KNEECOACH_FORWARD(ListProtocols, page);
  }
  absl::Status InsertClinic(const std::string& id, const v1::Clinic& clinic) override {
    KNEECOACH_FORWARD(InsertClinic, id, clinic);
  }
  absl::StatusOr<v1::Clinic> GetClinic(const std::string& id) override {
    KNEECOACH_FORWARD(GetClinic, id);
  }
  absl::Status InsertUser(const std::string& id, const std::string& patient_id,
                          const v1::User& user) override {
    KNEECOACH_FORWARD(InsertUser, id, patient_id, user);
  }
  absl::Status UpdateUser(const std::string& id, const v1::User& user) override {
    KNEECOACH_FORWARD(UpdateUser, id, user);
  }
  absl::StatusOr<v1::User> GetUser(const std::string& id) override {
    KNEECOACH_FORWARD(GetUser, id);
  }
  absl::StatusOr<Page<v1::User>> ListUsers(const std::string& clinic, PageRequest page) override {
    KNEECOACH_FORWARD(ListUsers, clinic, page);
  }
  absl::StatusOr<std::optional<v1::User>> FindPatientUser(const std::string& patient_id) override {
    KNEECOACH_FORWARD(FindPatientUser, patient_id);
  }
  absl::Status InsertToken(const std::string& id, const std::string& user_id,
                           const std::string& secret_hash, const v1::Token& token,
                           const std::string& parent_id) override {
    KNEECOACH_FORWARD(InsertToken, id, user_id, secret_hash, token, parent_id);
  }
  absl::StatusOr<std::vector<TokenRecord>> ListChildTokens(const std::string& parent_id) override {
    KNEECOACH_FORWARD(ListChildTokens, parent_id);
  }
  absl::Status UpdateToken(const std::string& id, const v1::Token& token) override {
    KNEECOACH_FORWARD(UpdateToken, id, token);
  }
  absl::StatusOr<TokenRecord> GetToken(const std::string& id) override {
    KNEECOACH_FORWARD(GetToken, id);
  }
  absl::StatusOr<std::optional<TokenRecord>> FindTokenBySecretHash(
      const std::string& secret_hash) override {
    KNEECOACH_FORWARD(FindTokenBySecretHash, secret_hash);
  }
  absl::StatusOr<Page<v1::Token>> ListTokens(const std::string& user_id,
                                             PageRequest page) override {
    KNEECOACH_FORWARD(ListTokens, user_id, page);
  }
  absl::Status InsertEnrollmentCode(const std::string& code_hash, const std::string& patient_id,
                                    int64_t expire_unix_seconds) override {
    KNEECOACH_FORWARD(InsertEnrollmentCode, code_hash, patient_id, expire_unix_seconds);
  }
  absl::StatusOr<std::optional<std::string>> ConsumeEnrollmentCode(
      const std::string& code_hash, int64_t now_unix_seconds) override {
    KNEECOACH_FORWARD(ConsumeEnrollmentCode, code_hash, now_unix_seconds);
  }
  absl::Status SetAssignments(const std::string& patient_id,
                              const std::vector<std::string>& user_ids) override {
    KNEECOACH_FORWARD(SetAssignments, patient_id, user_ids);
  }
  absl::StatusOr<bool> IsAssigned(const std::string& patient_id,
                                  const std::string& user_id) override {
    KNEECOACH_FORWARD(IsAssigned, patient_id, user_id);
  }
  absl::Status InsertAudit(const std::string& id, const std::string& clinic,
                           const std::string& patient_id, const v1::AuditEntry& entry) override {
    KNEECOACH_FORWARD(InsertAudit, id, clinic, patient_id, entry);
  }
  absl::StatusOr<Page<v1::AuditEntry>> ListAudit(const std::string& clinic,
                                                 PageRequest page) override {
    KNEECOACH_FORWARD(ListAudit, clinic, page);
  }
  absl::Status ErasePatient(const std::string& patient_id) override {
    KNEECOACH_FORWARD(ErasePatient, patient_id);
  }
  absl::Status Commit() override { KNEECOACH_FORWARD(Commit); }

#undef KNEECOACH_FORWARD

 private:
  // Runs `fn` on the wrapped Txn unless the Txn has failed or this call is to fail; a call
  // that fails drops the wrapped Txn (rolled back).
  template <typename Fn>
  auto Call(const std::string& method, Fn&& fn) -> decltype(fn()) {
    if (!failed_.ok()) return failed_;
    if (absl::Status injected = store_.Hit(method); !injected.ok()) {
      failed_ = injected;
      inner_.reset();
      return injected;
    }
    return fn();
  }

  FaultyStore& store_;
  std::unique_ptr<Txn> inner_;
  absl::Status failed_;
};

inline absl::StatusOr<std::unique_ptr<Txn>> FaultyStore::Begin(bool write,
                                                               const std::string& clinic,
                                                               absl::Time wait_until) {
  if (absl::Status injected = Hit("Begin"); !injected.ok()) return injected;
  auto txn = inner_->Begin(write, clinic, wait_until);
  if (!txn.ok()) return txn.status();
  return std::unique_ptr<Txn>(new FaultyTxn(*this, *std::move(txn)));
}

}  // namespace kneecoach::testing
