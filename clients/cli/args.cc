#include "clients/cli/args.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "clients/cli/format.h"

namespace kneecoach::cli {
namespace {

using Kind = OptionSpec::Kind;

OptionSpec Make(std::string name, Kind kind, std::string hint, std::string help) {
  OptionSpec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.hint = std::move(hint);
  spec.help = std::move(help);
  return spec;
}

absl::Status CheckValue(const OptionSpec& spec, absl::string_view value) {
  int i = 0;
  double d = 0;
  switch (spec.kind) {
    case Kind::kInt:
      if (absl::SimpleAtoi(value, &i)) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("--", spec.name, ": \"", value, "\" is not a whole number"));
    case Kind::kNumber:
      if (absl::SimpleAtod(value, &d)) return absl::OkStatus();
      return absl::InvalidArgumentError(
          absl::StrCat("--", spec.name, ": \"", value, "\" is not a number"));
    case Kind::kEnum:
      if (ParseEnumWord(spec.enum_type, value).has_value()) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(
          "--", spec.name, ": \"", value, "\" is not one of ", EnumWords(spec.enum_type)));
    default:
      return absl::OkStatus();
  }
}

}  // namespace

OptionSpec Switch(std::string name, std::string help) {
  return Make(std::move(name), Kind::kSwitch, "", std::move(help));
}
OptionSpec String(std::string name, std::string hint, std::string help) {
  return Make(std::move(name), Kind::kString, std::move(hint), std::move(help));
}
OptionSpec Strings(std::string name, std::string hint, std::string help) {
  return Make(std::move(name), Kind::kStrings, std::move(hint), std::move(help));
}
OptionSpec Int(std::string name, std::string hint, std::string help) {
  return Make(std::move(name), Kind::kInt, std::move(hint), std::move(help));
}
OptionSpec Number(std::string name, std::string hint, std::string help) {
  return Make(std::move(name), Kind::kNumber, std::move(hint), std::move(help));
}
OptionSpec EnumOption(std::string name, const google::protobuf::EnumDescriptor* type,
                      std::string help) {
  OptionSpec spec = Make(std::move(name), Kind::kEnum, EnumWords(type), std::move(help));
  spec.enum_type = type;
  return spec;
}

std::string OptionUsage(const OptionSpec& spec) {
  if (spec.kind == Kind::kSwitch) return absl::StrCat("--", spec.name);
  std::string usage = absl::StrCat("--", spec.name, "=", spec.hint);
  if (spec.kind == Kind::kStrings) absl::StrAppend(&usage, " ...");
  return usage;
}

absl::StatusOr<Args> Args::Parse(absl::Span<const std::string> words,
                                 absl::Span<const OptionSpec> specs) {
  Args args;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--") {
      args.positionals_.insert(args.positionals_.end(), words.begin() + i + 1, words.end());
      break;
    }
    if (!absl::StartsWith(word, "--")) {
      args.positionals_.push_back(word);
      continue;
    }
    absl::string_view body = absl::string_view(word).substr(2);
    std::optional<std::string> value;
    if (auto eq = body.find('='); eq != absl::string_view::npos) {
      value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const std::string name = absl::StrReplaceAll(body, {{"_", "-"}});
    auto spec = std::find_if(specs.begin(), specs.end(),
                             [&](const OptionSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
    if (spec->kind == Kind::kSwitch) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      value = "true";
    } else if (!value.has_value()) {
      if (i + 1 >= words.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = words[++i];
    }
    if (absl::Status s = CheckValue(*spec, *value); !s.ok()) return s;
    auto& values = args.values_[name];
    if (spec->kind != Kind::kStrings) values.clear();
    values.push_back(*std::move(value));
    if (spec->kind == Kind::kEnum) args.enum_types_[name] = spec->enum_type;
  }
  return args;
}

bool Args::Has(absl::string_view name) const { return values_.find(name) != values_.end(); }

std::string Args::Value(absl::string_view name, absl::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::string(fallback);
  return it->second.back();
}

std::vector<std::string> Args::Values(absl::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::optional<int> Args::IntValue(absl::string_view name) const {
  int value = 0;
  if (!Has(name) || !absl::SimpleAtoi(Value(name), &value)) return std::nullopt;
  return value;
}

std::optional<double> Args::NumberValue(absl::string_view name) const {
  double value = 0;
  if (!Has(name) || !absl::SimpleAtod(Value(name), &value)) return std::nullopt;
  return value;
}

std::optional<int> Args::EnumValue(absl::string_view name) const {
  auto it = enum_types_.find(name);
  if (it == enum_types_.end()) return std::nullopt;
  return ParseEnumWord(it->second, Value(name));
}

}  // namespace kneecoach::cli
