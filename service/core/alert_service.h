// AlertService's use cases. The clinician's inbox of alerts.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/decision.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class AlertService : private internal::UseCases {
 public:
  explicit AlertService(internal::CoreState& state) : UseCases(state) {}
  absl::StatusOr<v1::ListAlertsResponse> ListAlerts(const RequestContext& ctx,
                                                    const v1::ListAlertsRequest& r);
  absl::StatusOr<v1::AcknowledgeAlertResponse> AcknowledgeAlert(
      const RequestContext& ctx, const v1::AcknowledgeAlertRequest& r);
};

}  // namespace kneecoach
