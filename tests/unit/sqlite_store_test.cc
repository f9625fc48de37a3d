#include "service/store/sqlite_store.h"

#include <filesystem>

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

TEST(SqliteStore, UncommittedTransactionLeavesNothing) {
  auto store = OpenMemory();
  {
    auto txn = store->Begin(true);
    ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
    ASSERT_TRUE((*txn)->PutRequestResult("CreatePatient", "r1", "response").ok());
  }  // dropped without Commit
  auto txn = store->Begin(false);
  EXPECT_EQ((*txn)->GetPatient("a").status().code(), absl::StatusCode::kNotFound);
  auto prior = (*txn)->GetRequestResult("CreatePatient", "r1");
  ASSERT_TRUE(prior.ok());
  EXPECT_FALSE(prior->has_value());
}

TEST(SqliteStore, RequestResultsAreScoped) {
  auto store = OpenMemory();
  auto txn = store->Begin(true);
  ASSERT_TRUE((*txn)->PutRequestResult("ReportSession:programs/a", "r1", "A").ok());
  ASSERT_TRUE((*txn)->PutRequestResult("ReportSession:programs/b", "r1", "B").ok());
  EXPECT_EQ(**(*txn)->GetRequestResult("ReportSession:programs/a", "r1"), "A");
  EXPECT_EQ(**(*txn)->GetRequestResult("ReportSession:programs/b", "r1"), "B");
  EXPECT_EQ((*txn)->PutRequestResult("ReportSession:programs/a", "r1", "again").code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(SqliteStore, KeysetPagesCoverEverythingOnceInOrder) {
  auto store = OpenMemory();
  auto txn = store->Begin(true);
  for (int i = 0; i < 7; ++i) {
    const std::string id = absl::StrCat("p", i);
    ASSERT_TRUE(
        (*txn)->InsertPatient(id, Patient(id, i % 2 ? "clinics/odd" : "clinics/even")).ok());
  }
  std::vector<std::string> seen;
  PageRequest page{.limit = 3, .after = ""};
  int pages = 0;
  do {
    auto result = (*txn)->ListPatients("", "", page);
    ASSERT_TRUE(result.ok());
    for (const auto& p : result->items) seen.push_back(p.display_name());
    page.after = result->next;
    ++pages;
  } while (!page.after.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}));

  auto odd = (*txn)->ListPatients("clinics/odd", "", {.limit = 10, .after = ""});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->items.size(), 3u);
  EXPECT_EQ(odd->next, "");
}

TEST(SqliteStore, ProgramIdsPageOldestFirst) {
  auto store = OpenMemory();
  auto txn = store->Begin(true);
  ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
  for (const char* id : {"g3", "g1", "g2", "g5", "g4"}) {
    ASSERT_TRUE((*txn)->InsertProgram(id, "a", v1::Program()).ok());
  }
  std::vector<std::string> seen;
  PageRequest page{.limit = 2, .after = ""};
  do {
    auto result = (*txn)->ListProgramIds(page);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_LE(result->items.size(), 2u);
    seen.insert(seen.end(), result->items.begin(), result->items.end());
    page.after = result->next;
  } while (!page.after.empty());
  // In the order they were stored, each once.
  EXPECT_EQ(seen, (std::vector<std::string>{"g3", "g1", "g2", "g5", "g4"}));
}

TEST(SqliteStore, NewestFirstListsAndDateWindows) {
  auto store = OpenMemory();
  auto txn = store->Begin(true);
  ASSERT_TRUE((*txn)->InsertPatient("a", Patient("a", "clinics/x")).ok());
  v1::Program program;
  ASSERT_TRUE((*txn)->InsertProgram("g", "a", program).ok());
  for (const char* date : {"2026-03-01", "2026-03-02", "2026-03-04"}) {
    v1::Session s;
    s.set_local_date(date);
    ASSERT_TRUE((*txn)->InsertSession(absl::StrCat("s", date), "g", s).ok());
  }
  auto newest = (*txn)->ListSessions("g", {.limit = 2, .after = ""});
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->items.size(), 2u);
  EXPECT_EQ(newest->items[0].local_date(), "2026-03-04");
  auto rest = (*txn)->ListSessions("g", {.limit = 2, .after = newest->next});
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].local_date(), "2026-03-01");

  auto since = (*txn)->SessionsSince("g", "2026-03-02");
  ASSERT_TRUE(since.ok());
  ASSERT_EQ(since->size(), 2u);
  EXPECT_EQ((*since)[0].local_date(), "2026-03-02");
}

TEST(SqliteStore, ForeignKeysAndNotFound) {
  auto store = OpenMemory();
  auto txn = store->Begin(true);
  v1::Program program;
  EXPECT_EQ((*txn)->InsertProgram("g", "no-such-patient", program).code(),
            absl::StatusCode::kFailedPrecondition);  // foreign key to nothing
  EXPECT_EQ((*txn)->GetProgram("g").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*txn)->UpdateProgram("g", program).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*txn)->GetDecision("d").status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteStore, UnwritableDatabaseIsACleanError) {
  SqliteStoreOptions options;
  options.path = "/proc/kneecoach-cannot-exist/x.db";
  auto store = SqliteStore::Open(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
}

}  // namespace
}  // namespace kneecoach
