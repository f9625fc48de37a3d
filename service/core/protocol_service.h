// ProtocolService's use cases. Protocols: the shared ones and a clinic's own, and seeding the
// default at start.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include "absl/status/statusor.h"
#include "kneecoach/v1/protocol.pb.h"
#include "service/core/core_state.h"
#include "service/core/request_context.h"

namespace kneecoach {

class ProtocolService : private internal::UseCases {
 public:
  explicit ProtocolService(internal::CoreState& state) : UseCases(state) {}

  // Stores `protocol` (validated against the library) under its id if it is absent or
  // older than the stored version. Used at start to seed the default protocol.
  absl::Status SeedProtocol(const RequestContext& ctx, const v1::Protocol& protocol);
  absl::StatusOr<v1::ListProtocolsResponse> ListProtocols(const RequestContext& ctx,
                                                          const v1::ListProtocolsRequest& r);
  absl::StatusOr<v1::GetProtocolResponse> GetProtocol(const RequestContext& ctx,
                                                      const v1::GetProtocolRequest& r);
  absl::StatusOr<v1::CreateProtocolResponse> CreateProtocol(const RequestContext& ctx,
                                                            const v1::CreateProtocolRequest& r);
};

}  // namespace kneecoach
