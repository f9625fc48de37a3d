#include "clients/common/client_common.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace kneecoach::clients {

std::string CodeName(grpc::StatusCode code) {
  // gRPC's codes are absl's, number for number; absl names them the same way.
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrFormat("CODE_%d", static_cast<int>(code)) : name;
}

std::vector<std::string> StatusViolations(const grpc::Status& status) {
  std::vector<std::string> out;
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return out;
  }
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad_request;
    google::rpc::PreconditionFailure precondition;
    if (any.Is<google::rpc::BadRequest>() && any.UnpackTo(&bad_request)) {
      for (const auto& v : bad_request.field_violations()) {
        out.push_back(absl::StrCat(v.field(), ": ", v.description()));
      }
    } else if (any.Is<google::rpc::PreconditionFailure>() && any.UnpackTo(&precondition)) {
      for (const auto& v : precondition.violations()) {
        out.push_back(absl::StrCat(v.subject(), ": ", v.description()));
      }
    }
  }
  return out;
}

std::string FormatDuration(int seconds) {
  if (seconds < 60) return absl::StrCat(seconds, " s");
  const int minutes = seconds / 60;
  const int rest = seconds % 60;
  if (rest == 0) return absl::StrCat(minutes, " min");
  return absl::StrCat(minutes, " min ", rest, " s");
}

std::string FormatDose(const v1::Dose& dose) {
  std::string main;
  if (dose.run_seconds() > 0 || dose.walk_seconds() > 0) {
    main = absl::StrCat("run ", FormatDuration(dose.run_seconds()), " / walk ",
                        FormatDuration(dose.walk_seconds()));
    if (dose.sets() > 0) absl::StrAppend(&main, " x ", dose.sets());
  } else {
    // "3 x 10 reps", "10 reps", or "5 x" before a hold or a duration.
    if (dose.reps() > 0) {
      main = dose.sets() > 0 ? absl::StrCat(dose.sets(), " x ", dose.reps(), " reps")
                             : absl::StrCat(dose.reps(), " reps");
    } else if (dose.sets() > 1 || (dose.sets() == 1 && dose.hold_seconds() > 0)) {
      main = absl::StrCat(dose.sets(), " x");
    }
    if (dose.hold_seconds() > 0) {
      absl::StrAppend(&main, dose.reps() > 0 ? ", " : (main.empty() ? "" : " "),
                      dose.hold_seconds(), " s hold");
    }
    if (dose.duration_seconds() > 0) {
      absl::StrAppend(&main, main.empty() ? "" : (dose.reps() > 0 ? ", " : " "),
                      FormatDuration(dose.duration_seconds()));
    }
  }
  if (main.empty() && dose.sets() > 0) main = absl::StrCat(dose.sets(), " x");
  if (dose.per_side() && !main.empty()) absl::StrAppend(&main, " per side");
  if (dose.load_kg() > 0) absl::StrAppend(&main, absl::StrFormat(" @ %g kg", dose.load_kg()));

  std::vector<std::string> extras;
  if (!main.empty()) extras.push_back(main);
  if (dose.rest_seconds() > 0) extras.push_back(absl::StrCat("rest ", dose.rest_seconds(), " s"));
  if (dose.max_knee_flexion_degrees() > 0) {
    extras.push_back(absl::StrCat("knee to ", dose.max_knee_flexion_degrees(), " deg"));
  }
  if (dose.target_rpe() > 0) extras.push_back(absl::StrCat("RPE ", dose.target_rpe()));
  return extras.empty() ? "-" : absl::StrJoin(extras, ", ");
}

absl::StatusOr<std::string> ReadTokenFile(absl::string_view source, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, "=", path, ": cannot read: ", std::strerror(errno)));
  }
  std::string line;
  std::getline(in, line);
  line = std::string(absl::StripAsciiWhitespace(line));
  if (line.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, "=", path, ": the first line is empty"));
  }
  return line;
}

absl::StatusOr<std::string> ReadPemFile(absl::string_view source, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, "=", path, ": cannot read: ", std::strerror(errno)));
  }
  std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, "=", path, ": not a PEM certificate (no BEGIN CERTIFICATE)"));
  }
  return pem;
}

std::string NewRequestId(absl::string_view prefix) {
  std::random_device random;
  const uint64_t high = random();
  const uint64_t low = random();
  return absl::StrFormat("%s-%08x%08x", prefix, high & 0xffffffffu, low & 0xffffffffu);
}

}  // namespace kneecoach::clients
