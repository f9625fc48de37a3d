#include "clients/cli/format.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace kneecoach::cli {
namespace {

// The common prefix of an enum's value names, taken from its zero value
// ("EXERCISE_CATEGORY_UNSPECIFIED" -> "EXERCISE_CATEGORY_").
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  const auto* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  absl::string_view name = zero->name();
  if (!absl::ConsumeSuffix(&name, "UNSPECIFIED")) return "";
  return std::string(name);
}

// "QUAD_STRENGTHENING" -> "quad-strengthening".
std::string ToWord(absl::string_view upper_snake) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(upper_snake), {{"_", "-"}});
}

// "quad-strengthening" / "Quad_Strengthening" -> "QUAD_STRENGTHENING".
std::string ToUpperSnake(absl::string_view word) {
  return absl::StrReplaceAll(absl::AsciiStrToUpper(word), {{"-", "_"}});
}

// `time` in UTC with an absl::FormatTime `format`; "-" when unset.
std::string FormatUtc(const char* format, const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "-";
  return absl::FormatTime(format, absl::FromUnixSeconds(time.seconds()), absl::UTCTimeZone());
}

}  // namespace

std::string FormatTime(const google::protobuf::Timestamp& time) {
  return FormatUtc("%Y-%m-%d %H:%MZ", time);
}

std::string FormatTimeSeconds(const google::protobuf::Timestamp& time) {
  return FormatUtc("%Y-%m-%d %H:%M:%SZ", time);
}

std::string FormatScore(bool has, int value) { return has ? absl::StrCat(value) : "-"; }

std::string EnumWord(const google::protobuf::EnumDescriptor* type, int value) {
  if (value == 0) return "-";
  const auto* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  absl::string_view name = v->name();
  absl::ConsumePrefix(&name, EnumPrefix(type));
  return ToWord(name);
}

std::optional<int> ParseEnumWord(const google::protobuf::EnumDescriptor* type,
                                 absl::string_view text) {
  const std::string prefix = EnumPrefix(type);
  std::string wanted = ToUpperSnake(text);
  if (!wanted.empty() && absl::StartsWith(wanted, prefix)) wanted.erase(0, prefix.size());
  if (wanted.empty()) return std::nullopt;
  std::optional<int> partial;
  int partial_matches = 0;
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* v = type->value(i);
    if (v->number() == 0) continue;
    absl::string_view name = v->name();
    absl::ConsumePrefix(&name, prefix);
    if (name == wanted) return v->number();
    if (absl::StartsWith(name, wanted) && name[wanted.size()] == '_') {
      partial = v->number();
      ++partial_matches;
    }
  }
  if (partial_matches == 1) return partial;
  return std::nullopt;
}

std::string EnumWords(const google::protobuf::EnumDescriptor* type) {
  std::vector<std::string> words;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) words.push_back(EnumWord(type, type->value(i)->number()));
  }
  return absl::StrJoin(words, "|");
}

void Table::Print(std::ostream& out, absl::string_view if_empty) const {
  if (rows_.empty()) {
    out << if_empty << "\n";
    return;
  }
  std::vector<size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i + 1 == row.size() || i >= widths.size()) {
        line += row[i];
      } else {
        absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size() + 2, ' '));
      }
    }
    out << absl::StripTrailingAsciiWhitespace(line) << "\n";
  };
  print(header_);
  for (const auto& row : rows_) print(row);
}

void PrintSection(std::ostream& out, absl::string_view title,
                  const google::protobuf::RepeatedPtrField<std::string>& items, bool numbered) {
  if (items.empty()) return;
  out << title << ":\n";
  int n = 0;
  for (const auto& item : items) {
    if (numbered) {
      out << absl::StreamFormat("  %d. %s\n", ++n, item);
    } else {
      out << "  - " << item << "\n";
    }
  }
}

}  // namespace kneecoach::cli
