// Resource id generation, injected so tests can predict names.
#pragma once

#include <string>

#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"

namespace kneecoach {

// Thread-safe.
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // A new id: 1-64 characters of [a-z0-9-].
  virtual std::string NewId() = 0;
};

// 16 random characters of [a-z0-9] (~82 bits): unguessable enough that ids leak nothing
// about other records, short enough to type. Thread-safe.
class RandomIdGenerator final : public IdGenerator {
 public:
  std::string NewId() override {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string id(16, 'a');
    absl::MutexLock lock(&mu_);
    for (char& c : id) c = kAlphabet[absl::Uniform(bitgen_, 0u, 36u)];
    return id;
  }

 private:
  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kneecoach
