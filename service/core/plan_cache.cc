#include "service/core/plan_cache.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "service/domain/dates.h"

namespace kneecoach {

PlanCache::PlanCache(Options options)
    : shard_max_bytes_(options.max_bytes / std::max(1, options.shards)) {
  for (int i = 0; i < std::max(1, options.shards); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

PlanCache::Shard& PlanCache::ShardOf(absl::string_view program_id) {
  return *shards_[absl::Hash<absl::string_view>()(program_id) % shards_.size()];
}

size_t PlanCache::Cost(const Entry& entry) { return kEntryOverhead + entry.plan.size(); }

std::optional<std::string> PlanCache::Find(absl::string_view program_id, absl::Time now,
                                           bool count) {
  Shard& shard = ShardOf(program_id);
  std::optional<std::string> plan;
  absl::CivilDay day;
  absl::TimeZone zone;
  {
    absl::MutexLock lock(&shard.mu);
    auto it = shard.entries.find(program_id);
    if (it != shard.entries.end()) {
      plan = it->second.plan;
      day = it->second.day;
      zone = it->second.zone;
    }
  }
  // The time zone conversion outside the lock.
  if (plan.has_value() && LocalDateAt(now, zone) != day) plan.reset();
  if (count) (plan.has_value() ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return plan;
}

PlanCache::Ticket PlanCache::Begin(absl::string_view program_id) {
  Ticket ticket;
  ticket.global_epoch = global_epoch_.load(std::memory_order_acquire);
  Shard& shard = ShardOf(program_id);
  absl::MutexLock lock(&shard.mu);
  ticket.shard_epoch = shard.epoch;
  return ticket;
}

void PlanCache::Put(const Ticket& ticket, absl::string_view program_id, absl::CivilDay day,
                    absl::TimeZone zone, std::string plan) {
  Entry entry{day, zone, std::move(plan)};
  const size_t cost = Cost(entry);
  if (cost > shard_max_bytes_) return;
  Shard& shard = ShardOf(program_id);
  absl::MutexLock lock(&shard.mu);
  // InvalidateAll bumps the global epoch before it clears the shards: a plan read before a
  // write is either refused here or cleared afterwards.
  if (shard.epoch != ticket.shard_epoch ||
      global_epoch_.load(std::memory_order_acquire) != ticket.global_epoch) {
    stale_puts_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto it = shard.entries.find(program_id);
  if (it != shard.entries.end()) {
    shard.bytes -= Cost(it->second);
    shard.entries.erase(it);
  }
  if (shard.bytes + cost > shard_max_bytes_) {
    // Dropping the whole shard keeps this O(1) amortized; it is 1/shards of the cache.
    evictions_.fetch_add(shard.entries.size(), std::memory_order_relaxed);
    shard.entries.clear();
    shard.bytes = 0;
  }
  shard.bytes += cost;
  shard.entries.emplace(std::string(program_id), std::move(entry));
}

void PlanCache::Invalidate(absl::string_view program_id) {
  Shard& shard = ShardOf(program_id);
  absl::MutexLock lock(&shard.mu);
  ++shard.epoch;
  auto it = shard.entries.find(program_id);
  if (it == shard.entries.end()) return;
  shard.bytes -= Cost(it->second);
  shard.entries.erase(it);
}

void PlanCache::InvalidateAll() {
  global_epoch_.fetch_add(1, std::memory_order_acq_rel);
  for (auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    ++shard->epoch;
    shard->entries.clear();
    shard->bytes = 0;
  }
}

PlanCache::Stats PlanCache::stats() {
  Stats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.evictions = evictions_.load(std::memory_order_relaxed);
  stats.stale_puts = stale_puts_.load(std::memory_order_relaxed);
  for (auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    stats.entries += shard->entries.size();
    stats.bytes += shard->bytes;
  }
  return stats;
}

}  // namespace kneecoach
