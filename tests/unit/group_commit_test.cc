#include "service/store/group_commit.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kneecoach {
namespace {

int OpenTempFile() {
  const auto path =
      std::filesystem::temp_directory_path() / ("kneecoach-barrier-" + std::to_string(::getpid()));
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  ::unlink(path.c_str());
  return fd;
}

TEST(DurabilityBarrier, WithoutAFileEveryCommitIsDurableAtOnce) {
  DurabilityBarrier barrier(-1);
  const uint64_t ticket = barrier.Committed();
  EXPECT_EQ(ticket, 1u);
  EXPECT_TRUE(barrier.WaitDurable(ticket).ok());
  EXPECT_EQ(barrier.stats().syncs, 0u);
}

TEST(DurabilityBarrier, TicketsCountCommitsOfBatchesOfTxns) {
  DurabilityBarrier barrier(-1);
  EXPECT_EQ(barrier.Committed(3), 1u);
  EXPECT_EQ(barrier.Committed(), 2u);
  EXPECT_EQ(barrier.last_committed(), 2u);
  const DurabilityBarrier::Stats stats = barrier.stats();
  EXPECT_EQ(stats.commits, 4u);
  EXPECT_EQ(stats.batches, 2u);
}

TEST(DurabilityBarrier, ConcurrentCommitsShareSyncs) {
  DurabilityBarrier barrier(OpenTempFile());
  constexpr int kThreads = 16, kCommits = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCommits; ++i) {
        const uint64_t ticket = barrier.Committed();
        if (!barrier.WaitDurable(ticket).ok()) ++failures;
        if (barrier.last_committed() < ticket) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  const DurabilityBarrier::Stats stats = barrier.stats();
  EXPECT_EQ(stats.commits, uint64_t{kThreads * kCommits});
  EXPECT_EQ(stats.batches, stats.commits);
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LT(stats.syncs, stats.commits) << "no commit shared a sync";
  // Everything is durable now: waiting again syncs nothing.
  EXPECT_TRUE(barrier.WaitDurable(stats.batches).ok());
  EXPECT_EQ(barrier.stats().syncs, stats.syncs);
}

TEST(DurabilityBarrier, AFailedSyncRefusesEveryLaterCommit) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // fdatasync on a pipe fails (EINVAL)
  ::close(fds[1]);
  DurabilityBarrier barrier(fds[0]);
  const absl::Status first = barrier.WaitDurable(barrier.Committed());
  EXPECT_EQ(first.code(), absl::StatusCode::kInternal) << first;
  EXPECT_EQ(barrier.WaitDurable(barrier.Committed()).code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace kneecoach
