// Today's plans, kept in memory: per program, the encoded GetTodaySessionResponse in the
// basic view for the patient's local date, with the patient's time zone. A plan is a pure
// function of the program, its last two weeks of sessions, the library and the local date
// (service/domain/schedule.h); keeping it saves the three store reads and the planning that
// GetTodaySession otherwise costs (docs/performance.md, "Reads").
//
// Correctness, as for AccessCache: a reader takes a Ticket *before* the store read that
// produces a plan, and Put keeps the plan only if no invalidation touched its shard (or the
// whole cache) since the ticket was taken. Every write transaction invalidates, after it
// has committed and before it is acknowledged, what its use case declares it may change
// (internal::PlansChanged in core_util.h): one program, nothing, or by default everything.
// So a lookup never returns a plan that an acknowledged write has changed. A plan is used
// only on the local date it was made for: at the patient's midnight the next lookup misses.
//
// Memory is bounded by `max_bytes` (the plans' bytes plus a fixed estimate per entry; the
// string is kept in the map's slot, so an entry is at most two heap blocks); beyond it a
// shard is emptied before the next insert into it.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace kneecoach {

class PlanCache {
 public:
  struct Options {
    // Plans' bytes plus kEntryOverhead each: 48 MB holds ~150,000 eight-exercise plans
    // deflated by PlanCodec (~310 bytes each).
    size_t max_bytes = 48u << 20;
    int shards = 64;
  };
  // Per entry beyond the plan's bytes: the map slot with its key and the string's heap
  // block header (~100 bytes), rounded up.
  static constexpr size_t kEntryOverhead = 120;

  PlanCache() : PlanCache(Options()) {}
  explicit PlanCache(Options options);

  // A copy of the plan kept for `program_id` if it was made for the local date at `now` in
  // the patient's zone; else nullopt. `count`: whether stats() counts it as a hit or a miss.
  std::optional<std::string> Find(absl::string_view program_id, absl::Time now, bool count = true);

  // Taken before the store read whose plan is then Put.
  struct Ticket {
    uint64_t shard_epoch = 0;
    uint64_t global_epoch = 0;
  };
  Ticket Begin(absl::string_view program_id);

  // Keeps `plan` for (program_id, day in zone) unless an invalidation came after `ticket`.
  void Put(const Ticket& ticket, absl::string_view program_id, absl::CivilDay day,
           absl::TimeZone zone, std::string plan);

  // After a committed write to one program, before it is acknowledged.
  void Invalidate(absl::string_view program_id);
  // After a committed write that may change any plan, before it is acknowledged.
  void InvalidateAll();

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t entries = 0;
    uint64_t bytes = 0;
    uint64_t evictions = 0;
    uint64_t stale_puts = 0;  // plans dropped because a write came after their ticket
  };
  Stats stats();

 private:
  struct Entry {
    absl::CivilDay day;
    absl::TimeZone zone;
    std::string plan;
  };
  struct Shard {
    absl::Mutex mu;
    uint64_t epoch ABSL_GUARDED_BY(mu) = 0;
    size_t bytes ABSL_GUARDED_BY(mu) = 0;
    absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
  };
  Shard& ShardOf(absl::string_view program_id);
  static size_t Cost(const Entry& entry);

  const size_t shard_max_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<uint64_t> global_epoch_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0}, evictions_{0}, stale_puts_{0};
};

}  // namespace kneecoach
