// Core: kneecoach's use cases, one method per RPC, over the domain (library, scheduling,
// engine) and the Store. It validates requests (INVALID_ARGUMENT with field violations),
// runs each request in one store transaction, and replays the stored response for a
// repeated request_id. It knows nothing of gRPC or SQLite; service/server adapts it.
//
// Thread safety: all methods may be called concurrently; the Store serialises writes.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "kneecoach/v1/access.pb.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/exercise_library_service.pb.h"
#include "kneecoach/v1/outcome.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "kneecoach/v1/protocol.pb.h"
#include "kneecoach/v1/session.pb.h"
#include "service/core/access_cache.h"
#include "service/core/caller.h"
#include "service/core/plan_cache.h"
#include "service/core/plan_codec.h"
#include "service/core/plan_texts.h"
#include "service/core/sign_in_limiter.h"
#include "service/domain/clock.h"
#include "service/domain/ids.h"
#include "service/domain/library.h"
#include "service/domain/simulate.h"
#include "service/store/store.h"

namespace kneecoach {

namespace internal {
// What a write transaction needs besides the request: the store, and the clock and ids
// for its audit entry.
struct WriteDeps {
  Store& store;
  const Clock& clock;
  IdGenerator& ids;
  AccessCache& access_cache;
  PlanCache& plan_cache;
};
}  // namespace internal

// A response already in protobuf wire format, for the server to send as it is.
template <typename Message>
struct Encoded {
  std::string bytes;
};

struct CoreOptions {
  // page_size 0 means this many.
  int default_page_size = 50;
  // A larger page_size is INVALID_ARGUMENT.
  int max_page_size = 200;
  // How far in the past an offline report may be dated, days.
  int max_report_age_days = 60;
  // How far ahead of the server clock a client's perform_time may be (clock skew).
  absl::Duration max_clock_skew = absl::Minutes(5);
  // Lifetime of an enrollment code.
  absl::Duration enrollment_code_ttl = absl::Hours(48);
  // Lifetime of a phone's token after enrollment, and the default for CreateToken.
  int device_token_ttl_days = 365;
  int default_token_ttl_days = 90;
  // The protocol CreateProgram uses when none is named.
  std::string default_protocol = "protocols/default";
  // Memory for today's plans kept between GetTodaySession calls (PlanCache); 0 keeps none.
  size_t plan_cache_bytes = PlanCache::Options{}.max_bytes;
  // Credentials and owners of patients and programs kept in memory (AccessCache), each.
  size_t access_cache_entries = AccessCache::kDefaultMaxEntries;
  // Live tokens a patient or integrator may hold for CreateToken to make them another with
  // their own token (each lives no longer than the token that made it).
  int max_tokens_per_user = 5;
  // SimulateProgram's bounds: events per request, and prescriptions of the starting program.
  int max_simulated_events = SimulationLimits{}.max_events;
  int max_simulated_prescriptions = SimulationLimits{}.max_prescriptions;
};

// Every method the authorization policy has a rule for (tests check it covers the API).
std::vector<std::string> AuthorizationPolicyMethods();

class Core {
 public:
  // All references must outlive the Core.
  Core(const Library& library, Store& store, const Clock& clock, IdGenerator& ids,
       CoreOptions options = {});
  // Stops listening to the store's changes (Store::WatchChanges).
  ~Core();

  // Stores `protocol` (validated against the library) under its id if it is absent or
  // older than the stored version. Used at start to seed the default protocol.
  absl::Status SeedProtocol(const v1::Protocol& protocol);
  // The first admin of a clinic (creating the clinic if needed), for the server's
  // --bootstrap_admin command: returns the admin's bearer secret, shown once.
  absl::StatusOr<std::string> BootstrapAdmin(const std::string& clinic_id,
                                             const std::string& admin_name);

  // Credentials created by SeedDemo, shown once.
  struct DemoCredentials {
    std::string clinic_admin;
    std::string physiotherapist;
    std::string patient;
    std::string program;  // the demo program's name
  };
  // Creates clinic "clinics/demo" with an admin, a physiotherapist, a patient assigned to
  // them with an enrolled phone, and a program, unless the clinic already exists (nullopt).
  absl::StatusOr<std::optional<DemoCredentials>> SeedDemo();

  // Authentication: the caller behind an `authorization` metadata value ("Bearer ...") for
  // `method`. UNAUTHENTICATED when missing, malformed, unknown, expired, revoked or the
  // user is disabled. An enrollment code is accepted (for EnrollDevice only).
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization, const std::string& method);
  // Authorization: the one place that decides whether `caller` may call its method with
  // `request` (service/core/access_policy.cc). Resolves the request's target (patient,
  // program, clinic, user) into `caller`. PERMISSION_DENIED when outside the caller's
  // scope, whether or not the target exists.
  absl::Status Authorize(Caller& caller, const google::protobuf::Message& request);

  // Failed sign-ins (SignInLimiter): OK if `peer` (an address) may try to sign in now,
  // with an enrollment code when `enrollment`; else RESOURCE_EXHAUSTED with a
  // google.rpc.RetryInfo saying how long to wait.
  absl::Status CheckSignInAllowed(const std::string& peer, bool enrollment);
  // Counts a failed sign-in of `peer` calling `method` and audits it (actor
  // "unauthenticated", the peer as resource, `why` as summary; under no clinic, since an
  // unknown credential names none) while the server-wide budget lasts.
  void RecordFailedSignIn(const std::string& peer, const std::string& method,
                          absl::string_view why);

  // ExerciseLibraryService
  absl::StatusOr<v1::ListExercisesResponse> ListExercises(const v1::ListExercisesRequest& r);
  absl::StatusOr<v1::GetExerciseResponse> GetExercise(const v1::GetExerciseRequest& r);
  absl::StatusOr<v1::ListLaddersResponse> ListLadders(const v1::ListLaddersRequest& r);
  absl::StatusOr<v1::ListEducationCardsResponse> ListEducationCards(
      const v1::ListEducationCardsRequest& r);
  absl::StatusOr<v1::GetEducationCardResponse> GetEducationCard(
      const v1::GetEducationCardRequest& r);

  // PatientService
  absl::StatusOr<v1::CreatePatientResponse> CreatePatient(const v1::CreatePatientRequest& r);
  absl::StatusOr<v1::GetPatientResponse> GetPatient(const v1::GetPatientRequest& r);
  absl::StatusOr<v1::ListPatientsResponse> ListPatients(const v1::ListPatientsRequest& r);
  absl::StatusOr<v1::UpdatePatientResponse> UpdatePatient(const v1::UpdatePatientRequest& r);
  absl::StatusOr<v1::ExportPatientDataResponse> ExportPatientData(
      const v1::ExportPatientDataRequest& r);
  absl::StatusOr<v1::ErasePatientResponse> ErasePatient(const v1::ErasePatientRequest& r);

  // ProgramService
  absl::StatusOr<v1::CreateProgramResponse> CreateProgram(const v1::CreateProgramRequest& r);
  absl::StatusOr<v1::GetProgramResponse> GetProgram(const v1::GetProgramRequest& r);
  absl::StatusOr<v1::ListProgramsResponse> ListPrograms(const v1::ListProgramsRequest& r);
  absl::StatusOr<v1::UpdateProgramResponse> UpdateProgram(const v1::UpdateProgramRequest& r);
  absl::StatusOr<v1::UpdatePrescriptionResponse> UpdatePrescription(
      const v1::UpdatePrescriptionRequest& r);
  absl::StatusOr<v1::PauseProgramResponse> PauseProgram(const v1::PauseProgramRequest& r);
  absl::StatusOr<v1::ResumeProgramResponse> ResumeProgram(const v1::ResumeProgramRequest& r);
  absl::StatusOr<v1::ListDecisionsResponse> ListDecisions(const v1::ListDecisionsRequest& r);
  absl::StatusOr<v1::ApproveDecisionResponse> ApproveDecision(const v1::ApproveDecisionRequest& r);
  absl::StatusOr<v1::RejectDecisionResponse> RejectDecision(const v1::RejectDecisionRequest& r);
  absl::StatusOr<v1::SimulateProgramResponse> SimulateProgram(const v1::SimulateProgramRequest& r);

  // SessionService
  absl::StatusOr<v1::GetTodaySessionResponse> GetTodaySession(const v1::GetTodaySessionRequest& r);
  // The same, encoded: a kept plan is sent without decoding it (PlanCache, PlanTexts).
  absl::StatusOr<Encoded<v1::GetTodaySessionResponse>> GetTodaySessionEncoded(
      const v1::GetTodaySessionRequest& r);
  // Makes and keeps today's plan (PlanCache) for every program that is not completed and
  // has no plan for its patient's current local date, until the cache is nine-tenths full
  // or `stop()` returns true. Returns how many it made. Programs it (or a
  // GetTodaySession) once found completed are passed over without reading them again:
  // completed_programs_skipped() counts them. The server runs it at start and
  // then periodically, so that a patient's first GetTodaySession of the day finds its
  // plan ready.
  absl::StatusOr<int> PreparePlans(const std::function<bool()>& stop = {});
  absl::StatusOr<v1::ReportSessionResponse> ReportSession(const v1::ReportSessionRequest& r);
  absl::StatusOr<v1::ReportMorningCheckInResponse> ReportMorningCheckIn(
      const v1::ReportMorningCheckInRequest& r);
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(const v1::ListSessionsRequest& r);
  absl::StatusOr<v1::ListMorningCheckInsResponse> ListMorningCheckIns(
      const v1::ListMorningCheckInsRequest& r);

  // OutcomeService
  absl::StatusOr<v1::GetQuestionnaireResponse> GetQuestionnaire(
      const v1::GetQuestionnaireRequest& r);
  absl::StatusOr<v1::RecordOutcomeResponse> RecordOutcome(const v1::RecordOutcomeRequest& r);
  absl::StatusOr<v1::ListOutcomesResponse> ListOutcomes(const v1::ListOutcomesRequest& r);
  absl::StatusOr<v1::GetProgressResponse> GetProgress(const v1::GetProgressRequest& r);

  // AlertService
  absl::StatusOr<v1::ListAlertsResponse> ListAlerts(const v1::ListAlertsRequest& r);
  absl::StatusOr<v1::AcknowledgeAlertResponse> AcknowledgeAlert(
      const v1::AcknowledgeAlertRequest& r);

  // AccessService
  absl::StatusOr<v1::GetCurrentUserResponse> GetCurrentUser(const v1::GetCurrentUserRequest& r);
  absl::StatusOr<v1::GetClinicResponse> GetClinic(const v1::GetClinicRequest& r);
  absl::StatusOr<v1::CreateUserResponse> CreateUser(const v1::CreateUserRequest& r);
  absl::StatusOr<v1::GetUserResponse> GetUser(const v1::GetUserRequest& r);
  absl::StatusOr<v1::ListUsersResponse> ListUsers(const v1::ListUsersRequest& r);
  absl::StatusOr<v1::UpdateUserResponse> UpdateUser(const v1::UpdateUserRequest& r);
  absl::StatusOr<v1::CreateTokenResponse> CreateToken(const v1::CreateTokenRequest& r);
  absl::StatusOr<v1::ListTokensResponse> ListTokens(const v1::ListTokensRequest& r);
  absl::StatusOr<v1::RevokeTokenResponse> RevokeToken(const v1::RevokeTokenRequest& r);
  absl::StatusOr<v1::CreateEnrollmentCodeResponse> CreateEnrollmentCode(
      const v1::CreateEnrollmentCodeRequest& r);
  absl::StatusOr<v1::EnrollDeviceResponse> EnrollDevice(const v1::EnrollDeviceRequest& r);
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& r);

  // ProtocolService
  absl::StatusOr<v1::ListProtocolsResponse> ListProtocols(const v1::ListProtocolsRequest& r);
  absl::StatusOr<v1::GetProtocolResponse> GetProtocol(const v1::GetProtocolRequest& r);
  absl::StatusOr<v1::CreateProtocolResponse> CreateProtocol(const v1::CreateProtocolRequest& r);

  PlanCache::Stats plan_cache_stats() { return plan_cache_.stats(); }
  // Programs PreparePlans has passed over without reading them, because an earlier call had
  // found them completed, since the Core started.
  int64_t completed_programs_skipped() {
    absl::MutexLock lock(&completed_mu_);
    return completed_skipped_;
  }

 private:
  // Makes the basic plan of a program for its patient's local date at `now`, encoded, and
  // keeps it, unless the program is completed and !keep_completed (then returns nullopt).
  absl::StatusOr<std::optional<std::string>> MakePlan(absl::string_view program_id, absl::Time now,
                                                      bool keep_completed);

  const Library& library_;
  Store& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  const CoreOptions options_;
  AccessCache access_cache_;
  SignInLimiter sign_ins_;
  PlanCache plan_cache_;
  const PlanCodec plan_codec_{library_};
  const PlanTexts plan_texts_{library_};
  internal::WriteDeps writes_{store_, clock_, ids_, access_cache_, plan_cache_};
  // Programs found completed, by a hash of their id. Completed is final (a program is
  // completed when the patient's next one replaces it, and nothing reopens it), so
  // PreparePlans need not read them again. A hash collision only makes an active program
  // wait for its first GetTodaySession to have its plan made. ~10 bytes a program.
  absl::Mutex completed_mu_;
  absl::flat_hash_set<size_t> completed_ ABSL_GUARDED_BY(completed_mu_);
  int64_t completed_skipped_ ABSL_GUARDED_BY(completed_mu_) = 0;
};

}  // namespace kneecoach
