// What every call needs before its use case runs, kept in memory: the user behind a bearer
// token, and the clinic and patient that a patient or program belongs to. Without it each
// call would read the token, the user, the program and the patient in transactions of their
// own (docs/performance.md, "Reads").
//
// Correctness: an entry is tagged with the generation read *before* the store read that
// produced it, and is used only while the generation is unchanged. Invalidate() bumps the
// generation after any committed write that may change a credential, a user, an
// assignment or whether a record exists, and before that write is acknowledged; so a
// lookup never returns what a write acknowledged earlier has changed. Only records found in
// the store are cached, never absences (unknown tokens cannot fill the memory).
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "kneecoach/v1/access.pb.h"

namespace kneecoach {

class AccessCache {
 public:
  // A stored token, as authentication needs it.
  struct Credential {
    v1::User user;
    bool revoked = false;
    int64_t expire_unix_nanos = 0;
    std::string token_id;
  };
  // What a patient or program name resolves to.
  struct Owner {
    std::string clinic;
    std::string patient_id;
  };

  // Entries above this many (each map) are dropped all at once before the next insert; a
  // dropped entry costs one store read when next needed. The default holds the owners of
  // 100,000 programs and their patients: at 50,000, uniform traffic over 100,000 programs
  // kept dropping them (docs/performance.md).
  static constexpr size_t kDefaultMaxEntries = 200000;
  explicit AccessCache(size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  // Read before the store read whose result is then put.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  std::optional<Credential> FindCredential(absl::string_view secret_hash);
  void PutCredential(absl::string_view secret_hash, Credential credential, uint64_t generation);

  // `key`: "patients/{id}" or "programs/{id}".
  std::optional<Owner> FindOwner(absl::string_view key);
  void PutOwner(absl::string_view key, Owner owner, uint64_t generation);

  // After a write that may change what is cached has committed; empties the cache.
  void Invalidate();

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t invalidations = 0;
  };
  Stats stats();

 private:
  template <typename T>
  struct Entry {
    T value;
    uint64_t generation;
  };

  const size_t max_entries_;
  std::atomic<uint64_t> generation_{1};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry<Credential>> credentials_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Entry<Owner>> owners_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kneecoach
