// The method registry: every rpc of the kneecoach.v1 services with its rules (access rule,
// target field, access-cache effect, where it runs), read once from the `method_rules`
// option each rpc carries in proto/kneecoach/v1/*.proto (method_options.proto). The server's
// handlers, reflection, authorization (access_policy.cc) and cache invalidation (InWrite)
// all read it; nothing per method is kept by hand elsewhere.
//
// Thread safety: immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "kneecoach/v1/method_options.pb.h"

namespace kneecoach {

struct MethodInfo {
  // "/kneecoach.v1.SessionService/ReportSession", as gRPC names it.
  std::string full_name;
  const google::protobuf::MethodDescriptor* descriptor = nullptr;
  v1::Access access = v1::ACCESS_UNSPECIFIED;
  // The request field naming the target, for error messages ("" if none).
  std::string target_field;
  // Each target field as the chain of fields leading to it; the first one set wins.
  std::vector<std::vector<const google::protobuf::FieldDescriptor*>> targets;
  // MethodRules.no_target_when_set, resolved (null if none).
  const google::protobuf::FieldDescriptor* no_target_when_set = nullptr;
  bool empty_target_means_own = false;
  bool keeps_access_cache = false;
  v1::Execution execution = v1::EXECUTION_UNSPECIFIED;

  // The target `request` names: the first of the target fields that is set ("" if none).
  // `request` must be of the method's input type.
  std::string Target(const google::protobuf::Message& request) const;
};

class MethodRegistry {
 public:
  // The methods of every service declared in `files`. Fails naming the method when one has
  // no method_rules, no access rule or execution, or a target field that is not a string
  // field of its request.
  static absl::StatusOr<std::unique_ptr<MethodRegistry>> Load(
      const std::vector<const google::protobuf::FileDescriptor*>& files);

  // The kneecoach.v1 API: every file "kneecoach/v1/..." compiled into this binary, from
  // the generated descriptor pool. Loaded on first use; the error is kept.
  static absl::StatusOr<const MethodRegistry*> Api();

  // The method called `full_name` ("/pkg.Service/Method"); null if none.
  const MethodInfo* Find(absl::string_view full_name) const;
  // Every method, by service (in file order) and then in declaration order.
  const std::vector<std::unique_ptr<MethodInfo>>& methods() const { return methods_; }
  // Every service, in file order.
  const std::vector<const google::protobuf::ServiceDescriptor*>& services() const {
    return services_;
  }

 private:
  MethodRegistry() = default;

  std::vector<const google::protobuf::ServiceDescriptor*> services_;
  std::vector<std::unique_ptr<MethodInfo>> methods_;
  absl::flat_hash_map<std::string, const MethodInfo*> by_name_;
};

}  // namespace kneecoach
