// The gRPC services, made from the method registry (service/core/method_registry.h): one
// grpc::Service per service of the protos, each method served by one generic handler (one
// template for unary methods, one for server-streaming methods; callback API) bound to its
// use case. The bindings, one line per method (services.cc), are the only per-method C++.
//
// A handler authenticates the caller, checks the request's size limits, authorizes it by
// the method's access rule, builds the call's RequestContext (request id, deadline,
// cancellation) and runs the use case where the method's rules say: inline on gRPC's
// thread, on the write pool, or on the simulation pool. A call whose deadline has passed or
// whose client has gone is not started (DEADLINE_EXCEEDED / CANCELLED), including one
// waiting in a pool's queue. Every answer carries the call's id in the x-request-id
// trailer. Nothing else happens here (style.md: thin handlers).
//
// Thread safety: handlers run concurrently on gRPC's threads and on the pools'; Core is
// thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "service/core/core.h"
#include "service/core/method_registry.h"
#include "service/server/worker_pool.h"

namespace kneecoach {

// What the handlers serve with. Everything must outlive the server.
struct ServeDeps {
  Core& core;
  WorkerPool& writes;
  WorkerPool& simulations;
};

// A server-streaming use case returns the stream of its responses: each call gives the next
// one, nullopt at the end, or an error that ends the call. It is called until then, one
// call at a time, while the call's RequestContext lives.
template <typename Response>
using ResponseStream = std::function<absl::StatusOr<std::optional<Response>>()>;

class RegistryService;  // handlers.h

// One method's use case bound to its generic handler, found by the method's request type.
struct Binding {
  const google::protobuf::Descriptor* request_type;
  bool server_streaming;
  // Adds `method`, served by its handler, to `service`.
  std::function<void(const MethodInfo& method, const ServeDeps& deps, RegistryService& service)>
      add;
};

// A unary use case: `use_case(ctx, request)`.
template <typename Request, typename Response>
Binding Unary(
    std::function<absl::StatusOr<Response>(const RequestContext&, const Request&)> use_case);
// A server-streaming use case: `use_case(ctx, request)` gives the stream.
template <typename Request, typename Response>
Binding ServerStreaming(
    std::function<absl::StatusOr<ResponseStream<Response>>(const RequestContext&, const Request&)>
        use_case);

// The bindings of the kneecoach.v1 API to Core's use cases.
std::vector<Binding> ApiBindings(Core& core);

// One grpc::Service per service of `registry`. Fails naming the method if a method has no
// binding (or one for another kind of call), and if a binding matches no method.
absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> MakeServices(
    const MethodRegistry& registry, const std::vector<Binding>& bindings, const ServeDeps& deps);

}  // namespace kneecoach

#include "service/server/handlers.h"  // IWYU pragma: export (the templates above)
