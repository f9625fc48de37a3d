// Two kneecoach-server replicas on one PostgreSQL database (issue 21): real server
// processes on loopback, a real PostgreSQL 15 started by tests/pg/pg_cluster.sh (its DSN in
// KNEECOACH_TEST_PG_DSN; without it every test fails, never skips). Each test makes its own
// database, seeds it with kneecoach-seed, and starts replicas A and B on it.
#include <libpq-fe.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bench/requests.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "tests/durability/server_process.h"

namespace kneecoach::testing {
namespace {

constexpr int kPrograms = 8;

std::string BaseDsn() {
  const char* dsn = std::getenv("KNEECOACH_TEST_PG_DSN");
  return dsn == nullptr ? "" : dsn;
}

// Runs SQL on the cluster's `kneecoach` database.
bool Sql(const std::string& sql, std::string* error = nullptr) {
  PGconn* conn = PQconnectdb(BaseDsn().c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
  }
  if (!ok && error != nullptr) *error = PQerrorMessage(conn);
  PQfinish(conn);
  return ok;
}

// A new empty database on the cluster; its DSN.
std::string FreshDatabase() {
  static int n = 0;
  const std::string name = absl::StrCat("replicas_", ::getpid(), "_", ++n);
  std::string error;
  EXPECT_TRUE(Sql(absl::StrCat("CREATE DATABASE ", name), &error)) << error;
  return absl::StrReplaceAll(BaseDsn(), {{"/kneecoach?", absl::StrCat("/", name, "?")}});
}

std::string StoreToken(const std::string& store) {
  std::string output;
  const int code = RunProcess({KNEECOACH_SERVER_BIN, absl::StrCat("--store=", store),
                               absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR),
                               "--bootstrap_admin=Bench Admin", "--bootstrap_clinic=bench"},
                              &output);
  EXPECT_EQ(code, 0) << output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output.substr(output.rfind('\n') + 1);
}

struct Replica {
  ServerProcess process;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::SessionService::Stub> sessions;
  std::unique_ptr<v1::ProgramService::Stub> programs;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;

  bool Start(const std::string& store) {
    if (!process.Start(store)) return false;
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel =
        grpc::CreateCustomChannel(process.address(), grpc::InsecureChannelCredentials(), args);
    sessions = v1::SessionService::NewStub(channel);
    programs = v1::ProgramService::NewStub(channel);
    health = grpc::health::v1::Health::NewStub(channel);
    return true;
  }
  // The health service's overall status (SERVING 1, NOT_SERVING 2; -1 when no answer).
  int Health() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (!health->Check(&context, request, &response).ok()) return -1;
    return response.status();
  }
};

class ReplicasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(BaseDsn().empty())
        << "KNEECOACH_TEST_PG_DSN is not set: run through tests/pg/pg_cluster.sh (it starts a "
           "throwaway PostgreSQL 15; apt-get install postgresql)";
    store_ = FreshDatabase();
    std::string output;
    ASSERT_EQ(RunProcess({KNEECOACH_SEED_BIN, absl::StrCat("--store=", store_),
                          absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR),
                          absl::StrCat("--patients=", kPrograms), "--sessions_per_patient=1"},
                         &output),
              0)
        << output;
    token_ = StoreToken(store_);
    ASSERT_FALSE(token_.empty());
    ASSERT_TRUE(a_.Start(store_)) << a_.process.output();
    ASSERT_TRUE(b_.Start(store_)) << b_.process.output();
  }

  // Every session of `program` read through `replica`.
  std::vector<std::string> Sessions(Replica& replica, int program) {
    std::vector<std::string> names;
    std::string token;
    do {
      grpc::ClientContext context;
      Prepare(context, token_);
      v1::ListSessionsRequest request;
      request.set_program(bench::ProgramName(program));
      request.set_page_size(200);
      request.set_page_token(token);
      v1::ListSessionsResponse response;
      const grpc::Status status = replica.sessions->ListSessions(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) break;
      for (const auto& s : response.sessions()) names.push_back(s.name());
      token = response.next_page_token();
    } while (!token.empty());
    return names;
  }

  std::string store_;
  std::string token_;
  Replica a_, b_;
};

TEST_F(ReplicasTest, OneRequestIdAtBothReplicasAtOnceStoresOneSessionAndAnswersAlike) {
  constexpr int kRequests = 24;
  for (int i = 0; i < kRequests; ++i) {
    const std::string id = absl::StrCat("both-", i);
    const int program = i % kPrograms;
    std::latch start(2);
    v1::ReportSessionResponse from_a, from_b;
    grpc::Status status_a, status_b;
    std::thread ta([&] {
      start.arrive_and_wait();
      status_a = ReportAs(*a_.sessions, token_, program, id, &from_a);
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      status_b = ReportAs(*b_.sessions, token_, program, id, &from_b);
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(status_a.ok()) << id << ": " << status_a.error_message();
    ASSERT_TRUE(status_b.ok()) << id << ": " << status_b.error_message();
    // Alike as messages (a map's entries may be serialized in another order).
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_a, from_b))
        << id << ": A answered " << from_a.session().name() << ", B " << from_b.session().name();
  }
  int stored = 0;
  for (int p = 0; p < kPrograms; ++p) stored += static_cast<int>(Sessions(b_, p).size());
  EXPECT_EQ(stored, kPrograms /* seeded */ + kRequests);
}

TEST_F(ReplicasTest, ADoseOverrideThroughAIsServedByBWithinTheStatedBound) {
  const auto today = [&](Replica& r) {
    grpc::ClientContext context;
    Prepare(context, token_);
    v1::GetTodaySessionRequest request;
    request.set_program(bench::ProgramName(0));
    v1::GetTodaySessionResponse response;
    const grpc::Status status = r.sessions->GetTodaySession(&context, request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  };
  const auto sets_of_first = [](const v1::GetTodaySessionResponse& r) {
    for (const auto& item : r.session().items()) {
      if (item.prescription() == absl::StrCat(bench::ProgramName(0), "/prescriptions/1")) {
        return item.dose().sets();
      }
    }
    return -1;
  };
  // B keeps today's plan in memory.
  const int before = sets_of_first(today(b_));
  ASSERT_GT(before, 0);
  ASSERT_EQ(sets_of_first(today(b_)), before);

  grpc::ClientContext context;
  Prepare(context, token_);
  v1::UpdatePrescriptionRequest update;
  update.mutable_prescription()->set_name(absl::StrCat(bench::ProgramName(0), "/prescriptions/1"));
  update.mutable_prescription()->mutable_dose()->set_sets(before + 2);
  update.mutable_update_mask()->add_paths("dose.sets");
  update.set_reason("replicas test");
  update.set_request_id("override-1");
  v1::UpdatePrescriptionResponse updated;
  const grpc::Status status = a_.programs->UpdatePrescription(&context, update, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const absl::Time acknowledged = absl::Now();
  // A serves it at once.
  EXPECT_EQ(sets_of_first(today(a_)), before + 2);
  absl::Duration took = absl::InfiniteDuration();
  while (absl::Now() - acknowledged < absl::Seconds(5)) {
    if (sets_of_first(today(b_)) == before + 2) {
      took = absl::Now() - acknowledged;
      break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  std::printf("replicas: B served A's dose override %.1f ms after A acknowledged it\n",
              absl::ToDoubleMilliseconds(took));
  EXPECT_LT(took, absl::Seconds(1)) << "README states: other replicas within 1 s";
}

TEST_F(ReplicasTest, ASigkilledReplicaLosesNothingAcknowledgedAndTheOtherKeepsServing) {
  struct Attempt {
    int program;
    bool acknowledged = false;
    std::string session;
  };
  std::mutex mu;
  std::map<std::string, Attempt> attempts;
  std::atomic<int> acknowledged_by_a{0};
  std::atomic<int> b_failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    Replica& target = c % 2 == 0 ? a_ : b_;
    clients.emplace_back([&, c] {
      for (int n = 0; !stop; ++n) {
        const std::string id = absl::StrCat("kill-", c, "-", n);
        // Each client is one patient's phone: its own program (two phones of one patient
        // reporting at the same instant conflict, and one of them is told to try again).
        const int program = c % kPrograms;
        {
          std::lock_guard<std::mutex> lock(mu);
          attempts[id] = {program};
        }
        v1::ReportSessionResponse response;
        const grpc::Status status = ReportAs(*target.sessions, token_, program, id, &response);
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          attempts[id].acknowledged = true;
          attempts[id].session = response.session().name();
          if (&target == &a_) ++acknowledged_by_a;
        } else if (&target == &b_) {
          ++b_failures;
          ADD_FAILURE() << "B failed " << id << ": " << status.error_message();
        } else {
          break;  // A is gone
        }
      }
    });
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (acknowledged_by_a < 50 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  const int status = a_.process.Stop(SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  absl::SleepFor(absl::Seconds(1));  // B goes on serving meanwhile
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_EQ(b_failures.load(), 0);
  ASSERT_GE(acknowledged_by_a.load(), 50);

  // Every acknowledged report is readable through B.
  std::set<std::string> through_b;
  for (int p = 0; p < kPrograms; ++p) {
    for (const std::string& name : Sessions(b_, p)) through_b.insert(name);
  }
  int lost = 0;
  for (const auto& [id, a] : attempts) {
    if (a.acknowledged && !through_b.count(a.session)) ++lost;
  }
  EXPECT_EQ(lost, 0);
  // Retried through B, every request: acknowledged ones answer with their session, and
  // nothing is stored twice.
  for (const auto& [id, a] : attempts) {
    v1::ReportSessionResponse response;
    const grpc::Status retry = ReportAs(*b_.sessions, token_, a.program, id, &response);
    ASSERT_TRUE(retry.ok()) << id << ": " << retry.error_message();
    if (a.acknowledged) EXPECT_EQ(response.session().name(), a.session) << id;
  }
  int stored = 0;
  for (int p = 0; p < kPrograms; ++p) stored += static_cast<int>(Sessions(b_, p).size());
  EXPECT_EQ(stored, kPrograms + static_cast<int>(attempts.size()));
  std::printf("replicas: %zu reports sent, %d acknowledged by A before its SIGKILL; none lost\n",
              attempts.size(), acknowledged_by_a.load());
}

TEST_F(ReplicasTest, PostgresRestartedUnderLoadReplicasRecoverByThemselvesLosingNothing) {
  const char* host = std::getenv("PGHOST");
  const char* bin = std::getenv("KNEECOACH_PG_BIN");
  ASSERT_TRUE(host != nullptr && bin != nullptr) << "run through tests/pg/pg_cluster.sh";
  const pid_t pid_a = a_.process.pid(), pid_b = b_.process.pid();
  // B keeps program 1's plan in memory before the restart.
  ASSERT_TRUE(TodayAs(*b_.sessions, token_, 1).ok());

  std::mutex mu;
  std::map<std::string, std::pair<int, std::string>> acknowledged;  // id -> (program, session)
  std::atomic<bool> stop{false};
  std::atomic<int> unavailable{0};
  std::atomic<int> not_serving{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    Replica& target = c % 2 == 0 ? a_ : b_;
    clients.emplace_back([&, c] {
      for (int n = 0; !stop; ++n) {
        const std::string id = absl::StrCat("restart-", c, "-", n);
        // Each client is one patient's phone: its own program (two phones of one patient
        // reporting at the same instant conflict, and one of them is told to try again).
        const int program = c % kPrograms;
        // Retried with its request id until acknowledged (a phone does the same).
        const absl::Time give_up = absl::Now() + absl::Seconds(60);
        while (absl::Now() < give_up) {
          v1::ReportSessionResponse response;
          const grpc::Status status = ReportAs(*target.sessions, token_, program, id, &response);
          if (status.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged[id] = {program, response.session().name()};
            break;
          }
          EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                      status.error_code() == grpc::StatusCode::ABORTED ||
                      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
              << id << ": " << status.error_code() << " " << status.error_message();
          ++unavailable;
          absl::SleepFor(absl::Milliseconds(50));
        }
      }
    });
  }
  std::thread watcher([&] {
    while (!stop) {
      if (a_.Health() == grpc::health::v1::HealthCheckResponse::NOT_SERVING) ++not_serving;
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  absl::SleepFor(absl::Seconds(1));
  // -l: the new server logs to the cluster's log file, not to our pipe (which it would
  // keep open, so RunProcess would wait for ever).
  std::vector<std::string> restart = {bin + std::string("/pg_ctl"),
                                      "-D",
                                      absl::StrCat(host, "/data"),
                                      "-l",
                                      absl::StrCat(host, "/server.log"),
                                      "-m",
                                      "fast",
                                      "-w",
                                      "restart"};
  if (::geteuid() == 0)
    restart.insert(restart.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  std::string output;
  ASSERT_EQ(RunProcess(restart, &output), 0) << output;
  const absl::Time restarted = absl::Now();
  // Both replicas serve again by themselves.
  bool a_back = false, b_back = false;
  while (absl::Now() - restarted < absl::Seconds(30) && !(a_back && b_back)) {
    a_back = a_back || a_.Health() == grpc::health::v1::HealthCheckResponse::SERVING;
    b_back = b_back || b_.Health() == grpc::health::v1::HealthCheckResponse::SERVING;
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Seconds(1));
  stop = true;
  for (auto& t : clients) t.join();
  watcher.join();
  EXPECT_TRUE(a_back && b_back);
  EXPECT_EQ(a_.process.pid(), pid_a);
  EXPECT_EQ(b_.process.pid(), pid_b);
  EXPECT_EQ(::kill(pid_a, 0), 0) << "A exited";
  EXPECT_EQ(::kill(pid_b, 0), 0) << "B exited";

  std::set<std::string> stored;
  for (int p = 0; p < kPrograms; ++p) {
    for (const std::string& name : Sessions(a_, p)) EXPECT_TRUE(stored.insert(name).second);
  }
  int lost = 0;
  for (const auto& [id, ack] : acknowledged) {
    if (!stored.count(ack.second)) ++lost;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(static_cast<int>(stored.size()), kPrograms + static_cast<int>(acknowledged.size()));
  // The replicas noticed: their change feed lost its connection and dropped their caches,
  // and B makes program 1's plan again.
  for (Replica* r : {&a_, &b_}) {
    EXPECT_NE(r->process.output().find("change feed: connection lost"), std::string::npos)
        << r->process.output();
  }
  EXPECT_TRUE(TodayAs(*b_.sessions, token_, 1).ok());
  std::printf(
      "replicas: %zu reports acknowledged across a PostgreSQL restart; %d attempts refused "
      "meanwhile (retried); A said NOT_SERVING %d times\n",
      acknowledged.size(), unavailable.load(), not_serving.load());
  EXPECT_GT(not_serving.load(), 0) << "health never said NOT_SERVING while PostgreSQL was down";
}

}  // namespace
}  // namespace kneecoach::testing
