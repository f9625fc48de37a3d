// AlertService and ProtocolService use cases, and start-up seeding.
#include "service/core/alert_service.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

absl::StatusOr<v1::ListAlertsResponse> AlertService::ListAlerts(const RequestContext& ctx,
                                                                const v1::ListAlertsRequest& r) {
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  AlertFilter filter;
  filter.unacknowledged_only = r.unacknowledged_only();
  if (!r.program().empty()) {
    ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
    filter.program_id = id;
  }
  if (!r.clinic().empty()) {
    RETURN_IF_ERROR(ParseId("clinic", r.clinic(), "clinics").status());
  }
  if (!r.physiotherapist().empty()) {
    ASSIGN_OR_RETURN(auto id, ParseId("physiotherapist", r.physiotherapist(), "users"));
    filter.physiotherapist_id = id;
  }
  // Callers see their own clinic's alerts; a physiotherapist those of their caseload.
  const Caller& caller = ctx.caller;
  filter.clinic = r.clinic().empty() ? caller.user.clinic() : r.clinic();
  if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
    filter.physiotherapist_id = std::string(absl::StripPrefix(caller.user_name, "users/"));
  }
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListAlertsResponse> {
    if (!filter.program_id.empty()) {
      RETURN_IF_ERROR(txn.GetProgram(filter.program_id).status());
    }
    return internal::ToPageResponse(txn.ListAlerts(filter, page),
                                    &v1::ListAlertsResponse::mutable_alerts);
  });
}

absl::StatusOr<v1::AcknowledgeAlertResponse> AlertService::AcknowledgeAlert(
    const RequestContext& ctx, const v1::AcknowledgeAlertRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "alerts"});
  if (!ids.ok()) return ids.status();
  if (r.note().size() > 2000) return InvalidField("note", "longer than 2000 bytes");
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), false));
  return InWrite<v1::AcknowledgeAlertResponse>(
      ctx, writes_, absl::StrCat("AcknowledgeAlert:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::AcknowledgeAlertResponse> {
        auto alert = txn.GetAlert((*ids)[1]);
        // A store failure is its own error, never "not found".
        if (!alert.ok() && !absl::IsNotFound(alert.status())) return alert.status();
        if (!alert.ok() || alert->name() != r.name()) return NotFound("alert", r.name());
        if (alert->acknowledged()) {
          return FailedPrecondition("ALERT_STATE", r.name(), "alert is already acknowledged");
        }
        alert->set_acknowledged(true);
        *alert->mutable_acknowledge_time() = ToProto(clock_.Now());
        alert->set_acknowledged_by("clinician");
        alert->set_acknowledged_by_user(ctx.caller.user_name);
        alert->set_acknowledged_by_display_name(ctx.caller.user.display_name());
        alert->set_acknowledge_note(r.note());
        RETURN_IF_ERROR(txn.UpdateAlert((*ids)[1], *alert));
        v1::AcknowledgeAlertResponse response;
        *response.mutable_alert() = *std::move(alert);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

}  // namespace kneecoach
