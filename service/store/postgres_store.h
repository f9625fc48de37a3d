// PostgreSQL implementation of Store (libpq through service/store/pg/pg.h), for several
// stateless server replicas on one database. Schema and its sharding by clinic:
// service/store/pg/schema.cc.
//
// Connections: a fixed pool per process (`connections`). A Txn takes one connection from
// the pool for its whole life and gives it back when it ends; a connection is never used by
// two threads at once. Begin() waits for a free connection, until the call's deadline at
// most (DEADLINE_EXCEEDED, nothing begun). Each connection prepares each
// statement once (by SQL text) and again after a reconnect; PostgreSQL chooses between
// custom and generic plans as usual. While the server cannot be reached, every statement
// returns UNAVAILABLE. synchronous_commit is on: a COMMIT that returned is on the server's
// disk.
//
// Round trips: a durable report is about fifteen statements, and on a small machine the cost of
// each round trip (two context switches on each side) is a large part of the whole. So they
// travel together, in libpq's pipeline mode (pg::Connection::RunAll), in 4 round trips:
//   1. BEGIN, with the Txn's first statement (the request's idempotency record);
//   2. the program and its patient, locked in one statement (GetProgram keeps the patient
//      for GetPatient);
//   3. what the engine reads (ReadProgramHistory: protocol, sessions, check-ins, alerts,
//      outcomes);
//   4. the writes held back (store.h, "Writes sent later": the session, decisions, alerts,
//      the program's update, the idempotency record, the audit entry), the no-op update of
//      the patient (Isolation, below), the change notifications and COMMIT.
// A held-back write goes with the Txn's next statement, whatever it is, so the Txn reads
// its own writes. One that fails makes the server skip the rest of the pipeline, COMMIT
// included: its error is that later call's, and nothing is kept. Only writes that cannot
// fail but for a taken id are held back in a Txn of one clinic: an insert under a record
// the Txn claimed (the parent is there), an update of a claimed record. A connection the
// server dropped (restart, pg_terminate_backend, network) is found by the Txn's first round
// trip, reconnected and that round trip sent again, so a replaced backend costs no request.
//
// Isolation, and why:
//   write Txns: REPEATABLE READ, and every clinic record a write Txn reads by id (a program,
//     patient, user, decision, alert) is claimed: locked as it is read (SELECT ... FOR NO
//     KEY UPDATE), and given a new version of the row by COMMIT at the latest (the Txn's
//     update of it, or else a no-op UPDATE sent with COMMIT: a row only locked would let a
//     Txn that read it before go on). SqliteStore runs one writer at a time, so every
//     use case was written against serial writes: read the program, its sessions, decide,
//     write. A second write Txn that reads the same record waits for the first, then fails
//     with SQLSTATE 40001 (its snapshot predates the new version; 40P01 for a deadlock),
//     which comes back as ABORTED: the write path (InWrite) runs the whole request again
//     with a fresh snapshot, and the idempotency record makes that safe. So writes to one
//     record are serial, as under SQLite, and writes to different records never wait for
//     each other. SERIALIZABLE was tried first and measured: its predicate locks are kept
//     per index page, so reports of different patients aborted each other (eight phones on
//     two replicas had requests fail after five attempts, tests/pg/replicas_test.cc).
//     Protocols and clinics (reference tables) are read without a claim.
//   read Txns: REPEATABLE READ, READ ONLY: one snapshot for the whole Txn (a list page and
//     the records it names agree), and a read-only transaction at that level never fails
//     with a serialization error.
//
// Clinics (store.h): a Txn of one clinic adds clinic_id = $n to every statement it sends,
// so each would reach one shard once the tables are distributed by clinic; an insert naming
// another clinic is FAILED_PRECONDITION, a record of another clinic NOT_FOUND. A Txn of
// every clinic (the server's own work) reads by id alone, and its inserts check that no
// clinic has the id yet. In a Txn begun with kClinicOfItsSecret, FindTokenBySecretHash and
// ConsumeEnrollmentCode narrow it to the clinic the reference table names.
//
// Idempotency: PutRequestResult claims (scope, request_id) with INSERT ... ON CONFLICT DO
// UPDATE SET digest = kneecoach_duplicate(...) (migration 2: it raises 23505, so a held-back
// claim never does nothing silently) in the request's own transaction. Two replicas racing with one
// request_id both miss it in GetStoredRequest; the first to commit wins, and the other's INSERT
// meets a row its snapshot cannot see, which PostgreSQL refuses with 40001 (ABORTED) at either
// level: its retry then finds the winner's response and replays it, so both answers are identical
// and one record is stored. A conflicting row the Txn can see (a caller that did not look first) is
// ALREADY_EXISTS, as in SqliteStore.
//
// Erasure (ErasePatient): the rows are deleted in the request's transaction and are gone
// for every later one at COMMIT. Their bytes are not: they stay in the table and index files
// until (auto)vacuum prunes them and later rows overwrite the space, in the WAL until its
// segments are recycled, and in base backups and the WAL archive for as long as those are
// kept. PostgreSQL has no secure delete, so the erasure's reach on disk is the operators'
// retention of WAL and backups (deploy/README.md, "Erasure and backups").
//
// Errors: as in store.h. An insert whose parent is missing (a session of an unknown program)
// is FAILED_PRECONDITION, a duplicate id ALREADY_EXISTS; sent at once, both leave the Txn
// usable (they are found with ON CONFLICT DO NOTHING and INSERT ... SELECT, not by a failed
// statement); held back, they fail their statement (the unique or foreign key). Any failed
// statement aborts PostgreSQL's transaction: every later call of the Txn and its Commit()
// return that failure. Status messages never hold SQL; the server's text is in the
// status payload pg::kPgDetailUrl.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/store/store.h"

namespace kneecoach {

namespace pg {
class Connection;
}
class ChangeListener;

struct PostgresStoreOptions {
  // A libpq connection URI or key=value string ("postgresql://host/db?..."). The password
  // comes from a passfile (passfile=... in the URI, PGPASSFILE, ~/.pgpass) or libpq's
  // environment (PGPASSWORD), never from a command line.
  std::string conninfo;
  // Connections in the pool: at most this many Txns run at once in this process.
  int connections = 8;
  // Bounds on waits inside PostgreSQL, set on each pooled connection whose own setting is
  // off (0, PostgreSQL's default): one the operator set (postgresql.conf, ALTER ROLE ... SET,
  // `options=-c lock_timeout=...` in the connection string) is kept. Whole milliseconds.
  //   lock_timeout: a statement that waits this long for a lock another transaction holds
  //     fails UNAVAILABLE (SQLSTATE 55P03). A write Txn holds its rows for milliseconds, so
  //     a wait this long means a stuck transaction; without the bound, writes to that
  //     record would take the pool's connections one by one and keep them.
  //   statement_timeout: a statement running this long is cancelled: DEADLINE_EXCEEDED
  //     (57014).
  //   idle_in_transaction_session_timeout: a transaction left idle this long (its process
  //     stopped or hung between two statements) is ended by PostgreSQL and its locks
  //     released; the connection is replaced when the pool next hands it out.
  absl::Duration lock_timeout = absl::Seconds(5);
  absl::Duration statement_timeout = absl::Seconds(30);
  absl::Duration idle_in_transaction_timeout = absl::Seconds(60);
};

class PostgresStore final : public Store {
 public:
  // Connects every pooled connection and migrates the schema (under an advisory lock).
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const PostgresStoreOptions& options);
  ~PostgresStore() override;

  using Store::Begin;
  // A Txn of one clinic filters every statement by it (store.h, "Clinics"). Waits for a
  // free connection until `wait_until` at most (store.h, "Waiting").
  absl::StatusOr<std::unique_ptr<Txn>> Begin(bool write, const std::string& clinic,
                                             absl::Time wait_until) override;

  // Changes other replicas commit, heard on a dedicated connection that LISTENs
  // (service/store/pg/change_feed.h); not current while that connection is down.
  void WatchChanges(std::function<void(const StoreChange&)> listener) override;
  bool ChangesCurrent() const override;
  // ANALYZE of every table that holds rows. An empty table is left unanalyzed: analyzed, it
  // is known to be empty, and the plans its statements get (kept by each connection) read
  // the whole table and sort it, however large it grows until autovacuum analyzes it again;
  // unanalyzed, the planner assumes it may hold rows and uses its indexes.
  absl::Status RefreshStatistics() override;

  int schema_version() const { return schema_version_; }

  // For tests and monitoring: the backend pid of each pooled connection (0 if down) and how
  // many times connections were re-established.
  std::vector<int> backend_pids();
  int64_t reconnects();

  // A pooled connection, held by one Txn at a time (internal).
  struct Slot;

 private:
  PostgresStore() = default;
  void Release(Slot* slot);
  // Re-establishes a pooled connection (its prepared statements are gone with the old one).
  absl::Status Reconnect(Slot* slot);

  int schema_version_ = 0;
  std::string conninfo_;
  // Run on each (re)connect, in one round trip: the session's settings and
  // PostgresStoreOptions' bounds on waits.
  std::string setup_;
  std::string origin_;
  std::unique_ptr<ChangeListener> listener_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<Slot*> free_ ABSL_GUARDED_BY(mu_);
  int64_t reconnects_ ABSL_GUARDED_BY(mu_) = 0;

  friend class PostgresTxn;
};

}  // namespace kneecoach
