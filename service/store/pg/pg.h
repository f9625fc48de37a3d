// A small RAII layer over libpq, for PostgresStore: one owned connection (PGconn), results
// freed on scope exit (PGresult), statements prepared once per connection by name and run
// with binary parameters and results, and libpq / server errors turned into absl::Status by
// their SQLSTATE. No libpqxx: it hides the raw connection (no pipeline mode, no
// PQbackendPID for tests) and throws where the rest of kneecoach returns statuses.
//
// Error messages: the status message is a plain sentence without SQL text, table or column
// names (it may reach a client); the server's own message and SQLSTATE go in the status's
// payload kPgDetailUrl, for the server's log.
//
// Thread safety: none. A Connection is used by one thread at a time (PostgresStore's pool
// hands it to one Txn).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace kneecoach::pg {

// Status payload holding the server's error text and SQLSTATE (never sent to clients).
inline constexpr absl::string_view kPgDetailUrl = "kneecoach.store/postgres-detail";

// The absl code for a SQLSTATE (five characters; "" for a connection-level failure):
// 40001 serialization_failure, 40P01 deadlock_detected -> ABORTED; 23505 unique_violation ->
// ALREADY_EXISTS; 23503 foreign_key_violation and other class 23 -> FAILED_PRECONDITION;
// class 08 (connection exception), 57P01..57P03 (admin shutdown, crash shutdown, cannot
// connect now) and "" -> UNAVAILABLE; 53100 disk_full, 53200 out_of_memory, 53300
// too_many_connections -> RESOURCE_EXHAUSTED (53300: UNAVAILABLE, a retry may succeed);
// 25006 read_only_sql_transaction -> FAILED_PRECONDITION; 57014 query_canceled ->
// DEADLINE_EXCEEDED; anything else INTERNAL.
absl::StatusCode CodeForSqlState(absl::string_view sqlstate);

// A status for a failure with `sqlstate`: a plain message by code, and `detail` (the
// server's text) in the kPgDetailUrl payload.
absl::Status ErrorForSqlState(absl::string_view sqlstate, absl::string_view detail);

// A parameter of a prepared statement, sent in binary format with its type.
class Param {
 public:
  static Param Text(absl::string_view s);          // text (Oid 25)
  static Param Bytes(absl::string_view s);         // bytea (Oid 17)
  static Param Int(int64_t v);                     // int8 (Oid 20)
  static Param Bool(bool v);                       // bool (Oid 16)
  Param(const std::string& s) : Param(Text(s)) {}  // NOLINT: text by default
  Param(const char* s) : Param(Text(s)) {}         // NOLINT
  Param(int64_t v) : Param(Int(v)) {}              // NOLINT

  unsigned int oid() const { return oid_; }
  const std::string& bytes() const { return bytes_; }

 private:
  Param(unsigned int oid, std::string bytes) : oid_(oid), bytes_(std::move(bytes)) {}
  unsigned int oid_;
  std::string bytes_;
};

// A query's result, freed when destroyed. Values are in binary format: text and bytea as
// their bytes, int8 as a big-endian 64-bit number, bool as one byte.
class Result {
 public:
  Result() = default;
  explicit Result(PGresult* result) : result_(result) {}
  Result(Result&&) noexcept = default;
  Result& operator=(Result&&) noexcept = default;

  int rows() const;
  // Rows changed by INSERT/UPDATE/DELETE (PQcmdTuples), 0 for others.
  int64_t affected() const;
  bool IsNull(int row, int column) const;
  std::string String(int row, int column) const;  // text or bytea
  int64_t Int(int row, int column) const;         // int8 (int4 and int2 too)
  bool Bool(int row, int column) const;

 private:
  struct Free {
    void operator()(PGresult* r) const;
  };
  std::unique_ptr<PGresult, Free> result_;
};

// A statement and its parameters, for Connection::RunAll.
struct Statement {
  std::string sql;
  std::vector<Param> params;
};

class Connection {
 public:
  // Connects with a libpq connection string or URI ("" : libpq's environment, PGHOST...).
  // Passwords come from the URI's passfile parameter, PGPASSFILE or ~/.pgpass, or
  // PGPASSWORD: never put them on a command line. UNAVAILABLE when the server cannot be
  // reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (no parameters, may hold several statements) with the simple protocol.
  absl::Status Exec(const std::string& sql);
  // Runs `sql`, prepared on this connection the first time it is used here (and again after
  // Reset()), with `params` in binary format, asking for binary results.
  absl::StatusOr<Result> Run(const std::string& sql, const std::vector<Param>& params = {});
  // Runs `statements` in order in one round trip to the server (libpq's pipeline mode), each
  // prepared as by Run. Returns their results, or the first failure: the statements after a
  // failed one are not run (the server skips them). Meant for a few small statements: the
  // connection stays blocking, so results must fit in the socket buffers while the
  // statements are sent.
  absl::StatusOr<std::vector<Result>> RunAll(const std::vector<Statement>& statements);

  // Whether the connection is up as far as libpq knows (a server that went away is only
  // noticed by the next statement).
  bool ok() const;  // false too after a pipeline left the session in an unknown state
  // Reconnects with the same parameters; forgets the prepared statements (the new
  // session has none).
  absl::Status Reset();
  // Whether the session is inside a transaction block (PQTRANS_INTRANS / INERROR).
  bool InTransaction() const;
  // The server process of this session (for tests: pg_terminate_backend).
  int backend_pid() const;
  // Statements prepared on this session since it (re)connected.
  int prepared_count() const { return static_cast<int>(prepared_.size()); }
  PGconn* raw() { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  // The status of a failed result (or of the connection if there is none).
  absl::Status Failure(PGresult* result) const;
  absl::StatusOr<std::string> Prepared(const std::string& sql, const std::vector<Param>& params);

  PGconn* conn_;
  bool broken_ = false;  // a pipeline could not be ended: Reset() before any further use
  std::unordered_map<std::string, std::string> prepared_;  // SQL text -> statement name
  int next_name_ = 0;
};

}  // namespace kneecoach::pg
