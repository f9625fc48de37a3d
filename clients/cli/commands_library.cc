// exercises list/get, ladders list, cards list/get, protocols list: read-only browsing of
// the exercise library and the protocols.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"

namespace kneecoach::cli {
namespace {

using Library = v1::ExerciseLibraryService::StubInterface;
using Protocols = v1::ProtocolService::StubInterface;

std::string FlexionRange(const v1::Exercise& exercise) {
  if (!exercise.has_knee_flexion()) return "-";
  const v1::KneeFlexionRange& range = exercise.knee_flexion();
  return absl::StrCat(range.min_degrees(), "-", range.max_degrees());
}

void PrintExercises(const v1::ListExercisesResponse& response) {
  Table table({"SLUG", "CATEGORY", "PF LOAD", "FLEXION", "STARTING DOSE"});
  for (const auto& e : response.exercises()) {
    table.AddRow({e.slug(), EnumWord(e.category()), EnumWord(e.patellofemoral_load()),
                  FlexionRange(e), FormatDose(e.starting_dose())});
  }
  table.Print(std::cout, "no exercises match");
  std::cout << response.exercises_size() << " shown";
  if (response.total_size() > 0) std::cout << " of " << response.total_size();
  std::cout << "\n";
}

int ExercisesList(const Context& c) {
  v1::ListExercisesRequest request;
  if (auto v = c.args.EnumValue("category")) {
    request.set_category(static_cast<v1::ExerciseCategory>(*v));
  }
  if (auto v = c.args.EnumValue("max-load")) {
    request.set_max_patellofemoral_load(static_cast<v1::PatellofemoralLoad>(*v));
  }
  if (auto v = c.args.IntValue("max-flexion")) request.set_max_knee_flexion_degrees(*v);
  request.set_ladder(Qualify("ladders", c.args.Value("ladder")));
  return c.rpc.ShowList(&Library::ListExercises, *c.stubs().library, request, c.args,
                        PrintExercises);
}

void PrintExercise(const v1::GetExerciseResponse& response) {
  const v1::Exercise& e = response.exercise();
  std::cout << e.display_name() << " (" << e.name() << ")" << (e.optional() ? "  [optional]" : "")
            << "\n";
  std::cout << "  category " << EnumWord(e.category()) << ", patellofemoral load "
            << EnumWord(e.patellofemoral_load()) << ", knee flexion " << FlexionRange(e)
            << " deg, frequency " << EnumWord(e.frequency_class()) << "\n";
  std::cout << "  starting dose: " << FormatDose(e.starting_dose()) << "\n";
  if (!e.main_muscles().empty()) {
    std::cout << "  muscles: " << absl::StrJoin(e.main_muscles(), ", ") << "\n";
  }
  if (!e.summary().empty()) std::cout << "  " << e.summary() << "\n";
  PrintSection(std::cout, "Instructions", e.instructions(), /*numbered=*/true);
  PrintSection(std::cout, "Cues", e.cues(), /*numbered=*/false);
  PrintSection(std::cout, "Avoid", e.avoid(), /*numbered=*/false);
  PrintSection(std::cout, "Contraindications", e.contraindications(), /*numbered=*/false);
  if (!e.ladder_positions().empty()) std::cout << "Ladders (easier < this > harder):\n";
  for (const auto& p : e.ladder_positions()) {
    std::cout << "  " << ShortId(p.ladder()) << " rung " << p.rung() << ": "
              << (p.previous_exercise().empty() ? "(bottom)" : ShortId(p.previous_exercise()))
              << " < " << e.slug() << " > "
              << (p.next_exercise().empty() ? "(top)" : ShortId(p.next_exercise())) << "\n";
  }
  if (!e.evidence_note().empty()) std::cout << "Evidence: " << e.evidence_note() << "\n";
}

int ExercisesGet(const Context& c) {
  v1::GetExerciseRequest request;
  request.set_name(Qualify("exercises", c.args.positional(0)));
  return c.rpc.Show(&Library::GetExercise, *c.stubs().library, request, PrintExercise);
}

void PrintLadders(const v1::ListLaddersResponse& response) {
  Table table({"LADDER", "NAME", "ISOMETRIC", "RUNGS (easiest first)"});
  for (const auto& l : response.ladders()) {
    table.AddRow({l.id(), l.display_name(), l.isometric_slug().empty() ? "-" : l.isometric_slug(),
                  absl::StrJoin(l.exercise_slugs(), " > ")});
  }
  table.Print(std::cout);
}

int LaddersList(const Context& c) {
  return c.rpc.ShowList(&Library::ListLadders, *c.stubs().library, v1::ListLaddersRequest(), c.args,
                        PrintLadders);
}

std::string CardWhen(const v1::EducationCard& card) {
  std::vector<std::string> when;
  if (!card.program_days().empty()) {
    when.push_back(absl::StrCat("day ", absl::StrJoin(card.program_days(), ",")));
  }
  for (int phase : card.phase_starts()) {
    when.push_back(absl::StrCat(EnumWord(static_cast<v1::Phase>(phase)), " start"));
  }
  if (card.after_flare()) when.push_back("after flare");
  if (card.rest_days()) when.push_back("rest days");
  return when.empty() ? "-" : absl::StrJoin(when, "; ");
}

void PrintCards(const v1::ListEducationCardsResponse& response) {
  Table table({"CARD", "TOPIC", "WHEN", "TITLE"});
  for (const auto& card : response.education_cards()) {
    table.AddRow({card.slug(), EnumWord(card.topic()), CardWhen(card), card.title()});
  }
  table.Print(std::cout);
}

int CardsList(const Context& c) {
  v1::ListEducationCardsRequest request;
  if (auto v = c.args.EnumValue("topic")) request.set_topic(static_cast<v1::EducationTopic>(*v));
  return c.rpc.ShowList(&Library::ListEducationCards, *c.stubs().library, request, c.args,
                        PrintCards);
}

void PrintCard(const v1::GetEducationCardResponse& response) {
  const auto& card = response.education_card();
  std::cout << card.title() << " (" << card.name() << ", " << EnumWord(card.topic()) << "; "
            << CardWhen(card) << ")\n";
  for (const auto& paragraph : card.paragraphs()) std::cout << "\n" << paragraph << "\n";
}

int CardsGet(const Context& c) {
  v1::GetEducationCardRequest request;
  request.set_name(Qualify("educationCards", c.args.positional(0)));
  return c.rpc.Show(&Library::GetEducationCard, *c.stubs().library, request, PrintCard);
}

void PrintProtocols(const v1::ListProtocolsResponse& response) {
  Table table({"PROTOCOL", "VERSION", "PHASES", "NAME"});
  for (const auto& p : response.protocols()) {
    std::vector<std::string> phases;
    for (const auto& phase : p.phases()) phases.push_back(EnumWord(phase.phase()));
    table.AddRow(
        {p.name(), absl::StrCat(p.version()), absl::StrJoin(phases, ","), p.display_name()});
  }
  table.Print(std::cout);
}

int ProtocolsList(const Context& c) {
  return c.rpc.ShowList(&Protocols::ListProtocols, *c.stubs().protocols, v1::ListProtocolsRequest(),
                        c.args, PrintProtocols);
}

}  // namespace

std::vector<Command> LibraryCommands() {
  return {
      {{"exercises", "list"},
       {},
       "List exercises, filtered by category, ladder, load or knee flexion",
       Concat({EnumOption<v1::ExerciseCategory>("category"),
               String("ladder", "ID", "only the rungs of this ladder, in order"),
               EnumOption<v1::PatellofemoralLoad>("max-load", "at most this patellofemoral load"),
               Int("max-flexion", "DEG", "deepest knee flexion at most this")},
              PagingOptions()),
       ExercisesList},
      {{"exercises", "get"},
       {"SLUG"},
       "Show an exercise: instructions, cues, dose, ladder neighbours",
       {},
       ExercisesGet},
      {{"ladders", "list"},
       {},
       "List the progression ladders, easiest rung first",
       PagingOptions(),
       LaddersList},
      {{"cards", "list"},
       {},
       "List the education cards",
       Concat({EnumOption<v1::EducationTopic>("topic")}, PagingOptions()),
       CardsList},
      {{"cards", "get"}, {"SLUG"}, "Show an education card", {}, CardsGet},
      {{"protocols", "list"},
       {},
       "List the protocols programs are created from",
       PagingOptions(),
       ProtocolsList},
  };
}

}  // namespace kneecoach::cli
