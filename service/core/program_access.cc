#include "service/core/program_access.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/domain/dates.h"
#include "service/domain/ids.h"
#include "service/domain/names.h"

namespace kneecoach::internal {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

absl::StatusOr<LoadedProgram> LoadProgram(Txn& txn, absl::string_view field,
                                          absl::string_view name) {
  auto id = ParseId(field, name, "programs");
  if (!id.ok()) return id.status();
  LoadedProgram loaded;
  loaded.id = *id;
  auto program = txn.GetProgram(*id);
  if (!program.ok()) return program.status();
  loaded.program = *std::move(program);
  auto patient_id = ParseId("program.patient", loaded.program.patient(), "patients");
  if (!patient_id.ok()) return absl::InternalError("stored program has a malformed patient");
  auto patient = txn.GetPatient(*patient_id);
  if (!patient.ok()) return patient.status();
  loaded.patient = *std::move(patient);
  auto zone = LoadZone(loaded.patient.time_zone());
  if (!zone.ok()) return absl::InternalError("stored patient has an unknown time zone");
  loaded.zone = *zone;
  return loaded;
}

absl::Status InsertDecision(Txn& txn, IdGenerator& ids, const LoadedProgram& loaded, absl::Time now,
                            v1::Decision& decision) {
  const std::string id = ids.NewId();
  decision.set_name(absl::StrCat(loaded.program.name(), "/decisions/", id));
  decision.set_program(loaded.program.name());
  *decision.mutable_create_time() = ToProto(now);
  return txn.InsertDecision(id, loaded.id, decision);
}

absl::Status InsertAlert(Txn& txn, IdGenerator& ids, const LoadedProgram& loaded, absl::Time now,
                         v1::Alert& alert) {
  const std::string id = ids.NewId();
  alert.set_name(absl::StrCat(loaded.program.name(), "/alerts/", id));
  alert.set_program(loaded.program.name());
  alert.set_patient(loaded.patient.name());
  *alert.mutable_create_time() = ToProto(now);
  return txn.InsertAlert(id, loaded.id,
                         std::string(absl::StripPrefix(loaded.patient.name(), "patients/")),
                         loaded.patient.clinic(), alert);
}

absl::Status SupersedeProposals(Txn& txn, const LoadedProgram& loaded,
                                const std::string& prescription) {
  PageRequest page{.limit = 200, .after = ""};
  do {
    auto proposals = txn.ListDecisions(loaded.id, v1::DECISION_STATE_PROPOSED, page);
    if (!proposals.ok()) return proposals.status();
    for (v1::Decision& d : proposals->items) {
      if (!prescription.empty() && d.prescription() != prescription) continue;
      d.set_state(v1::DECISION_STATE_SUPERSEDED);
      auto ids = ParseName("decision", d.name(), {"programs", "decisions"});
      if (!ids.ok()) return ids.status();
      if (absl::Status s = txn.UpdateDecision((*ids)[1], d); !s.ok()) return s;
    }
    page.after = proposals->next;
  } while (!page.after.empty());
  return absl::OkStatus();
}

}  // namespace kneecoach::internal
