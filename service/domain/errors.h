// Errors as values. The domain and the store return absl::Status with the code chosen as
// absl/status/status.h describes; the server converts them to grpc::Status exactly once
// (service/server/status_util.h). Field-level problems travel as a google.rpc.BadRequest
// payload on an INVALID_ARGUMENT status, so integrators see which field was wrong.
#pragma once

#include <string>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "google/rpc/error_details.pb.h"

namespace kneecoach {

// Payload type URLs, as gRPC clients expect them in google.rpc.Status.details.
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";
inline constexpr char kPreconditionFailureTypeUrl[] =
    "type.googleapis.com/google.rpc.PreconditionFailure";
inline constexpr char kResourceInfoTypeUrl[] = "type.googleapis.com/google.rpc.ResourceInfo";

// Collects field violations while validating one request. Not thread-safe.
class FieldViolations {
 public:
  // `field` is the request-relative path, e.g. "reports[2].pain_during".
  void Add(absl::string_view field, absl::string_view description);
  bool empty() const { return violations_.field_violations_size() == 0; }
  const google::rpc::BadRequest& proto() const { return violations_; }

  // OK when empty; otherwise INVALID_ARGUMENT whose message names every field and whose
  // payload is the BadRequest.
  absl::Status ToStatus() const;

 private:
  google::rpc::BadRequest violations_;
};

// INVALID_ARGUMENT for a single field.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// NOT_FOUND naming the resource, with a ResourceInfo payload.
absl::Status NotFound(absl::string_view resource_type, absl::string_view resource_name);

// FAILED_PRECONDITION with a PreconditionFailure payload.
absl::Status FailedPrecondition(absl::string_view type, absl::string_view subject,
                                absl::string_view description);

}  // namespace kneecoach
