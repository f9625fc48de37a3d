// ExerciseLibraryService's use cases. The exercise library: exercises, ladders and education cards
// (read only, from the Library loaded at start).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/exercise_library_service.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class ExerciseLibraryService : private internal::UseCases {
 public:
  explicit ExerciseLibraryService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::ListExercisesResponse> ListExercises(const RequestContext& ctx,
                                                          const v1::ListExercisesRequest& r);
  absl::StatusOr<v1::GetExerciseResponse> GetExercise(const RequestContext& ctx,
                                                      const v1::GetExerciseRequest& r);
  absl::StatusOr<v1::ListLaddersResponse> ListLadders(const RequestContext& ctx,
                                                      const v1::ListLaddersRequest& r);
  absl::StatusOr<v1::ListEducationCardsResponse> ListEducationCards(
      const RequestContext& ctx, const v1::ListEducationCardsRequest& r);
  absl::StatusOr<v1::GetEducationCardResponse> GetEducationCard(
      const RequestContext& ctx, const v1::GetEducationCardRequest& r);
};

}  // namespace kneecoach
