#include "clients/cli/rpc.h"

#include <random>

#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

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

std::string CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return absl::StrFormat("CODE_%d", static_cast<int>(code));
  }
}

int PrintError(const grpc::Status& status) {
  std::cerr << "error: " << CodeName(status.error_code()) << ": " << status.error_message() << "\n";
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const auto& any : details.details()) {
      google::rpc::BadRequest bad_request;
      google::rpc::PreconditionFailure precondition;
      if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
        for (const auto& v : bad_request.field_violations()) {
          std::cerr << "  " << v.field() << ": " << v.description() << "\n";
        }
      } else if (any.Is<google::rpc::PreconditionFailure>() && any.UnpackTo(&precondition)) {
        for (const auto& v : precondition.violations()) {
          std::cerr << "  " << v.subject() << ": " << v.description() << "\n";
        }
      }
    }
  }
  return ExitCode(status.error_code());
}

int UsageError(absl::string_view message) {
  std::cerr << "error: " << message << "\n";
  return kExitInvalidArgument;
}

std::string NewRequestId() {
  std::random_device random;
  const uint64_t high = random();
  const uint64_t low = random();
  return absl::StrFormat("cli-%08x%08x", high & 0xffffffffu, low & 0xffffffffu);
}

Stubs::Stubs(const std::shared_ptr<grpc::ChannelInterface>& channel)
    : library(v1::ExerciseLibraryService::NewStub(channel)),
      patients(v1::PatientService::NewStub(channel)),
      programs(v1::ProgramService::NewStub(channel)),
      sessions(v1::SessionService::NewStub(channel)),
      alerts(v1::AlertService::NewStub(channel)),
      outcomes(v1::OutcomeService::NewStub(channel)),
      protocols(v1::ProtocolService::NewStub(channel)),
      access(v1::AccessService::NewStub(channel)) {}

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
