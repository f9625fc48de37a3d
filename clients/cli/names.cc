#include "clients/cli/names.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kneecoach::cli {

std::string Qualify(absl::string_view collection, absl::string_view id) {
  if (id.empty() || absl::StrContains(id, '/')) return std::string(id);
  return absl::StrCat(collection, "/", id);
}

std::string QualifyChild(absl::string_view parent, absl::string_view child, absl::string_view id) {
  if (absl::StartsWith(id, absl::StrCat(parent, "/"))) return std::string(id);
  std::vector<absl::string_view> parts = absl::StrSplit(id, '/');
  if (parts.size() == 3 && parts[1] == child) return absl::StrCat(parent, "/", id);
  if (parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) {
    return absl::StrCat(parent, "/", parts[0], "/", child, "/", parts[1]);
  }
  return std::string(id);
}

std::string ShortChildId(absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() == 4) return absl::StrCat(parts[1], "/", parts[3]);
  return ShortId(name);
}

std::string ShortId(absl::string_view name) {
  const auto slash = name.rfind('/');
  return std::string(slash == absl::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace kneecoach::cli
