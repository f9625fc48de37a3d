#include "service/core/engine_bridge.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/domain/names.h"
#include "service/domain/program_factory.h"
#include "service/domain/status_macros.h"

namespace kneecoach::internal {
namespace {

// How far back the engine reads is the domain's kHistoryDays (engine.h): enough for
// baselines (7 days), adherence (14 days), the pain rules (up to 28 days) and the "no
// meaningful change after 6-8 weeks" rule, bounded so a long program stays cheap.
constexpr int kAlertHistory = 200;
// AKPS scores, newest first: recorded every 2-4 weeks, so this is years of them.
constexpr int kOutcomeHistory = 100;

// Stores what the engine decided and the program it left, in the caller's transaction.
absl::StatusOr<EngineOutcome> Persist(Txn& txn, IdGenerator& ids, LoadedProgram& loaded,
                                      absl::Time now, EngineResult result) {
  EngineOutcome outcome;
  for (v1::Decision& d : result.decisions) {
    if (d.state() == v1::DECISION_STATE_PROPOSED) {
      // A newer proposal for the same prescription replaces any still waiting.
      RETURN_IF_ERROR(SupersedeProposals(txn, loaded, d.prescription()));
    }
    RETURN_IF_ERROR(InsertDecision(txn, ids, loaded, now, d));
    outcome.decisions.push_back(std::move(d));
  }
  for (v1::Alert& a : result.alerts) {
    RETURN_IF_ERROR(InsertAlert(txn, ids, loaded, now, a));
    outcome.alerts.push_back(std::move(a));
  }
  loaded.program = std::move(result.program);
  *loaded.program.mutable_update_time() = ToProto(now);
  RETURN_IF_ERROR(txn.UpdateProgram(loaded.id, loaded.program));
  return outcome;
}

}  // namespace

absl::StatusOr<EngineInput> LoadEngineInput(Txn& txn, const LoadedProgram& loaded,
                                            absl::CivilDay day) {
  auto protocol_id = ParseId("program.protocol", loaded.program.protocol(), "protocols");
  if (!protocol_id.ok()) return absl::InternalError("stored program has a malformed protocol");
  absl::CivilDay from = day - kHistoryDays;
  auto start = ParseLocalDate(loaded.program.start_date());
  if (start.ok()) from = std::max(from, *start);
  // AKPS scores only while "no meaningful change" can still fire (judged below, once the
  // alerts are known): a report of every program would otherwise read them for nothing.
  const v1::AlertRules& rules = loaded.program.rules().alerts();
  const bool may_judge = rules.meaningful_akps_change() > 0 && start.ok() &&
                         day - *start >= 7 * rules.no_change_after_weeks();
  // Everything in one call: one round trip on PostgreSQL.
  auto read = txn.ReadProgramHistory({.program_id = loaded.id,
                                      .protocol_id = *protocol_id,
                                      .since = FormatLocalDate(from),
                                      .alert_limit = kAlertHistory,
                                      .outcome_kind = v1::OUTCOME_KIND_AKPS,
                                      .outcome_limit = may_judge ? kOutcomeHistory : 0});
  if (!read.ok()) return read.status();
  EngineInput input;
  input.protocol = std::move(read->protocol);
  History& history = input.history;
  history.sessions = std::move(read->sessions);
  history.check_ins = std::move(read->check_ins);
  history.alerts = std::move(read->alerts);
  const bool judged =
      may_judge &&
      std::none_of(history.alerts.begin(), history.alerts.end(), [](const v1::Alert& a) {
        return a.kind() == v1::ALERT_KIND_NO_MEANINGFUL_CHANGE;
      });
  if (judged) history.outcomes = std::move(read->outcomes);
  return input;
}

absl::StatusOr<v1::Protocol> ProtocolOf(Txn& txn, const v1::Program& program) {
  auto id = ParseId("program.protocol", program.protocol(), "protocols");
  if (!id.ok()) return absl::InternalError("stored program has a malformed protocol");
  return txn.GetProtocol(*id);
}

namespace {

// Loads what the engine reads, runs `engine(ctx, program, event, history)` and persists.
template <typename Event, typename Engine>
absl::StatusOr<EngineOutcome> Run(Txn& txn, const Library& library, IdGenerator& ids,
                                  LoadedProgram& loaded, absl::CivilDay day, absl::Time now,
                                  Event& event, Engine engine) {
  RETURN_IF_ERROR(CheckStoredProgram(loaded.program));
  ASSIGN_OR_RETURN(auto input, LoadEngineInput(txn, loaded, day));
  const EngineContext ctx{library, input.protocol, day, now};
  auto outcome = Persist(txn, ids, loaded, now, engine(ctx, loaded.program, event, input.history));
  if (outcome.ok()) outcome->summary = SummarizeForPatient(outcome->decisions, library);
  return outcome;
}

}  // namespace

absl::StatusOr<EngineOutcome> RunEngineOnSession(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, v1::Session& session) {
  return Run(txn, library, ids, loaded, day, now, session, OnSessionReported);
}

absl::Status JudgeSessionOnly(Txn& txn, const Library& library, const LoadedProgram& loaded,
                              absl::CivilDay day, absl::Time now, v1::Session& session) {
  ASSIGN_OR_RETURN(auto input, LoadEngineInput(txn, loaded, day));
  const EngineContext ctx{library, input.protocol, day, now};
  // Only the lights it writes into `session` are kept.
  OnSessionReported(ctx, loaded.program, session, input.history);
  return absl::OkStatus();
}

absl::StatusOr<EngineOutcome> RunEngineOnOutcome(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, const v1::Outcome& outcome) {
  return Run(txn, library, ids, loaded, day, now, outcome,
             [&outcome](const EngineContext& ctx, const v1::Program& program, const v1::Outcome&,
                        History& history) {
               // Not yet stored: the engine sees it among the program's outcomes.
               history.outcomes.push_back(outcome);
               return OnOutcomeRecorded(ctx, program, outcome, history);
             });
}

absl::StatusOr<EngineOutcome> RunEngineOnCheckIn(Txn& txn, const Library& library, IdGenerator& ids,
                                                 LoadedProgram& loaded, absl::CivilDay day,
                                                 absl::Time now, v1::MorningCheckIn& check_in) {
  return Run(txn, library, ids, loaded, day, now, check_in, OnCheckInReported);
}

}  // namespace kneecoach::internal
