// Options and positional arguments of one kneecoach subcommand.
//
// Global flags (--server, --json, --timeout) are absl flags (see main.cc). The options of a
// subcommand are declared per command as a list of OptionSpec and parsed here, because
// their names use dashes (--max-load, --request-id) and some repeat (--item, --exercise),
// which absl flags do not support. Parse validates every value against its kind, so a
// command reads already-checked values and never fails on them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace kneecoach::cli {

// One option a command accepts. Names are lower-kebab-case without the leading dashes;
// on the command line "_" and "-" are interchangeable.
struct OptionSpec {
  enum class Kind {
    kSwitch,   // --all (no value)
    kString,   // --reason=TEXT
    kStrings,  // --item=... repeatable, every value kept in order
    kInt,      // --sets=N, a base-10 integer (negative allowed)
    kNumber,   // --load=KG, a decimal number
    kEnum,     // --phase=settle, a value of `enum_type` (see ParseEnumWord in format.h)
  };
  std::string name;
  Kind kind = Kind::kSwitch;
  // Placeholder in help, e.g. "N"; for kEnum the accepted words are listed instead.
  std::string hint;
  // What it does, one short phrase; may be empty.
  std::string help;
  const google::protobuf::EnumDescriptor* enum_type = nullptr;
};

OptionSpec Switch(std::string name, std::string help = "");
OptionSpec String(std::string name, std::string hint, std::string help = "");
OptionSpec Strings(std::string name, std::string hint, std::string help = "");
OptionSpec Int(std::string name, std::string hint = "N", std::string help = "");
OptionSpec Number(std::string name, std::string hint, std::string help = "");
OptionSpec EnumOption(std::string name, const google::protobuf::EnumDescriptor* type,
                      std::string help = "");
template <typename E>
OptionSpec EnumOption(std::string name, std::string help = "") {
  return EnumOption(std::move(name), google::protobuf::GetEnumDescriptor<E>(), std::move(help));
}

// "--name=HINT" (or "--name" for a switch), as shown in help.
std::string OptionUsage(const OptionSpec& spec);

// The parsed arguments of one command. Immutable after Parse; not thread-safe to share
// only in the sense that nothing needs to.
class Args {
 public:
  // Parses `words` (everything after the command's own words). Options are "--name=value"
  // or "--name value"; "--" ends options. Returns INVALID_ARGUMENT naming the option for an
  // unknown option, a missing value or a value of the wrong kind.
  static absl::StatusOr<Args> Parse(absl::Span<const std::string> words,
                                    absl::Span<const OptionSpec> specs);

  const std::vector<std::string>& positionals() const { return positionals_; }
  // The i-th positional; requires i < positionals().size().
  const std::string& positional(size_t i) const { return positionals_[i]; }
  // The i-th positional, or "" when fewer were given (an optional "[ID]").
  std::string OptionalPositional(size_t i) const {
    return i < positionals_.size() ? positionals_[i] : "";
  }

  bool Has(absl::string_view name) const;
  // The last value given, or `fallback` when absent.
  std::string Value(absl::string_view name, absl::string_view fallback = "") const;
  // Every value given, in order (for kStrings).
  std::vector<std::string> Values(absl::string_view name) const;
  std::optional<int> IntValue(absl::string_view name) const;
  std::optional<double> NumberValue(absl::string_view name) const;
  // The enum number of a kEnum option.
  std::optional<int> EnumValue(absl::string_view name) const;

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
  std::map<std::string, const google::protobuf::EnumDescriptor*, std::less<>> enum_types_;
};

}  // namespace kneecoach::cli
