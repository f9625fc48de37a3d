// A Txn of one clinic on PostgreSQL (store.h, "Clinics"): it finds nothing of another clinic,
// writes nothing there, and every statement it sends names its clinic, so that the tables
// could be distributed by clinic (Citus) and each statement sent to one shard. The last is
// read back from PostgreSQL's own statistics (pg_stat_statements, which CTest's pg_clinic_scope
// preloads through pg_cluster.sh).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/pg/pg.h"
#include "service/store/postgres_store.h"
#include "tests/pg/pg_test_db.h"

namespace kneecoach {
namespace {

using testing::FreshDatabase;
using testing::Patient;

constexpr char kNorth[] = "clinics/north";
constexpr char kSouth[] = "clinics/south";

v1::User User(const std::string& id, const std::string& clinic) {
  v1::User u;
  u.set_name("users/" + id);
  u.set_clinic(clinic);
  u.set_role(v1::ROLE_PHYSIOTHERAPIST);
  return u;
}

// Per clinic c ("north", "south"): patient p-c, program g-c, a session, check-in, outcome,
// decision, alert, user u-c with token t-c (secret hash h-c), an assignment, an audit entry
// and enrollment code e-c, all written in a Txn of every clinic.
absl::Status Seed(Store& store) {
  auto txn = store.Begin(/*write=*/true);
  if (!txn.ok()) return txn.status();
  Txn& t = **txn;
  for (const std::string c : {"north", "south"}) {
    const std::string clinic = "clinics/" + c, p = "p-" + c, g = "g-" + c, u = "u-" + c;
    std::vector<absl::Status> done = {
        t.InsertClinic(c, v1::Clinic()),
        t.InsertPatient(p, Patient(p, clinic)),
        t.InsertProgram(g, p, v1::Program()),
        t.InsertSession("s-" + c, g, v1::Session()),
        t.InsertCheckIn("c-" + c, g, v1::MorningCheckIn()),
        t.InsertOutcome("o-" + c, g, v1::Outcome()),
        t.InsertDecision("d-" + c, g, v1::Decision()),
        t.InsertAlert("a-" + c, g, p, clinic, v1::Alert()),
        t.InsertUser(u, "", User(u, clinic)),
        t.InsertToken("t-" + c, u, "h-" + c, v1::Token()),
        t.SetAssignments(p, {u}),
        t.InsertAudit("e-" + c, clinic, p, v1::AuditEntry()),
        t.InsertEnrollmentCode("e-" + c, p, 4000000000),
    };
    for (const absl::Status& s : done) {
      if (!s.ok()) return s;
    }
  }
  return t.Commit();
}

std::unique_ptr<PostgresStore> Open(const std::string& dsn) {
  auto store = PostgresStore::Open({.conninfo = dsn, .connections = 1});
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(ClinicScope, ATxnOfOneClinicFindsAndChangesNothingOfAnother) {
  const std::string dsn = FreshDatabase();
  auto store = Open(dsn);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Seed(*store).ok());
  {
    auto txn = store->Begin(/*write=*/true, kNorth);
    ASSERT_TRUE(txn.ok());
    Txn& t = **txn;
    // Its own clinic's records, as in a Txn of every clinic.
    EXPECT_TRUE(t.GetPatient("p-north").ok());
    EXPECT_TRUE(t.GetProgram("g-north").ok());
    EXPECT_EQ(t.ListSessions("g-north", {})->items.size(), 1u);
    // Another clinic's: absent.
    EXPECT_EQ(t.GetPatient("p-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.GetProgram("g-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.GetDecision("d-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.GetAlert("a-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.GetUser("u-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.GetToken("t-south").status().code(), absl::StatusCode::kNotFound);
    EXPECT_FALSE(t.FindTokenBySecretHash("h-south")->has_value());
    EXPECT_FALSE(t.FindPatientUser("p-south").ok() && t.FindPatientUser("p-south")->has_value());
    EXPECT_FALSE(*t.IsAssigned("p-south", "u-south"));
    EXPECT_TRUE(t.ListSessions("g-south", {})->items.empty());
    EXPECT_TRUE(t.SessionsSince("g-south", "")->empty());
    EXPECT_TRUE(t.CheckInsSince("g-south", "")->empty());
    EXPECT_TRUE(t.ListDecisions("g-south", v1::DECISION_STATE_UNSPECIFIED, {})->items.empty());
    EXPECT_TRUE(t.ListTokens("u-south", {})->items.empty());
    EXPECT_EQ(t.ListPatients("", "", {})->items.size(), 1u);
    auto ids = t.ListProgramIds({});
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(ids->items, std::vector<std::string>{"g-north"});
    EXPECT_EQ(t.ListAlerts({}, {})->items.size(), 1u);
    EXPECT_FALSE(t.ConsumeEnrollmentCode("e-south", 1)->has_value());
    // Writes there fail and leave the Txn usable (NOT_FOUND, FAILED_PRECONDITION).
    EXPECT_EQ(t.UpdateProgram("g-south", v1::Program()).code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(t.InsertSession("s2", "g-south", v1::Session()).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(t.InsertPatient("p2", Patient("p2", kSouth)).code(),
              absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(t.InsertAudit("e2", kSouth, "", v1::AuditEntry()).code(),
              absl::StatusCode::kFailedPrecondition);
    ASSERT_TRUE(t.ErasePatient("p-south").ok());  // nothing of this clinic's
    ASSERT_TRUE(t.Commit().ok());
  }
  auto every = store->Begin(/*write=*/false);
  ASSERT_TRUE(every.ok());
  EXPECT_TRUE((*every)->GetPatient("p-south").ok());
  EXPECT_EQ((*every)->ListSessions("g-south", {})->items.size(), 1u);
  EXPECT_TRUE((*every)->GetUser("u-south").ok());
}

// Authentication and enrolling a device begin their Txn with kClinicOfItsSecret: the
// secret's row in the reference table names the clinic, and the rest of the Txn is that
// clinic's.
TEST(ClinicScope, ASecretsLookupNarrowsATxnOfEveryClinicToItsClinic) {
  const std::string dsn = FreshDatabase();
  auto store = Open(dsn);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Seed(*store).ok());
  {
    // A Txn of every clinic is never narrowed (the server's own work: copying a store).
    auto every = store->Begin(/*write=*/false);
    ASSERT_TRUE(every.ok());
    ASSERT_TRUE((*every)->FindTokenBySecretHash("h-north").ok());
    EXPECT_TRUE((*every)->GetUser("u-south").ok());
  }
  {
    auto txn = store->Begin(/*write=*/false, std::string(kClinicOfItsSecret));
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE((*txn)->GetUser("u-south").ok());  // not narrowed yet
    auto token = (*txn)->FindTokenBySecretHash("h-north");
    ASSERT_TRUE(token.ok() && token->has_value());
    EXPECT_EQ((*token)->user_id, "u-north");
    EXPECT_TRUE((*txn)->GetUser("u-north").ok());
    EXPECT_EQ((*txn)->GetUser("u-south").status().code(), absl::StatusCode::kNotFound);
  }
  auto txn = store->Begin(/*write=*/true, std::string(kClinicOfItsSecret));
  ASSERT_TRUE(txn.ok());
  auto patient = (*txn)->ConsumeEnrollmentCode("e-south", 1);
  ASSERT_TRUE(patient.ok() && patient->has_value());
  EXPECT_EQ(**patient, "p-south");
  EXPECT_TRUE((*txn)->GetPatient("p-south").ok());
  EXPECT_EQ((*txn)->GetPatient("p-north").status().code(), absl::StatusCode::kNotFound);
}

// Whether `sql` names the clinic of the row(s) it touches: a filter on clinic_id, or an
// INSERT whose clinic_id is given (a value, or taken from a parent found by clinic).
bool NamesItsClinic(const std::string& sql) {
  if (absl::StrContains(sql, "NOT EXISTS (SELECT 1 FROM")) return false;  // any clinic's id
  return absl::StrContains(sql, "clinic_id = $") || absl::StrContains(sql, "clinic_id IN ($") ||
         absl::StartsWith(sql, "INSERT INTO") && absl::StrContains(sql, "(clinic_id,");
}

TEST(ClinicScope, EveryStatementOfATxnOfOneClinicNamesItsClinic) {
  const std::string dsn = FreshDatabase();
  auto admin = pg::Connection::Open(dsn);
  ASSERT_TRUE(admin.ok());
  const absl::Status loaded = (*admin)->Exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  ASSERT_TRUE(loaded.ok()) << loaded
                           << " (pg_stat_statements must be preloaded: CTest's pg_clinic_scope "
                              "passes KNEECOACH_PG_SETTINGS to pg_cluster.sh)";
  auto store = Open(dsn);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Seed(*store).ok());
  ASSERT_TRUE((*admin)->Run("SELECT pg_stat_statements_reset()").ok());

  // Every method of a Txn, in Txns of clinic north (a write Txn, then a read Txn).
  {
    auto txn = store->Begin(/*write=*/true, kNorth);
    ASSERT_TRUE(txn.ok());
    Txn& t = **txn;
    const std::string key = "clinics/north|users/u-north|CreatePatient";
    std::vector<absl::Status> done = {
        t.GetStoredRequest(key, "r").status(),
        t.GetPatient("p-north").status(),
        t.UpdatePatient("p-north", Patient("p-north", kNorth)),
        t.ListPatients(kNorth, "u-north", {}).status(),
        t.InsertPatient("p2", Patient("p2", kNorth)),
        t.GetProgram("g-north").status(),
        t.UpdateProgram("g-north", v1::Program()),
        t.InsertProgram("g2", "p2", v1::Program()),
        t.ListPrograms("p-north", {}).status(),
        t.ListClinicPrograms(kNorth, "u-north", {}).status(),
        t.ListProgramIds({}).status(),
        t.InsertSession("s2", "g-north", v1::Session()),
        t.ListSessions("g-north", {}).status(),
        t.SessionsSince("g-north", "2026-01-01").status(),
        t.InsertCheckIn("c2", "g-north", v1::MorningCheckIn()),
        t.ListCheckIns("g-north", {}).status(),
        t.CheckInsSince("g-north", "2026-01-01").status(),
        t.InsertOutcome("o2", "g-north", v1::Outcome()),
        t.ListOutcomes("g-north", v1::OUTCOME_KIND_AKPS, {}).status(),
        t.InsertDecision("d2", "g-north", v1::Decision()),
        t.GetDecision("d2").status(),
        t.UpdateDecision("d2", v1::Decision()),
        t.ListDecisions("g-north", v1::DECISION_STATE_PROPOSED, {}).status(),
        t.InsertAlert("a2", "g-north", "p-north", kNorth, v1::Alert()),
        t.GetAlert("a2").status(),
        t.UpdateAlert("a2", v1::Alert()),
        t.ListAlerts({.program_id = "g-north",
                      .clinic = kNorth,
                      .physiotherapist_id = "u-north",
                      .unacknowledged_only = true},
                     {})
            .status(),
        t.InsertUser("u2", "", User("u2", kNorth)),
        t.GetUser("u2").status(),
        t.UpdateUser("u2", User("u2", kNorth)),
        t.ListUsers(kNorth, {}).status(),
        t.FindPatientUser("p-north").status(),
        t.InsertToken("t2", "u2", "h2", v1::Token(), "t-north"),
        t.ListChildTokens("t-north").status(),
        t.GetToken("t2").status(),
        t.UpdateToken("t2", v1::Token()),
        t.FindTokenBySecretHash("h2").status(),
        t.ListTokens("u2", {}).status(),
        t.InsertEnrollmentCode("e2", "p2", 4000000000),
        t.ConsumeEnrollmentCode("e2", 1).status(),
        t.SetAssignments("p2", {"u2"}),
        t.IsAssigned("p2", "u2").status(),
        t.InsertAudit("e2", kNorth, "p2", v1::AuditEntry()),
        t.ListAudit(kNorth, {}).status(),
        t.ErasePatient("p-north"),
        t.PutRequestResult(key, "r", "response", "digest"),
        t.AnnounceChange({StoreChange::Kind::kProgram, "g2"}),
    };
    for (size_t i = 0; i < done.size(); ++i) EXPECT_TRUE(done[i].ok()) << i << ": " << done[i];
    ASSERT_TRUE(t.Commit().ok());
  }

  auto r = (*admin)->Run(
      "SELECT query FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE "
      "datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'");
  ASSERT_TRUE(r.ok()) << r.status();
  // The tables holding clinics' records (service/store/pg/schema.cc); the reference tables
  // (clinics, protocols, secrets, token_secrets, enrollment_codes) are every node's.
  const std::vector<std::string> kClinicTables = {
      "patients", "programs", "sessions", "check_ins",   "outcomes", "decisions",
      "alerts",   "users",    "tokens",   "assignments", "audit",    "requests"};
  int checked = 0;
  std::set<std::string> tables_seen;
  for (int row = 0; row < r->rows(); ++row) {
    const std::string sql = r->String(row, 0);
    bool touches = false;
    for (const std::string& table : kClinicTables) {
      for (const char* verb : {"FROM ", "INTO ", "UPDATE "}) {
        if (absl::StrContains(sql, absl::StrCat(verb, table, " ")) ||
            absl::StrContains(sql, absl::StrCat(verb, table, "("))) {
          touches = true;
          tables_seen.insert(table);
        }
      }
    }
    if (!touches) continue;
    ++checked;
    EXPECT_TRUE(NamesItsClinic(sql)) << sql;
  }
  EXPECT_GE(checked, 50);  // the methods above send at least this many statements
  EXPECT_EQ(tables_seen.size(), kClinicTables.size());
}

}  // namespace
}  // namespace kneecoach
