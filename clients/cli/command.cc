#include "clients/cli/command.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

namespace kneecoach::cli {

std::string CommandLine(const Command& command) {
  std::vector<std::string> parts = command.words;
  parts.insert(parts.end(), command.positionals.begin(), command.positionals.end());
  return absl::StrJoin(parts, " ");
}

size_t RequiredPositionals(const Command& command) {
  return std::count_if(command.positionals.begin(), command.positionals.end(),
                       [](const std::string& p) { return !absl::StartsWith(p, "["); });
}

std::vector<OptionSpec> Concat(std::vector<OptionSpec> base, const std::vector<OptionSpec>& more) {
  base.insert(base.end(), more.begin(), more.end());
  return base;
}

}  // namespace kneecoach::cli
