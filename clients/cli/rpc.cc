#include "clients/cli/rpc.h"

#include "google/protobuf/util/json_util.h"

namespace kneecoach::cli {

int ExitCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return kExitInvalidArgument;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    default:
      return kExitFailure;
  }
}

int PrintError(const grpc::Status& status) {
  std::cerr << "error: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
  for (const std::string& v : clients::StatusViolations(status)) std::cerr << "  " << v << "\n";
  return ExitCode(status.error_code());
}

int UsageError(absl::string_view message) {
  std::cerr << "error: " << message << "\n";
  return kExitInvalidArgument;
}

std::string NewRequestId() { return clients::NewRequestId("cli"); }

std::vector<OptionSpec> PagingOptions() {
  return {Switch("all", "fetch every page"), Int("page-size", "N"),
          String("page-token", "TOKEN", "continue a previous listing")};
}

int Rpc::PrintJson(const google::protobuf::Message& message) const {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string out;
  if (auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
      !status.ok()) {
    std::cerr << "error: INTERNAL: cannot print JSON: " << status.message() << "\n";
    return kExitFailure;
  }
  std::cout << out << "\n";
  return kExitOk;
}

void Rpc::PrintMoreHint(const std::string& next_page_token) {
  if (next_page_token.empty()) return;
  std::cout << "(more: --all, or --page-token=" << next_page_token << ")\n";
}

}  // namespace kneecoach::cli
