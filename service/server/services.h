// The gRPC services: each handler hands the request to Core and converts the status once.
// Nothing else happens here (style.md: thin handlers).
//
// Thread safety: handlers run concurrently on gRPC's threads and on the pool's; Core is
// thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "service/core/core.h"
#include "service/server/worker_pool.h"

namespace kneecoach {

// All services of kneecoach.v1 (callback API), to register on a ServerBuilder. Reads run on
// gRPC's threads; writes and other calls that may block run on `pool`; SimulateProgram runs
// on `simulations`. Core and the pools must outlive the server.
std::vector<std::unique_ptr<grpc::Service>> MakeServices(Core& core, WorkerPool& pool,
                                                         WorkerPool& simulations);

}  // namespace kneecoach
