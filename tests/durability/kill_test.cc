// Crash durability of the real kneecoach-server: many clients report sessions, the server
// is killed with SIGKILL mid-stream, and the database left behind must hold every
// acknowledged report, hold every other one wholly or not at all, and pass
// PRAGMA integrity_check. After the last crash every request is retried with its request
// id: each must come back OK (acknowledged ones with the same session), and nothing may be
// stored twice.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/requests.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "tests/durability/server_process.h"

namespace kneecoach::testing {
namespace {

constexpr int kPrograms = 16;
constexpr int kClients = 16;
constexpr int kRounds = 3;
// Small WAL thresholds, so that the kill also lands while checkpoints copy pages into the
// database file and while the WAL starts over.
constexpr int kCheckpointFrames = 20;
constexpr int kWalRestartFrames = 100;
const std::vector<std::string> kServerFlags = {
    absl::StrCat("--checkpoint_frames=", kCheckpointFrames),
    absl::StrCat("--wal_restart_frames=", kWalRestartFrames)};

struct Attempt {
  int program = 0;
  bool acknowledged = false;
  std::string session;  // when acknowledged
};

std::unique_ptr<v1::SessionService::Stub> Connect(const std::string& address, int n) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("kneecoach.test.connection", n);
  return v1::SessionService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// What a crash left on disk: (request id -> session name) of every stored report (the
// seed's own, "bench-*", left out), after checking that the database is sound and every
// stored report is whole.
std::map<std::string, std::string> InspectAfterCrash(const std::string& db_path) {
  std::map<std::string, std::string> stored;
  SQLite::Database db(db_path, SQLite::OPEN_READWRITE);  // runs WAL recovery
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  EXPECT_FALSE(SQLite::Statement(db, "PRAGMA foreign_key_check").executeStep())
      << "a row refers to nothing";
  std::set<std::string> sessions;
  SQLite::Statement s(db, "SELECT data FROM sessions WHERE id NOT LIKE 'bench-s%'");
  while (s.executeStep()) {
    v1::Session session;
    EXPECT_TRUE(session.ParseFromString(s.getColumn(0).getString()));
    EXPECT_TRUE(sessions.insert(session.name()).second) << session.name();
  }
  SQLite::Statement r(db,
                      "SELECT request_id, response FROM requests "
                      "WHERE scope LIKE '%ReportSession:%' AND request_id NOT LIKE 'bench-r%'");
  std::set<std::string> answered;
  while (r.executeStep()) {
    v1::ReportSessionResponse response;
    EXPECT_TRUE(response.ParseFromString(r.getColumn(1).getString()));
    const std::string name = response.session().name();
    // The idempotency record and the session it names were committed together.
    EXPECT_TRUE(sessions.count(name)) << "request without its session: " << name;
    EXPECT_TRUE(answered.insert(name).second) << "two requests, one session: " << name;
    stored[r.getColumn(0).getString()] = name;
  }
  for (const auto& name : sessions) {
    EXPECT_TRUE(answered.count(name)) << "session without its request record: " << name;
  }
  return stored;
}

// How many times the WAL at `path` started over since it was created: the checkpoint
// sequence number in its header.
uint32_t WalRestarts(const std::string& path) {
  std::ifstream wal(path, std::ios::binary);
  unsigned char header[16] = {};
  wal.read(reinterpret_cast<char*>(header), sizeof header);
  EXPECT_EQ(wal.gcount(), 16) << path;
  return uint32_t{header[12]} << 24 | uint32_t{header[13]} << 16 | uint32_t{header[14]} << 8 |
         uint32_t{header[15]};
}

TEST(Durability, AcknowledgedReportsSurviveSigkillAndRetriesNeverDuplicate) {
  const auto dir =
      std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-kill-", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "kneecoach.db").string();
  ASSERT_EQ(Seed(db, kPrograms, 1), 0);
  const std::string token = BootstrapToken(db);

  std::map<std::string, Attempt> attempts;  // by request id
  std::mt19937 rng(::getpid());
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    const auto db_bytes_before = std::filesystem::file_size(db);
    ServerProcess server;
    ASSERT_TRUE(server.Start(db, kServerFlags)) << server.output();
    std::mutex mu;
    std::atomic<int> acknowledged{0};
    std::atomic<int> rejected{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        auto stub = Connect(server.address(), c);
        for (int n = 0; !stop; ++n) {
          const std::string id = absl::StrCat("kill-", round, "-", c, "-", n);
          const int program = (c + n) % kPrograms;
          {
            std::lock_guard<std::mutex> lock(mu);
            attempts[id] = {program, false, ""};
          }
          v1::ReportSessionResponse response;
          const grpc::Status status = ReportAs(*stub, token, program, id, &response);
          if (status.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            attempts[id].acknowledged = true;
            attempts[id].session = response.session().name();
            ++acknowledged;
          } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                     status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                     status.error_code() == grpc::StatusCode::CANCELLED) {
            break;  // the server is gone; the request is unacknowledged
          } else {
            ADD_FAILURE() << id << ": " << status.error_code() << " " << status.error_message();
            ++rejected;
            break;
          }
        }
      });
    }
    // Kill at a random moment once reports are flowing.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (acknowledged < 100 && rejected == 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int>(0, 50000)(rng)));
    const int status = server.Stop(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    ASSERT_GE(acknowledged.load(), 100);
    // The crash came while the WAL was being checkpointed and started over: the database
    // file grew (only checkpoints write it while the server runs) and the WAL header
    // counts restarts (its checkpoint sequence number, bytes 12-15, big-endian).
    const auto db_bytes = std::filesystem::file_size(db);
    EXPECT_GT(db_bytes, db_bytes_before) << "no checkpoint copied anything";
    EXPECT_GE(WalRestarts(db + "-wal"), 1u) << "the WAL never started over";

    const std::map<std::string, std::string> stored = InspectAfterCrash(db);
    int lost = 0, unacknowledged_stored = 0, unacknowledged = 0;
    for (const auto& [id, a] : attempts) {
      auto it = stored.find(id);
      if (a.acknowledged) {
        if (it == stored.end() || it->second != a.session) ++lost;
      } else {
        ++unacknowledged;
        if (it != stored.end()) ++unacknowledged_stored;
      }
    }
    EXPECT_EQ(lost, 0) << "acknowledged reports missing after the crash";
    // Everything stored was attempted (nothing from nowhere).
    for (const auto& [id, name] : stored) EXPECT_TRUE(attempts.count(id)) << id;
    std::printf(
        "round %d: %d reports acknowledged; %d unacknowledged so far, %d of them "
        "stored whole, the rest absent\n",
        round, acknowledged.load(), unacknowledged, unacknowledged_stored);
  }

  // Retry every request ever sent, acknowledged or not, with its request id.
  ServerProcess server;
  ASSERT_TRUE(server.Start(db, kServerFlags)) << server.output();
  auto stub = Connect(server.address(), 0);
  for (const auto& [id, a] : attempts) {
    v1::ReportSessionResponse response;
    const grpc::Status status = ReportAs(*stub, token, a.program, id, &response);
    ASSERT_TRUE(status.ok()) << id << ": " << status.error_message();
    if (a.acknowledged) {
      EXPECT_EQ(response.session().name(), a.session) << id;
    }
  }
  ASSERT_EQ(server.Stop(SIGTERM), 0);
  const std::map<std::string, std::string> stored = InspectAfterCrash(db);
  EXPECT_EQ(stored.size(), attempts.size()) << "every request stored exactly once";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kneecoach::testing
