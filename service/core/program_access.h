// Loading a program with what every program use case needs: its id, its patient and the
// patient's time zone; and the timestamp/decision plumbing shared by those use cases.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "kneecoach/v1/decision.pb.h"
#include "kneecoach/v1/patient.pb.h"
#include "kneecoach/v1/program.pb.h"
#include "service/domain/ids.h"
#include "service/store/store.h"

namespace kneecoach::internal {

struct LoadedProgram {
  std::string id;
  v1::Program program;
  v1::Patient patient;
  absl::TimeZone zone;
};

// `field` names the request field holding `name` ("programs/{program}").
absl::StatusOr<LoadedProgram> LoadProgram(Txn& txn, absl::string_view field,
                                          absl::string_view name);

google::protobuf::Timestamp ToProto(absl::Time t);
// Exact for every valid Timestamp (years 1..9999): no conversion through int64 nanoseconds,
// which end in 2262.
absl::Time FromProto(const google::protobuf::Timestamp& t);

// Stores `decision` under a new id as a child of the loaded program; fills its name,
// program and create_time.
absl::Status InsertDecision(Txn& txn, IdGenerator& ids, const LoadedProgram& loaded, absl::Time now,
                            v1::Decision& decision);

// Stores `alert` likewise.
absl::Status InsertAlert(Txn& txn, IdGenerator& ids, const LoadedProgram& loaded, absl::Time now,
                         v1::Alert& alert);

// Marks every PROPOSED decision for `prescription` (all, if empty) SUPERSEDED.
absl::Status SupersedeProposals(Txn& txn, const LoadedProgram& loaded,
                                const std::string& prescription);

}  // namespace kneecoach::internal
