#include "service/core/engine_bridge.h"

#include "service/domain/dates.h"

namespace kneecoach::internal {

absl::StatusOr<EngineOutcome> RunEngineOnSession(Txn& txn, const Library&, IdGenerator&,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, v1::Session& session) {
  for (const auto& report : session.reports()) {
    for (auto& p : *loaded.program.mutable_prescriptions()) {
      if (p.name() == report.prescription()) {
        p.mutable_progress()->set_last_done_date(FormatLocalDate(day));
      }
    }
  }
  *loaded.program.mutable_update_time() = ToProto(now);
  if (absl::Status s = txn.UpdateProgram(loaded.id, loaded.program); !s.ok()) return s;
  return EngineOutcome{};
}

absl::StatusOr<EngineOutcome> RunEngineOnCheckIn(Txn&, const Library&, IdGenerator&,
                                                 LoadedProgram&, absl::CivilDay, absl::Time,
                                                 v1::MorningCheckIn&) {
  return EngineOutcome{};
}

}  // namespace kneecoach::internal
