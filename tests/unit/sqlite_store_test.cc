#include "service/store/sqlite_store.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/store/migrations.h"

namespace kneecoach {
namespace {

std::unique_ptr<SqliteStore> OpenMemory() {
  SqliteStoreOptions options;
  options.path = ":memory:";
  auto store = SqliteStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

v1::Patient Patient(const std::string& name, const std::string& clinic) {
  v1::Patient p;
  p.set_name("patients/" + name);
  p.set_display_name(name);
  p.set_clinic(clinic);
  return p;
}

TEST(SqliteStore, MigratesToTheLatestSchema) {
  auto store = OpenMemory();
  EXPECT_EQ(store->schema_version(), Migrations().back().version);
}

TEST(SqliteStore, ReopeningAFileKeepsDataAndSchema) {
  const auto path = std::filesystem::temp_directory_path() / "kneecoach-store-reopen.db";
  std::filesystem::remove(path);
  {
    auto store = SqliteStore::Open({.path = path.string()});
    ASSERT_TRUE(store.ok());
    auto txn = (*store)->Begin(true);
    ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  auto store = SqliteStore::Open({.path = path.string()});
  ASSERT_TRUE(store.ok());
  auto txn = (*store)->Begin(false);
  auto patient = (*txn)->GetPatient("a");
  ASSERT_TRUE(patient.ok());
  EXPECT_EQ(patient->display_name(), "a");
  txn->reset();
  std::filesystem::remove(path);
}

TEST(SqliteStore, WriterPageStatsCountWhatACommitWrites) {
  const auto path = std::filesystem::temp_directory_path() / "kneecoach-store-pages.db";
  std::filesystem::remove(path);
  auto store = SqliteStore::Open({.path = path.string()});
  ASSERT_TRUE(store.ok());
  const SqliteStore::PageStats before = (*store)->writer_page_stats();
  {
    auto txn = (*store)->Begin(true);
    ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  const SqliteStore::PageStats after_insert = (*store)->writer_page_stats();
  // The table's leaf, its id index and its clinic index at least.
  EXPECT_GE(after_insert.writes - before.writes, 3);
  {
    auto txn = (*store)->Begin(true);  // reads on the writer connection
    ASSERT_TRUE((*txn)->GetPatient("a").ok());
  }
  const SqliteStore::PageStats after_read = (*store)->writer_page_stats();
  EXPECT_EQ(after_read.writes, after_insert.writes);
  EXPECT_GT(after_read.hits + after_read.misses, after_insert.hits + after_insert.misses);
  EXPECT_EQ(after_read.spills, 0);
  store->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

// Open files of this process whose path contains `part` (deleted ones too).
int OpenFilesNamed(const std::string& part) {
  int n = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(fd.path(), error);
    if (!error && target.string().find(part) != std::string::npos) ++n;
  }
  return n;
}

TEST(SqliteStore, ATxnsSavepointJournalStaysInMemory) {
  const auto path = std::filesystem::temp_directory_path() / "kneecoach-store-subjournal.db";
  std::filesystem::remove(path);
  auto store = SqliteStore::Open({.path = path.string()});
  ASSERT_TRUE(store.ok());
  // 64 patients of ~3 KB: about a page each.
  constexpr int kPatients = 64;
  {
    auto txn = (*store)->Begin(true);
    for (int i = 0; i < kPatients; ++i) {
      v1::Patient p = Patient("p" + std::to_string(i), "clinics/x");
      p.set_display_name(std::string(3000, 'a'));
      ASSERT_TRUE((*txn)->InsertPatient("p" + std::to_string(i), p).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // Rewriting them all puts ~256 KB of the pages' old contents in the savepoint's
  // sub-journal: past SQLite's 64 KiB, a temporary file ("etilqs_...", deleted at once but
  // held open) unless temp_store is MEMORY.
  auto txn = (*store)->Begin(true);
  for (int i = 0; i < kPatients; ++i) {
    v1::Patient p = Patient("p" + std::to_string(i), "clinics/x");
    p.set_display_name(std::string(3000, 'b'));
    ASSERT_TRUE((*txn)->UpdatePatient("p" + std::to_string(i), p).ok());
  }
  EXPECT_EQ(OpenFilesNamed("etilqs_"), 0);
  ASSERT_TRUE((*txn)->Commit().ok());
  txn->reset();
  store->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

TEST(SqliteStore, WriterStatsCountEveryHoldOfTheWriter) {
  const auto path = std::filesystem::temp_directory_path() / "kneecoach-store-held.db";
  std::filesystem::remove(path);
  auto opened = SqliteStore::Open({.path = path.string()});
  ASSERT_TRUE(opened.ok());
  SqliteStore* store = opened->get();
  const SqliteStore::WriterStats before = store->writer_stats();
  {
    auto txn = store->Begin(true);
    ASSERT_TRUE(txn.ok());
    absl::SleepFor(absl::Milliseconds(30));
    ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  {
    auto txn = store->Begin(true);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->GetPatient("a").ok());
  }
  const SqliteStore::WriterStats after = store->writer_stats();
  EXPECT_EQ(after.holds - before.holds, 2);
  EXPECT_GE(after.held - before.held, absl::Milliseconds(30));
  // Read Txns have connections of their own.
  {
    auto txn = store->Begin(false);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->GetPatient("a").ok());
  }
  EXPECT_EQ(store->writer_stats().holds, after.holds);
  opened->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

// A page of one program's sessions, check-ins or decisions reads that program's index
// entries and rows, not the tables: in a memory store reads go through the writer
// connection, whose page accesses writer_page_stats() counts.
TEST(SqliteStore, ProgramListsReadTheirProgramNotTheTable) {
  auto store = OpenMemory();
  constexpr int kPrograms = 400, kEach = 10;
  {
    auto txn = store->Begin(true);
    ASSERT_TRUE(txn.ok());
    for (int p = 0; p < kPrograms; ++p) {
      const std::string id = absl::StrCat("g", p);
      ASSERT_TRUE((*txn)->InsertPatient(id, Patient(id, "clinics/x")).ok());
      ASSERT_TRUE((*txn)->InsertProgram(id, id, v1::Program()).ok());
      for (int k = 0; k < kEach; ++k) {
        v1::Session s;
        s.set_local_date(absl::StrCat("2026-03-", 10 + k));
        s.set_message(std::string(200, 'm'));
        ASSERT_TRUE((*txn)->InsertSession(absl::StrCat(id, "-s", k), id, s).ok());
        v1::MorningCheckIn c;
        c.set_local_date(s.local_date());
        c.set_morning_pain(k % 10);
        ASSERT_TRUE((*txn)->InsertCheckIn(absl::StrCat(id, "-c", k), id, c).ok());
        v1::Decision d;
        d.set_state(k % 2 ? v1::DECISION_STATE_PROPOSED : v1::DECISION_STATE_APPLIED);
        d.set_clinician_reason(std::string(200, 'r'));
        ASSERT_TRUE((*txn)->InsertDecision(absl::StrCat(id, "-d", k), id, d).ok());
      }
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  const auto pages_read = [&](auto&& list) {
    const SqliteStore::PageStats before = store->writer_page_stats();
    {
      auto txn = store->Begin(false);
      EXPECT_TRUE(txn.ok());
      list(**txn);
    }
    const SqliteStore::PageStats after = store->writer_page_stats();
    return (after.hits + after.misses) - (before.hits + before.misses);
  };
  // The whole of each table is hundreds of pages (4,000 rows of 200+ bytes).
  const std::string program = absl::StrCat("g", kPrograms / 2);
  const int64_t sessions = pages_read([&](Txn& txn) {
    auto page = txn.ListSessions(program, {.limit = 5, .after = ""});
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->items.size(), 5u);
    EXPECT_EQ(page->items[0].local_date(), "2026-03-19");  // newest first
    auto next = txn.ListSessions(program, {.limit = 5, .after = page->next});
    ASSERT_TRUE(next.ok());
    ASSERT_EQ(next->items.size(), 5u);
    EXPECT_EQ(next->items[0].local_date(), "2026-03-14");
    EXPECT_EQ(next->next, "");
  });
  const int64_t check_ins = pages_read([&](Txn& txn) {
    auto page = txn.ListCheckIns(program, {.limit = 50, .after = ""});
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->items.size(), static_cast<size_t>(kEach));
  });
  const int64_t decisions = pages_read([&](Txn& txn) {
    auto all = txn.ListDecisions(program, v1::DECISION_STATE_UNSPECIFIED, {.limit = 50});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->items.size(), static_cast<size_t>(kEach));
    auto proposed = txn.ListDecisions(program, v1::DECISION_STATE_PROPOSED, {.limit = 50});
    ASSERT_TRUE(proposed.ok());
    EXPECT_EQ(proposed->items.size(), static_cast<size_t>(kEach / 2));
  });
  EXPECT_LT(sessions, 60);
  EXPECT_LT(check_ins, 40);
  EXPECT_LT(decisions, 60);
}

// Generic behaviour (transactions, lists, cursors, errors, erasure) is checked for every
// backend by the conformance suite, tests/store/store_conformance.cc; here only what is
// SQLite's own.

// An erasure's commit scrubs the WAL by itself (Store contract: no Scrub() to call): the
// deleted records survive neither in the database file (secure_delete) nor as old frames.
TEST(SqliteStore, CommittingAnErasureEmptiesTheWal) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-scrub-", ::getpid());
  std::filesystem::create_directories(dir);
  SqliteStoreOptions options;
  options.path = (dir / "kc.db").string();
  auto store = SqliteStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  const std::string secret = "Erasable-Name-7f3a";
  {
    auto txn = (*store)->Begin(true);
    ASSERT_TRUE(txn.ok());
    v1::Patient p = Patient("a", "clinics/x");
    p.set_display_name(secret);
    ASSERT_TRUE((*txn)->InsertPatient("a", p).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_GT(std::filesystem::file_size(options.path + "-wal"), 0u);
  {
    auto txn = (*store)->Begin(true);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->ErasePatient("a").ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_EQ(std::filesystem::file_size(options.path + "-wal"), 0u) << "frames left in the WAL";
  for (const std::string& file : {options.path, options.path + "-wal"}) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(secret), std::string::npos) << file;
  }
  // A Txn that erased nothing leaves the WAL to the checkpointer.
  {
    auto txn = (*store)->Begin(true);
    ASSERT_TRUE((*txn)->InsertPatient("b", Patient("b", "clinics/x")).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  EXPECT_GT(std::filesystem::file_size(options.path + "-wal"), 0u);
  store->reset();
  std::filesystem::remove_all(dir);
}

// Builds a database at schema version 6 holding one idempotency record under `scope`.
void MakeVersion6Database(const std::string& path, const std::string& scope) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (const Migration& m : Migrations()) {
    if (m.version > 6) break;
    db.exec(m.sql);
  }
  db.exec("PRAGMA user_version = 6");
  SQLite::Statement q(db, "INSERT INTO requests(scope, request_id, response) VALUES(?, 'r', 'x')");
  q.bind(1, scope);
  q.exec();
}

// InWrite looks a request up under its pre-migration-5 scope only while such records may
// remain: migration 7 notes once whether any does.
TEST(SqliteStore, KnowsWhetherRecordsOfUnscopedRequestsRemain) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-unscoped-", ::getpid());
  std::filesystem::create_directories(dir);
  const auto open = [](const std::string& path) {
    SqliteStoreOptions options;
    options.path = path;
    auto store = SqliteStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return *std::move(store);
  };
  const std::string old_rows = (dir / "old.db").string();
  MakeVersion6Database(old_rows, "ReportSession:programs/g");
  EXPECT_TRUE(open(old_rows)->MayHoldUnscopedRequests());
  EXPECT_TRUE(open(old_rows)->MayHoldUnscopedRequests());  // and at every later open
  const std::string scoped_rows = (dir / "scoped.db").string();
  MakeVersion6Database(scoped_rows, "clinics/north|users/u|ReportSession:programs/g");
  EXPECT_FALSE(open(scoped_rows)->MayHoldUnscopedRequests());
  EXPECT_FALSE(OpenMemory()->MayHoldUnscopedRequests());  // a new database
  std::filesystem::remove_all(dir);
}

TEST(SqliteStore, UnwritableDatabaseIsACleanError) {
  SqliteStoreOptions options;
  options.path = "/proc/kneecoach-cannot-exist/x.db";
  auto store = SqliteStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

}  // namespace
}  // namespace kneecoach
