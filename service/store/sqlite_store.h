// SQLite implementation of Store (SQLiteCpp): WAL journal, foreign keys on, synchronous
// FULL (a commit is on disk before it is acknowledged), schema versioned by PRAGMA
// user_version with forward-only migrations, prepared statements cached per connection.
//
// Thread safety: one connection, guarded by a mutex held for the life of each Txn, so
// transactions are serialised. SQLite::Exception never escapes: every failure becomes an
// absl::Status.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/store/store.h"

namespace SQLite {
class Database;
}

namespace kneecoach {

struct SqliteStoreOptions {
  // A file path, or ":memory:" for tests.
  std::string path = "var/kneecoach.db";
  // How long a writer waits for a lock held by another process, milliseconds.
  int busy_timeout_ms = 5000;
};

class SqliteStore final : public Store {
 public:
  // Opens (creating if needed) and migrates the database. Creates the parent directory.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);
  ~SqliteStore() override;

  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write) override;

  // The schema version after migrations.
  int schema_version() const { return schema_version_; }

 private:
  SqliteStore() = default;

  absl::Mutex mu_;
  std::unique_ptr<SQLite::Database> db_;  // used only with mu_ held (via a Txn)
  int schema_version_ = 0;
};

}  // namespace kneecoach
