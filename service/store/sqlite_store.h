// SQLite implementation of Store (SQLiteCpp): WAL journal, foreign keys on, schema
// versioned by PRAGMA user_version with forward-only migrations, statements prepared once
// per connection and reused. A commit is on disk before Commit() returns OK: by default
// through group commit (synchronous=NORMAL plus one shared fdatasync of the WAL per batch
// of commits, see group_commit.h), or with synchronous=FULL when group_commit is off.
//
// Batched write transactions: one writer connection runs one write Txn at a time, but
// consecutive write Txns share one SQLite transaction (BEGIN IMMEDIATE ... COMMIT), each
// Txn a savepoint inside it: Commit() releases the savepoint, a Txn dropped without
// Commit() rolls back to it (undoing its writes only). The shared transaction commits when
// a Txn ends and no other thread is waiting for the writer, or once it holds
// max_batch_txns Txns or is max_batch_age_us old; until then it stays open for the next
// writer. Commit() returns OK only once its batch's COMMIT succeeded and is durable. If
// the COMMIT fails, or SQLite rolls the shared transaction back after a failed statement,
// every Txn of the batch that has not returned yet fails with that error (a batch is all
// or nothing; nothing acknowledged is in it) and the next writer starts a fresh one.
//
// Thread safety: the writer connection is guarded by a mutex held for the life of each
// write Txn, so writes are serialised; read-only Txns use a pool of read connections and
// run beside the writer (WAL snapshots), seeing committed batches only; with group commit a
// background thread with its own connection checkpoints the WAL. A read may see a commit
// whose shared sync has not yet returned (its writer has not been acknowledged yet). A
// write Txn that ends without committing still waits until everything it could have read
// (committed batches and the Txns before it in its own batch) is durable, so a replayed
// idempotent response is never acknowledged before the original. SQLite::Exception never
// escapes: every failure becomes an absl::Status.
//
// Store contract (store.h): write Txns are serializable because there is one writer (one
// BEGIN IMMEDIATE transaction at a time), so SqliteStore never returns ABORTED. A page
// cursor is the decimal `seq` (insertion order) of the last item returned. After a write
// Txn that erased a patient commits, Commit() scrubs the WAL (Scrub() below) before it
// returns.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/group_commit.h"
#include "service/store/store.h"

namespace SQLite {
class Database;
}

namespace kneecoach {

class Checkpointer;
class StatementCache;
class WriteBatcher;

struct SqliteStoreOptions {
  // A file path, or ":memory:" for tests.
  std::string path = "var/kneecoach.db";
  // How long a writer waits for a lock held by another process, milliseconds.
  int busy_timeout_ms = 5000;
  // Group commit (see above); false: synchronous=FULL, one fsync per commit under the
  // writer lock.
  bool group_commit = true;
  // Read-only connections for read Txns (0: reads share the writer connection). Always 0
  // for ":memory:", where every connection would be a different database.
  int read_connections = 4;
  // With group commit, a background thread checkpoints the WAL into the database file once
  // it holds this many frames (pages), instead of the committing writer.
  int checkpoint_frames = 1000;
  // With group commit, once a checkpoint leaves this many frames in the WAL, the next one
  // holds the writer and restarts the WAL (Checkpointer in sqlite_store.cc): it bounds the
  // WAL under steady writes, to about this many pages. At least checkpoint_frames.
  int wal_restart_frames = 8000;
  // How long a restart (holding the writer) waits for readers of older snapshots before it
  // gives up until the WAL has doubled, milliseconds.
  int wal_restart_wait_ms = 100;
  // Page cache of the writer and of each reader connection, KiB (SQLite's default: 2000).
  // Pages missing from it are read from the file, one syscall each.
  int writer_cache_kib = 32 * 1024;
  int reader_cache_kib = 4 * 1024;
  // Batched write transactions (above): the most Txns in one SQLite transaction (1: every
  // Txn commits on its own), and how long a batch may stay open while writers keep
  // arriving, microseconds (it bounds what a batch's first Txn waits before its COMMIT).
  int max_batch_txns = 256;
  int max_batch_age_us = 20000;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) and migrates the database. Creates the parent directory.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;

  using Store::Begin;
  // One file for every clinic: `clinic` routes nothing (store.h). Its waits are not
  // bounded by `wait_until` (store.h, "Waiting"): a writer that gave up waiting could
  // leave the open batch with nobody to commit it (WriteBatcher).
  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write, const std::string& clinic,
                                             absl::Time wait_until) override;
  bool MayHoldUnscopedRequests() const override { return unscoped_requests_; }

  // Moves every committed change into the database file and empties the write-ahead log,
  // so that deleted records (already zeroed in the file: secure_delete) no longer survive
  // as old log frames either. Run by the commit of every write Txn that erased a patient.
  absl::Status Scrub();

  // The schema version after migrations.
  int schema_version() const { return schema_version_; }
  // Committed write Txns, the SQLite transactions (batches) they were committed in, and
  // shared WAL syncs so far (syncs stays 0 without group commit). See
  // DurabilityBarrier::Stats.
  DurabilityBarrier::Stats commit_stats() { return barrier_->stats(); }
  // Threads blocked on (or about to block on) the writer connection: write Txns about to
  // begin, Scrub(). For tests and monitoring.
  int writers_waiting() const;
  // The writer connection's page cache since open (sqlite3_db_status): pages found in it,
  // read from the file (or the WAL), written to the WAL, and written early because the
  // cache was full (spills). For the server's exit summary and tuning: SQLite counts in
  // 32 bits, so over a long-running server's life the counts wrap.
  struct PageStats {
    int64_t hits = 0, misses = 0, writes = 0, spills = 0;
  };
  PageStats writer_page_stats();
  // How long the writer connection has been held (by write Txns, their batches' COMMITs,
  // WAL restarts and Scrub), and how many times it was taken. Writes are serialized
  // behind it: held for most of the wall time, it bounds the write rate.
  struct WriterStats {
    absl::Duration held;
    int64_t holds = 0;
  };
  WriterStats writer_stats();
  // WAL restarts so far (see wal_restart_frames), and how long they held the writer.
  struct WalRestartStats {
    int64_t restarts = 0;
    int64_t restarts_given_up = 0;  // a reader outlasted wal_restart_wait_ms, or an error
    // Times the WAL was found to have started over from its beginning: after a restart, or
    // by itself when a write began with every frame copied and no reader left on the WAL.
    int64_t started_over = 0;
    absl::Duration writer_held;      // in total
    absl::Duration max_writer_held;  // the longest
  };
  WalRestartStats wal_restart_stats();

 private:
  SqliteStore() = default;

  std::unique_ptr<SQLite::Database> db_;  // used only by the holder of writer_'s lock
  int schema_version_ = 0;
  bool unscoped_requests_ = false;
  std::unique_ptr<DurabilityBarrier> barrier_;
  // The writer's lock and the open batch.
  std::unique_ptr<WriteBatcher> writer_;
  // Read connections; free_ lists the indexes not held by a Txn.
  absl::Mutex read_mu_;
  std::vector<std::unique_ptr<SQLite::Database>> readers_;
  std::vector<int> free_ ABSL_GUARDED_BY(read_mu_);
  // Prepared statements of the writer and of each reader, used by the Txn holding that
  // connection (declared last: finalized before the connections close).
  std::unique_ptr<StatementCache> writer_statements_;
  std::vector<std::unique_ptr<StatementCache>> reader_statements_;
  // Background WAL checkpoints (group commit only); destroyed first.
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace kneecoach
