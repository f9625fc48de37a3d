// Human-readable text for the CLI: doses, durations, times, enum words and aligned tables.
// Pure functions of their inputs; shared by every command.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "clients/common/client_common.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "kneecoach/v1/exercise.pb.h"

namespace kneecoach::cli {

// Doses and durations in words, as every client writes them (clients/common).
using clients::FormatDose;
using clients::FormatDuration;

// "2026-11-21 14:05Z" (UTC); "-" when unset.
std::string FormatTime(const google::protobuf::Timestamp& time);

// "2026-11-21 14:05:09Z" (UTC), for records where the second matters (audit); "-" when unset.
std::string FormatTimeSeconds(const google::protobuf::Timestamp& time);

// An optional 0-10 score: the number, or "-".
std::string FormatScore(bool has, int value);

// Enum words: a value's name without the enum's common prefix, lower-kebab-case
// (EXERCISE_CATEGORY_QUAD_STRENGTHENING -> "quad-strengthening"); "-" for the zero value.
std::string EnumWord(const google::protobuf::EnumDescriptor* type, int value);
template <typename E>
std::string EnumWord(E value) {
  return EnumWord(google::protobuf::GetEnumDescriptor<E>(), static_cast<int>(value));
}

// Parses an enum word case-insensitively, with "-" or "_": the full value name, the name
// without the prefix, or an unambiguous leading part of it on word boundaries ("quad" for
// QUAD_STRENGTHENING). The zero (UNSPECIFIED) value is never accepted.
std::optional<int> ParseEnumWord(const google::protobuf::EnumDescriptor* type,
                                 absl::string_view text);

// Every accepted enum word joined by "|", for help and error messages.
std::string EnumWords(const google::protobuf::EnumDescriptor* type);

// The words of every repeated enum value, joined by ", ".
template <typename Repeated>
std::string JoinEnumWords(const google::protobuf::EnumDescriptor* type, const Repeated& values) {
  std::string out;
  for (int v : values) {
    if (!out.empty()) out += ", ";
    out += EnumWord(type, v);
  }
  return out.empty() ? "-" : out;
}

// A plain-text table: columns padded to the widest cell, two spaces apart, the last column
// never padded. Not thread-safe.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  bool empty() const { return rows_.empty(); }
  // Prints the header and rows; prints `if_empty` instead when there are no rows.
  void Print(std::ostream& out, absl::string_view if_empty = "(none)") const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// Prints "Title:" and then each item on its own line, numbered or bulleted; nothing when
// there are no items.
void PrintSection(std::ostream& out, absl::string_view title,
                  const google::protobuf::RepeatedPtrField<std::string>& items, bool numbered);

}  // namespace kneecoach::cli
