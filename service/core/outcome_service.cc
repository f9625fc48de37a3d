// OutcomeService use cases: the AKPS questionnaire, recording and listing outcome measures,
// and a program's progress week by week.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "service/core/core_util.h"
#include "service/core/engine_bridge.h"
#include "service/core/outcome_service.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/outcomes.h"
#include "service/domain/progress.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using internal::InRead;
using internal::InWrite;
using internal::ParsePage;
using internal::ToProto;

namespace {

constexpr int kDaysPerWeek = 7;

// The day an outcome is recorded for: `local_date` (empty: today), neither after today nor
// before the program started.
absl::StatusOr<absl::CivilDay> OutcomeDay(const internal::LoadedProgram& loaded,
                                          const std::string& local_date, absl::Time now) {
  const absl::CivilDay today = LocalDateAt(now, loaded.zone);
  if (local_date.empty()) return today;
  auto day = ParseLocalDate(local_date);
  if (!day.ok()) return InvalidField("outcome.local_date", day.status().message());
  if (*day > today) return InvalidField("outcome.local_date", "is in the future");
  auto start = ParseLocalDate(loaded.program.start_date());
  if (start.ok() && *day < *start) {
    return InvalidField("outcome.local_date", absl::StrCat("is before the program started (",
                                                           loaded.program.start_date(), ")"));
  }
  return *day;
}

}  // namespace

absl::StatusOr<v1::GetQuestionnaireResponse> OutcomeService::GetQuestionnaire(
    const RequestContext& ctx, const v1::GetQuestionnaireRequest& r) {
  if (r.name().empty()) return InvalidField("name", "required: \"questionnaires/akps\"");
  const v1::Questionnaire* q = FindQuestionnaire(r.name());
  if (q == nullptr) return NotFound("questionnaire", r.name());
  v1::GetQuestionnaireResponse response;
  *response.mutable_questionnaire() = *q;
  return response;
}

absl::StatusOr<v1::RecordOutcomeResponse> OutcomeService::RecordOutcome(
    const RequestContext& ctx, const v1::RecordOutcomeRequest& r) {
  const v1::Outcome& in = r.outcome();
  ASSIGN_OR_RETURN(auto program_id, ParseId("outcome.program", in.program(), "programs"));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), true));
  FieldViolations violations;
  CheckOutcome(in, "outcome.", violations);
  if (!in.local_date().empty()) {
    if (auto day = ParseLocalDate(in.local_date()); !day.ok()) {
      violations.Add("outcome.local_date", day.status().message());
    }
  }
  if (!violations.empty()) return violations.ToStatus();

  return InWrite<v1::RecordOutcomeResponse>(
      ctx, writes_, absl::StrCat("RecordOutcome:", in.program()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::RecordOutcomeResponse> {
        ASSIGN_OR_RETURN(auto loaded, internal::LoadProgram(txn, "outcome.program", in.program()));
        if (loaded.program.state() == v1::PROGRAM_STATE_COMPLETED) {
          return FailedPrecondition(
              "PROGRAM_STATE", loaded.program.name(),
              "program is completed; record outcomes on the patient's current program");
        }
        const absl::Time now = clock_.Now();
        ASSIGN_OR_RETURN(auto day, OutcomeDay(loaded, in.local_date(), now));
        v1::Outcome outcome;
        const std::string id = ids_.NewId();
        outcome.set_name(absl::StrCat(in.program(), "/outcomes/", id));
        outcome.set_program(in.program());
        outcome.set_local_date(FormatLocalDate(day));
        outcome.set_kind(in.kind());
        *outcome.mutable_akps_choices() = in.akps_choices();
        outcome.set_value(OutcomeValue(in));
        *outcome.mutable_create_time() = ToProto(now);
        outcome.set_recorded_by(ctx.caller.user_name);
        if (auto start = ParseLocalDate(loaded.program.start_date()); start.ok()) {
          outcome.set_program_week(static_cast<int>((day - *start) / kDaysPerWeek) + 1);
        }
        auto result = internal::RunEngineOnOutcome(txn, library_, ids_, loaded, day, now, outcome);
        if (!result.ok()) return result.status();
        RETURN_IF_ERROR(txn.InsertOutcome(id, loaded.id, outcome));
        v1::RecordOutcomeResponse response;
        *response.mutable_outcome() = std::move(outcome);
        for (auto& a : result->alerts) *response.add_alerts() = std::move(a);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

absl::StatusOr<v1::ListOutcomesResponse> OutcomeService::ListOutcomes(
    const RequestContext& ctx, const v1::ListOutcomesRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  if (!v1::OutcomeKind_IsValid(r.kind())) return InvalidField("kind", "unknown outcome kind");
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListOutcomesResponse> {
    RETURN_IF_ERROR(txn.GetProgram(id).status());
    return internal::ToPageResponse(txn.ListOutcomes(id, r.kind(), page),
                                    &v1::ListOutcomesResponse::mutable_outcomes);
  });
}

absl::StatusOr<v1::GetProgressResponse> OutcomeService::GetProgress(
    const RequestContext& ctx, const v1::GetProgressRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  if (r.weeks() < 0 || r.weeks() > kMaxProgressWeeks) {
    return InvalidField("weeks", absl::StrCat(r.weeks(), " out of range 0..", kMaxProgressWeeks,
                                              " (0: the whole program)"));
  }
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::GetProgressResponse> {
    ASSIGN_OR_RETURN(auto loaded, internal::LoadProgram(txn, "program", r.program()));
    const absl::CivilDay today = LocalDateAt(clock_.Now(), loaded.zone);
    // The weeks shown need their sessions; the changes since the first week need every
    // check-in and outcome (a few a day at most, over at most kMaxProgressWeeks weeks of
    // sessions).
    const int weeks = r.weeks() == 0 ? kMaxProgressWeeks : r.weeks();
    absl::CivilDay from = today - kDaysPerWeek * weeks;
    auto start = ParseLocalDate(loaded.program.start_date());
    if (start.ok()) from = std::max(from, *start);
    History history;
    auto sessions = txn.SessionsSince(id, FormatLocalDate(from));
    if (!sessions.ok()) return sessions.status();
    history.sessions = *std::move(sessions);
    auto check_ins =
        txn.CheckInsSince(id, start.ok() ? loaded.program.start_date() : FormatLocalDate(from));
    if (!check_ins.ok()) return check_ins.status();
    history.check_ins = *std::move(check_ins);
    PageRequest page{.limit = options_.max_page_size, .after = ""};
    do {
      ASSIGN_OR_RETURN(auto outcomes, txn.ListOutcomes(id, v1::OUTCOME_KIND_UNSPECIFIED, page));
      for (auto& o : outcomes.items) history.outcomes.push_back(std::move(o));
      page.after = outcomes.next;
    } while (!page.after.empty());
    v1::GetProgressResponse response;
    *response.mutable_progress() =
        ComputeProgress(library_, loaded.program, history, today, r.weeks());
    return response;
  });
}

}  // namespace kneecoach
