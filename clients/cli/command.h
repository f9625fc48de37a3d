// A subcommand of the kneecoach CLI: the words that select it, its positional arguments and
// options, a one-line summary for --help, and the function that runs it. Each
// commands_*.cc file contributes the commands of one area; main.cc dispatches.
#pragma once

#include <string>
#include <vector>

#include "clients/cli/args.h"
#include "clients/cli/rpc.h"

namespace kneecoach::cli {

// What a command runs with.
struct Context {
  const Rpc& rpc;
  const Args& args;
  Stubs& stubs() const { return rpc.stubs(); }
};

struct Command {
  // Selecting words, e.g. {"patients", "create"} or {"today"}.
  std::vector<std::string> words;
  // Placeholders of the positional arguments, e.g. {"PROGRAM"}: required, exactly this many,
  // except trailing ones in brackets ({"[ID]"}), which may be left out.
  std::vector<std::string> positionals;
  std::string summary;
  std::vector<OptionSpec> options;
  // Returns the process exit code.
  int (*run)(const Context& context) = nullptr;
};

// "patients get ID"
std::string CommandLine(const Command& command);

// How many positional arguments must be given (those not in brackets).
size_t RequiredPositionals(const Command& command);

std::vector<Command> LibraryCommands();        // exercises, ladders, cards, protocols
std::vector<Command> PatientCommands();        // patients
std::vector<Command> ProgramCommands();        // programs, prescriptions, decisions
std::vector<Command> SessionCommands();        // today, report, checkin, history, checkins
std::vector<Command> OutcomeCommands();        // akps, outcome, outcomes, progress
std::vector<Command> AlertCommands();          // alerts
std::vector<Command> AccessCommands();         // whoami, clinic, users, tokens, enroll, audit
std::vector<Command> PatientRecordCommands();  // patients assign, export, erase

// `base` followed by `more` (to add PagingOptions() to a command's own options).
std::vector<OptionSpec> Concat(std::vector<OptionSpec> base, const std::vector<OptionSpec>& more);

}  // namespace kneecoach::cli
