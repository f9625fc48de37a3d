#include "service/core/request_context.h"

#include "service/core/method_registry.h"

namespace kneecoach {

RequestContext RequestContext::ForCall(Caller caller, const MethodInfo* method,
                                       std::string request_id) {
  RequestContext context;
  context.caller = std::move(caller);
  context.rules = method;
  context.method = method->full_name;
  context.request_id = std::move(request_id);
  return context;
}

RequestContext RequestContext::System(absl::string_view what) {
  RequestContext context;
  context.method = what;
  context.system_ = true;
  return context;
}

absl::Status RequestContext::CheckLive() const {
  if (cancelled && cancelled()) {
    return absl::CancelledError("the call was cancelled by the client; nothing was done");
  }
  if (deadline != absl::InfiniteFuture() && absl::Now() >= deadline) {
    return absl::DeadlineExceededError("the call's deadline passed before it was served");
  }
  return absl::OkStatus();
}

}  // namespace kneecoach
