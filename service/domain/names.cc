#include "service/domain/names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "service/domain/errors.h"

namespace kneecoach {

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return true;
}

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '_')) return false;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> ParseName(
    absl::string_view field, absl::string_view name,
    const std::vector<absl::string_view>& collections) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  std::vector<std::string> ids;
  bool ok = parts.size() == 2 * collections.size();
  for (size_t i = 0; ok && i < collections.size(); ++i) {
    ok = parts[2 * i] == collections[i] && IsValidId(parts[2 * i + 1]);
    if (ok) ids.emplace_back(parts[2 * i + 1]);
  }
  if (!ok) {
    std::vector<std::string> pattern;
    for (absl::string_view c : collections) pattern.push_back(absl::StrCat(c, "/{id}"));
    return InvalidField(field, absl::StrCat(name.empty() ? "required" : "malformed",
                                            ": expected \"", absl::StrJoin(pattern, "/"),
                                            "\" (id: 1-64 of [a-z0-9-]), got \"", name, "\""));
  }
  return ids;
}

absl::StatusOr<std::string> ParseId(absl::string_view field, absl::string_view name,
                                    absl::string_view collection) {
  auto ids = ParseName(field, name, {collection});
  if (!ids.ok()) return ids.status();
  return (*ids)[0];
}

}  // namespace kneecoach
