#include "service/core/method_registry.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor_database.h"
#include "service/domain/status_macros.h"

namespace kneecoach {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// The chain of fields of `type` that `path` ("patient.clinic") names; its last field must
// be a singular string, the others singular messages.
absl::StatusOr<std::vector<const FieldDescriptor*>> ResolvePath(const MethodDescriptor& method,
                                                                absl::string_view path,
                                                                bool last_is_string) {
  std::vector<const FieldDescriptor*> chain;
  const Descriptor* type = method.input_type();
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field =
        type == nullptr ? nullptr : type->FindFieldByName(std::string(parts[i]));
    const bool last = i + 1 == parts.size();
    if (field == nullptr || field->is_repeated() ||
        (!last && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) ||
        (last && last_is_string && field->cpp_type() != FieldDescriptor::CPPTYPE_STRING)) {
      return absl::FailedPreconditionError(absl::StrCat(
          method.full_name(), ": method_rules names \"", path, "\", not a ",
          last_is_string ? "string" : "singular", " field of ", method.input_type()->full_name()));
    }
    chain.push_back(field);
    type = field->message_type();
  }
  return chain;
}

}  // namespace

std::string MethodInfo::Target(const Message& request) const {
  if (no_target_when_set != nullptr &&
      request.GetReflection()->HasField(request, no_target_when_set)) {
    return "";
  }
  for (const auto& chain : targets) {
    const Message* m = &request;
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
      m = &m->GetReflection()->GetMessage(*m, chain[i]);
    }
    std::string value = m->GetReflection()->GetString(*m, chain.back());
    if (!value.empty()) return value;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<MethodRegistry>> MethodRegistry::Load(
    const std::vector<const FileDescriptor*>& files) {
  std::unique_ptr<MethodRegistry> registry(new MethodRegistry());
  for (const FileDescriptor* file : files) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      registry->services_.push_back(service);
      for (int m = 0; m < service->method_count(); ++m) {
        const MethodDescriptor* method = service->method(m);
        if (!method->options().HasExtension(v1::method_rules)) {
          return absl::FailedPreconditionError(
              absl::StrCat(method->full_name(),
                           " has no (kneecoach.v1.method_rules) option: every rpc must say who "
                           "may call it and where it runs (proto/kneecoach/v1/"
                           "method_options.proto)"));
        }
        const v1::MethodRules& rules = method->options().GetExtension(v1::method_rules);
        if (rules.access() == v1::ACCESS_UNSPECIFIED ||
            rules.execution() == v1::EXECUTION_UNSPECIFIED) {
          return absl::FailedPreconditionError(
              absl::StrCat(method->full_name(), ": method_rules must set access and execution"));
        }
        auto info = std::make_unique<MethodInfo>();
        info->full_name = absl::StrCat("/", service->full_name(), "/", method->name());
        info->descriptor = method;
        info->access = rules.access();
        info->empty_target_means_own = rules.empty_target_means_own();
        info->keeps_access_cache = rules.keeps_access_cache();
        info->execution = rules.execution();
        for (const std::string& path : rules.target_fields()) {
          ASSIGN_OR_RETURN(auto chain, ResolvePath(*method, path, /*last_is_string=*/true));
          info->targets.push_back(std::move(chain));
        }
        if (!rules.target_fields().empty()) info->target_field = rules.target_fields(0);
        if (!rules.no_target_when_set().empty()) {
          ASSIGN_OR_RETURN(auto chain, ResolvePath(*method, rules.no_target_when_set(),
                                                   /*last_is_string=*/false));
          if (chain.size() != 1 || (chain)[0]->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
            return absl::FailedPreconditionError(
                absl::StrCat(method->full_name(), ": no_target_when_set must be a message field"));
          }
          info->no_target_when_set = (chain)[0];
        }
        registry->by_name_[info->full_name] = info.get();
        registry->methods_.push_back(std::move(info));
      }
    }
  }
  return registry;
}

absl::StatusOr<const MethodRegistry*> MethodRegistry::Api() {
  static const auto* const kApi = [] {
    std::vector<std::string> names;
    google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&names);
    std::sort(names.begin(), names.end());
    std::vector<const FileDescriptor*> files;
    for (const std::string& name : names) {
      if (!absl::StartsWith(name, "kneecoach/v1/")) continue;
      const FileDescriptor* file =
          google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
      if (file != nullptr) files.push_back(file);
    }
    return new absl::StatusOr<std::unique_ptr<MethodRegistry>>(Load(files));
  }();
  if (!kApi->ok()) return kApi->status();
  return kApi->value().get();
}

const MethodInfo* MethodRegistry::Find(absl::string_view full_name) const {
  auto it = by_name_.find(full_name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace kneecoach
