// The server's store, chosen by --store (or --db), and page tokens that outlive the process:
// a token is sealed with a key kept in the database, so a restarted server (or another
// replica on the same store) continues the list, and a server on another database refuses
// it.
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bench/requests.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "tests/durability/server_process.h"

namespace kneecoach::testing {
namespace {

class StoreFlagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-store-flag-", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A seeded database (one program of 6 sessions) and a clinic admin's token for it.
  std::pair<std::string, std::string> SeededDatabase(const std::string& name) {
    const std::string db = (dir_ / name).string();
    EXPECT_EQ(Seed(db, 1, 6), 0);
    return {db, BootstrapToken(db)};
  }

  static grpc::Status ListSessions(const ServerProcess& server, const std::string& token,
                                   const std::string& page_token,
                                   v1::ListSessionsResponse* response) {
    auto stub = v1::SessionService::NewStub(
        grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    Prepare(context, token);
    v1::ListSessionsRequest request;
    request.set_program(bench::ProgramName(0));
    request.set_page_size(2);
    request.set_page_token(page_token);
    return stub->ListSessions(&context, request, response);
  }

  std::filesystem::path dir_;
};

TEST_F(StoreFlagTest, PageTokenOutlivesARestartAndIsRefusedByAnotherDatabase) {
  const auto [db, token] = SeededDatabase("a.db");
  ASSERT_FALSE(token.empty());
  v1::ListSessionsResponse first;
  {
    ServerProcess server;
    ASSERT_TRUE(server.Start(db)) << server.output();
    grpc::Status status = ListSessions(server, token, "", &first);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(first.sessions_size(), 2);
    ASSERT_FALSE(first.next_page_token().empty());
    server.Stop(SIGTERM);
  }
  {
    ServerProcess restarted;  // a new process: nothing of the first one's memory
    ASSERT_TRUE(restarted.Start(db)) << restarted.output();
    v1::ListSessionsResponse second;
    grpc::Status status = ListSessions(restarted, token, first.next_page_token(), &second);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(second.sessions_size(), 2);
    for (const auto& s : second.sessions()) {
      EXPECT_NE(s.name(), first.sessions(0).name());
      EXPECT_NE(s.name(), first.sessions(1).name());
    }
    // Altered in one character: refused, naming the field.
    std::string altered = first.next_page_token();
    altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
    v1::ListSessionsResponse refused;
    status = ListSessions(restarted, token, altered, &refused);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StrContains(status.error_message(), "page_token")) << status.error_message();
  }
  // Another database has another key.
  const auto [other_db, other_token] = SeededDatabase("b.db");
  ServerProcess other;
  ASSERT_TRUE(other.Start(other_db)) << other.output();
  v1::ListSessionsResponse refused;
  grpc::Status status = ListSessions(other, other_token, first.next_page_token(), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "page_token")) << status.error_message();
}

TEST_F(StoreFlagTest, StoreFlagOpensTheStoreAndDbStillWorks) {
  const std::string db = (dir_ / "flag.db").string();
  const std::string data_dir = absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR);
  std::string output;
  // --store=sqlite:PATH creates the database (the bootstrap command opens it and exits).
  EXPECT_EQ(RunProcess({KNEECOACH_SERVER_BIN, absl::StrCat("--store=sqlite:", db), data_dir,
                        "--bootstrap_admin=Dana Admin", "--bootstrap_clinic=north"},
                       &output),
            0)
      << output;
  EXPECT_TRUE(std::filesystem::exists(db));
  // --db=PATH is the same store: the clinic made above is there (a second admin joins it).
  output.clear();
  EXPECT_EQ(RunProcess({KNEECOACH_SERVER_BIN, absl::StrCat("--db=", db), data_dir,
                        "--bootstrap_admin=Dan Admin", "--bootstrap_clinic=north"},
                       &output),
            0)
      << output;
  // Both at once: refused before anything is opened.
  output.clear();
  EXPECT_EQ(RunProcess({KNEECOACH_SERVER_BIN, absl::StrCat("--db=", db),
                        absl::StrCat("--store=sqlite:", db), data_dir, "--listen=127.0.0.1:0"},
                       &output),
            2);
  EXPECT_TRUE(absl::StrContains(output, "--db and --store")) << output;
  // A store of no known kind names the flag.
  output.clear();
  EXPECT_EQ(
      RunProcess({KNEECOACH_SERVER_BIN, "--store=mysql://db/kc", data_dir, "--listen=127.0.0.1:0"},
                 &output),
      1);
  EXPECT_TRUE(absl::StrContains(output, "--store")) << output;
}

}  // namespace
}  // namespace kneecoach::testing
