// kneecoach-layout-probe: what a durable report would cost in SQLite under other storage
// layouts than today's, to size the store redesign that the ReportSession target needs
// (docs/performance.md, "Pages per report"). On a scratch database it commits reports in
// batches (WAL, synchronous=FULL: one WAL sync per batch, as group commit does), one
// thread, and prints per report: wall and CPU microseconds, and pages written to the WAL.
//
//   kneecoach-layout-probe [--programs=100000] [--reports=20000] [--batch=64]
//
// Layouts, each adding one B-tree write to the one before:
//   append          one record (session, decisions, response, audit: --record_bytes) at
//                   the tail of an append-only table;
//   + program       and the program's state row (--state_bytes), read and rewritten, at a
//                   random place among --programs rows;
//   + request key   and the idempotency key (scope, request_id), at a random place among
//                   ten a program already stored.
// Today's store writes ten random B-tree leaves a report; the server's exit summary and
// scripts/bench.sh print its pages per commit.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "SQLiteCpp/SQLiteCpp.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "service/flags/usage.h"
#include "sqlite3.h"

ABSL_FLAG(std::string, db, "/tmp/kneecoach-layout-probe.db", "scratch database (replaced)");
ABSL_FLAG(int, programs, 100000, "program state rows");
ABSL_FLAG(int, reports, 20000, "reports per layout");
ABSL_FLAG(int, batch, 64, "reports per commit (one WAL sync each)");
ABSL_FLAG(int, record_bytes, 2400, "bytes appended per report");
ABSL_FLAG(int, state_bytes, 1300, "bytes of a program's state row");

namespace {

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int PagesWritten(SQLite::Database& db) {
  int current = 0, high = 0;
  sqlite3_db_status(db.getHandle(), SQLITE_DBSTATUS_CACHE_WRITE, &current, &high, 0);
  return current;
}

std::string RandomBytes(std::mt19937_64& rng, int n) {
  std::string s(n, ' ');
  for (char& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

void Run(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA cache_size = -32768");  // the server's writer cache
  db.exec("CREATE TABLE journal (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  db.exec("CREATE TABLE state (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  db.exec("CREATE TABLE requests (key TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID");

  std::mt19937_64 rng(20261121);
  const int programs = absl::GetFlag(FLAGS_programs);
  {
    SQLite::Transaction fill(db);
    SQLite::Statement insert(db, "INSERT INTO state (data) VALUES (?)");
    const std::string state = RandomBytes(rng, absl::GetFlag(FLAGS_state_bytes));
    for (int i = 0; i < programs; ++i) {
      insert.bind(1, state.data(), static_cast<int>(state.size()));
      insert.exec();
      insert.reset();
    }
    // The keys of earlier requests: as many as the seed's sessions (10 a program).
    SQLite::Statement key(db, "INSERT INTO requests (key, seq) VALUES (?, 0)");
    for (int i = 0; i < programs * 10; ++i) {
      key.bind(1, absl::StrCat("ReportSession:programs/p", rng() % programs, "/", rng()));
      key.exec();
      key.reset();
    }
    fill.commit();
  }
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");

  SQLite::Statement append(db, "INSERT INTO journal (data) VALUES (?)");
  SQLite::Statement read_state(db, "SELECT data FROM state WHERE seq = ?");
  SQLite::Statement write_state(db, "UPDATE state SET data = ? WHERE seq = ?");
  SQLite::Statement put_request(db, "INSERT INTO requests (key, seq) VALUES (?, ?)");
  const std::string record = RandomBytes(rng, absl::GetFlag(FLAGS_record_bytes));
  const int reports = absl::GetFlag(FLAGS_reports);
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));
  int64_t sent = 0;

  std::printf("%d reports per layout, %d per commit, %d programs; per report:\n", reports, batch,
              programs);
  std::printf("| layout                         | wall us | cpu us | pages written |\n");
  std::printf("|--------------------------------|---------|--------|---------------|\n");
  const char* names[] = {"append", "append + program", "append + program + request key"};
  for (int layout = 0; layout < 3; ++layout) {
    const int pages_before = PagesWritten(db);
    const double cpu_before = CpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    for (int done = 0; done < reports; done += batch) {
      db.exec("BEGIN");
      for (int i = 0; i < batch; ++i) {
        append.bind(1, record.data(), static_cast<int>(record.size()));
        append.exec();
        append.reset();
        if (layout >= 1) {
          const int64_t program = 1 + static_cast<int64_t>(rng() % programs);
          read_state.bind(1, program);
          std::string state = read_state.executeStep() ? read_state.getColumn(0).getString() : "";
          read_state.reset();
          if (!state.empty()) state[rng() % state.size()] ^= 1;  // a streak changed
          write_state.bind(1, state.data(), static_cast<int>(state.size()));
          write_state.bind(2, program);
          write_state.exec();
          write_state.reset();
        }
        if (layout >= 2) {
          put_request.bind(1,
                           absl::StrCat("ReportSession:programs/p", rng() % programs, "/", rng()));
          put_request.bind(2, ++sent);
          put_request.exec();
          put_request.reset();
        }
      }
      db.exec("COMMIT");
    }
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = CpuSeconds() - cpu_before;
    const int rounded = (reports + batch - 1) / batch * batch;
    std::printf("| %-30s | %7.1f | %6.1f | %13.2f |\n", names[layout], wall / rounded * 1e6,
                cpu / rounded * 1e6, (PagesWritten(db) - pages_before) / double(rounded));
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}

}  // namespace

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "What a durable report would cost in SQLite under other layouts; see "
                        "the file comment.\nUsage: kneecoach-layout-probe [flags]");
  const std::string path = absl::GetFlag(FLAGS_db);
  const auto remove = [&] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  };
  remove();
  try {
    Run(path);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kneecoach-layout-probe: %s\n", e.what());
    remove();
    return 1;
  }
  remove();
  return 0;
}
