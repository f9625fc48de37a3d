// AlertService and ProtocolService use cases, and start-up seeding.
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/core/core.h"
#include "service/core/core_util.h"
#include "service/core/program_access.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

absl::StatusOr<v1::ListAlertsResponse> Core::ListAlerts(const v1::ListAlertsRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  AlertFilter filter;
  filter.unacknowledged_only = r.unacknowledged_only();
  if (!r.program().empty()) {
    auto id = ParseId("program", r.program(), "programs");
    if (!id.ok()) return id.status();
    filter.program_id = *id;
  }
  if (!r.clinic().empty()) {
    if (auto id = ParseId("clinic", r.clinic(), "clinics"); !id.ok()) return id.status();
  }
  if (!r.physiotherapist().empty()) {
    auto id = ParseId("physiotherapist", r.physiotherapist(), "users");
    if (!id.ok()) return id.status();
    filter.physiotherapist_id = *id;
  }
  // Callers see their own clinic's alerts; a physiotherapist those of their caseload.
  const Caller& caller = CurrentCaller();
  filter.clinic = r.clinic().empty() ? caller.user.clinic() : r.clinic();
  if (caller.user.role() == v1::ROLE_PHYSIOTHERAPIST) {
    filter.physiotherapist_id = std::string(absl::StripPrefix(caller.user_name, "users/"));
  }
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListAlertsResponse> {
    if (!filter.program_id.empty()) {
      if (auto p = txn.GetProgram(filter.program_id); !p.ok()) return p.status();
    }
    return internal::ToPageResponse(txn.ListAlerts(filter, *page),
                                    &v1::ListAlertsResponse::mutable_alerts);
  });
}

absl::StatusOr<v1::AcknowledgeAlertResponse> Core::AcknowledgeAlert(
    const v1::AcknowledgeAlertRequest& r) {
  auto ids = ParseName("name", r.name(), {"programs", "alerts"});
  if (!ids.ok()) return ids.status();
  if (r.note().size() > 2000) return InvalidField("note", "longer than 2000 bytes");
  if (absl::Status s = internal::CheckRequestId(r.request_id(), false); !s.ok()) return s;
  return InWrite<v1::AcknowledgeAlertResponse>(
      writes_, absl::StrCat("AcknowledgeAlert:", r.name()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::AcknowledgeAlertResponse> {
        auto alert = txn.GetAlert((*ids)[1]);
        if (!alert.ok() || alert->name() != r.name()) return NotFound("alert", r.name());
        if (alert->acknowledged()) {
          return FailedPrecondition("ALERT_STATE", r.name(), "alert is already acknowledged");
        }
        alert->set_acknowledged(true);
        *alert->mutable_acknowledge_time() = ToProto(clock_.Now());
        alert->set_acknowledged_by("clinician");
        alert->set_acknowledged_by_user(CurrentCaller().user_name);
        alert->set_acknowledged_by_display_name(CurrentCaller().user.display_name());
        alert->set_acknowledge_note(r.note());
        if (absl::Status s = txn.UpdateAlert((*ids)[1], *alert); !s.ok()) return s;
        v1::AcknowledgeAlertResponse response;
        *response.mutable_alert() = *std::move(alert);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::None());
}

absl::StatusOr<v1::ListProtocolsResponse> Core::ListProtocols(const v1::ListProtocolsRequest& r) {
  auto page = ParsePage(r.page_size(), r.page_token(), options_);
  if (!page.ok()) return page.status();
  return InRead(store_, [&](Txn& txn) -> absl::StatusOr<v1::ListProtocolsResponse> {
    auto result = txn.ListProtocols(*page);
    if (!result.ok()) return result.status();
    v1::ListProtocolsResponse response;
    // The shared protocols and the caller's clinic's own.
    const std::string& clinic = CurrentCaller().user.clinic();
    for (auto& p : result->items) {
      if (p.clinic().empty() || p.clinic() == clinic) *response.add_protocols() = std::move(p);
    }
    response.set_next_page_token(PageToken(result->next));
    return response;
  });
}

absl::StatusOr<v1::GetProtocolResponse> Core::GetProtocol(const v1::GetProtocolRequest& r) {
  return internal::GetByName(store_, r.name(), "protocols", &Txn::GetProtocol,
                             &v1::GetProtocolResponse::mutable_protocol);
}

}  // namespace kneecoach
