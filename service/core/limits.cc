#include "service/core/limits.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "service/domain/errors.h"
#include "service/domain/status_macros.h"

namespace kneecoach {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Check(const Message& m, const std::string& prefix) {
  const Reflection* reflection = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    const std::string path = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    if (f->is_repeated()) {
      const int n = reflection->FieldSize(m, f);
      if (n > kMaxRepeated) {
        return InvalidField(path, absl::StrCat(n, " entries; at most ", kMaxRepeated));
      }
      for (int i = 0; i < n; ++i) {
        const std::string item = absl::StrCat(path, "[", i, "]");
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
            reflection->GetRepeatedStringReference(m, f, i, nullptr).size() > kMaxStringBytes) {
          return InvalidField(item, absl::StrCat("longer than ", kMaxStringBytes, " bytes"));
        }
        if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
          RETURN_IF_ERROR(Check(reflection->GetRepeatedMessage(m, f, i), item));
        }
      }
      continue;
    }
    std::string scratch;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
        reflection->GetStringReference(m, f, &scratch).size() > kMaxStringBytes) {
      return InvalidField(path, absl::StrCat("longer than ", kMaxStringBytes, " bytes"));
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      RETURN_IF_ERROR(Check(reflection->GetMessage(m, f), path));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequestLimits(const Message& request) { return Check(request, ""); }

}  // namespace kneecoach
