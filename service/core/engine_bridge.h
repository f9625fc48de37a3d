// Runs the progression engine inside a request's transaction: loads the history it reads,
// applies its result to the program, and stores its decisions and alerts, so the report,
// the new doses and the alerts commit together.
#pragma once

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "service/core/program_access.h"
#include "service/domain/decision_texts.h"
#include "service/domain/engine.h"
#include "service/domain/ids.h"
#include "service/domain/library.h"

namespace kneecoach::internal {

struct EngineOutcome {
  std::vector<v1::Decision> decisions;
  std::vector<v1::Alert> alerts;
  // The decisions in the patient's words (decision_texts.h).
  PatientSummary summary;
};

// Moves `outcome` into a report's response: its decisions, alerts and change summary.
template <typename Response>
void MoveIntoResponse(EngineOutcome& outcome, Response& response) {
  for (auto& d : outcome.decisions) *response.add_decisions() = std::move(d);
  for (auto& a : outcome.alerts) *response.add_alerts() = std::move(a);
  for (auto& line : outcome.summary.headlines) response.add_change_summary(std::move(line));
  for (auto& line : outcome.summary.details) response.add_change_details(std::move(line));
}

// What the engine reads for a report on `day`, besides the program: its protocol, and
// as History its sessions and check-ins of the last kHistoryDays days (not before its
// start), its newest alerts, and its AKPS scores while "no meaningful change" can still
// fire. One Txn::ReadProgramHistory: one round trip on PostgreSQL.
struct EngineInput {
  v1::Protocol protocol;
  History history;
};
absl::StatusOr<EngineInput> LoadEngineInput(Txn& txn, const LoadedProgram& loaded,
                                            absl::CivilDay day);

// The protocol a program was created from.
absl::StatusOr<v1::Protocol> ProtocolOf(Txn& txn, const v1::Program& program);

// `session` gains its traffic lights; `loaded.program` is updated and stored.
absl::StatusOr<EngineOutcome> RunEngineOnSession(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, v1::Session& session);

// A session performed before its program was paused, reported late: `session` gains its
// traffic lights as with RunEngineOnSession, but nothing the engine would decide is kept
// (no decisions, alerts, doses or streaks); the program is left as it is.
absl::Status JudgeSessionOnly(Txn& txn, const Library& library, const LoadedProgram& loaded,
                              absl::CivilDay day, absl::Time now, v1::Session& session);

// `check_in` gains its baseline and traffic light; red flags pause the program.
absl::StatusOr<EngineOutcome> RunEngineOnCheckIn(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, v1::MorningCheckIn& check_in);

// Runs the rules that read outcome measures, `outcome` counted among the program's.
absl::StatusOr<EngineOutcome> RunEngineOnOutcome(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, const v1::Outcome& outcome);

}  // namespace kneecoach::internal
