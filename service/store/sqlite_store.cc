#include "service/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "SQLiteCpp/Transaction.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/domain/errors.h"
#include "service/store/migrations.h"

namespace kneecoach {

// Prepared statements of one connection, by SQL text: preparing costs more than running
// most of kneecoach's queries. Used only by the Txn holding that connection.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db) : db_(db) {}
  // The statement for `sql`, reset and with no bindings. `read_only` (if set): whether the
  // statement leaves the database unchanged (sqlite3_stmt_readonly).
  SQLite::Statement& Get(const std::string& sql, bool* read_only = nullptr) {
    Entry& entry = statements_[sql];
    if (entry.stmt == nullptr) {
      entry.stmt = std::make_unique<SQLite::Statement>(db_, sql);
      // SQLiteCpp keeps its sqlite3_stmt private: ask SQLite about a second preparation,
      // once per connection and statement.
      sqlite3_stmt* probe = nullptr;
      if (sqlite3_prepare_v2(db_.getHandle(), sql.c_str(), -1, &probe, nullptr) == SQLITE_OK &&
          probe != nullptr) {
        entry.read_only = sqlite3_stmt_readonly(probe) != 0;
      }
      sqlite3_finalize(probe);
    } else {
      entry.stmt->tryReset();
      entry.stmt->clearBindings();
    }
    if (read_only != nullptr) *read_only = entry.read_only;
    return *entry.stmt;
  }

 private:
  struct Entry {
    std::unique_ptr<SQLite::Statement> stmt;
    bool read_only = false;  // unknown counts as writing
  };
  SQLite::Database& db_;
  std::unordered_map<std::string, Entry> statements_;
};

namespace {

using Value = std::variant<std::string, int64_t>;

// Maps a SQLite failure to the status code its caller can act on.
absl::Status FromSqlite(const SQLite::Exception& e) {
  const std::string what = absl::StrCat("database: ", e.what());
  switch (e.getErrorCode()) {
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(absl::StrCat(what, " (disk full)"));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      return absl::FailedPreconditionError(absl::StrCat(what, " (database not writable)"));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(what, " (busy; retry)"));
    case SQLITE_CONSTRAINT:
      if (e.getExtendedErrorCode() == SQLITE_CONSTRAINT_UNIQUE ||
          e.getExtendedErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(what);
      }
      return absl::FailedPreconditionError(what);  // e.g. a foreign key to nothing
    default:
      return absl::InternalError(what);
  }
}

// Runs a statement without results (BEGIN, COMMIT, SAVEPOINT...) from the cache: prepared
// once per connection, like every statement (SQLite::Transaction would prepare them on
// every Txn).
void Run(StatementCache& statements, const char* sql) {
  SQLite::Statement& stmt = statements.Get(sql);
  try {
    stmt.exec();
  } catch (const SQLite::Exception&) {
    stmt.tryReset();
    throw;
  }
  stmt.tryReset();
}

// Fixed names: savepoints belong to the connection, and the writer runs one Txn at a time.
constexpr const char* kSavepoint = "SAVEPOINT txn";
constexpr const char* kRelease = "RELEASE txn";
constexpr const char* kRollbackTo = "ROLLBACK TO txn";

void Bind(SQLite::Statement& stmt, const std::vector<Value>& values) {
  int index = 1;
  for (const Value& v : values) {
    if (const auto* s = std::get_if<std::string>(&v)) {
      stmt.bind(index++, *s);
    } else {
      stmt.bind(index++, static_cast<int64_t>(std::get<int64_t>(v)));
    }
  }
}

// A conjunction of SQL conditions with their bound values.
struct Where {
  std::string sql;
  std::vector<Value> values;
  void Add(const char* clause, Value v) {
    absl::StrAppend(&sql, sql.empty() ? "" : " AND ", clause);
    values.push_back(std::move(v));
  }
};

template <typename T>
absl::StatusOr<T> ParseRecord(const SQLite::Column& column, absl::string_view table) {
  T message;
  if (!message.ParseFromArray(column.getBlob(), column.getBytes())) {
    return absl::DataLossError(absl::StrCat("corrupt record in ", table));
  }
  return message;
}

// The connection a read Txn runs on, held from the Txn's start to its end: a read
// connection taken from the pool, or the writer (its lock held, no batch open).
struct Lease {
  StatementCache* statements = nullptr;
  // Gives the connection back; called once, after the transaction is closed.
  std::function<void()> release;
};

}  // namespace

// One SQLite transaction shared by consecutive write Txns, and its outcome.
struct WriteBatch {
  // Read and written only by the holder of the writer's lock:
  int members = 0;     // Txns that ran in it (committed or not)
  int committed = 0;   // of which released their savepoint with Commit()
  bool wrote = false;  // a committed Txn ran a statement that writes
  absl::Time start;    // BEGIN

  // Blocks until the batch is committed (OK, with its durability ticket) or has failed.
  std::pair<absl::Status, uint64_t> Wait() {
    mu.LockWhen(absl::Condition(&done));
    std::pair<absl::Status, uint64_t> outcome{status, ticket};
    mu.Unlock();
    return outcome;
  }
  void Finish(absl::Status s, uint64_t t) {
    absl::MutexLock lock(&mu);
    status = std::move(s);
    ticket = t;
    done = true;
  }

 private:
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  uint64_t ticket ABSL_GUARDED_BY(mu) = 0;
};

// The writer connection's lock and its open batch. Every path that takes the lock gives it
// back through Unlock(), which commits the open batch unless another thread is already
// waiting for the lock (that thread then continues the batch or commits it): so a batch
// never stays open with nobody left to commit it.
class WriteBatcher {
 public:
  WriteBatcher(SQLite::Database& db, StatementCache& statements, DurabilityBarrier& barrier,
               int max_txns, absl::Duration max_age)
      : db_(db),
        statements_(statements),
        barrier_(barrier),
        max_txns_(max_txns),
        max_age_(max_age) {}

  // Takes the writer. A thread counts as waiting from before it blocks until it holds
  // the lock, so a holder leaving never misses it.
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION(mu_) {
    waiting_.fetch_add(1);
    mu_.Lock();
    waiting_.fetch_sub(1);
    locked_at_ = absl::Now();
  }

  // Gives the writer back, first committing the open batch if nobody is waiting for the
  // writer, or the batch is full or old.
  void Unlock() ABSL_UNLOCK_FUNCTION(mu_) {
    if (batch_ != nullptr && (waiting_.load() == 0 || batch_->members >= max_txns_ ||
                              absl::Now() - batch_->start >= max_age_)) {
      CommitBatch();
    }
    held_ += absl::Now() - locked_at_;
    ++holds_;
    mu_.Unlock();
  }

  // How long the writer has been held in all, and how many times.
  SqliteStore::WriterStats held() {
    absl::MutexLock lock(&mu_);
    return {held_, holds_};
  }

  // The open batch, beginning one (BEGIN IMMEDIATE) if none is. Throws SQLite::Exception.
  std::shared_ptr<WriteBatch> Join() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (batch_ == nullptr) {
      // A transaction a failed ROLLBACK left behind (FailBatch) holds nothing anyone was
      // told about.
      if (sqlite3_get_autocommit(db_.getHandle()) == 0) Run(statements_, "ROLLBACK");
      Run(statements_, "BEGIN IMMEDIATE");
      batch_ = std::make_shared<WriteBatch>();
      batch_->start = absl::Now();
    }
    return batch_;
  }

  // Commits the open batch, if any, now (Scrub, a read on the writer connection).
  void CommitOpenBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (batch_ != nullptr) CommitBatch();
  }

  // After a statement failed with `cause`: if SQLite rolled the whole shared transaction
  // back (it may after SQLITE_FULL, IOERR, NOMEM, BUSY), fails the open batch with `cause`
  // and returns true.
  bool CheckRolledBack(const absl::Status& cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (batch_ == nullptr || sqlite3_get_autocommit(db_.getHandle()) == 0) return false;
    FailBatch(cause);
    return true;
  }

  // Rolls the open batch back (if SQLite has not already) and gives every Txn of it that
  // is still waiting `cause`. The next writer begins a fresh batch.
  void FailBatch(absl::Status cause) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (batch_ == nullptr) return;
    std::shared_ptr<WriteBatch> batch = std::move(batch_);
    batch_ = nullptr;
    if (sqlite3_get_autocommit(db_.getHandle()) == 0) {
      try {
        Run(statements_, "ROLLBACK");
      } catch (const SQLite::Exception&) {
        // Join() tries again before the next BEGIN.
      }
    }
    batch->Finish(std::move(cause), 0);
  }

  StatementCache& statements() { return statements_; }
  DurabilityBarrier& barrier() { return barrier_; }
  int waiting() const { return waiting_.load(); }

 private:
  void CommitBatch() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    try {
      Run(statements_, "COMMIT");
    } catch (const SQLite::Exception& e) {
      FailBatch(FromSqlite(e));
      return;
    }
    std::shared_ptr<WriteBatch> batch = std::move(batch_);
    batch_ = nullptr;
    // A batch that wrote nothing needs no sync of its own: what its Txns read was
    // committed earlier, up to the last ticket.
    const uint64_t ticket =
        batch->wrote ? barrier_.Committed(batch->committed) : barrier_.last_committed();
    batch->Finish(absl::OkStatus(), ticket);
  }

  SQLite::Database& db_;
  StatementCache& statements_;
  DurabilityBarrier& barrier_;
  const int max_txns_;
  const absl::Duration max_age_;
  absl::Mutex mu_;
  std::atomic<int> waiting_{0};
  std::shared_ptr<WriteBatch> batch_ ABSL_GUARDED_BY(mu_);
  absl::Time locked_at_ ABSL_GUARDED_BY(mu_);
  absl::Duration held_ ABSL_GUARDED_BY(mu_);
  int64_t holds_ ABSL_GUARDED_BY(mu_) = 0;
};

// Checkpoints the WAL into the database file from a thread and connection of its own, so
// that no commit holds the writer lock through a checkpoint's page copies and fsyncs. The
// writer's WAL hook wakes it once the WAL holds `frames` frames since the last checkpoint.
//
// A PASSIVE checkpoint never blocks the writer or readers, but it can only copy what no
// reader still needs, and SQLite starts the WAL over from its beginning only when a write
// transaction begins with every frame copied. Under steady writes that moment never
// comes: the WAL would grow by every page every commit writes, each write past its end
// making the file system allocate and zero new blocks. So once a passive checkpoint
// leaves `restart_frames` frames or more in the WAL, the checkpointer takes the writer
// (committing its open batch) and checkpoints in RESTART mode: it copies the rest and
// waits for readers of older snapshots to finish, and the next batch writes the WAL from
// its start again, over blocks already on disk. The writer waits for that copy and the
// database file's fsync, and for the readers at most `restart_wait`: a restart that a
// reader outlasts gives up, and the next is tried only once the WAL has doubled, so a long
// reader costs the writers a few waits, not one per checkpoint.
class Checkpointer {
 public:
  using Stats = SqliteStore::WalRestartStats;

  Checkpointer(std::unique_ptr<SQLite::Database> db, WriteBatcher& writer, int frames,
               int restart_frames, absl::Duration restart_wait)
      : db_(OpenWal(std::move(db), restart_wait)),
        writer_(writer),
        frames_(frames),
        restart_frames_(restart_frames),
        next_restart_(restart_frames),
        thread_([this] { Loop(); }) {}
  ~Checkpointer() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }

  // Called by SQLite on the writer's thread after each commit (sqlite3_wal_hook).
  static int OnCommit(void* self, sqlite3*, const char*, int frames) {
    auto* c = static_cast<Checkpointer*>(self);
    if (frames >= c->frames_) {
      absl::MutexLock lock(&c->mu_);
      c->wanted_ = true;
    }
    return SQLITE_OK;
  }

  Stats stats() {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

  // Runs `checkpoint` while no checkpoint of this thread runs: SQLite runs one checkpoint
  // at a time and fails any other at once with SQLITE_BUSY, busy handler or not. Callers
  // that also hold the writer take it first.
  template <typename Fn>
  int Exclusive(Fn&& checkpoint) {
    absl::MutexLock lock(&run_mu_);
    return checkpoint();
  }

 private:
  // A connection opens the WAL with its first read. Until then sqlite3_wal_checkpoint_v2
  // on it returns OK having done nothing (and a log size of -1). Its busy handler bounds
  // how long a restart waits for readers (passive checkpoints never wait).
  static std::unique_ptr<SQLite::Database> OpenWal(std::unique_ptr<SQLite::Database> db,
                                                   absl::Duration restart_wait) {
    db->exec("SELECT count(*) FROM sqlite_master");
    db->setBusyTimeout(static_cast<int>(absl::ToInt64Milliseconds(restart_wait)));
    return db;
  }

  void Loop() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Checkpointer* c) { return c->wanted_ || c->stop_; }, this));
        if (stop_) return;
        wanted_ = false;
      }
      // Failures (disk full, I/O errors) leave the WAL as it is; the next commit asks
      // again.
      int log_frames = 0;
      const int rc = Exclusive([&] {
        return sqlite3_wal_checkpoint_v2(db_->getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log_frames, nullptr);
      });
      if (rc != SQLITE_OK) continue;
      if (log_frames < last_log_frames_) {
        absl::MutexLock lock(&mu_);
        ++stats_.started_over;
      }
      last_log_frames_ = log_frames;
      if (log_frames < restart_frames_) {
        next_restart_ = restart_frames_;  // the WAL started over
      } else if (log_frames >= next_restart_) {
        next_restart_ = Restart() ? restart_frames_ : 2 * log_frames;
      }
    }
  }

  // True once the WAL will start over; false if a reader outlasted the wait (BUSY) or the
  // checkpoint failed (an I/O error, a full disk).
  bool Restart() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    writer_.Lock();
    const absl::Time start = absl::Now();
    writer_.CommitOpenBatch();
    const int rc = Exclusive([&] {
      return sqlite3_wal_checkpoint_v2(db_->getHandle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                       nullptr, nullptr);
    });
    const absl::Duration held = absl::Now() - start;
    writer_.Unlock();
    absl::MutexLock lock(&mu_);
    ++(rc == SQLITE_OK ? stats_.restarts : stats_.restarts_given_up);
    stats_.writer_held += held;
    stats_.max_writer_held = std::max(stats_.max_writer_held, held);
    return rc == SQLITE_OK;
  }

  std::unique_ptr<SQLite::Database> db_;
  WriteBatcher& writer_;
  const int frames_;
  const int restart_frames_;
  int next_restart_;         // WAL frames at which the next restart is tried (Loop's thread)
  int last_log_frames_ = 0;  // the WAL's frames at the last checkpoint (Loop's thread)
  absl::Mutex run_mu_;       // held by whoever runs a checkpoint on this store
  absl::Mutex mu_;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // last: starts once the members above exist
};

namespace {

// The seq a page starts after: 0 for "" (from the start); INVALID_ARGUMENT if `after` is
// not a cursor this store returned (Page::next is a decimal seq) or the limit is below 1.
absl::StatusOr<int64_t> PageStart(const PageRequest& page) {
  if (page.limit < 1) return absl::InvalidArgumentError("database: page limit below 1");
  const std::string& cursor = page.after;
  if (cursor.empty()) return 0;
  int64_t seq = 0;
  if (!absl::SimpleAtoi(cursor, &seq) || seq <= 0 || absl::StrCat(seq) != cursor) {
    return absl::InvalidArgumentError("database: not a page cursor of this store");
  }
  return seq;
}

// Steps `q` (seq in column 0; asked for limit + 1 rows, the last of which only tells that a
// next page exists) into a page of items made by `read` from each row.
template <typename T, typename Read>
absl::StatusOr<Page<T>> ReadPage(SQLite::Statement& q, int limit, Read&& read) {
  Page<T> result;
  int64_t last_seq = 0;
  while (q.executeStep()) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next = absl::StrCat(last_seq);
      break;
    }
    last_seq = q.getColumn(0).getInt64();
    absl::StatusOr<T> item = read(q);
    if (!item.ok()) return item.status();
    result.items.push_back(*std::move(item));
  }
  return result;
}

class SqliteTxn final : public Txn {
 public:
  // A read Txn: BEGIN DEFERRED on the leased connection.
  explicit SqliteTxn(Lease lease)
      : statements_(*lease.statements), release_(std::move(lease.release)) {
    try {
      Run(statements_, "BEGIN DEFERRED");
      open_ = true;
    } catch (...) {
      release_();
      throw;
    }
  }

  // A write Txn: a savepoint in the writer's open batch. `writer` is locked by the caller;
  // the Txn unlocks it when it ends (also if this throws). `scrub` runs after the Txn
  // committed an erasure.
  SqliteTxn(WriteBatcher& writer,
            std::function<absl::Status()> scrub) ABSL_NO_THREAD_SAFETY_ANALYSIS
      : statements_(writer.statements()),
        writer_(&writer),
        scrub_(std::move(scrub)) {
    try {
      batch_ = writer.Join();
      Run(statements_, kSavepoint);
    } catch (const SQLite::Exception& e) {
      writer.CheckRolledBack(FromSqlite(e));
      batch_ = nullptr;  // not a member: it ran nothing
      writer.Unlock();
      throw;
    }
    ++batch_->members;
    open_ = true;
  }

  ~SqliteTxn() override {
    if (writer_ != nullptr) {
      if (!ended_) EndWrite(/*commit=*/false).IgnoreError();
      return;
    }
    ResetStatements();
    if (open_) {
      try {
        Run(statements_, "ROLLBACK");
      } catch (const SQLite::Exception&) {
        // No transaction left to roll back.
      }
    }
    release_();
  }

  absl::StatusOr<std::optional<std::string>> GetRequestResult(
      absl::string_view scope, absl::string_view request_id) override {
    return Guard([&]() -> absl::StatusOr<std::optional<std::string>> {
      SQLite::Statement& q =
          Prepare("SELECT response FROM requests WHERE scope = ? AND request_id = ?");
      Bind(q, {std::string(scope), std::string(request_id)});
      if (!q.executeStep()) return std::optional<std::string>();
      const SQLite::Column c = q.getColumn(0);
      return std::optional<std::string>(
          std::string(static_cast<const char*>(c.getBlob()), c.getBytes()));
    });
  }

  absl::StatusOr<std::optional<StoredRequest>> GetStoredRequest(
      absl::string_view scope, absl::string_view request_id) override {
    return Guard([&]() -> absl::StatusOr<std::optional<StoredRequest>> {
      SQLite::Statement& q =
          Prepare("SELECT response, digest FROM requests WHERE scope = ? AND request_id = ?");
      Bind(q, {std::string(scope), std::string(request_id)});
      if (!q.executeStep()) return std::optional<StoredRequest>();
      const SQLite::Column c = q.getColumn(0);
      return std::optional<StoredRequest>(
          StoredRequest{std::string(static_cast<const char*>(c.getBlob()), c.getBytes()),
                        q.getColumn(1).getString()});
    });
  }

  absl::Status PutRequestResult(absl::string_view scope, absl::string_view request_id,
                                const std::string& response, absl::string_view digest) override {
    return Guard([&]() -> absl::Status {
      SQLite::Statement& q =
          Prepare("INSERT INTO requests(scope, request_id, response, digest) VALUES(?,?,?,?)");
      Bind(q, {std::string(scope), std::string(request_id)});
      q.bind(3, response.data(), static_cast<int>(response.size()));
      q.bind(4, std::string(digest));
      q.exec();
      return absl::OkStatus();
    });
  }

  absl::StatusOr<std::string> GetOrPutSecret(const std::string& name,
                                             const std::string& value) override {
    return Guard([&]() -> absl::StatusOr<std::string> {
      if (writer_ != nullptr) {
        SQLite::Statement& put =
            Prepare("INSERT INTO secrets(name, value) VALUES(?, ?) ON CONFLICT(name) DO NOTHING");
        put.bind(1, name);
        put.bind(2, value.data(), static_cast<int>(value.size()));
        put.exec();
      }
      SQLite::Statement& q = Prepare("SELECT value FROM secrets WHERE name = ?");
      q.bind(1, name);
      if (!q.executeStep()) return NotFound("secret", name);
      const SQLite::Column c = q.getColumn(0);
      return std::string(static_cast<const char*>(c.getBlob()), c.getBytes());
    });
  }

  absl::Status InsertPatient(const std::string& id, const v1::Patient& p) override {
    return Insert("patients", {{"clinic", p.clinic()}}, id, p);
  }
  absl::Status UpdatePatient(const std::string& id, const v1::Patient& p) override {
    return Update("patients", "patient", id, p, {});
  }
  absl::StatusOr<v1::Patient> GetPatient(const std::string& id) override {
    return Get<v1::Patient>("patients", "patient", id);
  }
  absl::StatusOr<Page<v1::Patient>> ListPatients(const std::string& clinic,
                                                 const std::string& physiotherapist_id,
                                                 PageRequest page) override {
    Where where;
    if (!clinic.empty()) where.Add("clinic = ?", clinic);
    if (!physiotherapist_id.empty()) {
      where.Add("id IN (SELECT patient_id FROM assignments WHERE user_id = ?)", physiotherapist_id);
    }
    return List<v1::Patient>("patients", where.sql, where.values, false, page);
  }

  absl::Status InsertProgram(const std::string& id, const std::string& patient_id,
                             const v1::Program& p) override {
    return Insert("programs", {{"patient_id", patient_id}}, id, p);
  }
  absl::Status UpdateProgram(const std::string& id, const v1::Program& p) override {
    return Update("programs", "program", id, p, {});
  }
  absl::StatusOr<v1::Program> GetProgram(const std::string& id) override {
    return Get<v1::Program>("programs", "program", id);
  }
  absl::StatusOr<Page<v1::Program>> ListPrograms(const std::string& patient_id,
                                                 PageRequest page) override {
    return patient_id.empty()
               ? List<v1::Program>("programs", "", {}, true, page)
               : List<v1::Program>("programs", "patient_id = ?", {patient_id}, true, page);
  }
  absl::StatusOr<Page<v1::Program>> ListClinicPrograms(const std::string& clinic,
                                                       const std::string& physiotherapist_id,
                                                       PageRequest page) override {
    Where where;
    where.Add("patient_id IN (SELECT id FROM patients WHERE clinic = ?)", clinic);
    if (!physiotherapist_id.empty()) {
      where.Add("patient_id IN (SELECT patient_id FROM assignments WHERE user_id = ?)",
                physiotherapist_id);
    }
    return List<v1::Program>("programs", where.sql, where.values, true, page);
  }
  absl::StatusOr<Page<std::string>> ListProgramIds(PageRequest page) override {
    return Guard([&]() -> absl::StatusOr<Page<std::string>> {
      auto after = PageStart(page);
      if (!after.ok()) return after.status();
      SQLite::Statement& q =
          Prepare("SELECT seq, id FROM programs WHERE seq > ? ORDER BY seq LIMIT ?");
      Bind(q, {*after, int64_t{page.limit} + 1});
      return ReadPage<std::string>(q, page.limit, [](SQLite::Statement& row) {
        return absl::StatusOr<std::string>(row.getColumn(1).getString());
      });
    });
  }

  absl::Status InsertSession(const std::string& id, const std::string& program_id,
                             const v1::Session& s) override {
    return Insert("sessions", {{"program_id", program_id}, {"local_date", s.local_date()}}, id, s);
  }
  absl::StatusOr<Page<v1::Session>> ListSessions(const std::string& program_id,
                                                 PageRequest page) override {
    return List<v1::Session>("sessions", "program_id = ?", {program_id}, true, page);
  }
  absl::StatusOr<std::vector<v1::Session>> SessionsSince(const std::string& program_id,
                                                         const std::string& from) override {
    return Since<v1::Session>("sessions", program_id, from);
  }

  absl::Status InsertCheckIn(const std::string& id, const std::string& program_id,
                             const v1::MorningCheckIn& c) override {
    return Insert("check_ins", {{"program_id", program_id}, {"local_date", c.local_date()}}, id, c);
  }
  absl::StatusOr<Page<v1::MorningCheckIn>> ListCheckIns(const std::string& program_id,
                                                        PageRequest page) override {
    return List<v1::MorningCheckIn>("check_ins", "program_id = ?", {program_id}, true, page);
  }
  absl::StatusOr<std::vector<v1::MorningCheckIn>> CheckInsSince(const std::string& program_id,
                                                                const std::string& from) override {
    return Since<v1::MorningCheckIn>("check_ins", program_id, from);
  }

  absl::Status InsertOutcome(const std::string& id, const std::string& program_id,
                             const v1::Outcome& o) override {
    return Insert("outcomes", {{"program_id", program_id}, {"kind", int64_t{o.kind()}}}, id, o);
  }
  absl::StatusOr<Page<v1::Outcome>> ListOutcomes(const std::string& program_id,
                                                 v1::OutcomeKind kind, PageRequest page) override {
    Where where;
    where.Add("program_id = ?", program_id);
    if (kind != v1::OUTCOME_KIND_UNSPECIFIED) where.Add("kind = ?", int64_t{kind});
    return List<v1::Outcome>("outcomes", where.sql, where.values, true, page);
  }

  absl::Status InsertDecision(const std::string& id, const std::string& program_id,
                              const v1::Decision& d) override {
    return Insert("decisions", {{"program_id", program_id}, {"state", int64_t{d.state()}}}, id, d);
  }
  absl::Status UpdateDecision(const std::string& id, const v1::Decision& d) override {
    return Update("decisions", "decision", id, d, {{"state", int64_t{d.state()}}});
  }
  absl::StatusOr<v1::Decision> GetDecision(const std::string& id) override {
    return Get<v1::Decision>("decisions", "decision", id);
  }
  absl::StatusOr<Page<v1::Decision>> ListDecisions(const std::string& program_id,
                                                   v1::DecisionState state,
                                                   PageRequest page) override {
    if (state == v1::DECISION_STATE_UNSPECIFIED) {
      return List<v1::Decision>("decisions", "program_id = ?", {program_id}, true, page);
    }
    return List<v1::Decision>("decisions", "program_id = ? AND state = ?",
                              {program_id, int64_t{state}}, true, page);
  }

  absl::Status InsertAlert(const std::string& id, const std::string& program_id,
                           const std::string& patient_id, const std::string& clinic,
                           const v1::Alert& a) override {
    return Insert("alerts",
                  {{"program_id", program_id},
                   {"patient_id", patient_id},
                   {"clinic", clinic},
                   {"acknowledged", int64_t{a.acknowledged()}}},
                  id, a);
  }
  absl::Status UpdateAlert(const std::string& id, const v1::Alert& a) override {
    return Update("alerts", "alert", id, a, {{"acknowledged", int64_t{a.acknowledged()}}});
  }
  absl::StatusOr<v1::Alert> GetAlert(const std::string& id) override {
    return Get<v1::Alert>("alerts", "alert", id);
  }
  absl::StatusOr<Page<v1::Alert>> ListAlerts(const AlertFilter& f, PageRequest page) override {
    Where where;
    if (!f.program_id.empty()) where.Add("program_id = ?", f.program_id);
    if (!f.clinic.empty()) where.Add("clinic = ?", f.clinic);
    if (!f.physiotherapist_id.empty()) {
      where.Add("patient_id IN (SELECT patient_id FROM assignments WHERE user_id = ?)",
                f.physiotherapist_id);
    }
    if (f.unacknowledged_only) where.Add("acknowledged = ?", int64_t{0});
    return List<v1::Alert>("alerts", where.sql, where.values, true, page);
  }

  absl::Status PutProtocol(const std::string& id, const v1::Protocol& p) override {
    return Guard([&]() -> absl::Status {
      SQLite::Statement& q = Prepare(
          "INSERT INTO protocols(id, data) VALUES(?, ?) "
          "ON CONFLICT(id) DO UPDATE SET data = excluded.data");
      const std::string data = p.SerializeAsString();
      q.bind(1, id);
      q.bind(2, data.data(), static_cast<int>(data.size()));
      q.exec();
      return absl::OkStatus();
    });
  }
  absl::StatusOr<v1::Protocol> GetProtocol(const std::string& id) override {
    return Get<v1::Protocol>("protocols", "protocol", id);
  }
  absl::StatusOr<Page<v1::Protocol>> ListProtocols(PageRequest page) override {
    return List<v1::Protocol>("protocols", "", {}, false, page);
  }

  absl::Status InsertClinic(const std::string& id, const v1::Clinic& c) override {
    return Insert("clinics", {}, id, c);
  }
  absl::StatusOr<v1::Clinic> GetClinic(const std::string& id) override {
    return Get<v1::Clinic>("clinics", "clinic", id);
  }
  absl::Status InsertUser(const std::string& id, const std::string& patient_id,
                          const v1::User& u) override {
    return Insert("users", {{"clinic", u.clinic()}, {"patient_id", patient_id}}, id, u);
  }
  absl::Status UpdateUser(const std::string& id, const v1::User& u) override {
    return Update("users", "user", id, u, {});
  }
  absl::StatusOr<v1::User> GetUser(const std::string& id) override {
    return Get<v1::User>("users", "user", id);
  }
  absl::StatusOr<Page<v1::User>> ListUsers(const std::string& clinic, PageRequest page) override {
    return List<v1::User>("users", "clinic = ?", {clinic}, false, page);
  }
  absl::StatusOr<std::optional<v1::User>> FindPatientUser(const std::string& patient_id) override {
    return FindOne<v1::User>("SELECT data FROM users WHERE patient_id = ?", {patient_id}, "users");
  }
  absl::Status InsertToken(const std::string& id, const std::string& user_id,
                           const std::string& secret_hash, const v1::Token& t,
                           const std::string& parent_id) override {
    return Insert("tokens",
                  {{"user_id", user_id}, {"secret_hash", secret_hash}, {"parent_id", parent_id}},
                  id, t);
  }
  absl::StatusOr<std::vector<TokenRecord>> ListChildTokens(const std::string& parent_id) override {
    return Guard([&]() -> absl::StatusOr<std::vector<TokenRecord>> {
      SQLite::Statement& q =
          Prepare("SELECT id, user_id, data, parent_id FROM tokens WHERE parent_id = ?");
      q.bind(1, parent_id);
      std::vector<TokenRecord> children;
      while (q.executeStep()) {
        auto token = ParseRecord<v1::Token>(q.getColumn(2), "tokens");
        if (!token.ok()) return token.status();
        children.push_back(TokenRecord{q.getColumn(0).getString(), q.getColumn(1).getString(),
                                       *std::move(token), q.getColumn(3).getString()});
      }
      return children;
    });
  }
  absl::Status UpdateToken(const std::string& id, const v1::Token& t) override {
    return Update("tokens", "token", id, t, {});
  }
  absl::StatusOr<TokenRecord> GetToken(const std::string& id) override {
    auto found = FindTokenRecord("id = ?", id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return NotFound("token", id);
    return **std::move(found);
  }
  absl::StatusOr<std::optional<TokenRecord>> FindTokenBySecretHash(
      const std::string& secret_hash) override {
    return FindTokenRecord("secret_hash = ?", secret_hash);
  }
  absl::StatusOr<Page<v1::Token>> ListTokens(const std::string& user_id,
                                             PageRequest page) override {
    return List<v1::Token>("tokens", "user_id = ?", {user_id}, true, page);
  }
  absl::Status InsertEnrollmentCode(const std::string& code_hash, const std::string& patient_id,
                                    int64_t expire_unix_seconds) override {
    return Exec("INSERT INTO enrollment_codes(code_hash, patient_id, expire_unix) VALUES(?,?,?)",
                {code_hash, patient_id, expire_unix_seconds});
  }
  absl::StatusOr<std::optional<std::string>> ConsumeEnrollmentCode(
      const std::string& code_hash, int64_t now_unix_seconds) override {
    return Guard([&]() -> absl::StatusOr<std::optional<std::string>> {
      SQLite::Statement& q = Prepare(
          "UPDATE enrollment_codes SET used = 1 WHERE code_hash = ? AND used = 0 "
          "AND expire_unix > ? RETURNING patient_id");
      Bind(q, {code_hash, now_unix_seconds});
      if (!q.executeStep()) return std::optional<std::string>();
      return std::optional<std::string>(q.getColumn(0).getString());
    });
  }
  absl::Status SetAssignments(const std::string& patient_id,
                              const std::vector<std::string>& user_ids) override {
    if (absl::Status s = Exec("DELETE FROM assignments WHERE patient_id = ?", {patient_id});
        !s.ok()) {
      return s;
    }
    for (const std::string& user_id : user_ids) {
      if (absl::Status s =
              Exec("INSERT OR IGNORE INTO assignments(patient_id, user_id) VALUES(?,?)",
                   {patient_id, user_id});
          !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<bool> IsAssigned(const std::string& patient_id,
                                  const std::string& user_id) override {
    return Guard([&]() -> absl::StatusOr<bool> {
      SQLite::Statement& q =
          Prepare("SELECT 1 FROM assignments WHERE patient_id = ? AND user_id = ?");
      Bind(q, {patient_id, user_id});
      return q.executeStep();
    });
  }
  absl::Status InsertAudit(const std::string& id, const std::string& clinic,
                           const std::string& patient_id, const v1::AuditEntry& e) override {
    return Insert("audit", {{"clinic", clinic}, {"patient_id", patient_id}}, id, e);
  }
  absl::StatusOr<Page<v1::AuditEntry>> ListAudit(const std::string& clinic,
                                                 PageRequest page) override {
    return List<v1::AuditEntry>("audit", "clinic = ?", {clinic}, true, page);
  }
  absl::Status ErasePatient(const std::string& patient_id) override {
    static constexpr const char* kStatements[] = {
        // Stored responses of earlier requests mention the patient or their programs.
        "DELETE FROM requests WHERE instr(response, 'patients/' || ?1) > 0",
        ("DELETE FROM requests WHERE EXISTS (SELECT 1 FROM programs p WHERE p.patient_id = ?1 "
         "AND instr(requests.response, 'programs/' || p.id) > 0)"),
        // And the patient's own user: responses naming it or its tokens (a device's label),
        // and the requests it made (its name is in their key).
        ("DELETE FROM requests WHERE EXISTS (SELECT 1 FROM users u WHERE u.patient_id = ?1 "
         "AND (instr(requests.response, 'users/' || u.id) > 0 "
         "OR instr(requests.scope, 'users/' || u.id) > 0))"),
        // Audit entries of what the patient's user did or had done to it (its tokens).
        ("DELETE FROM audit WHERE EXISTS (SELECT 1 FROM users u WHERE u.patient_id = ?1 "
         "AND instr(audit.data, 'users/' || u.id) > 0)"),
        "DELETE FROM sessions WHERE program_id IN (SELECT id FROM programs WHERE patient_id = ?1)",
        "DELETE FROM check_ins WHERE program_id IN (SELECT id FROM programs WHERE patient_id = ?1)",
        "DELETE FROM outcomes WHERE program_id IN (SELECT id FROM programs WHERE patient_id = ?1)",
        "DELETE FROM decisions WHERE program_id IN (SELECT id FROM programs WHERE patient_id = ?1)",
        "DELETE FROM alerts WHERE program_id IN (SELECT id FROM programs WHERE patient_id = ?1)",
        "DELETE FROM programs WHERE patient_id = ?1",
        "DELETE FROM assignments WHERE patient_id = ?1",
        "DELETE FROM enrollment_codes WHERE patient_id = ?1",
        "DELETE FROM tokens WHERE user_id IN (SELECT id FROM users WHERE patient_id = ?1)",
        "DELETE FROM users WHERE patient_id = ?1",
        "DELETE FROM audit WHERE patient_id = ?1",
        "DELETE FROM patients WHERE id = ?1",
    };
    for (const char* sql : kStatements) {
      if (absl::Status s = Exec(sql, {patient_id}); !s.ok()) return s;
    }
    erased_ = true;
    return absl::OkStatus();
  }

  // Ends the Txn: no method may be called after it.
  absl::Status Commit() override {
    if (writer_ != nullptr) {
      if (ended_) return UsedAfterEnd();
      absl::Status committed = EndWrite(/*commit=*/true);
      // The erasure is durable either way; a scrub that fails (a reader holding an old
      // snapshot, a full disk) leaves the old frames to the next checkpoint's overwrite.
      if (committed.ok() && erased_ && scrub_) scrub_().IgnoreError();
      return committed;
    }
    // A read Txn.
    return Guard([&]() -> absl::Status {
      ResetStatements();
      Run(statements_, "COMMIT");
      open_ = false;
      ended_ = true;
      return absl::OkStatus();
    });
  }

 private:
  absl::Status Exec(const char* sql, const std::vector<Value>& values) {
    return Guard([&]() -> absl::Status {
      SQLite::Statement& q = Prepare(sql);
      Bind(q, values);
      q.exec();
      return absl::OkStatus();
    });
  }

  template <typename T>
  absl::StatusOr<std::optional<T>> FindOne(const char* sql, const std::vector<Value>& values,
                                           absl::string_view table) {
    return Guard([&]() -> absl::StatusOr<std::optional<T>> {
      SQLite::Statement& q = Prepare(sql);
      Bind(q, values);
      if (!q.executeStep()) return std::optional<T>();
      auto record = ParseRecord<T>(q.getColumn(0), table);
      if (!record.ok()) return record.status();
      return std::optional<T>(*std::move(record));
    });
  }

  absl::StatusOr<std::optional<TokenRecord>> FindTokenRecord(const char* where,
                                                             const std::string& value) {
    return Guard([&]() -> absl::StatusOr<std::optional<TokenRecord>> {
      SQLite::Statement& q =
          Prepare(absl::StrCat("SELECT id, user_id, data, parent_id FROM tokens WHERE ", where));
      q.bind(1, value);
      if (!q.executeStep()) return std::optional<TokenRecord>();
      auto token = ParseRecord<v1::Token>(q.getColumn(2), "tokens");
      if (!token.ok()) return token.status();
      return std::optional<TokenRecord>(TokenRecord{q.getColumn(0).getString(),
                                                    q.getColumn(1).getString(), *std::move(token),
                                                    q.getColumn(3).getString()});
    });
  }

  absl::Status Insert(const char* table, const std::vector<std::pair<const char*, Value>>& columns,
                      const std::string& id, const google::protobuf::Message& record) {
    return Guard([&]() -> absl::Status {
      std::string names = "id";
      std::string marks = "?";
      std::vector<Value> values = {id};
      for (const auto& [name, value] : columns) {
        absl::StrAppend(&names, ", ", name);
        absl::StrAppend(&marks, ", ?");
        values.push_back(value);
      }
      SQLite::Statement& q = Prepare(
          absl::StrCat("INSERT INTO ", table, "(", names, ", data) VALUES(", marks, ", ?)"));
      Bind(q, values);
      const std::string data = record.SerializeAsString();
      q.bind(static_cast<int>(values.size()) + 1, data.data(), static_cast<int>(data.size()));
      q.exec();
      return absl::OkStatus();
    });
  }

  absl::Status Update(const char* table, const char* kind, const std::string& id,
                      const google::protobuf::Message& record,
                      const std::vector<std::pair<const char*, Value>>& columns) {
    return Guard([&]() -> absl::Status {
      std::string sets = "data = ?";
      std::vector<Value> values;
      for (const auto& [name, value] : columns) {
        absl::StrAppend(&sets, ", ", name, " = ?");
        values.push_back(value);
      }
      values.push_back(id);
      SQLite::Statement& q =
          Prepare(absl::StrCat("UPDATE ", table, " SET ", sets, " WHERE id = ?"));
      const std::string data = record.SerializeAsString();
      q.bind(1, data.data(), static_cast<int>(data.size()));
      int index = 2;
      for (const Value& v : values) {
        if (const auto* s = std::get_if<std::string>(&v)) {
          q.bind(index++, *s);
        } else {
          q.bind(index++, static_cast<int64_t>(std::get<int64_t>(v)));
        }
      }
      if (q.exec() == 0) return NotFound(kind, id);
      return absl::OkStatus();
    });
  }

  template <typename T>
  absl::StatusOr<T> Get(const char* table, const char* kind, const std::string& id) {
    return Guard([&]() -> absl::StatusOr<T> {
      SQLite::Statement& q = Prepare(absl::StrCat("SELECT data FROM ", table, " WHERE id = ?"));
      q.bind(1, id);
      if (!q.executeStep()) return NotFound(kind, id);
      return ParseRecord<T>(q.getColumn(0), table);
    });
  }

  // Keyset page over `table` filtered by `where`, ordered by seq.
  template <typename T>
  absl::StatusOr<Page<T>> List(const char* table, const std::string& where,
                               const std::vector<Value>& values, bool newest_first,
                               PageRequest page) {
    return Guard([&]() -> absl::StatusOr<Page<T>> {
      auto after = PageStart(page);
      if (!after.ok()) return after.status();
      std::string clause = where;
      std::vector<Value> binds = values;
      if (*after > 0) {
        absl::StrAppend(&clause, clause.empty() ? "" : " AND ",
                        newest_first ? "seq < ?" : "seq > ?");
        binds.push_back(*after);
      }
      SQLite::Statement& q = Prepare(
          absl::StrCat("SELECT seq, data FROM ", table, clause.empty() ? "" : " WHERE ", clause,
                       " ORDER BY seq ", newest_first ? "DESC" : "ASC", " LIMIT ?"));
      binds.push_back(int64_t{page.limit} + 1);  // one more tells whether a next page exists
      Bind(q, binds);
      return ReadPage<T>(q, page.limit, [table](SQLite::Statement& row) {
        return ParseRecord<T>(row.getColumn(1), table);
      });
    });
  }

  template <typename T>
  absl::StatusOr<std::vector<T>> Since(const char* table, const std::string& program_id,
                                       const std::string& from_date) {
    return Guard([&]() -> absl::StatusOr<std::vector<T>> {
      SQLite::Statement& q = Prepare(absl::StrCat("SELECT data FROM ", table,
                                                  " WHERE program_id = ? AND local_date >= ?"
                                                  " ORDER BY local_date, seq"));
      Bind(q, {program_id, from_date});
      std::vector<T> out;
      while (q.executeStep()) {
        auto record = ParseRecord<T>(q.getColumn(0), table);
        if (!record.ok()) return record.status();
        out.push_back(*std::move(record));
      }
      return out;
    });
  }

  // Runs `fn`, turning SQLite exceptions into statuses. In a write Txn, a failure after
  // which SQLite rolled back the whole shared transaction fails the batch, and every later
  // call of this Txn returns that failure (its statements would otherwise run outside any
  // transaction).
  template <typename Fn>
  ABSL_NO_THREAD_SAFETY_ANALYSIS auto Guard(Fn&& fn) -> decltype(fn()) {
    if (ended_) return UsedAfterEnd();
    if (!lost_.ok()) return lost_;
    try {
      return fn();
    } catch (const SQLite::Exception& e) {
      absl::Status status = FromSqlite(e);
      if (writer_ != nullptr && open_ && writer_->CheckRolledBack(status)) {
        lost_ = status;
        open_ = false;
      }
      return status;
    }
  }

  // A cached statement for `sql` (reset when the Txn ends, so that no statement keeps a
  // read snapshot open between Txns).
  SQLite::Statement& Prepare(const std::string& sql) {
    bool read_only = false;
    SQLite::Statement& stmt = statements_.Get(sql, &read_only);
    used_.push_back(&stmt);
    if (!read_only) writes_ = true;
    return stmt;
  }

  void ResetStatements() {
    for (SQLite::Statement* stmt : used_) stmt->tryReset();
    used_.clear();
  }

  // A write Txn no longer holds the writer after Commit(): its statements would race the
  // next Txn's, outside any batch. A read Txn has closed its snapshot.
  static absl::Status UsedAfterEnd() {
    return absl::FailedPreconditionError("database: Txn used after Commit()");
  }

  // Ends a write Txn: releases its savepoint (commit) or rolls back to it, gives the writer
  // back, and waits for the batch's outcome. Commit: OK once the batch is committed and
  // durable, else the batch's failure. Not committed: returns once everything this Txn
  // could have read is durable (earlier Txns of its batch, and earlier batches).
  absl::Status EndWrite(bool commit) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    ended_ = true;
    ResetStatements();
    absl::Status own = lost_;  // this Txn's failure, if it has one
    if (open_) {
      open_ = false;
      try {
        if (commit) {
          Run(statements_, kRelease);
          ++batch_->committed;
          if (writes_) batch_->wrote = true;
        } else {
          Run(statements_, kRollbackTo);
          Run(statements_, kRelease);
        }
      } catch (const SQLite::Exception& e) {
        // This Txn's savepoint is neither cleanly kept nor cleanly undone: the batch cannot
        // commit without being half this Txn.
        own = FromSqlite(e);
        writer_->FailBatch(own);
      }
    }
    DurabilityBarrier& barrier = writer_->barrier();
    const uint64_t seen = barrier.last_committed();
    std::shared_ptr<WriteBatch> batch = std::move(batch_);
    writer_->Unlock();
    auto [status, ticket] = batch->Wait();
    if (own.ok() && status.ok()) {
      absl::Status durable = barrier.WaitDurable(ticket);
      return commit ? durable : absl::OkStatus();
    }
    // What this Txn read of its batch is gone; what it read before must still be durable.
    if (seen > 0) barrier.WaitDurable(seen).IgnoreError();
    return own.ok() ? status : own;
  }

  StatementCache& statements_;
  // Read Txns: gives the connection back.
  std::function<void()> release_;
  // Write Txns: the writer (locked from the Txn's start to its end) and the batch.
  WriteBatcher* writer_ = nullptr;
  std::shared_ptr<WriteBatch> batch_;
  std::function<absl::Status()> scrub_;
  bool erased_ = false;  // write: ErasePatient ran
  bool open_ = false;    // read: BEGIN ran; write: the savepoint is open
  bool ended_ = false;   // write: EndWrite ran; read: Commit() ran
  bool writes_ = false;  // ran a statement that is not read-only
  absl::Status lost_;    // write: SQLite rolled the batch back under this Txn
  std::vector<SQLite::Statement*> used_;
};

// Opens the WAL for the group-commit barrier and makes the WAL file and its directory
// entry durable once (later syncs need only fdatasync of the file).
absl::StatusOr<int> OpenWalForSync(const std::string& db_path) {
  const std::string wal = db_path + "-wal";
  const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("database: cannot open ", wal, ": ", std::strerror(errno)));
  }
  const std::filesystem::path parent = std::filesystem::path(db_path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = ::fdatasync(fd) == 0 && dir_fd >= 0 && ::fsync(dir_fd) == 0;
  const int error = errno;
  if (dir_fd >= 0) ::close(dir_fd);
  if (!synced) {
    ::close(fd);
    return absl::InternalError(
        absl::StrCat("database: cannot sync ", wal, ": ", std::strerror(error)));
  }
  return fd;
}

absl::Status Migrate(SQLite::Database& db, int& version) {
  version = db.execAndGet("PRAGMA user_version").getInt();
  for (const Migration& m : Migrations()) {
    if (m.version <= version) continue;
    SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec(m.sql);
    db.exec(absl::StrCat("PRAGMA user_version = ", m.version));
    txn.commit();
    version = m.version;
  }
  return absl::OkStatus();
}

// Health data: the database file is the owner's alone (0600, whatever the umask; SQLite gives
// its WAL and SHM the same mode), and directories made for it are 0700. Best effort: where
// it cannot (a read-only file system), SQLite's own open says what is wrong.
void CreatePrivately(const std::string& path) {
  std::vector<std::filesystem::path> missing;
  for (auto dir = std::filesystem::path(path).parent_path();
       !dir.empty() && !std::filesystem::exists(dir); dir = dir.parent_path()) {
    missing.push_back(dir);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), S_IRWXU) == 0) ::chmod(it->c_str(), S_IRWXU);
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) return;
  ::fchmod(fd, S_IRUSR | S_IWUSR);
  ::close(fd);
}

}  // namespace

SqliteStore::~SqliteStore() {
  if (db_ != nullptr) sqlite3_wal_hook(db_->getHandle(), nullptr, nullptr);
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  std::unique_ptr<SqliteStore> store(new SqliteStore());
  try {
    if (options.path != ":memory:") {
      CreatePrivately(options.path);
    }
    store->db_ = std::make_unique<SQLite::Database>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX,
        options.busy_timeout_ms);
    SQLite::Database& db = *store->db_;
    const bool in_memory = options.path == ":memory:";
    const bool group_commit = options.group_commit && !in_memory;
    db.exec("PRAGMA journal_mode = WAL");
    if (!in_memory) {
      // SQLite gives the WAL and SHM the database file's mode; these may predate it.
      for (const char* suffix : {"-wal", "-shm"}) {
        ::chmod(absl::StrCat(options.path, suffix).c_str(), S_IRUSR | S_IWUSR);
      }
    }
    db.exec(group_commit ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec(absl::StrCat("PRAGMA cache_size = -", options.writer_cache_kib));
    // Deleted records are overwritten, not left in free pages: erasure means erasure.
    db.exec("PRAGMA secure_delete = ON");
    // Each write Txn is a savepoint, and SQLite keeps the pages a savepoint changes (their
    // contents before) in a sub-journal. Past 64 KiB the sub-journal spills to a temporary
    // file, and once spilled it stays a file: every later Txn then wrote as many pages to
    // it as to the WAL. In memory it is emptied at each Txn's end, so it holds one Txn's
    // pages at most.
    db.exec("PRAGMA temp_store = MEMORY");
    absl::Status migrated = Migrate(db, store->schema_version_);
    if (!migrated.ok()) return migrated;
    store->unscoped_requests_ =
        db.execAndGet("SELECT value FROM facts WHERE name = 'unscoped_requests'").getInt() != 0;
    int wal_fd = -1;
    if (group_commit) {
      auto fd = OpenWalForSync(options.path);
      if (!fd.ok()) return fd.status();
      wal_fd = *fd;
    }
    store->barrier_ = std::make_unique<DurabilityBarrier>(wal_fd);
    store->writer_statements_ = std::make_unique<StatementCache>(db);
    store->writer_ = std::make_unique<WriteBatcher>(
        db, *store->writer_statements_, *store->barrier_, std::max(options.max_batch_txns, 1),
        absl::Microseconds(options.max_batch_age_us));
    if (group_commit) {
      // Checkpoints move off the writer's path (Checkpointer above).
      db.exec("PRAGMA wal_autocheckpoint = 0");
      store->checkpointer_ = std::make_unique<Checkpointer>(
          std::make_unique<SQLite::Database>(options.path, SQLite::OPEN_READWRITE,
                                             options.busy_timeout_ms),
          *store->writer_, options.checkpoint_frames,
          std::max(options.wal_restart_frames, options.checkpoint_frames),
          absl::Milliseconds(std::max(options.wal_restart_wait_ms, 0)));
      sqlite3_wal_hook(db.getHandle(), &Checkpointer::OnCommit, store->checkpointer_.get());
    }
    const int readers = in_memory ? 0 : options.read_connections;
    absl::MutexLock lock(&store->read_mu_);
    for (int i = 0; i < readers; ++i) {
      auto reader = std::make_unique<SQLite::Database>(
          options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, options.busy_timeout_ms);
      reader->exec("PRAGMA query_only = ON");
      reader->exec(absl::StrCat("PRAGMA cache_size = -", options.reader_cache_kib));
      store->reader_statements_.push_back(std::make_unique<StatementCache>(*reader));
      store->readers_.push_back(std::move(reader));
      store->free_.push_back(i);
    }
  } catch (const SQLite::Exception& e) {
    return FromSqlite(e);
  }
  return store;
}

int SqliteStore::writers_waiting() const { return writer_->waiting(); }

SqliteStore::PageStats SqliteStore::writer_page_stats() {
  writer_->Lock();
  PageStats stats;
  const auto get = [&](int op) {
    int current = 0, high = 0;
    sqlite3_db_status(db_->getHandle(), op, &current, &high, /*resetFlg=*/0);
    return static_cast<int64_t>(current);
  };
  stats.hits = get(SQLITE_DBSTATUS_CACHE_HIT);
  stats.misses = get(SQLITE_DBSTATUS_CACHE_MISS);
  stats.writes = get(SQLITE_DBSTATUS_CACHE_WRITE);
  stats.spills = get(SQLITE_DBSTATUS_CACHE_SPILL);
  writer_->Unlock();
  return stats;
}

SqliteStore::WriterStats SqliteStore::writer_stats() { return writer_->held(); }

SqliteStore::WalRestartStats SqliteStore::wal_restart_stats() {
  return checkpointer_ != nullptr ? checkpointer_->stats() : WalRestartStats{};
}

absl::Status SqliteStore::Scrub() {
  writer_->Lock();
  // The checkpoint must include every acknowledged commit; an open batch's Txns get their
  // outcome now rather than after the checkpoint.
  writer_->CommitOpenBatch();
  // Not PRAGMA wal_checkpoint: it reports a checkpoint that could not run (SQLITE_BUSY) as
  // a result row, not as an error.
  const auto truncate = [this] {
    return sqlite3_wal_checkpoint_v2(db_->getHandle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                     nullptr);
  };
  const int rc = checkpointer_ != nullptr ? checkpointer_->Exclusive(truncate) : truncate();
  absl::Status status;
  if (rc != SQLITE_OK) status = FromSqlite(SQLite::Exception(db_->getHandle(), rc));
  writer_->Unlock();
  return status;
}

// A write Txn holds the writer's lock until it ends.
absl::StatusOr<std::unique_ptr<Txn>> SqliteStore::Begin(bool write, const std::string& /*clinic*/,
                                                        absl::Time /*wait_until*/)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  try {
    if (write) {
      writer_->Lock();
      // Unlocks when it ends.
      return std::unique_ptr<Txn>(new SqliteTxn(*writer_, [this] { return Scrub(); }));
    }
    Lease lease;
    if (readers_.empty()) {
      // Reads share the writer connection (":memory:"): they see committed batches only,
      // so the open one commits first.
      writer_->Lock();
      writer_->CommitOpenBatch();
      lease.statements = writer_statements_.get();
      lease.release = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { writer_->Unlock(); };
    } else {
      read_mu_.LockWhen(absl::Condition(
          +[](std::vector<int>* free) { return !free->empty(); }, &free_));
      const int index = free_.back();
      free_.pop_back();
      read_mu_.Unlock();
      lease.statements = reader_statements_[index].get();
      lease.release = [this, index] {
        absl::MutexLock lock(&read_mu_);
        free_.push_back(index);
      };
    }
    return std::unique_ptr<Txn>(new SqliteTxn(std::move(lease)));
  } catch (const SQLite::Exception& e) {
    return FromSqlite(e);
  }
}

}  // namespace kneecoach
