#include "service/flags/usage.h"

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#ifndef KNEECOACH_VERSION
#define KNEECOACH_VERSION "unknown"
#endif
#ifndef KNEECOACH_SOURCE_DIR
#define KNEECOACH_SOURCE_DIR ""
#endif

namespace kneecoach {

bool IsProjectFlagFile(absl::string_view file) {
  // The only library linked here that defines flags is Abseil (--flagfile, --fromenv, ...
  // in absl/flags/). The project's own paths may be absolute or, built through ccache with
  // a base folder, relative; neither holds "absl/".
  return !absl::StrContains(file, "absl/");
}

std::vector<char*> ParseFlags(int argc, char** argv, absl::string_view usage) {
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = &IsProjectFlagFile;
  config.contains_help_flags = &IsProjectFlagFile;
  config.contains_helppackage_flags = &IsProjectFlagFile;
  config.version_string = [] { return absl::StrCat("kneecoach ", KNEECOACH_VERSION, "\n"); };
  // Paths below the source folder, as in the repository ("service/server/main.cc").
  config.normalize_filename = [](absl::string_view file) {
    std::string name(file);
    constexpr absl::string_view kSourceDir = KNEECOACH_SOURCE_DIR;
    if (!kSourceDir.empty() && absl::StartsWith(name, kSourceDir)) {
      name.erase(0, kSourceDir.size());
      if (!name.empty() && name.front() == '/') name.erase(0, 1);
    }
    while (absl::StartsWith(name, "../")) name.erase(0, 3);
    return name;
  };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(usage);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace kneecoach
