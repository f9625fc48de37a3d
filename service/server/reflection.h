// gRPC server reflection (grpc.reflection.v1alpha), served from protobuf's generated
// descriptor pool and, like every RPC but health checking, only to authenticated callers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/server_builder.h"
#include "service/core/core.h"

namespace kneecoach {

// Lists the services that the gRPC server it is registered on actually serves: gRPC's own
// record of them, handed over by the builder option `ListServedServices` returns, so no
// list is kept by hand. Thread-safe: the descriptor pool is immutable, the list is set once
// under a lock; each stream is served on its own thread.
class ReflectionService final : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  explicit ReflectionService(Core& core);

  // A builder option that hands this service the names of every service registered on the
  // builder once the server has started. Give it to the builder this service is registered
  // on (ServerBuilder::SetOption); the service must outlive the server.
  std::unique_ptr<grpc::ServerBuilderOption> ListServedServices();

  // The names listed, sorted; empty before the server has started.
  std::vector<std::string> services() const ABSL_LOCKS_EXCLUDED(mu_);

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1alpha::ServerReflectionResponse,
                               grpc::reflection::v1alpha::ServerReflectionRequest>* stream)
      override;

 private:
  void SetServices(std::vector<std::string> services) ABSL_LOCKS_EXCLUDED(mu_);

  Core& core_;
  mutable absl::Mutex mu_;
  std::vector<std::string> services_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kneecoach
