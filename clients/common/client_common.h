// What every kneecoach client (the CLI, the desktop window) needs alike: the words for a
// gRPC status and its error details, a dose in words, a token from a file, and request ids.
// Pure functions, no UI, no calls.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "kneecoach/v1/exercise.pb.h"

namespace kneecoach::clients {

// "INVALID_ARGUMENT", "NOT_FOUND", ...; "CODE_<n>" for a code gRPC does not define.
std::string CodeName(grpc::StatusCode code);

// "field: description" for each google.rpc.BadRequest field violation and
// "subject: description" for each PreconditionFailure violation in the status's details,
// in order; empty when there are none or the details do not parse.
std::vector<std::string> StatusViolations(const grpc::Status& status);

// A dose in the words a patient reads, e.g. "3 x 10 reps", "5 x 45 s hold, rest 120 s",
// "run 1 min / walk 4 min x 6", "20 min, RPE 4". "-" for an empty dose.
std::string FormatDose(const v1::Dose& dose);

// "45 s", "4 min", "1 min 30 s".
std::string FormatDuration(int seconds);

// The first line of the file at `path`, without surrounding blanks. An INVALID_ARGUMENT
// naming `source` ("--token-file", "KNEECOACH_TOKEN_FILE") if it cannot be read or is empty.
absl::StatusOr<std::string> ReadTokenFile(absl::string_view source, const std::string& path);

// The whole PEM file at `path` (a TLS root certificate). An INVALID_ARGUMENT naming `source`
// ("--tls_ca") if it cannot be read or holds no "-----BEGIN CERTIFICATE-----".
absl::StatusOr<std::string> ReadPemFile(absl::string_view source, const std::string& path);

// A fresh idempotency key: `prefix`, "-" and 16 hex digits (fits [A-Za-z0-9_-]{1,64} for a
// prefix of up to 47 such characters).
std::string NewRequestId(absl::string_view prefix);

}  // namespace kneecoach::clients
