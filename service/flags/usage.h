// Command-line usage for every kneecoach binary built on Abseil flags.
//
// Abseil's `--help` lists only the flags defined in a file named after the program
// (`kneecoach-server.cc`, `main.cc` of a program called `main`), so without this a binary
// whose flags live in `main.cc` answers `--help` with "No flags matched". `ParseFlags`
// installs a usage configuration under which `--help` (and `--helpfull`) list the flags
// this project defines, with their defaults, and `--version` prints the project's version;
// Abseil's own flags (--flagfile, --fromenv, ...) are listed by `--helpfull` only.
#ifndef KNEECOACH_SERVICE_FLAGS_USAGE_H_
#define KNEECOACH_SERVICE_FLAGS_USAGE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kneecoach {

// True when a flag defined in `file` (its __FILE__) is one of this project's, not
// Abseil's or another library's.
bool IsProjectFlagFile(absl::string_view file);

// Sets the usage message and configuration, then parses argv like
// absl::ParseCommandLine (which exits after --help or an unknown flag). Returns the
// positional arguments, argv[0] first. Call once, first thing in main.
std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage);

}  // namespace kneecoach

#endif  // KNEECOACH_SERVICE_FLAGS_USAGE_H_
