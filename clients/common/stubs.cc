#include "clients/common/stubs.h"

#include "absl/strings/str_cat.h"

namespace kneecoach::clients {

// StubOf has no default constructor: a member left out here does not compile.
Stubs::Stubs(const std::shared_ptr<grpc::ChannelInterface>& channel)
    : access(channel),
      alerts(channel),
      library(channel),
      outcomes(channel),
      patients(channel),
      programs(channel),
      protocols(channel),
      sessions(channel) {}

std::vector<std::string> Stubs::ServiceNames() const {
  // A structured binding needs exactly one name per member: a member added to Stubs or
  // removed from it without changing this line does not compile.
  const auto& [a, b, c, d, e, f, g, h] = *this;
  return {a.service_name(), b.service_name(), c.service_name(), d.service_name(),
          e.service_name(), f.service_name(), g.service_name(), h.service_name()};
}

void PrepareCall(grpc::ClientContext* context, absl::string_view token, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

}  // namespace kneecoach::clients
