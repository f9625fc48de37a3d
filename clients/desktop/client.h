// The desktop client's view of kneecoach-server: one channel, one stub per service, and
// blocking calls that return plain results (a value, or an RpcError to show). Nothing here
// knows about widgets; the window runs these calls on worker threads (async.h).
//
// Thread safety: a Client is immutable after construction and gRPC stubs are thread-safe,
// so any method may be called from any thread, concurrently.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clients/common/stubs.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace kneecoach::desktop {

// A failed call as the user should see it.
struct RpcError {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  // "field: description" for each google.rpc.BadRequest field violation and
  // google.rpc.PreconditionFailure violation in the status details.
  std::vector<std::string> violations;

  static RpcError FromStatus(const grpc::Status& status);
  // "UNAUTHENTICATED", "INVALID_ARGUMENT", ...
  std::string CodeName() const;
  // "CODE: message" and one "  field: description" line per violation (for logs and
  // tooltips, not for the message a user reads).
  std::string ToString() const;
  // What went wrong in a sentence a physiotherapist can act on, without code names: "The
  // server at 127.0.0.1:50051 cannot be reached: ...", "You are signed out: ...", "Sets
  // (prescription.dose.sets) must be at most 10.". `target` is the server's address.
  std::string Sentence(const std::string& target) const;
  // Whether a field violation names `field` (or a path ending in "." + field).
  bool Names(const std::string& field) const;
};

// A value or an error: what every Client call returns.
template <typename T>
struct Result {
  std::optional<T> value;
  RpcError error;

  bool ok() const { return value.has_value(); }
  static Result Ok(T v) { return Result{std::move(v), {}}; }
  static Result Fail(RpcError e) { return Result{std::nullopt, std::move(e)}; }
  static Result Fail(const grpc::Status& s) { return Fail(RpcError::FromStatus(s)); }
};

struct ClientOptions {
  // host:port of kneecoach-server.
  std::string target = "127.0.0.1:50051";
  // Sent as "authorization: Bearer <token>" on every call when not empty.
  std::string token;
  // Deadline of each call.
  std::chrono::milliseconds timeout{10000};
  // Patients whose caseload rows load at the same time.
  int caseload_concurrency = 8;
  // PEM root certificates to verify the server's TLS certificate with: when not empty the
  // channel uses TLS, else it is plaintext (a server on this machine or behind a proxy).
  std::string tls_ca_pem;
};

// One row of the caseload: a patient and their current program.
struct CaseloadRow {
  std::string patient;       // "patients/{id}"
  std::string patient_name;  // display name
  // Set by DisambiguateNames (model.h) when another row has the same display name: what
  // tells them apart ("id 7f3a2c").
  std::string patient_tag;
  std::string program;  // "programs/{id}"; empty if the patient has none
  v1::Phase phase = v1::PHASE_UNSPECIFIED;
  v1::ProgramState state = v1::PROGRAM_STATE_UNSPECIFIED;
  std::string pause_reason;
  int open_alerts = 0;
  int pending_decisions = 0;
  // From the latest week of GetProgress; unset when that week has no data.
  int latest_week = 0;
  std::optional<double> adherence;  // fraction, may exceed 1
  std::optional<double> morning_pain_median;
};

// Everything the program view shows.
struct ProgramDetail {
  v1::Program program;
  std::string patient_name;
  v1::ProgramProgress progress;
  // Proposed decisions (waiting for the clinician), newest first.
  std::vector<v1::Decision> proposed;
  // All the program's alerts, newest first.
  std::vector<v1::Alert> alerts;
  // The program's latest decisions that are not proposals (applied, rejected,
  // superseded), newest first: at most kHistorySize.
  std::vector<v1::Decision> history;
  static constexpr int kHistorySize = 50;
  // What the patient reported, newest first: the latest kRecentSize sessions and morning
  // check-ins, and every outcome measure.
  std::vector<v1::Session> sessions;
  std::vector<v1::MorningCheckIn> check_ins;
  std::vector<v1::Outcome> outcomes;
  static constexpr int kRecentSize = 28;
  // Exercise resource name -> its display name in the library ("exercises/bridge" ->
  // "Bridge"), for every exercise the library holds.
  std::map<std::string, std::string> exercise_names;
};

// The outcome of a write applied to several resources one by one (approve all, ...).
struct BatchResult {
  int done = 0;
  // Resource name and error of each that failed, in order.
  std::vector<std::pair<std::string, RpcError>> failed;
};

class Client {
 public:
  explicit Client(ClientOptions options);

  const ClientOptions& options() const { return options_; }

  Result<v1::User> CurrentUser() const;
  // The caller's patients (a physiotherapist's: those assigned to them) with their active
  // programs, in the order of SortByUrgency (model.h). The rows of up to
  // options().caseload_concurrency patients load at the same time.
  Result<std::vector<CaseloadRow>> Caseload() const;
  Result<ProgramDetail> Program(const std::string& program) const;

  // Writes: each sends a fresh request id.
  Result<v1::Decision> Approve(const std::string& decision, const std::string& reason) const;
  Result<v1::Decision> Reject(const std::string& decision, const std::string& reason) const;
  // Approves (or rejects) each of `decisions` in turn with the same reason; one failing
  // does not stop the others.
  BatchResult ApproveAll(const std::vector<std::string>& decisions,
                         const std::string& reason) const;
  BatchResult RejectAll(const std::vector<std::string>& decisions, const std::string& reason) const;
  Result<v1::Alert> Acknowledge(const std::string& alert, const std::string& note) const;
  Result<v1::Program> Pause(const std::string& program, const std::string& reason) const;
  Result<v1::Program> Resume(const std::string& program, const std::string& reason) const;
  // Sets the fields of `prescription` named by `paths` ("dose.sets", "locked", ...): a
  // clinician override. The response holds the override decision if the dose changed.
  Result<v1::UpdatePrescriptionResponse> UpdatePrescription(const v1::Prescription& prescription,
                                                            const std::vector<std::string>& paths,
                                                            const std::string& reason) const;
  Result<v1::Program> SetApprovalMode(const std::string& program, v1::ApprovalMode mode,
                                      const std::string& reason) const;

 private:
  // A context with the deadline and the bearer token.
  std::unique_ptr<grpc::ClientContext> Context() const;
  grpc::Status CaseloadRowOf(const v1::Patient& patient, CaseloadRow* row) const;
  grpc::Status LoadReports(const std::string& program, ProgramDetail* detail) const;

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  clients::Stubs stubs_;
};

// A fresh idempotency key, "desktop-" and 16 hex digits.
std::string NewRequestId();

}  // namespace kneecoach::desktop
