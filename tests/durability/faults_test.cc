// Storage faults on a real filesystem: the real kneecoach-server on a tiny tmpfs that fills
// up, and on one remounted read-only. Each must give a clean status (or a clean refusal to
// start), never a crash, and leave a sound database. Mounting needs root (CI runs as root
// here); without it the tests skip and say why.
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "SQLiteCpp/Database.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/requests.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "tests/durability/server_process.h"

namespace kneecoach::testing {
namespace {

class TmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("kneecoach-tmpfs-", ::getpid(), "-", counter_++);
    std::filesystem::create_directories(dir_);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=2m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << std::strerror(errno);
    }
    mounted_ = true;
    db_ = (dir_ / "kneecoach.db").string();
  }

  void TearDown() override {
    server_.Stop(SIGKILL);
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<v1::SessionService::Stub> Stub() {
    return v1::SessionService::NewStub(
        grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status Report(v1::SessionService::Stub& stub, const std::string& id) {
    v1::ReportSessionResponse response;
    return ReportAs(stub, token_, 0, id, &response);
  }

  grpc::Status Today(v1::SessionService::Stub& stub) { return TodayAs(stub, token_, 0); }

  std::filesystem::path dir_;
  std::string db_;
  std::string token_;  // from BootstrapToken(db_)
  bool mounted_ = false;
  ServerProcess server_;
  static inline int counter_ = 0;
};

TEST_F(TmpfsTest, DiskFullIsResourceExhaustedAndTheServerKeepsServing) {
  ASSERT_EQ(Seed(db_, 1, 1), 0);
  token_ = BootstrapToken(db_);
  ASSERT_TRUE(server_.Start(db_)) << server_.output();
  auto stub = Stub();
  grpc::Status full;
  int stored = 0;
  for (int n = 0; n < 20000 && full.ok(); ++n) {
    full = Report(*stub, absl::StrCat("fill-", n));
    if (full.ok()) ++stored;
  }
  ASSERT_GT(stored, 0);
  EXPECT_EQ(full.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << full.error_message();
  EXPECT_TRUE(absl::StrContains(full.error_message(), "disk full")) << full.error_message();
  // Still up: reads work, and writes go on failing the same clean way. One may still fit
  // first where the failed batch of several did not (fewer pages); it is acknowledged
  // and must be stored like the others.
  EXPECT_TRUE(Today(*stub).ok());
  grpc::Status again;
  int fitted = 0;
  for (int n = 0; n < 100 && again.ok(); ++n) {
    again = Report(*stub, absl::StrCat("more-", n));
    if (again.ok()) ++fitted;
  }
  EXPECT_EQ(again.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << again.error_message();
  EXPECT_LT(fitted, 100);
  std::printf("disk full after %d reports; %d more fitted after it\n", stored, fitted);
  stored += fitted;
  EXPECT_EQ(server_.Stop(SIGTERM), 0) << "a clean exit after disk full";
  SQLite::Database db(db_, SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM requests WHERE scope LIKE '%ReportSession:%' "
                          "AND request_id NOT LIKE 'bench-r%'")  // not the seed's own
                .getInt(),
            stored)
      << "every acknowledged report is stored, and no failed one";
}

TEST_F(TmpfsTest, ReadOnlyDatabaseIsACleanError) {
  ASSERT_EQ(Seed(db_, 1, 1), 0);
  token_ = BootstrapToken(db_);
  ASSERT_EQ(::mount("tmpfs", dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0)
      << std::strerror(errno);
  const bool started = server_.Start(db_);
  std::printf("read-only database: %s\n",
              started ? "server serves reads" : server_.output().c_str());
  if (started) {
    // Serving a read-only database: reads work, writes are FAILED_PRECONDITION.
    auto stub = Stub();
    EXPECT_TRUE(Today(*stub).ok());
    EXPECT_EQ(Report(*stub, "ro-1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(server_.Stop(SIGTERM), 0);
  } else {
    // Or refusing to start, with the reason and exit code 1 (not a crash).
    const int status = server_.Wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    EXPECT_TRUE(absl::StrContains(server_.output(), "FAILED_PRECONDITION")) << server_.output();
    EXPECT_TRUE(absl::StrContains(server_.output(), "not writable")) << server_.output();
  }
}

}  // namespace
}  // namespace kneecoach::testing
