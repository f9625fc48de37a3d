#include "service/core/access_cache.h"

#include <utility>

namespace kneecoach {
namespace {

template <typename Map>
auto Find(Map& map, absl::string_view key, uint64_t generation)
    -> std::optional<typename Map::mapped_type> {
  auto it = map.find(key);
  if (it == map.end() || it->second.generation != generation) return std::nullopt;
  return it->second;
}

}  // namespace

std::optional<AccessCache::Credential> AccessCache::FindCredential(absl::string_view secret_hash) {
  absl::MutexLock lock(&mu_);
  auto entry = Find(credentials_, secret_hash, generation());
  ++(entry.has_value() ? stats_.hits : stats_.misses);
  if (!entry.has_value()) return std::nullopt;
  return entry->value;
}

void AccessCache::PutCredential(absl::string_view secret_hash, Credential credential,
                                uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (generation != this->generation()) return;  // read before a write: may be stale
  if (credentials_.size() >= max_entries_) credentials_.clear();
  credentials_.insert_or_assign(std::string(secret_hash),
                                Entry<Credential>{std::move(credential), generation});
}

std::optional<AccessCache::Owner> AccessCache::FindOwner(absl::string_view key) {
  absl::MutexLock lock(&mu_);
  auto entry = Find(owners_, key, generation());
  ++(entry.has_value() ? stats_.hits : stats_.misses);
  if (!entry.has_value()) return std::nullopt;
  return entry->value;
}

void AccessCache::PutOwner(absl::string_view key, Owner owner, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  if (generation != this->generation()) return;
  if (owners_.size() >= max_entries_) owners_.clear();
  owners_.insert_or_assign(std::string(key), Entry<Owner>{std::move(owner), generation});
}

void AccessCache::Invalidate() {
  absl::MutexLock lock(&mu_);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  credentials_.clear();
  owners_.clear();
  ++stats_.invalidations;
}

AccessCache::Stats AccessCache::stats() {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace kneecoach
