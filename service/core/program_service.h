// ProgramService's use cases. Programs and the clinician's say over them: creating, updating,
// pausing and resuming, reviewing the engine's decisions, and simulating a protocol.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class ProgramService : private internal::UseCases {
 public:
  explicit ProgramService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::CreateProgramResponse> CreateProgram(const RequestContext& ctx,
                                                          const v1::CreateProgramRequest& r);
  absl::StatusOr<v1::GetProgramResponse> GetProgram(const RequestContext& ctx,
                                                    const v1::GetProgramRequest& r);
  absl::StatusOr<v1::ListProgramsResponse> ListPrograms(const RequestContext& ctx,
                                                        const v1::ListProgramsRequest& r);
  absl::StatusOr<v1::UpdateProgramResponse> UpdateProgram(const RequestContext& ctx,
                                                          const v1::UpdateProgramRequest& r);
  absl::StatusOr<v1::UpdatePrescriptionResponse> UpdatePrescription(
      const RequestContext& ctx, const v1::UpdatePrescriptionRequest& r);
  absl::StatusOr<v1::PauseProgramResponse> PauseProgram(const RequestContext& ctx,
                                                        const v1::PauseProgramRequest& r);
  absl::StatusOr<v1::ResumeProgramResponse> ResumeProgram(const RequestContext& ctx,
                                                          const v1::ResumeProgramRequest& r);
  absl::StatusOr<v1::ListDecisionsResponse> ListDecisions(const RequestContext& ctx,
                                                          const v1::ListDecisionsRequest& r);
  absl::StatusOr<v1::ApproveDecisionResponse> ApproveDecision(const RequestContext& ctx,
                                                              const v1::ApproveDecisionRequest& r);
  absl::StatusOr<v1::RejectDecisionResponse> RejectDecision(const RequestContext& ctx,
                                                            const v1::RejectDecisionRequest& r);
  absl::StatusOr<v1::SimulateProgramResponse> SimulateProgram(const RequestContext& ctx,
                                                              const v1::SimulateProgramRequest& r);
};

}  // namespace kneecoach
