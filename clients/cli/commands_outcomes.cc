// akps, outcome, outcomes, progress: the measures a clinician follows over a program.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"
#include "clients/cli/views.h"

namespace kneecoach::cli {
namespace {

using Outcomes = v1::OutcomeService::StubInterface;

void PrintQuestionnaire(const v1::GetQuestionnaireResponse& response) {
  const v1::Questionnaire& q = response.questionnaire();
  std::cout << q.title() << " (0-" << q.max_score() << ", higher is better)\n";
  for (int i = 0; i < q.items_size(); ++i) {
    std::cout << absl::StrCat(i + 1, ". ", q.items(i).title(), "\n");
    for (int o = 0; o < q.items(i).options_size(); ++o) {
      const auto& option = q.items(i).options(o);
      std::cout << absl::StrCat("   ", o, ") ", option.label(), " (", option.points(), ")\n");
    }
  }
  std::cout << "Record with: outcome PROGRAM --akps=C1,C2,...,C" << q.items_size()
            << " (the number of the option chosen for each item)\n"
            << "Source: " << q.source() << "\n";
}

int Akps(const Context& c) {
  v1::GetQuestionnaireRequest request;
  request.set_name("questionnaires/akps");
  return c.rpc.Show(&Outcomes::GetQuestionnaire, *c.stubs().outcomes, request, PrintQuestionnaire);
}

std::string ValueText(const v1::Outcome& o) {
  switch (o.kind()) {
    case v1::OUTCOME_KIND_AKPS:
      return absl::StrCat(o.value(), "/100");
    case v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE:
      return absl::StrCat(o.value() > 0 ? "+" : "", o.value());
    default:
      return absl::StrCat(o.value());
  }
}

void PrintRecorded(const v1::RecordOutcomeResponse& response) {
  const v1::Outcome& o = response.outcome();
  std::cout << EnumWord(o.kind()) << " " << ValueText(o) << " on " << o.local_date() << " (week "
            << o.program_week() << ")\n";
  PrintAlerts(std::cout, response.alerts());
}

int Record(const Context& c) {
  v1::RecordOutcomeRequest request;
  v1::Outcome* o = request.mutable_outcome();
  o->set_program(Qualify("programs", c.args.positional(0)));
  o->set_local_date(c.args.Value("date"));
  const int given = c.args.Has("akps") + c.args.Has("step-downs") + c.args.Has("rating");
  if (given != 1) return UsageError("give exactly one of --akps, --step-downs, --rating");
  if (c.args.Has("akps")) {
    o->set_kind(v1::OUTCOME_KIND_AKPS);
    for (absl::string_view word : absl::StrSplit(c.args.Value("akps"), ',')) {
      int choice = 0;
      if (!absl::SimpleAtoi(word, &choice)) {
        return UsageError(absl::StrCat("--akps: \"", word, "\" is not an option number"));
      }
      o->add_akps_choices(choice);
    }
  } else if (auto steps = c.args.IntValue("step-downs")) {
    o->set_kind(v1::OUTCOME_KIND_STEP_DOWN_30S);
    o->set_value(*steps);
  } else if (auto rating = c.args.IntValue("rating")) {
    o->set_kind(v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE);
    o->set_value(*rating);
  }
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(&Outcomes::RecordOutcome, *c.stubs().outcomes, request, PrintRecorded);
}

void PrintOutcomes(const v1::ListOutcomesResponse& response) {
  Table table({"DATE", "WEEK", "MEASURE", "VALUE", "BY"});
  for (const auto& o : response.outcomes()) {
    table.AddRow({o.local_date(), absl::StrCat(o.program_week()), EnumWord(o.kind()), ValueText(o),
                  o.recorded_by()});
  }
  table.Print(std::cout, "no outcomes recorded yet");
}

int List(const Context& c) {
  v1::ListOutcomesRequest request;
  request.set_program(Qualify("programs", c.args.positional(0)));
  if (auto kind = c.args.EnumValue("kind")) request.set_kind(static_cast<v1::OutcomeKind>(*kind));
  return c.rpc.ShowList(&Outcomes::ListOutcomes, *c.stubs().outcomes, request, c.args,
                        PrintOutcomes);
}

std::string Optional(bool has, double value, const char* format = "%.0f") {
  return has ? absl::StrFormat(format, value) : "-";
}

void PrintProgress(const v1::GetProgressResponse& response) {
  const v1::ProgramProgress& p = response.progress();
  Table table({"WEEK", "FROM", "TO", "SESSIONS", "ADHERENCE", "G/A/R", "MORNING", "MAX PAIN",
               "USUAL", "WORST", "RUN MIN", "CADENCE", "AKPS", "STEP-DOWNS", "GROC"});
  for (const auto& w : p.weeks()) {
    table.AddRow(
        {absl::StrCat(w.week()), w.start_date(), w.end_date(),
         absl::StrCat(w.sessions_done(), "/", w.sessions_planned()),
         absl::StrFormat("%.0f%%", 100 * w.adherence()),
         absl::StrCat(w.green_sessions(), "/", w.amber_sessions(), "/", w.red_sessions()),
         Optional(w.has_morning_pain_median(), w.morning_pain_median(), "%.1f"),
         Optional(w.has_max_pain_during(), w.max_pain_during()),
         Optional(w.has_usual_pain(), w.usual_pain()), Optional(w.has_worst_pain(), w.worst_pain()),
         absl::StrFormat("%.0f", w.running_minutes()),
         Optional(w.has_cadence_spm_median(), w.cadence_spm_median()),
         Optional(w.has_akps(), w.akps()), Optional(w.has_step_downs_30s(), w.step_downs_30s()),
         Optional(w.has_global_rating_of_change(), w.global_rating_of_change(), "%+.0f")});
  }
  table.Print(std::cout, "the program has not started");
  std::cout << "morning pain change: "
            << Optional(p.has_morning_pain_change(), p.morning_pain_change(), "%+.1f")
            << " (2 points is meaningful); AKPS change: "
            << Optional(p.has_akps_change(), p.akps_change(), "%+.0f")
            << " (10 is meaningful); weeks with 3+ sessions: " << p.weeks_with_three_sessions()
            << "\n";
}

int Progress(const Context& c) {
  v1::GetProgressRequest request;
  request.set_program(Qualify("programs", c.args.positional(0)));
  if (auto weeks = c.args.IntValue("weeks")) request.set_weeks(*weeks);
  return c.rpc.Show(&Outcomes::GetProgress, *c.stubs().outcomes, request, PrintProgress);
}

}  // namespace

std::vector<Command> OutcomeCommands() {
  return {
      {{"akps"}, {}, "The Anterior Knee Pain Scale's items and options, to record it", {}, Akps},
      {{"outcome"},
       {"PROGRAM"},
       "Record an outcome: AKPS choices, 30 s step-down count, or global rating of change",
       {String("akps", "C1,...,C13", "the option number chosen for each item (see `akps`)"),
        Int("step-downs", "N", "step-downs from 20 cm in 30 s"),
        Int("rating", "N", "global rating of change, -3 (much worse) to +3 (much better)"),
        String("date", "YYYY-MM-DD", "default: today"), String("request-id", "ID")},
       Record},
      {{"outcomes"},
       {"PROGRAM"},
       "Recorded outcomes, newest first",
       Concat({EnumOption<v1::OutcomeKind>("kind")}, PagingOptions()),
       List},
      {{"progress"},
       {"PROGRAM"},
       "Week by week: sessions, adherence, pain, running, AKPS; and the change so far",
       {Int("weeks", "N", "the last N weeks (default: the whole program, at most 52)")},
       Progress},
  };
}

}  // namespace kneecoach::cli
