// OutcomeService's use cases. Outcome measures (AKPS, global rating of change, step-down count) and
// a program's progress week by week.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/outcome.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class OutcomeService : private internal::UseCases {
 public:
  explicit OutcomeService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::GetQuestionnaireResponse> GetQuestionnaire(
      const RequestContext& ctx, const v1::GetQuestionnaireRequest& r);
  absl::StatusOr<v1::RecordOutcomeResponse> RecordOutcome(const RequestContext& ctx,
                                                          const v1::RecordOutcomeRequest& r);
  absl::StatusOr<v1::ListOutcomesResponse> ListOutcomes(const RequestContext& ctx,
                                                        const v1::ListOutcomesRequest& r);
  absl::StatusOr<v1::GetProgressResponse> GetProgress(const RequestContext& ctx,
                                                      const v1::GetProgressRequest& r);
};

}  // namespace kneecoach
