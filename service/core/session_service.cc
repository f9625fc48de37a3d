// SessionService use cases: today's session and the patient's reports.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/util/time_util.h"
#include "service/core/core_util.h"
#include "service/core/engine_bridge.h"
#include "service/core/program_access.h"
#include "service/core/session_service.h"
#include "service/domain/dates.h"
#include "service/domain/outcomes.h"
#include "service/domain/schedule.h"
#include "service/domain/status_macros.h"

namespace kneecoach {

using google::protobuf::util::TimeUtil;
using internal::InRead;
using internal::InWrite;
using internal::LoadedProgram;
using internal::LoadProgram;
using internal::PageToken;
using internal::ParsePage;
using internal::ToProto;

namespace {

constexpr int kMaxCount = 1000;
constexpr int kMaxDurationSeconds = 24 * 3600;
constexpr int kOutcomesForDue = 200;

void CheckPain(const absl::string_view field, bool has, int value, bool required,
               FieldViolations& violations) {
  if (!has) {
    if (required) violations.Add(field, "required: pain 0-10");
    return;
  }
  if (value < 0 || value > 10) {
    violations.Add(field, absl::StrCat(value, " out of range 0..10"));
  }
}

void CheckCount(const std::string& field, int value, int max, FieldViolations& violations) {
  if (value < 0 || value > max) {
    violations.Add(field, absl::StrCat(value, " out of range 0..", max));
  }
}

// Field checks that need no stored data.
void ValidateReports(const v1::ReportSessionRequest& r, FieldViolations& violations) {
  if (r.reports().empty()) violations.Add("reports", "required: at least one exercise report");
  std::vector<std::string> seen;
  for (int i = 0; i < r.reports_size(); ++i) {
    const v1::ExerciseReport& e = r.reports(i);
    const std::string f = absl::StrCat("reports[", i, "]");
    if (!ParseName(f + ".prescription", e.prescription(), {"programs", "prescriptions"}).ok()) {
      violations.Add(f + ".prescription",
                     "required: \"programs/{program}/prescriptions/{prescription}\"");
    } else if (std::find(seen.begin(), seen.end(), e.prescription()) != seen.end()) {
      violations.Add(f + ".prescription", "reported twice in one session");
    }
    seen.push_back(e.prescription());
    CheckPain(f + ".pain_during", e.has_pain_during(), e.pain_during(), true, violations);
    CheckPain(f + ".pain_after_1h", e.has_pain_after_1h(), e.pain_after_1h(), false, violations);
    CheckPain(f + ".effort_rpe", e.has_effort_rpe(), e.effort_rpe(), false, violations);
    CheckCount(f + ".sets_done", e.sets_done(), kMaxCount, violations);
    CheckCount(f + ".reps_done", e.reps_done(), kMaxCount, violations);
    CheckCount(f + ".holds_done", e.holds_done(), kMaxCount, violations);
    CheckCount(f + ".duration_seconds_done", e.duration_seconds_done(), kMaxDurationSeconds,
               violations);
    CheckCount(f + ".cadence_spm", e.cadence_spm(), 300, violations);
  }
}

void ValidateCheckIn(const v1::MorningCheckIn& c, FieldViolations& violations) {
  CheckPain("check_in.morning_pain", c.has_morning_pain(), c.morning_pain(), true, violations);
  CheckPain("check_in.usual_pain", c.has_usual_pain(), c.usual_pain(), false, violations);
  CheckPain("check_in.worst_pain", c.has_worst_pain(), c.worst_pain(), false, violations);
  if (!v1::MorningTest_IsValid(c.test())) violations.Add("check_in.test", "unknown test");
  for (int i = 0; i < c.red_flags_size(); ++i) {
    if (c.red_flags(i) == v1::RED_FLAG_UNSPECIFIED || !v1::RedFlag_IsValid(c.red_flags(i))) {
      violations.Add(absl::StrCat("check_in.red_flags[", i, "]"), "unknown red flag");
    }
  }
}

// The local date a report belongs to: `perform_time` (default now) in the patient's zone,
// neither in the future nor before the program or older than the allowed age.
absl::StatusOr<absl::CivilDay> ReportDate(const LoadedProgram& loaded, absl::Time when,
                                          absl::Time now, const CoreOptions& options,
                                          absl::string_view field) {
  if (when > now + options.max_clock_skew) {
    return InvalidField(field, "is in the future");
  }
  const absl::CivilDay day = LocalDateAt(when, loaded.zone);
  const absl::CivilDay today = LocalDateAt(now, loaded.zone);
  auto start = ParseLocalDate(loaded.program.start_date());
  if (start.ok() && day < *start) {
    return InvalidField(
        field, absl::StrCat("is before the program started (", loaded.program.start_date(), ")"));
  }
  if (today - day > options.max_report_age_days) {
    return InvalidField(field,
                        absl::StrCat("is more than ", options.max_report_age_days, " days ago"));
  }
  return day;
}

bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds && t.nanos() >= 0 && t.nanos() <= 999999999;
}

DoneDates DoneDatesOf(const std::vector<v1::Session>& sessions) {
  DoneDates done;
  for (const auto& s : sessions) {
    auto day = ParseLocalDate(s.local_date());
    if (!day.ok()) continue;
    for (const auto& report : s.reports()) done[report.prescription()].push_back(*day);
  }
  return done;
}

// What a patient reads when a session done after the pause is refused, and on a session
// done before it that was stored but changed nothing.
constexpr char kRefusedWhilePaused[] =
    "Your program is paused until your physiotherapist reviews it, so this session was not "
    "recorded. Please contact your physiotherapist before you exercise again.";
constexpr char kStoredWhilePaused[] =
    "Recorded. Your program was paused after you did this session, so it does not change "
    "your exercises; your physiotherapist can see it.";

// When a paused program was paused. Programs paused before pause_time was recorded use their
// last update, which came no earlier than the pause; with neither, every session counts as
// done before it (stored, changing nothing).
absl::Time PausedSince(const v1::Program& program) {
  if (program.has_pause_time()) return internal::FromProto(program.pause_time());
  if (program.has_update_time()) return internal::FromProto(program.update_time());
  return absl::InfiniteFuture();
}

absl::Status CheckWritable(const LoadedProgram& loaded) {
  if (loaded.program.state() == v1::PROGRAM_STATE_COMPLETED) {
    return FailedPrecondition("PROGRAM_STATE", loaded.program.name(),
                              "program is completed; report to the patient's current program");
  }
  return absl::OkStatus();
}

// Whether the program's rules schedule any outcome measure (OutcomesDue then needs its
// latest outcomes).
bool SchedulesOutcomes(const v1::Program& program) {
  const v1::OutcomeSchedule& schedule = program.rules().outcome_schedule();
  return schedule.akps_every_days() != 0 || schedule.step_down_every_days() != 0 ||
         !schedule.global_rating_weeks().empty();
}

}  // namespace

absl::StatusOr<v1::GetTodaySessionResponse> SessionService::GetTodaySession(
    const RequestContext& ctx, const v1::GetTodaySessionRequest& r) {
  ASSIGN_OR_RETURN(auto encoded, GetTodaySessionEncoded(ctx, r));
  v1::GetTodaySessionResponse response;
  if (!response.ParseFromString(encoded.bytes)) {
    return absl::InternalError("today's plan does not decode");
  }
  return response;
}

absl::StatusOr<std::optional<std::string>> SessionService::MakePlan(const RequestContext& ctx,
                                                                    absl::string_view program_id,
                                                                    absl::Time now,
                                                                    bool keep_completed) {
  const PlanCache::Ticket ticket = plan_cache_.Begin(program_id);
  const uint64_t generation = access_cache_.generation();
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<std::optional<std::string>> {
    const std::string name = absl::StrCat("programs/", program_id);
    ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "program", name));
    // What authorizing a call on the program reads (access_policy.cc), while at hand.
    access_cache_.PutOwner(
        name,
        AccessCache::Owner{loaded.patient.clinic(),
                           std::string(absl::StripPrefix(loaded.program.patient(), "patients/"))},
        generation);
    if (loaded.program.state() == v1::PROGRAM_STATE_COMPLETED) {
      {
        absl::MutexLock lock(&completed_mu_);
        completed_.insert(absl::Hash<absl::string_view>{}(program_id));
      }
      if (!keep_completed) return std::nullopt;
    }
    const absl::CivilDay today = LocalDateAt(now, loaded.zone);
    // Frequency rules look back at most two weeks. The outcomes only when the rules schedule
    // any: the newest page holds the latest of each kind unless one kind was recorded
    // hundreds of times since another; then the other is asked for again, which is harmless.
    const bool schedules = SchedulesOutcomes(loaded.program);
    ASSIGN_OR_RETURN(auto read,
                     txn.ReadProgramHistory({.program_id = loaded.id,
                                             .protocol_id = "",
                                             .since = FormatLocalDate(today - 14),
                                             .alert_limit = 0,
                                             .outcome_kind = v1::OUTCOME_KIND_UNSPECIFIED,
                                             .outcome_limit = schedules ? kOutcomesForDue : 0}));
    const std::vector<v1::Session>& recent = read.sessions;
    const v1::TrafficLight last_light =
        recent.empty() ? v1::TRAFFIC_LIGHT_UNSPECIFIED : recent.back().traffic_light();
    v1::GetTodaySessionResponse response;
    *response.mutable_session() = PlanSession(loaded.program, library_, DoneDatesOf(recent), today,
                                              last_light, PlanDetail::kBasic);
    if (schedules) {
      for (v1::OutcomeKind kind : OutcomesDue(loaded.program, read.outcomes, today)) {
        response.mutable_session()->add_outcomes_due(kind);
      }
    }
    std::string bytes = response.SerializeAsString();
    plan_cache_.Put(ticket, program_id, today, loaded.zone, plan_codec_.Compress(bytes));
    return bytes;
  });
}

absl::StatusOr<Encoded<v1::GetTodaySessionResponse>> SessionService::GetTodaySessionEncoded(
    const RequestContext& ctx, const v1::GetTodaySessionRequest& r) {
  if (!v1::SessionView_IsValid(r.view())) return InvalidField("view", "unknown view");
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  const absl::Time now = clock_.Now();
  // The basic plan, kept or made (and kept).
  std::string plan;
  // A plan kept while another replica's change may not have reached this one is not used.
  std::optional<std::string> kept;
  if (store_.ChangesCurrent()) kept = plan_cache_.Find(id, now);
  if (kept.has_value()) {
    ASSIGN_OR_RETURN(auto unpacked, plan_codec_.Decompress(*kept));
    plan = std::move(unpacked);
  } else {
    ASSIGN_OR_RETURN(auto made, MakePlan(ctx, id, now, /*keep_completed=*/true));
    plan = *std::move(made);
  }
  if (r.view() == v1::SESSION_VIEW_BASIC) {
    return Encoded<v1::GetTodaySessionResponse>{std::move(plan)};
  }
  ASSIGN_OR_RETURN(auto full, plan_texts_.FullView(plan));
  return Encoded<v1::GetTodaySessionResponse>{std::move(full)};
}

absl::StatusOr<int> SessionService::PreparePlans(const RequestContext& ctx) {
  const absl::Time now = clock_.Now();
  const size_t room = options_.plan_cache_bytes / 10 * 9;
  int made = 0;
  PageRequest page{.limit = 256, .after = ""};
  do {
    if (plan_cache_.stats().bytes >= room) break;  // leave room for what is asked for
    auto ids = InRead(ctx, store_, [&](Txn& txn) { return txn.ListProgramIds(page); });
    if (!ids.ok()) return ids.status();
    for (const std::string& id : ids->items) {
      if (ctx.cancelled && ctx.cancelled()) return made;
      {
        absl::MutexLock lock(&completed_mu_);
        if (completed_.contains(absl::Hash<absl::string_view>{}(id))) {
          ++completed_skipped_;
          continue;
        }
      }
      if (plan_cache_.Find(id, now, /*count=*/false).has_value()) continue;
      // A program whose plan cannot be made (a corrupt stored value) waits for its own
      // GetTodaySession, which reports the error; the others are still prepared.
      auto plan = MakePlan(ctx, id, now, /*keep_completed=*/false);
      if (plan.ok() && plan->has_value()) ++made;
    }
    page.after = ids->next;
  } while (!page.after.empty());
  return made;
}

absl::StatusOr<v1::ReportSessionResponse> SessionService::ReportSession(
    const RequestContext& ctx, const v1::ReportSessionRequest& r) {
  ASSIGN_OR_RETURN(auto program_id, ParseId("program", r.program(), "programs"));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), true));
  FieldViolations violations;
  ValidateReports(r, violations);
  if (r.has_perform_time() && !IsValidTimestamp(r.perform_time())) {
    violations.Add("perform_time", "not a valid timestamp");
  }
  if (!violations.empty()) return violations.ToStatus();

  return InWrite<v1::ReportSessionResponse>(
      ctx, writes_, absl::StrCat("ReportSession:", r.program()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ReportSessionResponse> {
        ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "program", r.program()));
        RETURN_IF_ERROR(CheckWritable(loaded));
        const absl::Time now = clock_.Now();
        const absl::Time when = r.has_perform_time() ? internal::FromProto(r.perform_time()) : now;
        ASSIGN_OR_RETURN(auto day, ReportDate(loaded, when, now, options_, "perform_time"));
        // A paused program keeps what was done before the pause (an offline phone syncing
        // late) without adapting to it, and refuses what was done after.
        const bool paused = loaded.program.state() == v1::PROGRAM_STATE_PAUSED;
        if (paused && when >= PausedSince(loaded.program)) {
          return FailedPrecondition("PROGRAM_PAUSED", r.program(), kRefusedWhilePaused);
        }

        v1::Session session;
        const std::string id = ids_.NewId();
        session.set_name(absl::StrCat(r.program(), "/sessions/", id));
        session.set_program(r.program());
        session.set_local_date(FormatLocalDate(day));
        session.set_program_day(ProgramDay(loaded.program, day));
        session.set_state(v1::SESSION_STATE_REPORTED);
        *session.mutable_perform_time() = ToProto(when);
        *session.mutable_create_time() = ToProto(now);
        FieldViolations unknown;
        for (int i = 0; i < r.reports_size(); ++i) {
          v1::ExerciseReport report = r.reports(i);
          const v1::Prescription* p = nullptr;
          for (const auto& candidate : loaded.program.prescriptions()) {
            if (candidate.name() == report.prescription()) p = &candidate;
          }
          if (p == nullptr) {
            unknown.Add(absl::StrCat("reports[", i, "].prescription"),
                        absl::StrCat("\"", report.prescription(), "\" is not a prescription of ",
                                     r.program()));
            continue;
          }
          report.set_exercise(p->exercise());
          *report.mutable_prescribed_dose() = p->dose();
          report.clear_traffic_light();
          *session.add_reports() = std::move(report);
        }
        if (!unknown.empty()) return unknown.ToStatus();

        v1::ReportSessionResponse response;
        if (paused) {
          absl::Status judged =
              internal::JudgeSessionOnly(txn, library_, loaded, day, now, session);
          if (!judged.ok()) return judged;
          session.set_message(kStoredWhilePaused);
          RETURN_IF_ERROR(txn.InsertSession(id, loaded.id, session));
          *response.mutable_session() = std::move(session);
          return response;
        }
        auto outcome = internal::RunEngineOnSession(txn, library_, ids_, loaded, day, now, session);
        if (!outcome.ok()) return outcome.status();
        RETURN_IF_ERROR(txn.InsertSession(id, loaded.id, session));
        *response.mutable_session() = std::move(session);
        internal::MoveIntoResponse(*outcome, response);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

absl::StatusOr<v1::ReportMorningCheckInResponse> SessionService::ReportMorningCheckIn(
    const RequestContext& ctx, const v1::ReportMorningCheckInRequest& r) {
  const v1::MorningCheckIn& in = r.check_in();
  ASSIGN_OR_RETURN(auto program_id, ParseId("check_in.program", in.program(), "programs"));
  RETURN_IF_ERROR(internal::CheckRequestId(r.request_id(), true));
  FieldViolations violations;
  ValidateCheckIn(in, violations);
  absl::CivilDay requested_day;
  if (!in.local_date().empty()) {
    auto day = ParseLocalDate(in.local_date());
    if (!day.ok()) {
      violations.Add("check_in.local_date", day.status().message());
    } else {
      requested_day = *day;
    }
  }
  if (!violations.empty()) return violations.ToStatus();

  return InWrite<v1::ReportMorningCheckInResponse>(
      ctx, writes_, absl::StrCat("ReportMorningCheckIn:", in.program()), r.request_id(),
      [&](Txn& txn) -> absl::StatusOr<v1::ReportMorningCheckInResponse> {
        ASSIGN_OR_RETURN(auto loaded, LoadProgram(txn, "check_in.program", in.program()));
        RETURN_IF_ERROR(CheckWritable(loaded));
        const absl::Time now = clock_.Now();
        absl::CivilDay day = LocalDateAt(now, loaded.zone);
        if (!in.local_date().empty()) {
          // Validate the requested date with the same rules as a perform_time on that day.
          const absl::Time noon = absl::FromCivil(absl::CivilHour(requested_day) + 12, loaded.zone);
          auto checked =
              ReportDate(loaded, std::min(noon, now), now, options_, "check_in.local_date");
          if (!checked.ok()) return checked.status();
          if (requested_day > day) return InvalidField("check_in.local_date", "is in the future");
          day = requested_day;
        }
        v1::MorningCheckIn check_in = in;
        const std::string id = ids_.NewId();
        check_in.set_name(absl::StrCat(in.program(), "/checkIns/", id));
        check_in.set_local_date(FormatLocalDate(day));
        *check_in.mutable_create_time() = ToProto(now);
        check_in.clear_baseline();
        check_in.clear_traffic_light();
        auto outcome =
            internal::RunEngineOnCheckIn(txn, library_, ids_, loaded, day, now, check_in);
        if (!outcome.ok()) return outcome.status();
        RETURN_IF_ERROR(txn.InsertCheckIn(id, loaded.id, check_in));
        v1::ReportMorningCheckInResponse response;
        *response.mutable_check_in() = std::move(check_in);
        internal::MoveIntoResponse(*outcome, response);
        return response;
      },
      internal::Replay::kStore, internal::PlansChanged::Program(program_id));
}

absl::StatusOr<v1::ListSessionsResponse> SessionService::ListSessions(
    const RequestContext& ctx, const v1::ListSessionsRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListSessionsResponse> {
    ASSIGN_OR_RETURN(auto program, txn.GetProgram(id));
    auto response = internal::ToPageResponse(txn.ListSessions(id, page),
                                             &v1::ListSessionsResponse::mutable_sessions);
    if (!response.ok()) return response;
    // Sessions stored before program_day was recorded carry 0: the day is numbered from
    // the program's start date, 1-based, as GetTodaySession numbers it.
    for (v1::Session& session : *response->mutable_sessions()) {
      if (session.program_day() != 0) continue;
      if (auto day = ParseLocalDate(session.local_date()); day.ok()) {
        session.set_program_day(ProgramDay(program, *day));
      }
    }
    return response;
  });
}

absl::StatusOr<v1::ListMorningCheckInsResponse> SessionService::ListMorningCheckIns(
    const RequestContext& ctx, const v1::ListMorningCheckInsRequest& r) {
  ASSIGN_OR_RETURN(auto id, ParseId("program", r.program(), "programs"));
  ASSIGN_OR_RETURN(auto page, ParsePage(r.page_size(), r.page_token(), options_));
  return InRead(ctx, store_, [&](Txn& txn) -> absl::StatusOr<v1::ListMorningCheckInsResponse> {
    RETURN_IF_ERROR(txn.GetProgram(id).status());
    return internal::ToPageResponse(txn.ListCheckIns(id, page),
                                    &v1::ListMorningCheckInsResponse::mutable_check_ins);
  });
}

}  // namespace kneecoach
