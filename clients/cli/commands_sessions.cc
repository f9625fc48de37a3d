// today, report, checkin, history, checkins: the patient's side of a program.
#include <algorithm>
#include <iostream>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"
#include "clients/cli/views.h"

namespace kneecoach::cli {
namespace {

using Sessions = v1::SessionService::StubInterface;

std::string ProgramName(const Context& c) { return Qualify("programs", c.args.positional(0)); }

void PrintToday(const v1::GetTodaySessionResponse& response) {
  PrintSessionPlan(std::cout, response.session());
}

int Today(const Context& c) {
  v1::GetTodaySessionRequest request;
  request.set_program(ProgramName(c));
  return c.rpc.Show(&Sessions::GetTodaySession, *c.stubs().sessions, request, PrintToday);
}

// The request id: --request-id, or a new one announced on stderr so the user can retry.
std::string RequestId(const Context& c) {
  if (c.args.Has("request-id")) return c.args.Value("request-id");
  std::string id = NewRequestId();
  std::cerr << "request id " << id << " (to retry safely: --request-id=" << id << ")\n";
  return id;
}

// One --item=PRESCRIPTION:pain_during[:pain_after_1h[:sets_done[:reps_done]]]; empty
// numbers mean "not given".
struct ItemArg {
  std::string target;
  std::optional<int> numbers[4];  // pain_during, pain_after_1h, sets_done, reps_done
};

absl::StatusOr<ItemArg> ParseItem(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 5 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--item=", text, ": expected PRESCRIPTION:pain_during[:pain_after_1h[:sets[:reps]]]"));
  }
  ItemArg item;
  item.target = parts[0];
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    int value = 0;
    if (!absl::SimpleAtoi(parts[i], &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--item=", text, ": \"", parts[i], "\" is not a whole number"));
    }
    item.numbers[i - 1] = value;
  }
  return item;
}

// The session item an --item target means: a prescription id or full name, or the slug of
// exactly one exercise in today's session. Null when none matches.
absl::StatusOr<const v1::SessionItem*> FindItem(const v1::Session& plan, absl::string_view target) {
  std::vector<const v1::SessionItem*> found;
  for (const auto& item : plan.items()) {
    if (item.prescription() == target || ShortId(item.prescription()) == target ||
        item.exercise() == target || ShortId(item.exercise()) == target) {
      found.push_back(&item);
    }
  }
  if (found.size() > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--item ", target, " matches several exercises today; use its id"));
  }
  return found.empty() ? nullptr : found.front();
}

// "Done as prescribed", in the units the engine compares with the dose: sets; reps per
// set; holds per set (reps of a held exercise, else one hold per set, i.e. `sets`); seconds
// per set of continuous work. Run/walk blocks count as sets (rounds).
void FillDone(const v1::Dose& dose, v1::ExerciseReport* report) {
  report->set_sets_done(dose.sets());
  report->set_reps_done(dose.reps());
  if (dose.hold_seconds() > 0) report->set_holds_done(dose.reps() > 0 ? dose.reps() : dose.sets());
  report->set_duration_seconds_done(dose.duration_seconds());
}

// Builds the reports of `report` from --item and --all-pain against today's plan.
absl::Status BuildReports(const Context& c, const std::string& program, const v1::Session& plan,
                          v1::ReportSessionRequest* request) {
  std::vector<std::string> covered;
  for (const std::string& text : c.args.Values("item")) {
    absl::StatusOr<ItemArg> item = ParseItem(text);
    if (!item.ok()) return item.status();
    absl::StatusOr<const v1::SessionItem*> match = FindItem(plan, item->target);
    if (!match.ok()) return match.status();
    v1::ExerciseReport* report = request->add_reports();
    if (*match != nullptr) {
      report->set_prescription((*match)->prescription());
      FillDone((*match)->dose(), report);
    } else {
      report->set_prescription(absl::StrContains(item->target, '/')
                                   ? QualifyChild("programs", "prescriptions", item->target)
                                   : absl::StrCat(program, "/prescriptions/", item->target));
    }
    covered.push_back(report->prescription());
    if (item->numbers[0]) report->set_pain_during(*item->numbers[0]);
    if (item->numbers[1]) report->set_pain_after_1h(*item->numbers[1]);
    if (item->numbers[2]) report->set_sets_done(*item->numbers[2]);
    if (item->numbers[3]) report->set_reps_done(*item->numbers[3]);
  }
  if (auto pain = c.args.IntValue("all-pain")) {
    // Items not yet reported today; when every one is, all of them again, so that a retry
    // with the same --request-id repeats the same request.
    const bool all_done = std::all_of(plan.items().begin(), plan.items().end(),
                                      [](const v1::SessionItem& i) { return i.done(); });
    if (all_done && !plan.items().empty() && !c.args.Has("request-id")) {
      return absl::FailedPreconditionError(
          "every exercise of today's session is already reported (to retry a report, give "
          "its --request-id)");
    }
    for (const auto& item : plan.items()) {
      if ((item.done() && !all_done) ||
          std::find(covered.begin(), covered.end(), item.prescription()) != covered.end()) {
        continue;
      }
      v1::ExerciseReport* report = request->add_reports();
      report->set_prescription(item.prescription());
      FillDone(item.dose(), report);
      report->set_pain_during(*pain);
      if (auto after = c.args.IntValue("all-pain-after")) report->set_pain_after_1h(*after);
    }
  }
  if (request->reports().empty() && plan.program_paused()) {
    return absl::FailedPreconditionError(
        absl::StrCat(plan.message(),
                     "\nNothing was recorded. For a session done before the pause, give "
                     "each exercise with --item and when it was done with --performed."));
  }
  if (request->reports().empty()) {
    return absl::InvalidArgumentError(plan.items().empty()
                                          ? "nothing is due today, so there is nothing to report"
                                          : "nothing to report: give --item=... or --all-pain=N");
  }
  return absl::OkStatus();
}

void PrintReport(const v1::ReportSessionResponse& response) {
  PrintReportedSession(std::cout, response.session());
  // e.g. why a session done before a pause changed nothing.
  if (!response.session().message().empty()) std::cout << response.session().message() << "\n";
  PrintDecisions(std::cout, response.decisions());
  PrintAlerts(std::cout, response.alerts());
}

int Report(const Context& c) {
  const std::string program = ProgramName(c);
  v1::GetTodaySessionRequest today;
  today.set_program(program);
  v1::GetTodaySessionResponse plan;
  if (grpc::Status s = c.rpc.Call(&Sessions::GetTodaySession, *c.stubs().sessions, today, &plan);
      !s.ok()) {
    return PrintError(s);
  }
  v1::ReportSessionRequest request;
  request.set_program(program);
  if (absl::Status s = BuildReports(c, program, plan.session(), &request); !s.ok()) {
    // A paused program's reason is the server's own words for the patient.
    std::cerr << (absl::IsFailedPrecondition(s) ? "" : "error: ") << s.message() << "\n";
    return s.code() == absl::StatusCode::kInvalidArgument ? kExitInvalidArgument : kExitFailure;
  }
  if (c.args.Has("performed")) {
    absl::Time when;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, c.args.Value("performed"), &when, &error)) {
      return UsageError(absl::StrCat("--performed=", c.args.Value("performed"),
                                     ": expected a time like 2026-03-02T10:00:00Z (", error, ")"));
    }
    request.mutable_perform_time()->set_seconds(absl::ToUnixSeconds(when));
  }
  request.set_request_id(RequestId(c));
  v1::ReportSessionResponse response;
  grpc::Status s = c.rpc.Call(&Sessions::ReportSession, *c.stubs().sessions, request, &response);
  if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
    // Refused (program paused or completed): the server's message is written for the
    // patient, so it is printed as it is, without a status code.
    std::cerr << s.error_message() << "\n";
    return ExitCode(s.error_code());
  }
  if (!s.ok()) return PrintError(s);
  return c.rpc.Print(response, PrintReport);
}

std::string CheckInFlags(const v1::MorningCheckIn& check_in) {
  std::vector<std::string> flags;
  if (check_in.swelling()) flags.push_back("swelling");
  if (check_in.locking()) flags.push_back("locking");
  if (check_in.giving_way()) flags.push_back("giving-way");
  for (int flag : check_in.red_flags()) flags.push_back(EnumWord(static_cast<v1::RedFlag>(flag)));
  return flags.empty() ? "-" : absl::StrJoin(flags, ", ");
}

void PrintCheckIn(const v1::ReportMorningCheckInResponse& response) {
  const auto& ci = response.check_in();
  std::cout << "check-in " << ci.local_date() << ": morning pain "
            << FormatScore(ci.has_morning_pain(), ci.morning_pain())
            << absl::StrFormat(" (baseline %.1f): ", ci.baseline()) << LightWord(ci.traffic_light())
            << "\n";
  if (CheckInFlags(ci) != "-") std::cout << "  reported: " << CheckInFlags(ci) << "\n";
  PrintDecisions(std::cout, response.decisions());
  PrintAlerts(std::cout, response.alerts());
}

int CheckIn(const Context& c) {
  v1::ReportMorningCheckInRequest request;
  v1::MorningCheckIn* ci = request.mutable_check_in();
  ci->set_program(ProgramName(c));
  ci->set_local_date(c.args.Value("date"));
  if (auto v = c.args.IntValue("pain")) ci->set_morning_pain(*v);
  if (auto v = c.args.EnumValue("test")) ci->set_test(static_cast<v1::MorningTest>(*v));
  ci->set_swelling(c.args.Has("swelling"));
  ci->set_locking(c.args.Has("locking"));
  ci->set_giving_way(c.args.Has("giving-way"));
  for (const std::string& word : c.args.Values("red-flag")) {
    std::optional<int> flag = ParseEnumWord(v1::RedFlag_descriptor(), word);
    if (!flag) {
      return UsageError(absl::StrCat("--red-flag: \"", word, "\" is not one of ",
                                     EnumWords(v1::RedFlag_descriptor())));
    }
    ci->add_red_flags(static_cast<v1::RedFlag>(*flag));
  }
  if (auto v = c.args.IntValue("usual")) ci->set_usual_pain(*v);
  if (auto v = c.args.IntValue("worst")) ci->set_worst_pain(*v);
  request.set_request_id(RequestId(c));
  return c.rpc.Show(&Sessions::ReportMorningCheckIn, *c.stubs().sessions, request, PrintCheckIn);
}

std::string MaxPainDuring(const v1::Session& session) {
  int max = -1;
  for (const auto& r : session.reports()) {
    if (r.has_pain_during()) max = std::max(max, r.pain_during());
  }
  return FormatScore(max >= 0, max);
}

void PrintHistory(const v1::ListSessionsResponse& response) {
  Table table({"DATE", "DAY", "LIGHT", "EXERCISES", "MAX PAIN", "SESSION"});
  for (const auto& s : response.sessions()) {
    table.AddRow({s.local_date(), absl::StrCat(s.program_day()), LightWord(s.traffic_light()),
                  absl::StrCat(s.reports_size()), MaxPainDuring(s), ShortId(s.name())});
  }
  table.Print(std::cout, "no sessions reported yet");
}

// A SessionService List of one program's records (sessions, check-ins).
template <typename Req, typename Resp, typename Text>
int ShowProgramList(const Context& c, Rpc::Method<Sessions, Req, Resp> method, Text&& text) {
  Req request;
  request.set_program(ProgramName(c));
  return c.rpc.ShowList(method, *c.stubs().sessions, request, c.args, std::forward<Text>(text));
}

int History(const Context& c) { return ShowProgramList(c, &Sessions::ListSessions, PrintHistory); }

void PrintCheckIns(const v1::ListMorningCheckInsResponse& response) {
  Table table({"DATE", "PAIN", "BASELINE", "LIGHT", "USUAL", "WORST", "REPORTED"});
  for (const auto& ci : response.check_ins()) {
    table.AddRow({ci.local_date(), FormatScore(ci.has_morning_pain(), ci.morning_pain()),
                  absl::StrFormat("%.1f", ci.baseline()), LightWord(ci.traffic_light()),
                  FormatScore(ci.has_usual_pain(), ci.usual_pain()),
                  FormatScore(ci.has_worst_pain(), ci.worst_pain()), CheckInFlags(ci)});
  }
  table.Print(std::cout, "no check-ins yet");
}

int CheckIns(const Context& c) {
  return ShowProgramList(c, &Sessions::ListMorningCheckIns, PrintCheckIns);
}

}  // namespace

std::vector<Command> SessionCommands() {
  return {
      {{"today"},
       {"PROGRAM"},
       "Today's session: exercises with dose and cues, education",
       {},
       Today},
      {{"report"},
       {"PROGRAM"},
       "Report a session: pain per exercise; prints the traffic light and decisions",
       {Strings("item", "PRESCRIPTION:PAIN[:PAIN_1H[:SETS[:REPS]]]",
                "one exercise (prescription id or exercise slug)"),
        Int("all-pain", "N", "every due exercise done as prescribed with this pain"),
        Int("all-pain-after", "N", "with --all-pain: pain one hour after"),
        String("performed", "TIME",
               "when it was done, RFC 3339, e.g. 2026-03-02T10:00:00Z (default: now)"),
        String("request-id", "ID", "idempotency key (default: random, printed)")},
       Report},
      {{"checkin"},
       {"PROGRAM"},
       "Morning check-in: pain on the fixed test, swelling, red flags",
       {Int("pain", "N", "morning pain 0-10"), EnumOption<v1::MorningTest>("test"),
        Switch("swelling"), Switch("locking"), Switch("giving-way"),
        Strings("red-flag", "NAME", EnumWords(v1::RedFlag_descriptor())),
        Int("usual", "N", "usual pain last week"), Int("worst", "N", "worst pain last week"),
        String("date", "YYYY-MM-DD", "default: today"), String("request-id", "ID")},
       CheckIn},
      {{"history"}, {"PROGRAM"}, "Reported sessions, newest first", PagingOptions(), History},
      {{"checkins"}, {"PROGRAM"}, "Morning check-ins, newest first", PagingOptions(), CheckIns},
  };
}

}  // namespace kneecoach::cli
