// Group commit for a SQLite database in WAL mode with synchronous=NORMAL: a commit writes
// its frames to the WAL without syncing; DurabilityBarrier then makes it durable with one
// fdatasync(2) of the WAL shared by every commit that had finished writing before that
// sync started (leader/follower: the first waiter syncs, the others wait for its result,
// and whoever is still not covered syncs next). A writer acknowledges a commit only after
// WaitDurable() returns OK for its ticket.
//
// A "commit" here is one SQLite COMMIT, which may carry several write Txns (SqliteStore
// batches them); tickets count COMMITs.
//
// Thread safety: all methods may be called concurrently. Committed() must be called by
// the one writer right after each commit, before the writer lock is released, so tickets
// follow commit order.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace kneecoach {

class DurabilityBarrier {
 public:
  // `fd` is an open descriptor of the WAL file, owned (closed) by the barrier; -1 means
  // commits need no sync (in-memory database, or synchronous=FULL already synced them).
  explicit DurabilityBarrier(int fd);
  ~DurabilityBarrier();
  DurabilityBarrier(const DurabilityBarrier&) = delete;
  DurabilityBarrier& operator=(const DurabilityBarrier&) = delete;

  // Records a finished COMMIT carrying `txns` write Txns; returns its ticket for
  // WaitDurable.
  uint64_t Committed(uint64_t txns = 1);
  // The ticket of the latest commit (0 before any).
  uint64_t last_committed();

  // Returns OK once every commit up to `ticket` is on disk. Once a sync has failed, every
  // later call fails (INTERNAL): after a failed fsync the kernel may have dropped the
  // pages, so nothing later can be acknowledged as durable until a restart.
  absl::Status WaitDurable(uint64_t ticket);

  struct Stats {
    // Write Txns committed (the sum of Committed()'s `txns`).
    uint64_t commits = 0;
    // SQLite COMMITs (Committed() calls, the last ticket): batches of Txns, so
    // commits / batches is the Txns per SQLite transaction.
    uint64_t batches = 0;
    // fdatasyncs of the WAL.
    uint64_t syncs = 0;
  };
  Stats stats();

 private:
  const int fd_;
  absl::Mutex mu_;
  absl::CondVar synced_cv_;
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;  // tickets issued (COMMITs)
  uint64_t txns_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t durable_ ABSL_GUARDED_BY(mu_) = 0;
  bool syncing_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t syncs_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace kneecoach
