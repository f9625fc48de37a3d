#include "service/server/status_util.h"

#include <string>

#include "google/rpc/status.pb.h"

namespace kneecoach {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (details.details_size() == 0) {
    return grpc::Status(code, std::string(status.message()));
  }
  return grpc::Status(code, std::string(status.message()), details.SerializeAsString());
}

}  // namespace kneecoach
