#include "service/store/store.h"

namespace kneecoach {

absl::StatusOr<ProgramHistory> Txn::ReadProgramHistory(const HistoryQuery& query) {
  ProgramHistory history;
  if (!query.protocol_id.empty()) {
    auto protocol = GetProtocol(query.protocol_id);
    if (!protocol.ok()) return protocol.status();
    history.protocol = *std::move(protocol);
  }
  auto sessions = SessionsSince(query.program_id, query.since);
  if (!sessions.ok()) return sessions.status();
  history.sessions = *std::move(sessions);
  auto check_ins = CheckInsSince(query.program_id, query.since);
  if (!check_ins.ok()) return check_ins.status();
  history.check_ins = *std::move(check_ins);
  if (query.alert_limit > 0) {
    AlertFilter filter;
    filter.program_id = query.program_id;
    auto alerts = ListAlerts(filter, {.limit = query.alert_limit, .after = ""});
    if (!alerts.ok()) return alerts.status();
    history.alerts = std::move(alerts->items);
  }
  if (query.outcome_limit > 0) {
    auto outcomes = ListOutcomes(query.program_id, query.outcome_kind,
                                 {.limit = query.outcome_limit, .after = ""});
    if (!outcomes.ok()) return outcomes.status();
    history.outcomes = std::move(outcomes->items);
  }
  return history;
}

}  // namespace kneecoach
