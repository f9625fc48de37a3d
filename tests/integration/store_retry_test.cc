// The write path retries a transaction the store aborted (Store contract: ABORTED keeps
// nothing and may be run again), through the real server over a fault-injecting store.
#include <memory>
#include <string>

#include "SQLiteCpp/Database.h"
#include "SQLiteCpp/Statement.h"
#include "service/core/retry.h"
#include "tests/integration/server_fixture.h"
#include "tests/store/faulty_store.h"

namespace kneecoach::testing {
namespace {

class StoreRetryTest : public ServerTest {
 protected:
  StoreRetryTest() {
    wrap_store_ = [this](std::unique_ptr<Store> inner) -> std::unique_ptr<Store> {
      auto faulty = std::make_unique<FaultyStore>(std::move(inner));
      faulty_ = faulty.get();
      return faulty;
    };
  }

  // Idempotency records stored under `request_id`, read from the database file itself.
  int RequestRecords(const std::string& request_id) {
    SQLite::Database db((dir_ / "kneecoach.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT count(*) FROM requests WHERE request_id = ?");
    q.bind(1, request_id);
    q.executeStep();
    return q.getColumn(0).getInt();
  }

  std::vector<std::string> Sessions(const v1::Program& program) {
    v1::ListSessionsRequest request;
    request.set_program(program.name());
    v1::ListSessionsResponse response;
    grpc::Status status =
        Call(*sessions_, &v1::SessionService::Stub::ListSessions, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> names;
    for (const auto& s : response.sessions()) names.push_back(s.name());
    return names;
  }

  grpc::Status Report(const v1::ReportSessionRequest& request, v1::ReportSessionResponse* out) {
    return Call(*sessions_, &v1::SessionService::Stub::ReportSession, request, out);
  }

  FaultyStore* faulty_ = nullptr;
};

TEST_F(StoreRetryTest, AbortedCommitIsRetriedAndTheReportIsStoredOnce) {
  ASSERT_NE(faulty_, nullptr);
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest request = ReportAll(Today(program), 2, 1, "retry-commit");
  const int commits = faulty_->calls("Commit");
  faulty_->FailAt("Commit", 1, AbortedFault());
  v1::ReportSessionResponse first;
  grpc::Status status = Report(request, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(faulty_->injected(), 1);
  EXPECT_EQ(faulty_->calls("Commit") - commits, 2);  // the aborted attempt and the retry
  EXPECT_THAT(Sessions(program), ::testing::ElementsAre(first.session().name()));
  EXPECT_EQ(RequestRecords("retry-commit"), 1);
  // The phone's own retry is answered from the one record: nothing is stored twice.
  v1::ReportSessionResponse again;
  status = Report(request, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.session().name(), first.session().name());
  EXPECT_EQ(Sessions(program).size(), 1u);
  EXPECT_EQ(RequestRecords("retry-commit"), 1);
}

TEST_F(StoreRetryTest, AbortedStatementIsRetriedFromTheStart) {
  ASSERT_NE(faulty_, nullptr);
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest request = ReportAll(Today(program), 2, 1, "retry-statement");
  const int lookups = faulty_->calls("GetStoredRequest");
  faulty_->FailAt("InsertSession", 1, AbortedFault());
  v1::ReportSessionResponse response;
  grpc::Status status = Report(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(faulty_->injected(), 1);
  // Each attempt looked for a stored response first (the whole Txn ran again).
  EXPECT_EQ(faulty_->calls("GetStoredRequest") - lookups, 2);
  EXPECT_EQ(Sessions(program).size(), 1u);
  EXPECT_EQ(RequestRecords("retry-statement"), 1);
}

TEST_F(StoreRetryTest, AfterItsBoundTheWritePathReturnsAbortedAndStoresNothing) {
  ASSERT_NE(faulty_, nullptr);
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest request = ReportAll(Today(program), 2, 1, "retry-bound");
  const int commits = faulty_->calls("Commit");
  faulty_->FailAt("Commit", 1, AbortedFault(), kAlways);
  v1::ReportSessionResponse response;
  grpc::Status status = Report(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << status.error_message();
  EXPECT_THAT(status.error_message(), ::testing::HasSubstr("please try again"));
  EXPECT_EQ(faulty_->calls("Commit") - commits, internal::kWriteAttempts);
  faulty_->Clear();
  EXPECT_THAT(Sessions(program), ::testing::IsEmpty());
  EXPECT_EQ(RequestRecords("retry-bound"), 0);
  // The client's retry, once the conflicts are over, stores the report once.
  status = Report(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Sessions(program).size(), 1u);
  EXPECT_EQ(RequestRecords("retry-bound"), 1);
}

// Other store errors are not retried: they reach the client at once, nothing stored.
TEST_F(StoreRetryTest, DiskFullIsNotRetried) {
  ASSERT_NE(faulty_, nullptr);
  const v1::Program program = MakeProgram(MakePatient());
  const v1::ReportSessionRequest request = ReportAll(Today(program), 2, 1, "disk-full");
  const int commits = faulty_->calls("Commit");
  faulty_->FailAt("Commit", 1, DiskFull());
  v1::ReportSessionResponse response;
  grpc::Status status = Report(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(faulty_->calls("Commit") - commits, 1);
  EXPECT_THAT(Sessions(program), ::testing::IsEmpty());
  EXPECT_EQ(RequestRecords("disk-full"), 0);
}

}  // namespace
}  // namespace kneecoach::testing
