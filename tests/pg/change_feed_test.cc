// The change feed between replicas (service/store/pg/change_feed.h) against a real
// PostgreSQL: the DSN comes from KNEECOACH_TEST_PG_DSN, which tests/pg/pg_cluster.sh sets after
// starting a throwaway cluster. Without it the tests fail: they never skip.
#include "service/store/pg/change_feed.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace kneecoach {
namespace {

using Kind = StoreChange::Kind;

std::string Dsn() {
  const char* dsn = std::getenv("KNEECOACH_TEST_PG_DSN");
  return dsn == nullptr ? "" : dsn;
}

// Collects what a listener reports.
class Recorder {
 public:
  std::function<void(const StoreChange&)> Callback() {
    return [this](const StoreChange& change) {
      absl::MutexLock lock(&mu_);
      changes_.push_back(change);
    };
  }
  // Waits until a change equal to `want` has arrived; returns how long that took.
  std::optional<absl::Duration> WaitFor(const StoreChange& want, absl::Duration timeout) {
    const absl::Time start = absl::Now();
    absl::MutexLock lock(&mu_);
    auto seen = [&] {
      for (const StoreChange& c : changes_) {
        if (c == want) return true;
      }
      return false;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&seen), timeout)) return std::nullopt;
    return absl::Now() - start;
  }
  std::vector<StoreChange> Take() {
    absl::MutexLock lock(&mu_);
    return std::exchange(changes_, {});
  }

 private:
  absl::Mutex mu_;
  std::vector<StoreChange> changes_ ABSL_GUARDED_BY(mu_);
};

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(Dsn().empty())
        << "KNEECOACH_TEST_PG_DSN is not set: run through tests/pg/pg_cluster.sh (it starts a "
           "throwaway PostgreSQL 15; apt-get install postgresql)";
    conn_.reset(PQconnectdb(Dsn().c_str()));
    ASSERT_EQ(PQstatus(conn_.get()), CONNECTION_OK) << PQerrorMessage(conn_.get());
  }

  // Runs `sql` on the test's own connection (another "replica").
  void Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_.get(), sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        << sql << ": " << PQerrorMessage(conn_.get());
    PQclear(result);
  }
  void Notify(const std::string& origin, const StoreChange& change) {
    Exec("SELECT pg_notify('kneecoach_changes', '" + ChangePayload(origin, change) + "')");
  }

  std::unique_ptr<ChangeListener> Start(Recorder& recorder, const std::string& origin) {
    auto listener = std::make_unique<ChangeListener>(ChangeListener::Options{
        .conninfo = Dsn(),
        .origin = origin,
        .reconnect_delay = absl::Milliseconds(50),
        .poll_interval = absl::Milliseconds(50),
        .on_change = recorder.Callback(),
    });
    EXPECT_TRUE(listener->WaitCurrent(absl::Seconds(10)));
    return listener;
  }

  struct ConnCloser {
    void operator()(PGconn* c) const { PQfinish(c); }
  };
  std::unique_ptr<PGconn, ConnCloser> conn_;
};

TEST(ChangePayload, RoundTrips) {
  const std::vector<StoreChange> changes = {
      {Kind::kProgram, "abc123"}, {Kind::kAccess, ""}, {Kind::kEverything, ""}};
  for (const StoreChange& change : changes) {
    const std::string payload = ChangePayload("replica-1", change);
    SCOPED_TRACE(payload);
    auto parsed = ParseChangePayload(payload);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->origin, "replica-1");
    EXPECT_EQ(parsed->change, change);
  }
  EXPECT_FALSE(ParseChangePayload("").has_value());
  EXPECT_FALSE(ParseChangePayload("r1 p").has_value());
  EXPECT_FALSE(ParseChangePayload("r1 x").has_value());
  EXPECT_FALSE(ParseChangePayload("r1 p a b").has_value());
}

TEST_F(ChangeFeedTest, DeliversAnotherReplicasCommittedChangeAndSkipsItsOwn) {
  Recorder recorder;
  auto listener = Start(recorder, "b");
  // Connecting reports everything (what came before was not heard).
  ASSERT_TRUE(recorder.WaitFor({Kind::kEverything, ""}, absl::Seconds(5)).has_value());
  recorder.Take();

  Notify("b", {Kind::kProgram, "own"});
  const absl::Time sent = absl::Now();
  Notify("a", {Kind::kProgram, "p1"});
  ASSERT_TRUE(recorder.WaitFor({Kind::kProgram, "p1"}, absl::Seconds(5)).has_value());
  // From before the notifying statement (and its commit) to the listener's callback.
  std::printf("change feed: a committed change reached the other replica in %.2f ms\n",
              absl::ToDoubleMilliseconds(absl::Now() - sent));
  Notify("a", {Kind::kAccess, ""});
  ASSERT_TRUE(recorder.WaitFor({Kind::kAccess, ""}, absl::Seconds(5)).has_value());
  const std::vector<StoreChange> got = recorder.Take();
  const std::vector<StoreChange> want = {{Kind::kProgram, "p1"}, {Kind::kAccess, ""}};
  EXPECT_EQ(got, want);  // "own" skipped, order kept
  EXPECT_EQ(listener->changes_received(), 2);
}

TEST_F(ChangeFeedTest, ARolledBackWriteNotifiesNothingACommittedOneOnCommit) {
  Recorder recorder;
  auto listener = Start(recorder, "b");
  ASSERT_TRUE(recorder.WaitFor({Kind::kEverything, ""}, absl::Seconds(5)).has_value());
  recorder.Take();

  Exec("BEGIN");
  Notify("a", {Kind::kProgram, "rolled-back"});
  Exec("ROLLBACK");
  Exec("BEGIN");
  Notify("a", {Kind::kProgram, "committed"});
  // Not before the commit.
  EXPECT_FALSE(
      recorder.WaitFor({Kind::kProgram, "committed"}, absl::Milliseconds(300)).has_value());
  Exec("COMMIT");
  ASSERT_TRUE(recorder.WaitFor({Kind::kProgram, "committed"}, absl::Seconds(5)).has_value());
  const std::vector<StoreChange> got = recorder.Take();
  const std::vector<StoreChange> want = {{Kind::kProgram, "committed"}};
  EXPECT_EQ(got, want);
}

TEST_F(ChangeFeedTest, ALostConnectionDropsEverythingAndComesBackByItself) {
  Recorder recorder;
  auto listener = Start(recorder, "b");
  ASSERT_TRUE(recorder.WaitFor({Kind::kEverything, ""}, absl::Seconds(5)).has_value());
  recorder.Take();
  ASSERT_EQ(listener->connections(), 1);

  // Kill the listener's backend, as a database restart or a network cut would.
  Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE query LIKE 'LISTEN%' OR (pid <> pg_backend_pid() AND datname = current_database())");
  ASSERT_TRUE(recorder.WaitFor({Kind::kEverything, ""}, absl::Seconds(5)).has_value());
  // Back by itself, and reported as everything again once listening.
  const absl::Time end = absl::Now() + absl::Seconds(10);
  while (listener->connections() < 2 && absl::Now() < end) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(listener->connections(), 2);
  ASSERT_TRUE(listener->WaitCurrent(absl::Seconds(5)));
  recorder.Take();
  Notify("a", {Kind::kProgram, "after"});
  EXPECT_TRUE(recorder.WaitFor({Kind::kProgram, "after"}, absl::Seconds(5)).has_value());
}

TEST_F(ChangeFeedTest, NotCurrentWhileTheDatabaseCannotBeReached) {
  Recorder recorder;
  ChangeListener listener({.conninfo = "postgresql:///nonexistent?host=/nonexistent-dir",
                           .origin = "b",
                           .reconnect_delay = absl::Milliseconds(20),
                           .poll_interval = absl::Milliseconds(20),
                           .on_change = recorder.Callback()});
  EXPECT_FALSE(listener.WaitCurrent(absl::Milliseconds(300)));
  EXPECT_EQ(listener.connections(), 0);
}

}  // namespace
}  // namespace kneecoach
