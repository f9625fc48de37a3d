#include "service/server/worker_pool.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace kneecoach {
namespace {

TEST(WorkerPoolTest, RunsEverythingSubmittedBeforeItIsDestroyed) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(4);
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(pool.Submit([&] { ++done; }));
  }
  EXPECT_EQ(done.load(), 1000);
}

TEST(WorkerPoolTest, OneThreadRunsInArrivalOrder) {
  std::vector<int> order;
  {
    WorkerPool pool(1);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(pool.Submit([&order, i] { order.push_back(i); }));
  }
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(WorkerPoolTest, RunsWorkConcurrently) {
  // Two closures that each wait for the other finish only if they run at the same time.
  WorkerPool pool(2);
  absl::Notification a, b, both;
  std::atomic<int> finished{0};
  ASSERT_TRUE(pool.Submit([&] {
    a.Notify();
    b.WaitForNotification();
    if (++finished == 2) both.Notify();
  }));
  ASSERT_TRUE(pool.Submit([&] {
    b.Notify();
    a.WaitForNotification();
    if (++finished == 2) both.Notify();
  }));
  EXPECT_TRUE(both.WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST(WorkerPoolTest, RefusesWorkBeyondItsQueue) {
  absl::Notification release, started;
  std::atomic<int> ran{0};
  {
    WorkerPool pool(1, /*max_queued=*/2);
    ASSERT_TRUE(pool.Submit([&] {
      started.Notify();
      release.WaitForNotification();
    }));
    started.WaitForNotification();  // the thread is busy; the queue is empty
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_TRUE(pool.Submit([&] { ++ran; }));
    EXPECT_FALSE(pool.Submit([&] { ran += 100; }));  // dropped, never run
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace kneecoach
