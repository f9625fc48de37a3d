// SessionService's use cases. The patient's daily loop: today's session (kept ready in the
// PlanCache) and the reports of sessions and morning check-ins.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "kneecoach/v1/session.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class SessionService : private internal::UseCases {
 public:
  explicit SessionService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::GetTodaySessionResponse> GetTodaySession(const RequestContext& ctx,
                                                              const v1::GetTodaySessionRequest& r);
  // The same, encoded: a kept plan is sent without decoding it (PlanCache, PlanTexts).
  absl::StatusOr<Encoded<v1::GetTodaySessionResponse>> GetTodaySessionEncoded(
      const RequestContext& ctx, const v1::GetTodaySessionRequest& r);
  // Makes and keeps today's plan (PlanCache) for every program that is not completed and
  // has no plan for its patient's current local date, until the cache is nine-tenths full
  // or `ctx` is cancelled (its cancellation check is the background thread's stop). Returns how
  // many it made. Programs it (or a GetTodaySession) once found completed are passed over without
  // reading them again: completed_programs_skipped() counts them. The server runs it at start and
  // then periodically, so that a patient's first GetTodaySession of the day finds its
  // plan ready.
  absl::StatusOr<int> PreparePlans(const RequestContext& ctx);
  absl::StatusOr<v1::ReportSessionResponse> ReportSession(const RequestContext& ctx,
                                                          const v1::ReportSessionRequest& r);
  absl::StatusOr<v1::ReportMorningCheckInResponse> ReportMorningCheckIn(
      const RequestContext& ctx, const v1::ReportMorningCheckInRequest& r);
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(const RequestContext& ctx,
                                                        const v1::ListSessionsRequest& r);
  absl::StatusOr<v1::ListMorningCheckInsResponse> ListMorningCheckIns(
      const RequestContext& ctx, const v1::ListMorningCheckInsRequest& r);

  // Programs PreparePlans has passed over without reading them, because an earlier call had
  // found them completed, since the service started.
  int64_t completed_programs_skipped() {
    absl::MutexLock lock(&completed_mu_);
    return completed_skipped_;
  }

 private:
  // Makes the basic plan of a program for its patient's local date at `now`, encoded, and
  // keeps it, unless the program is completed and !keep_completed (then returns nullopt).
  absl::StatusOr<std::optional<std::string>> MakePlan(const RequestContext& ctx,
                                                      absl::string_view program_id, absl::Time now,
                                                      bool keep_completed);

  // Programs found completed, by a hash of their id. Completed is final (a program is
  // completed when the patient's next one replaces it, and nothing reopens it), so
  // PreparePlans need not read them again. A hash collision only makes an active program
  // wait for its first GetTodaySession to have its plan made. ~10 bytes a program.
  absl::Mutex completed_mu_;
  absl::flat_hash_set<size_t> completed_ ABSL_GUARDED_BY(completed_mu_);
  int64_t completed_skipped_ ABSL_GUARDED_BY(completed_mu_) = 0;
};

}  // namespace kneecoach
