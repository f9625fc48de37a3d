// PostgresStore's schema, as an ordered list of migrations (as migrations.h for SQLite).
// Migration N is applied in one transaction that also records N in schema_migrations, under
// an advisory lock, so that replicas starting together migrate once. Never edit a released
// migration; append a new one.
#pragma once

#include <vector>

namespace kneecoach::pg {

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& Migrations();

// The key of the advisory lock held while migrating (pg_advisory_xact_lock).
inline constexpr long long kMigrationLockKey = 0x6b6e6565636f6163;  // "kneecoac"

}  // namespace kneecoach::pg
