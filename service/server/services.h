// The gRPC services: each handler hands the request to Core and converts the status once.
// Nothing else happens here (style.md: thin handlers).
//
// Thread safety: handlers run on gRPC's threads concurrently; Core is thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "service/core/core.h"

namespace kneecoach {

// All services of kneecoach.v1, to register on a ServerBuilder. Core must outlive them.
std::vector<std::unique_ptr<grpc::Service>> MakeServices(Core& core);

}  // namespace kneecoach
