// akps, outcome, outcomes: the measures a clinician follows over a program.
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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
  return c.rpc.Show(&Outcomes::GetQuestionnaire, *c.stubs().outcomes, request,
                    PrintQuestionnaire);
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
  std::cout << EnumWord(o.kind()) << " " << ValueText(o) << " on " << o.local_date()
            << " (week " << o.program_week() << ")\n";
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
    table.AddRow({o.local_date(), absl::StrCat(o.program_week()), EnumWord(o.kind()),
                  ValueText(o), o.recorded_by()});
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
  };
}

}  // namespace kneecoach::cli
