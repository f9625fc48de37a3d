// kneecoach-admin migrate into a real PostgreSQL (tests/pg/pg_cluster.sh): a database with
// a row in every table, the quick start's seeded demo database and a 10,000-patient
// database made by kneecoach-seed, each moved into an empty PostgreSQL database: the
// command verifies every table's count and checksum, and the same API calls answer the same
// through a server on the SQLite file and one on PostgreSQL, with the tokens of the SQLite
// database.
#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "bench/requests.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "kneecoach/v1/access.grpc.pb.h"
#include "kneecoach/v1/outcome.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/admin/copy_store.h"
#include "service/store/open_store.h"
#include "tests/admin/copy_store_fill.h"
#include "tests/durability/server_process.h"

namespace kneecoach::testing {
namespace {

std::string BaseDsn() {
  const char* dsn = std::getenv("KNEECOACH_TEST_PG_DSN");
  return dsn == nullptr ? "" : dsn;
}

std::string FreshDatabase(const std::string& label) {
  static int n = 0;
  const std::string name = absl::StrCat("migrate_", label, "_", ::getpid(), "_", ++n);
  PGconn* conn = PQconnectdb(BaseDsn().c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, absl::StrCat("CREATE DATABASE ", name).c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(r);
  PQfinish(conn);
  return absl::StrReplaceAll(BaseDsn(), {{"/kneecoach?", absl::StrCat("/", name, "?")}});
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(BaseDsn().empty())
        << "KNEECOACH_TEST_PG_DSN is not set: run through tests/pg/pg_cluster.sh (it starts a "
           "throwaway PostgreSQL 15; apt-get install postgresql)";
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-migrate-", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // kneecoach-admin migrate; its exit code, its output in `output`.
  int Migrate(const std::string& sqlite, const std::string& dsn, std::string* output) {
    return RunProcess({KNEECOACH_ADMIN_BIN, "migrate", absl::StrCat("--from=sqlite:", sqlite),
                       absl::StrCat("--to=", dsn)},
                      output);
  }

  std::filesystem::path dir_;
};

TEST_F(MigrateTest, EveryTableMovesWithEqualCountsAndChecksums) {
  const std::string sqlite = (dir_ / "every-table.db").string();
  FillEveryTable(sqlite, 6, 4);
  const std::string dsn = FreshDatabase("every");
  std::string output;
  ASSERT_EQ(Migrate(sqlite, dsn, &output), 0) << output;
  EXPECT_NE(output.find("every table's count and checksum equal"), std::string::npos) << output;
  EXPECT_NE(output.find("| sessions | 24 | 24 |"), std::string::npos) << output;
  // A second run finds the target holding records and refuses it.
  std::string again;
  EXPECT_NE(Migrate(sqlite, dsn, &again), 0);
  EXPECT_NE(again.find("empty database"), std::string::npos) << again;
  // The library call gives the same summaries for the source and the target.
  auto target = OpenStore(FreshDatabase("every2"));
  ASSERT_TRUE(target.ok()) << target.status();
  auto report = CopySqliteToStore(sqlite, **target);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->source, report->target);
}

// Pages through a List call on `stub` and returns every item, serialized.
template <typename Response, typename Item>
std::vector<std::string> All(
    const std::function<grpc::Status(grpc::ClientContext*, const std::string& page_token,
                                     Response*)>& call,
    const google::protobuf::RepeatedPtrField<Item>& (Response::*items)() const,
    const std::string& token) {
  std::vector<std::string> out;
  std::string page_token;
  do {
    grpc::ClientContext context;
    Prepare(context, token);
    Response response;
    const grpc::Status status = call(&context, page_token, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const Item& item : (response.*items)()) out.push_back(item.SerializeAsString());
    page_token = response.next_page_token();
  } while (!page_token.empty());
  return out;
}

// What a server on `address` answers to the calls the issue names, as bearer of `token`.
struct Answers {
  std::vector<std::string> patients, audit;
  std::map<std::string, std::vector<std::string>> sessions;
  std::map<std::string, std::string> progress;
};

Answers Ask(const std::string& address, const std::string& token,
            const std::vector<std::string>& programs, const std::string& clinic) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto patients = v1::PatientService::NewStub(channel);
  auto sessions = v1::SessionService::NewStub(channel);
  auto outcomes = v1::OutcomeService::NewStub(channel);
  auto access = v1::AccessService::NewStub(channel);
  Answers a;
  a.patients = All<v1::ListPatientsResponse, v1::Patient>(
      [&](grpc::ClientContext* c, const std::string& t, v1::ListPatientsResponse* r) {
        v1::ListPatientsRequest q;
        q.set_page_size(200);
        q.set_page_token(t);
        return patients->ListPatients(c, q, r);
      },
      &v1::ListPatientsResponse::patients, token);
  a.audit = All<v1::ListAuditEntriesResponse, v1::AuditEntry>(
      [&](grpc::ClientContext* c, const std::string& t, v1::ListAuditEntriesResponse* r) {
        v1::ListAuditEntriesRequest q;
        q.set_clinic(clinic);
        q.set_page_size(200);
        q.set_page_token(t);
        return access->ListAuditEntries(c, q, r);
      },
      &v1::ListAuditEntriesResponse::audit_entries, token);
  for (const std::string& program : programs) {
    a.sessions[program] = All<v1::ListSessionsResponse, v1::Session>(
        [&](grpc::ClientContext* c, const std::string& t, v1::ListSessionsResponse* r) {
          v1::ListSessionsRequest q;
          q.set_program(program);
          q.set_page_size(7);  // several pages
          q.set_page_token(t);
          return sessions->ListSessions(c, q, r);
        },
        &v1::ListSessionsResponse::sessions, token);
    grpc::ClientContext context;
    Prepare(context, token);
    v1::GetProgressRequest q;
    q.set_program(program);
    v1::GetProgressResponse r;
    const grpc::Status status = outcomes->GetProgress(&context, q, &r);
    EXPECT_TRUE(status.ok()) << program << ": " << status.error_message();
    a.progress[program] = r.SerializeAsString();
  }
  return a;
}

void ExpectSameAnswers(const std::string& sqlite, const std::string& dsn, const std::string& token,
                       const std::vector<std::string>& programs, const std::string& clinic,
                       size_t min_patients, bool expect_sessions) {
  ServerProcess on_sqlite, on_pg;
  ASSERT_TRUE(on_sqlite.Start(sqlite)) << on_sqlite.output();
  ASSERT_TRUE(on_pg.Start(dsn)) << on_pg.output();
  const Answers from_sqlite = Ask(on_sqlite.address(), token, programs, clinic);
  const Answers from_pg = Ask(on_pg.address(), token, programs, clinic);
  EXPECT_GE(from_sqlite.patients.size(), min_patients);
  EXPECT_EQ(from_pg.patients, from_sqlite.patients);
  EXPECT_FALSE(from_sqlite.audit.empty());
  EXPECT_EQ(from_pg.audit, from_sqlite.audit);
  for (const std::string& program : programs) {
    SCOPED_TRACE(program);
    if (expect_sessions) EXPECT_FALSE(from_sqlite.sessions.at(program).empty());
    EXPECT_EQ(from_pg.sessions.at(program), from_sqlite.sessions.at(program));
    EXPECT_EQ(from_pg.progress.at(program), from_sqlite.progress.at(program));
  }
}

TEST_F(MigrateTest, TheQuickStartsDemoDatabaseAnswersAlikeWithItsOwnTokens) {
  const std::string sqlite = (dir_ / "kneecoach.db").string();
  // The quick start's server seeds the demo clinic and writes its tokens beside the file.
  {
    ServerProcess seeding;
    ASSERT_TRUE(seeding.Start(sqlite, {"--seed_demo"})) << seeding.output();
    ASSERT_EQ(seeding.Stop(SIGTERM), 0);
  }
  std::ifstream credentials(dir_ / "demo-credentials");
  std::map<std::string, std::string> demo;
  for (std::string line; std::getline(credentials, line);) {
    std::vector<std::string> kv = absl::StrSplit(line, ' ');
    if (kv.size() == 2) demo[kv[0]] = kv[1];
  }
  ASSERT_TRUE(demo.count("admin") && demo.count("program"));
  const std::string dsn = FreshDatabase("demo");
  std::string output;
  ASSERT_EQ(Migrate(sqlite, dsn, &output), 0) << output;
  ExpectSameAnswers(sqlite, dsn, demo["admin"], {demo["program"]}, "clinics/demo", 1, false);
}

TEST_F(MigrateTest, TenThousandPatientsAnswerAlike) {
  const std::string sqlite = (dir_ / "large.db").string();
  std::string output;
  const absl::Time seeding = absl::Now();
  ASSERT_EQ(RunProcess({KNEECOACH_SEED_BIN, absl::StrCat("--db=", sqlite),
                        absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR), "--patients=10000",
                        "--sessions_per_patient=10"},
                       &output),
            0)
      << output;
  const std::string token = BootstrapToken(sqlite);
  ASSERT_FALSE(token.empty());
  const std::string dsn = FreshDatabase("large");
  const absl::Time migrating = absl::Now();
  ASSERT_EQ(Migrate(sqlite, dsn, &output), 0) << output;
  std::printf("migrate: seeded 10,000 patients in %.1f s; moved and verified them in %.1f s\n%s",
              absl::ToDoubleSeconds(migrating - seeding),
              absl::ToDoubleSeconds(absl::Now() - migrating), output.c_str());
  std::vector<std::string> programs;
  for (int i = 0; i < 10000; i += 997) programs.push_back(bench::ProgramName(i));
  ExpectSameAnswers(sqlite, dsn, token, programs, "clinics/bench", 10000, true);
}

}  // namespace
}  // namespace kneecoach::testing
