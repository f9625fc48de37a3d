#include "service/core/access_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kneecoach {
namespace {

AccessCache::Credential CredentialOf(const std::string& user_name) {
  AccessCache::Credential c;
  c.user.set_name(user_name);
  c.expire_unix_nanos = 42;
  return c;
}

TEST(AccessCacheTest, FindsWhatWasPut) {
  AccessCache cache;
  EXPECT_FALSE(cache.FindCredential("h1").has_value());
  cache.PutCredential("h1", CredentialOf("users/a"), cache.generation());
  auto found = cache.FindCredential("h1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->user.name(), "users/a");
  EXPECT_EQ(found->expire_unix_nanos, 42);

  cache.PutOwner("programs/p1", {"clinics/x", "pat1"}, cache.generation());
  auto owner = cache.FindOwner("programs/p1");
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->clinic, "clinics/x");
  EXPECT_EQ(owner->patient_id, "pat1");
  EXPECT_FALSE(cache.FindOwner("programs/p2").has_value());
  EXPECT_EQ(cache.stats().hits, 2u);
  EXPECT_EQ(cache.stats().misses, 2u);
}

TEST(AccessCacheTest, InvalidateDropsEverything) {
  AccessCache cache;
  cache.PutCredential("h1", CredentialOf("users/a"), cache.generation());
  cache.PutOwner("patients/p", {"clinics/x", "p"}, cache.generation());
  cache.Invalidate();
  EXPECT_FALSE(cache.FindCredential("h1").has_value());
  EXPECT_FALSE(cache.FindOwner("patients/p").has_value());
  EXPECT_EQ(cache.stats().invalidations, 1u);
}

// A reader that read the store before a write committed must not cache what it read once
// the write has invalidated: its generation is older.
TEST(AccessCacheTest, ReadBeforeAnInvalidationIsNotCached) {
  AccessCache cache;
  const uint64_t before = cache.generation();
  cache.Invalidate();  // a write committed while the reader was reading
  cache.PutCredential("h1", CredentialOf("users/stale"), before);
  cache.PutOwner("programs/p1", {"clinics/stale", "p"}, before);
  EXPECT_FALSE(cache.FindCredential("h1").has_value());
  EXPECT_FALSE(cache.FindOwner("programs/p1").has_value());
  cache.PutCredential("h1", CredentialOf("users/fresh"), cache.generation());
  EXPECT_EQ(cache.FindCredential("h1")->user.name(), "users/fresh");
}

TEST(AccessCacheTest, StaysWithinItsSize) {
  AccessCache cache(/*max_entries=*/3);
  for (int i = 0; i < 10; ++i) {
    cache.PutOwner("programs/p" + std::to_string(i), {"clinics/x", "p"}, cache.generation());
  }
  int present = 0;
  for (int i = 0; i < 10; ++i)
    present += cache.FindOwner("programs/p" + std::to_string(i)).has_value();
  EXPECT_LE(present, 3);
  EXPECT_TRUE(cache.FindOwner("programs/p9").has_value());  // the newest survives
}

TEST(AccessCacheTest, ConcurrentReadersAndInvalidationsNeverSeeAnOldGeneration) {
  AccessCache cache;
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) cache.Invalidate();
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const uint64_t g = cache.generation();
        cache.PutCredential("h", CredentialOf("users/" + std::to_string(g)), g);
        const uint64_t before_lookup = cache.generation();
        auto found = cache.FindCredential("h");
        // Only an entry put at the generation current during the lookup may be found.
        if (found.has_value() && std::stoull(found->user.name().substr(6)) < before_lookup) {
          ++stale;
        }
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(stale.load(), 0);
}

}  // namespace
}  // namespace kneecoach
