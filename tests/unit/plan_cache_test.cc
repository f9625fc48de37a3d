#include "service/core/plan_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kneecoach {
namespace {

absl::TimeZone NewYork() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
  return zone;
}

absl::Time At(int day, int hour, int minute, absl::TimeZone zone) {
  return absl::FromCivil(absl::CivilMinute(2026, 3, day, hour, minute), zone);
}

std::string PlanOf(const std::string& text) { return text; }

TEST(PlanCacheTest, FindsAPlanOnlyOnTheLocalDateItWasMadeFor) {
  PlanCache cache;
  const absl::TimeZone zone = NewYork();
  cache.Put(cache.Begin("p1"), "p1", absl::CivilDay(2026, 3, 2), zone, PlanOf("plan of the 2nd"));
  ASSERT_TRUE(cache.Find("p1", At(2, 0, 0, zone)).has_value());
  EXPECT_EQ(*cache.Find("p1", At(2, 23, 59, zone)), "plan of the 2nd");
  // Past the patient's midnight (04:00 UTC the next day is still the 2nd in UTC).
  EXPECT_FALSE(cache.Find("p1", At(3, 0, 0, zone)).has_value());
  EXPECT_FALSE(cache.Find("p1", At(1, 23, 59, zone)).has_value());
  EXPECT_FALSE(cache.Find("p2", At(2, 12, 0, zone)).has_value());
  const PlanCache::Stats stats = cache.stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 3u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, PlanCache::kEntryOverhead + std::string("plan of the 2nd").size());
}

TEST(PlanCacheTest, InvalidateDropsTheProgramAndRefusesPlansReadBeforeIt) {
  PlanCache cache;
  const absl::TimeZone zone = NewYork();
  const absl::CivilDay day(2026, 3, 2);
  cache.Put(cache.Begin("kept"), "kept", day, zone, PlanOf("k"));
  cache.Put(cache.Begin("p1"), "p1", day, zone, PlanOf("old"));
  const PlanCache::Ticket before_write = cache.Begin("p1");
  cache.Invalidate("p1");
  EXPECT_FALSE(cache.Find("p1", At(2, 12, 0, zone)).has_value());
  // A plan made from a read before the write may be out of date: not kept.
  cache.Put(before_write, "p1", day, zone, PlanOf("read before the write"));
  EXPECT_FALSE(cache.Find("p1", At(2, 12, 0, zone)).has_value());
  EXPECT_EQ(cache.stats().stale_puts, 1u);
  // One made after it is.
  cache.Put(cache.Begin("p1"), "p1", day, zone, PlanOf("new"));
  EXPECT_EQ(*cache.Find("p1", At(2, 12, 0, zone)), "new");
  // Other programs' plans stay.
  EXPECT_EQ(*cache.Find("kept", At(2, 12, 0, zone)), "k");
}

TEST(PlanCacheTest, InvalidateAllDropsEverythingAndRefusesOlderTickets) {
  PlanCache cache;
  const absl::TimeZone zone = NewYork();
  const absl::CivilDay day(2026, 3, 2);
  std::vector<PlanCache::Ticket> tickets;
  for (int i = 0; i < 100; ++i) {
    const std::string id = "p" + std::to_string(i);
    cache.Put(cache.Begin(id), id, day, zone, PlanOf(id));
    tickets.push_back(cache.Begin(id));
  }
  EXPECT_EQ(cache.stats().entries, 100u);
  cache.InvalidateAll();
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
  for (int i = 0; i < 100; ++i) {
    const std::string id = "p" + std::to_string(i);
    cache.Put(tickets[i], id, day, zone, PlanOf(id));
    EXPECT_FALSE(cache.Find(id, At(2, 12, 0, zone)).has_value()) << id;
  }
  EXPECT_EQ(cache.stats().stale_puts, 100u);
}

TEST(PlanCacheTest, StaysWithinItsBytes) {
  PlanCache cache(PlanCache::Options{.max_bytes = 64 * 1024, .shards = 4});
  const absl::TimeZone zone = NewYork();
  for (int i = 0; i < 2000; ++i) {
    const std::string id = "p" + std::to_string(i);
    cache.Put(cache.Begin(id), id, absl::CivilDay(2026, 3, 2), zone, PlanOf(std::string(200, 'x')));
    ASSERT_LE(cache.stats().bytes, 64u * 1024) << i;
  }
  const PlanCache::Stats stats = cache.stats();
  EXPECT_GT(stats.entries, 30u);  // 64 KB is ~180 entries; a full shard is dropped whole
  EXPECT_LT(stats.entries, 2000u);
  EXPECT_GT(stats.evictions, 0u);
  // A plan larger than a shard's share is not kept at all.
  cache.Put(cache.Begin("huge"), "huge", absl::CivilDay(2026, 3, 2), zone,
            PlanOf(std::string(64 * 1024, 'x')));
  EXPECT_FALSE(cache.Find("huge", At(2, 12, 0, zone)).has_value());
}

// The protocol the server follows: a reader takes a ticket, reads the "store" and puts what
// it read; a writer changes the store, then invalidates, then acknowledges. Whoever finds a
// plan must never find one older than a write acknowledged before the lookup.
TEST(PlanCacheTest, ConcurrentReadersNeverFindAPlanOlderThanAnAcknowledgedWrite) {
  PlanCache cache(PlanCache::Options{.max_bytes = 1 << 20, .shards = 2});
  const absl::TimeZone zone = NewYork();
  const absl::CivilDay day(2026, 3, 2);
  const absl::Time noon = At(2, 12, 0, zone);
  std::atomic<int> store{0}, acknowledged{0};
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0}, found{0};
  std::thread writer([&] {
    // Until the readers have found plans often enough (bounded, should they never).
    for (int i = 1; i <= 30000 || (found < 2000 && i < 5000000); ++i) {
      if (i % 3 == 0) {
        cache.Invalidate("other");  // a write to another program, maybe in the same shard
        continue;
      }
      store = i;
      if (i % 1000 == 1) {
        cache.InvalidateAll();
      } else {
        cache.Invalidate("p");
      }
      acknowledged = i;
    }
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const int acked = acknowledged;
        if (std::optional<std::string> plan = cache.Find("p", noon); plan.has_value()) {
          ++found;
          if (std::stoi(*plan) < acked) ++stale;
          continue;
        }
        const PlanCache::Ticket ticket = cache.Begin("p");
        const int read = store;
        cache.Put(ticket, "p", day, zone, PlanOf(std::to_string(read)));
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(stale.load(), 0);
  EXPECT_GT(found.load(), 0);  // the check ran
}

}  // namespace
}  // namespace kneecoach
