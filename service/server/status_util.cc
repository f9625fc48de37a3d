#include "service/server/status_util.h"

#include <cstdio>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/rpc/status.pb.h"

namespace kneecoach {
namespace {

// What the client is told instead of the detail, by code.
absl::string_view PlainMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
      return "the service is briefly unavailable; retry with backoff (the same request_id is "
             "safe)";
    case absl::StatusCode::kResourceExhausted:
      return "the server's storage is full (disk full); retry later";
    case absl::StatusCode::kFailedPrecondition:
      return "the server cannot store changes at the moment (database not writable)";
    case absl::StatusCode::kAlreadyExists:
      return "this record already exists";
    default:
      return "internal error";
  }
}

}  // namespace

std::string NewRequestId() {
  thread_local absl::InsecureBitGen bits;
  return absl::StrCat(
      absl::Hex(absl::Uniform<uint64_t>(bits) & 0xffffffffffffULL, absl::kZeroPad12));
}

bool IsInternalDetail(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      // The store's own errors (service/store) begin so, whatever their code.
      return absl::StartsWith(status.message(), "database");
  }
}

void LogStatus(const absl::Status& status, absl::string_view request_id, absl::string_view method) {
  // One line, whatever the detail holds: the message and the store's own text, which it keeps
  // in payloads (PostgreSQL's error and SQLSTATE: service/store/pg/pg.h).
  std::string detail(status.message());
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    absl::StrAppend(&detail, " [", type_url, ": ", std::string(payload), "]");
  });
  detail = absl::StrReplaceAll(detail, {{"\n", "\\n"}, {"\r", "\\r"}});
  std::fprintf(stderr, "kneecoach-server: request_id=%.*s method=%.*s %s: %s\n",
               static_cast<int>(request_id.size()), request_id.data(),
               static_cast<int>(method.size()), method.data(),
               absl::StatusCodeToString(status.code()).c_str(), detail.c_str());
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id,
                          absl::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  if (IsInternalDetail(status)) {
    LogStatus(status, request_id, method);
    return grpc::Status(
        code, absl::StrCat(PlainMessage(status.code()), " (request id ", request_id, ")"));
  }
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
