#include "service/domain/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kneecoach {

void FieldViolations::Add(absl::string_view field, absl::string_view description) {
  auto* v = violations_.add_field_violations();
  v->set_field(std::string(field));
  v->set_description(std::string(description));
}

absl::Status FieldViolations::ToStatus() const {
  if (empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const auto& v : violations_.field_violations()) {
    parts.push_back(absl::StrCat(v.field(), ": ", v.description()));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestTypeUrl, absl::Cord(violations_.SerializeAsString()));
  return status;
}

absl::Status InvalidField(absl::string_view field, absl::string_view description) {
  FieldViolations v;
  v.Add(field, description);
  return v.ToStatus();
}

absl::Status NotFound(absl::string_view resource_type, absl::string_view resource_name) {
  absl::Status status =
      absl::NotFoundError(absl::StrCat(resource_type, " not found: ", resource_name));
  google::rpc::ResourceInfo info;
  info.set_resource_type(std::string(resource_type));
  info.set_resource_name(std::string(resource_name));
  status.SetPayload(kResourceInfoTypeUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

absl::Status FailedPrecondition(absl::string_view type, absl::string_view subject,
                                absl::string_view description) {
  absl::Status status = absl::FailedPreconditionError(description);
  google::rpc::PreconditionFailure failure;
  auto* v = failure.add_violations();
  v->set_type(std::string(type));
  v->set_subject(std::string(subject));
  v->set_description(std::string(description));
  status.SetPayload(kPreconditionFailureTypeUrl, absl::Cord(failure.SerializeAsString()));
  return status;
}

}  // namespace kneecoach
