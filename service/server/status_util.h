// The one place absl::Status becomes grpc::Status. Payloads (BadRequest,
// PreconditionFailure, ResourceInfo) are packed into google.rpc.Status details, sent in
// the grpc-status-details-bin trailer where every gRPC client library finds them.
//
// What the client reads holds no internal text: a failure of the server itself (INTERNAL,
// DATA_LOSS, UNKNOWN) or any status carrying the store's detail (SQL, table or
// column names, file paths, exception text) reaches the client as a plain message with the
// call's request id, "(request id 3f9a0c1b2d4e)", and its full detail is written to the
// server's log (stderr) on one line under the same id. Validation errors (INVALID_ARGUMENT
// with field violations, NOT_FOUND naming the resource, FAILED_PRECONDITION with its
// reason) reach the client as they are.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace kneecoach {

// A short random id for one call (12 hex digits), for the log and the x-request-id trailer.
std::string NewRequestId();

// `status` as the client of call `request_id` (method `method`) sees it; logs the detail it
// withholds.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id,
                          absl::string_view method);

// Writes `status` to the server's log (stderr) on one line with the call's id and method.
void LogStatus(const absl::Status& status, absl::string_view request_id, absl::string_view method);

// Whether ToGrpcStatus withholds the message of `status` from the client.
bool IsInternalDetail(const absl::Status& status);

}  // namespace kneecoach
