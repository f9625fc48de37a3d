#include "service/core/engine_bridge.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/domain/names.h"
#include "service/domain/program_factory.h"

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
      if (absl::Status s = SupersedeProposals(txn, loaded, d.prescription()); !s.ok()) return s;
    }
    if (absl::Status s = InsertDecision(txn, ids, loaded, now, d); !s.ok()) return s;
    outcome.decisions.push_back(std::move(d));
  }
  for (v1::Alert& a : result.alerts) {
    if (absl::Status s = InsertAlert(txn, ids, loaded, now, a); !s.ok()) return s;
    outcome.alerts.push_back(std::move(a));
  }
  loaded.program = std::move(result.program);
  *loaded.program.mutable_update_time() = ToProto(now);
  if (absl::Status s = txn.UpdateProgram(loaded.id, loaded.program); !s.ok()) return s;
  return outcome;
}

}  // namespace

absl::StatusOr<History> LoadHistory(Txn& txn, const LoadedProgram& loaded, absl::CivilDay day) {
  absl::CivilDay from = day - kHistoryDays;
  if (auto start = ParseLocalDate(loaded.program.start_date()); start.ok()) {
    from = std::max(from, *start);
  }
  History history;
  auto sessions = txn.SessionsSince(loaded.id, FormatLocalDate(from));
  if (!sessions.ok()) return sessions.status();
  history.sessions = *std::move(sessions);
  auto check_ins = txn.CheckInsSince(loaded.id, FormatLocalDate(from));
  if (!check_ins.ok()) return check_ins.status();
  history.check_ins = *std::move(check_ins);
  AlertFilter filter;
  filter.program_id = loaded.id;
  auto alerts = txn.ListAlerts(filter, {.limit = kAlertHistory, .after = ""});
  if (!alerts.ok()) return alerts.status();
  history.alerts = std::move(alerts->items);
  // AKPS scores, only while "no meaningful change" can still fire: a report of every
  // program would otherwise read them for nothing.
  const v1::AlertRules& rules = loaded.program.rules().alerts();
  auto start = ParseLocalDate(loaded.program.start_date());
  const bool judged =
      rules.meaningful_akps_change() > 0 && start.ok() &&
      day - *start >= 7 * rules.no_change_after_weeks() &&
      std::none_of(history.alerts.begin(), history.alerts.end(), [](const v1::Alert& a) {
        return a.kind() == v1::ALERT_KIND_NO_MEANINGFUL_CHANGE;
      });
  if (judged) {
    auto outcomes =
        txn.ListOutcomes(loaded.id, v1::OUTCOME_KIND_AKPS, {.limit = kOutcomeHistory, .after = ""});
    if (!outcomes.ok()) return outcomes.status();
    history.outcomes = std::move(outcomes->items);
  }
  return history;
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
  if (absl::Status s = CheckStoredProgram(loaded.program); !s.ok()) return s;
  auto protocol = ProtocolOf(txn, loaded.program);
  if (!protocol.ok()) return protocol.status();
  auto history = LoadHistory(txn, loaded, day);
  if (!history.ok()) return history.status();
  const EngineContext ctx{library, *protocol, day, now};
  auto outcome = Persist(txn, ids, loaded, now, engine(ctx, loaded.program, event, *history));
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
  auto protocol = ProtocolOf(txn, loaded.program);
  if (!protocol.ok()) return protocol.status();
  auto history = LoadHistory(txn, loaded, day);
  if (!history.ok()) return history.status();
  const EngineContext ctx{library, *protocol, day, now};
  // Only the lights it writes into `session` are kept.
  OnSessionReported(ctx, loaded.program, session, *history);
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
