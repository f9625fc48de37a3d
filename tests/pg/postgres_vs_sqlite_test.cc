// The same writes and reads against SqliteStore (in memory) and PostgresStore: every answer
// (records, orders, page boundaries, error codes, what ErasePatient leaves) must match.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/postgres_store.h"
#include "service/store/sqlite_store.h"
#include "tests/pg/pg_test_db.h"

namespace kneecoach {
namespace {

using testing::Patient;

// What one step observed, as text: "OK", a status code, or the records read.
using Observe = std::function<std::string(Txn&)>;

std::string Code(const absl::Status& s) {
  return s.ok() ? "OK" : absl::StatusCodeToString(s.code());
}

template <typename T>
std::string Show(const absl::StatusOr<Page<T>>& page) {
  if (!page.ok()) return Code(page.status());
  std::string out;
  for (const T& item : page->items) {
    if constexpr (std::is_same_v<T, std::string>) {
      absl::StrAppend(&out, item, ",");
    } else {
      absl::StrAppend(&out, item.ShortDebugString(), ";");
    }
  }
  absl::StrAppend(&out, page->next != decltype(page->next)() ? " +more" : " end");
  return out;
}

// Every page of a list, `limit` at a time, joined.
template <typename T>
std::string AllPages(std::function<absl::StatusOr<Page<T>>(PageRequest)> list, int limit) {
  std::string out;
  PageRequest request{.limit = limit};
  for (int i = 0; i < 100; ++i) {
    auto page = list(request);
    absl::StrAppend(&out, "[", Show(page), "]");
    if (!page.ok() || page->next == decltype(page->next)()) break;
    request.after = page->next;
  }
  return out;
}

v1::Session Session(const std::string& id, const std::string& date) {
  v1::Session s;
  s.set_name("sessions/" + id);
  s.set_local_date(date);
  return s;
}

// The scenario: writes (each in its own committed Txn) and reads, observed in order.
std::vector<std::pair<bool, Observe>> Scenario() {
  std::vector<std::pair<bool, Observe>> steps;
  const auto write = [&](Observe o) { steps.push_back({true, std::move(o)}); };
  const auto read = [&](Observe o) { steps.push_back({false, std::move(o)}); };
  write([](Txn& t) {
    std::string out;
    for (int i = 0; i < 5; ++i) {
      const std::string id = absl::StrCat("p", i);
      absl::StrAppend(&out,
                      Code(t.InsertPatient(id, Patient(id, i % 2 ? "clinics/a" : "clinics/b"))));
    }
    absl::StrAppend(&out, Code(t.InsertPatient("p1", Patient("p1", "clinics/a"))));
    v1::Clinic clinic;
    clinic.set_display_name("A");
    absl::StrAppend(&out, Code(t.InsertClinic("a", clinic)), Code(t.InsertClinic("a", clinic)));
    for (int i = 0; i < 3; ++i) {
      v1::Program g;
      g.set_name(absl::StrCat("programs/g", i));
      absl::StrAppend(&out, Code(t.InsertProgram(absl::StrCat("g", i), absl::StrCat("p", i), g)));
    }
    absl::StrAppend(&out, Code(t.InsertProgram("gx", "nobody", v1::Program())));
    for (int i = 0; i < 7; ++i) {
      absl::StrAppend(&out, Code(t.InsertSession(
                                absl::StrCat("s", i), i < 5 ? "g0" : "g1",
                                Session(absl::StrCat("s", i), absl::StrCat("2026-01-0", 7 - i)))));
    }
    absl::StrAppend(&out, Code(t.InsertSession("sx", "nothing", Session("sx", "2026-01-01"))));
    v1::MorningCheckIn c;
    c.set_local_date("2026-01-03");
    absl::StrAppend(&out, Code(t.InsertCheckIn("c0", "g0", c)));
    v1::Outcome o;
    o.set_kind(v1::OUTCOME_KIND_AKPS);
    absl::StrAppend(&out, Code(t.InsertOutcome("o0", "g0", o)));
    v1::Decision d;
    d.set_state(v1::DECISION_STATE_PROPOSED);
    absl::StrAppend(&out, Code(t.InsertDecision("d0", "g0", d)));
    v1::Alert a;
    a.set_name("alerts/a0");
    absl::StrAppend(&out, Code(t.InsertAlert("a0", "g0", "p0", "clinics/b", a)));
    absl::StrAppend(&out, Code(t.InsertAlert("a1", "g1", "p1", "clinics/a", a)));
    v1::User u;
    u.set_name("users/u0");
    u.set_clinic("clinics/b");
    absl::StrAppend(&out, Code(t.InsertUser("u0", "p0", u)));
    v1::User physio;
    physio.set_name("users/u1");
    physio.set_clinic("clinics/b");
    absl::StrAppend(&out, Code(t.InsertUser("u1", "", physio)));
    v1::Token tok;
    tok.set_name("tokens/t0");
    absl::StrAppend(&out, Code(t.InsertToken("t0", "u0", "hash0", tok)),
                    Code(t.InsertToken("t1", "u0", "hash1", tok, "t0")),
                    Code(t.InsertToken("t2", "nobody", "hash2", tok)));
    absl::StrAppend(&out, Code(t.InsertEnrollmentCode("code", "p0", 100)));
    absl::StrAppend(&out, Code(t.SetAssignments("p0", {"u1", "u1"})),
                    Code(t.SetAssignments("p2", {"u1"})));
    v1::AuditEntry e;
    e.set_method("x users/u0");
    absl::StrAppend(&out, Code(t.InsertAudit("e0", "clinics/b", "p0", e)),
                    Code(t.InsertAudit("e1", "clinics/b", "", e)));
    absl::StrAppend(&out, Code(t.PutRequestResult("clinics/b|users/u0|X", "r1", "patients/p0")),
                    Code(t.PutRequestResult("clinics/b|users/u9|X", "r2", "other")));
    return out;
  });
  read([](Txn& t) {
    std::string out;
    absl::StrAppend(
        &out, AllPages<v1::Patient>([&](PageRequest r) { return t.ListPatients("", "", r); }, 2));
    absl::StrAppend(&out,
                    AllPages<v1::Patient>(
                        [&](PageRequest r) { return t.ListPatients("clinics/a", "", r); }, 1));
    absl::StrAppend(
        &out, AllPages<v1::Patient>([&](PageRequest r) { return t.ListPatients("", "u1", r); }, 5));
    absl::StrAppend(&out,
                    AllPages<v1::Program>([&](PageRequest r) { return t.ListPrograms("", r); }, 2));
    absl::StrAppend(
        &out, AllPages<v1::Program>(
                  [&](PageRequest r) { return t.ListClinicPrograms("clinics/b", "", r); }, 2));
    absl::StrAppend(&out,
                    AllPages<std::string>([&](PageRequest r) { return t.ListProgramIds(r); }, 2));
    absl::StrAppend(
        &out, AllPages<v1::Session>([&](PageRequest r) { return t.ListSessions("g0", r); }, 2));
    auto since = t.SessionsSince("g0", "2026-01-04");
    if (since.ok()) {
      for (const auto& s : *since) absl::StrAppend(&out, s.name(), ",");
    }
    absl::StrAppend(
        &out, Show(t.ListCheckIns("g0", {})), Show(t.ListOutcomes("g0", v1::OUTCOME_KIND_AKPS, {})),
        Show(t.ListDecisions("g0", v1::DECISION_STATE_PROPOSED, {})),
        Show(t.ListAlerts({.clinic = "clinics/b"}, {})),
        Show(t.ListAlerts({.physiotherapist_id = "u1", .unacknowledged_only = true}, {})),
        Show(t.ListUsers("clinics/b", {})), Show(t.ListTokens("u0", {})),
        Show(t.ListAudit("clinics/b", {})));
    absl::StrAppend(&out, Code(t.GetPatient("nobody").status()), Code(t.GetProgram("g0").status()),
                    Code(t.GetToken("t9").status()));
    auto by_hash = t.FindTokenBySecretHash("hash1");
    absl::StrAppend(&out, by_hash.ok() && by_hash->has_value() ? (*by_hash)->parent_id : "none");
    auto children = t.ListChildTokens("t0");
    absl::StrAppend(&out, children.ok() ? children->size() : 99u);
    auto assigned = t.IsAssigned("p0", "u1");
    absl::StrAppend(&out, assigned.ok() && *assigned ? "assigned" : "not");
    auto user = t.FindPatientUser("p0");
    absl::StrAppend(&out, user.ok() && user->has_value() ? (*user)->name() : "none");
    return out;
  });
  write([](Txn& t) {
    std::string out;
    v1::Decision d;
    d.set_state(v1::DECISION_STATE_APPLIED);
    absl::StrAppend(&out, Code(t.UpdateDecision("d0", d)), Code(t.UpdateDecision("dx", d)));
    v1::Alert a;
    a.set_acknowledged(true);
    absl::StrAppend(&out, Code(t.UpdateAlert("a0", a)));
    auto consumed = t.ConsumeEnrollmentCode("code", 50);
    auto again = t.ConsumeEnrollmentCode("code", 50);
    absl::StrAppend(&out, consumed.ok() && consumed->has_value() ? **consumed : "none",
                    again.ok() && again->has_value() ? **again : "none");
    return out;
  });
  read([](Txn& t) {
    return std::string(Show(t.ListDecisions("g0", v1::DECISION_STATE_APPLIED, {})) +
                       Show(t.ListAlerts({.unacknowledged_only = true}, {})));
  });
  write([](Txn& t) { return Code(t.ErasePatient("p0")) + Code(t.ErasePatient("nobody")); });
  read([](Txn& t) {
    std::string out;
    auto r1 = t.GetRequestResult("clinics/b|users/u0|X", "r1");
    auto r2 = t.GetRequestResult("clinics/b|users/u9|X", "r2");
    absl::StrAppend(&out, r1.ok() && r1->has_value() ? "kept" : "gone",
                    r2.ok() && r2->has_value() ? "kept" : "gone");
    absl::StrAppend(&out, Show(t.ListSessions("g0", {})), Show(t.ListAudit("clinics/b", {})),
                    Show(t.ListUsers("clinics/b", {})), Code(t.GetToken("t0").status()));
    auto by_hash = t.FindTokenBySecretHash("hash0");
    absl::StrAppend(&out, by_hash.ok() && by_hash->has_value() ? "token" : "none");
    absl::StrAppend(&out, Show(t.ListPatients("", "", {})));
    return out;
  });
  return steps;
}

std::vector<std::string> RunScenario(Store& store) {
  std::vector<std::string> seen;
  for (auto& [write, observe] : Scenario()) {
    auto txn = store.Begin(write);
    if (!txn.ok()) {
      seen.push_back(Code(txn.status()));
      continue;
    }
    std::string out = observe(**txn);
    absl::StrAppend(&out, " commit:", Code((*txn)->Commit()));
    seen.push_back(out);
  }
  return seen;
}

TEST(PostgresVsSqlite, EveryAnswerMatches) {
  auto sqlite = SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  auto postgres = PostgresStore::Open({.conninfo = testing::FreshDatabase(true), .connections = 2});
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::vector<std::string> expected = RunScenario(**sqlite);
  const std::vector<std::string> actual = RunScenario(**postgres);
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(actual[i], expected[i]) << "step " << i;
  }
}

}  // namespace
}  // namespace kneecoach
