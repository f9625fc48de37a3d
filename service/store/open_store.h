// Opening the store named by one spec string (the server's --store flag):
//   sqlite:PATH                a SQLite database file (created and migrated if needed)
//   sqlite::memory: / :memory: a SQLite database in memory (tests)
//   postgresql://... / postgres://...
//                              a PostgreSQL database (PostgresStore, libpq's connection URI;
//                              the password from a passfile or libpq's environment: see
//                              postgres_store.h), migrated if needed
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/store/postgres_store.h"
#include "service/store/sqlite_store.h"
#include "service/store/store.h"

namespace kneecoach {

// Settings of every backend; each reads its own part. The spec chooses the backend and
// its location (SqliteStoreOptions::path is taken from the spec).
struct StoreOptions {
  SqliteStoreOptions sqlite;
  // PostgresStoreOptions::conninfo is taken from the spec.
  PostgresStoreOptions postgres;
};

// The store named by `spec`, open and migrated. INVALID_ARGUMENT naming --store for a spec
// of no known scheme or without a location; otherwise the backend's own error.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(absl::string_view spec,
                                                 const StoreOptions& options = {});

// Options for one-off bulk work (kneecoach-admin migrate, kneecoach-seed), whose transactions
// may copy a whole table: PostgreSQL's bounds on waits (PostgresStoreOptions) are left as the
// site set them, off by default.
StoreOptions BulkStoreOptions();

// `spec` fit for a log line: a password in a postgresql:// URI ("user:secret@") is
// replaced by "***" (the docs never put one there, but an operator might).
std::string RedactStoreSpec(absl::string_view spec);

// The SQLite database path `spec` names ("sqlite:PATH" or ":memory:"), or "" if it names
// another backend.
std::string SqlitePathOf(absl::string_view spec);

}  // namespace kneecoach
