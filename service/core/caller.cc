#include "service/core/caller.h"

namespace kneecoach {
namespace {
thread_local const Caller* current = nullptr;
}  // namespace

const Caller& CurrentCaller() {
  static const Caller* const kSystem = new Caller();
  return current != nullptr ? *current : *kSystem;
}

CallScope::CallScope(Caller caller) : caller_(std::move(caller)), previous_(current) {
  current = &caller_;
}

CallScope::~CallScope() { current = previous_; }

}  // namespace kneecoach
