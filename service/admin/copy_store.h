// Moving a clinic group's records from a SQLite database into another store (PostgreSQL):
// `kneecoach-admin migrate --from=sqlite:PATH --to=postgresql://...`.
//
// Every row of every table of the SQLite database is read in insertion order and written
// through the target's Store interface in one write transaction, so that the target is
// filled wholly or not at all and keeps each list's order. Secrets move as their hashes
// (tokens and enrollment codes stay valid). Afterwards every row is read back from the
// target through the Store interface, and per table the row count and a SHA-256 over the
// rows in a canonical form must equal the source's.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/store/store.h"

namespace kneecoach {

// A table's count and checksum (hex SHA-256 over its rows in canonical form, sorted).
struct TableSummary {
  std::string table;
  int64_t rows = 0;
  std::string checksum;
  friend bool operator==(const TableSummary&, const TableSummary&) = default;
};

struct CopyReport {
  std::vector<TableSummary> source;  // read from the SQLite file
  std::vector<TableSummary> target;  // read back from the target through the Store
};

// Copies the SQLite database at `sqlite_path` (opened read-only; it is not changed) into
// `target`, which must hold no clinic, user, patient or program (FAILED_PRECONDITION
// otherwise; the protocols a server seeds at start are replaced by the source's). Then
// verifies: DATA_LOSS naming the table when a count or checksum differs. `progress` gets a
// line now and then.
absl::StatusOr<CopyReport> CopySqliteToStore(
    const std::string& sqlite_path, Store& target,
    const std::function<void(const std::string&)>& progress = {});

}  // namespace kneecoach
