// gRPC server reflection (grpc.reflection.v1alpha), served from protobuf's generated
// descriptor pool and, like every RPC but health checking, only to authenticated callers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "service/core/core.h"

namespace kneecoach {

// Thread-safe: the descriptor pool is immutable; each stream is served on its own thread.
class ReflectionService final : public grpc::reflection::v1alpha::ServerReflection::Service {
 public:
  // `services`: the full names of the services to list.
  ReflectionService(Core& core, std::vector<std::string> services);

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1alpha::ServerReflectionResponse,
                               grpc::reflection::v1alpha::ServerReflectionRequest>* stream)
      override;

 private:
  Core& core_;
  const std::vector<std::string> services_;
};

}  // namespace kneecoach
