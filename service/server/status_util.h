// The one place absl::Status becomes grpc::Status. Payloads (BadRequest,
// PreconditionFailure, ResourceInfo) are packed into google.rpc.Status details, sent in
// the grpc-status-details-bin trailer where every gRPC client library finds them.
#pragma once

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace kneecoach {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace kneecoach
