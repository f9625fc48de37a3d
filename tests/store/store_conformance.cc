// The Store conformance suite (store_conformance.h): every Txn method and every error that
// service/store/store.h documents, against whichever backend instantiates it.
#include "tests/store/store_conformance.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "service/core/retry.h"

namespace kneecoach::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// ---- helpers -------------------------------------------------------------------------

std::filesystem::path& TempDir() {
  static std::filesystem::path dir;
  return dir;
}

// Removes the temporary databases when the tests end.
class TempDirCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    if (TempDir().empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(TempDir(), ec);
  }
};
[[maybe_unused]] const auto* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new TempDirCleanup());

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

#define KC_ASSERT_OK(expr)                         \
  do {                                             \
    const absl::Status kc_status = StatusOf(expr); \
    ASSERT_TRUE(kc_status.ok()) << kc_status;      \
  } while (0)
#define KC_EXPECT_CODE(expr, expected)                                    \
  do {                                                                    \
    const absl::Status kc_status = StatusOf(expr);                        \
    EXPECT_EQ(kc_status.code(), absl::StatusCode::expected) << kc_status; \
  } while (0)

// Runs `fn` in a write Txn and commits it: fn's error, or Commit()'s.
absl::Status Write(Store& store, const std::function<absl::Status(Txn&)>& fn) {
  auto txn = store.Begin(/*write=*/true);
  if (!txn.ok()) return txn.status();
  if (absl::Status s = fn(**txn); !s.ok()) return s;
  return (*txn)->Commit();
}

// Runs `fn` in a read Txn.
template <typename Fn>
auto Read(Store& store, Fn&& fn) -> decltype(fn(std::declval<Txn&>())) {
  auto txn = store.Begin(/*write=*/false);
  if (!txn.ok()) return txn.status();
  return fn(**txn);
}

v1::Patient Patient(const std::string& id, const std::string& clinic = "clinics/north") {
  v1::Patient p;
  p.set_name(absl::StrCat("patients/", id));
  p.set_display_name(id);
  p.set_clinic(clinic);
  return p;
}
v1::Program Program(const std::string& id, const std::string& patient_id) {
  v1::Program p;
  p.set_name(absl::StrCat("programs/", id));
  p.set_patient(absl::StrCat("patients/", patient_id));
  return p;
}
v1::Session Session(const std::string& id, const std::string& program, const std::string& date) {
  v1::Session s;
  s.set_name(absl::StrCat("programs/", program, "/sessions/", id));
  s.set_local_date(date);
  return s;
}
v1::MorningCheckIn CheckIn(const std::string& id, const std::string& program,
                           const std::string& date) {
  v1::MorningCheckIn c;
  c.set_name(absl::StrCat("programs/", program, "/checkIns/", id));
  c.set_local_date(date);
  return c;
}
v1::Outcome Outcome(const std::string& id, const std::string& program, v1::OutcomeKind kind) {
  v1::Outcome o;
  o.set_name(absl::StrCat("programs/", program, "/outcomes/", id));
  o.set_kind(kind);
  return o;
}
v1::Decision Decision(const std::string& id, const std::string& program, v1::DecisionState state) {
  v1::Decision d;
  d.set_name(absl::StrCat("programs/", program, "/decisions/", id));
  d.set_state(state);
  return d;
}
v1::Alert Alert(const std::string& id, const std::string& program, bool acknowledged = false) {
  v1::Alert a;
  a.set_name(absl::StrCat("programs/", program, "/alerts/", id));
  a.set_acknowledged(acknowledged);
  return a;
}
v1::Protocol Protocol(const std::string& id, int version = 1) {
  v1::Protocol p;
  p.set_name(absl::StrCat("protocols/", id));
  p.set_id(id);
  p.set_version(version);
  return p;
}
v1::Clinic Clinic(const std::string& id) {
  v1::Clinic c;
  c.set_name(absl::StrCat("clinics/", id));
  c.set_display_name(id);
  return c;
}
v1::User User(const std::string& id, const std::string& clinic = "clinics/north",
              v1::Role role = v1::ROLE_PHYSIOTHERAPIST) {
  v1::User u;
  u.set_name(absl::StrCat("users/", id));
  u.set_display_name(id);
  u.set_clinic(clinic);
  u.set_role(role);
  return u;
}
v1::Token Token(const std::string& id, const std::string& user_id) {
  v1::Token t;
  t.set_name(absl::StrCat("users/", user_id, "/tokens/", id));
  t.set_display_name(id);
  return t;
}
v1::AuditEntry Audit(const std::string& id, const std::string& summary = "") {
  v1::AuditEntry e;
  e.set_name(absl::StrCat("clinics/north/auditEntries/", id));
  e.set_summary(summary.empty() ? id : summary);
  return e;
}

// An alert filter (designated initializers leave -Wmissing-field-initializers warnings).
AlertFilter Alerts(std::string program_id, std::string clinic = "",
                   std::string physiotherapist_id = "", bool unacknowledged_only = false) {
  AlertFilter f;
  f.program_id = std::move(program_id);
  f.clinic = std::move(clinic);
  f.physiotherapist_id = std::move(physiotherapist_id);
  f.unacknowledged_only = unacknowledged_only;
  return f;
}

// The last path segment of each item's name, in list order.
template <typename T>
std::vector<std::string> Ids(const std::vector<T>& items) {
  std::vector<std::string> ids;
  for (const T& item : items) ids.push_back(item.name().substr(item.name().rfind('/') + 1));
  return ids;
}

// Every item of a list, following cursors page by page (limit `limit`); the number of pages
// in `pages` if given. Fails (INTERNAL) on a list that never ends.
template <typename T, typename List>
absl::StatusOr<std::vector<T>> All(List&& list, int limit, int* pages = nullptr) {
  std::vector<T> all;
  PageRequest page{.limit = limit, .after = ""};
  int count = 0;
  do {
    absl::StatusOr<Page<T>> result = list(page);
    if (!result.ok()) return result.status();
    if (static_cast<int>(result->items.size()) > limit) {
      return absl::InternalError("a page holds more than its limit");
    }
    for (T& item : result->items) all.push_back(std::move(item));
    page.after = result->next;
    if (++count > 1000) return absl::InternalError("the list never ends");
  } while (!page.after.empty());
  if (pages != nullptr) *pages = count;
  return all;
}

// Two clinics: north (patients a, b; physiotherapist u1 looks after a) and south (patient
// c). Programs ga (of a), gb (of b), gc (of c).
absl::Status SeedClinics(Txn& txn) {
  for (const char* id : {"north", "south"}) {
    if (absl::Status s = txn.InsertClinic(id, Clinic(id)); !s.ok()) return s;
  }
  if (absl::Status s = txn.InsertPatient("a", Patient("a")); !s.ok()) return s;
  if (absl::Status s = txn.InsertPatient("b", Patient("b")); !s.ok()) return s;
  if (absl::Status s = txn.InsertPatient("c", Patient("c", "clinics/south")); !s.ok()) return s;
  if (absl::Status s = txn.InsertUser("u1", "", User("u1")); !s.ok()) return s;
  if (absl::Status s = txn.SetAssignments("a", {"u1"}); !s.ok()) return s;
  for (const auto& [program, patient] :
       std::vector<std::pair<std::string, std::string>>{{"ga", "a"}, {"gb", "b"}, {"gc", "c"}}) {
    if (absl::Status s = txn.InsertProgram(program, patient, Program(program, patient)); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// ---- transactions --------------------------------------------------------------------

TEST_P(StoreConformanceTest, EmptyTransactionsCommit) {
  KC_ASSERT_OK(Write(*store_, [](Txn&) { return absl::OkStatus(); }));
  auto read = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(read);
  KC_ASSERT_OK((*read)->Commit());
}

TEST_P(StoreConformanceTest, CommittedWritesAreReadByLaterTxns) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) { return txn.InsertPatient("a", Patient("a")); }));
  // The next write Txn sees the first one's commit, and so does a read Txn.
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    auto p = txn.GetPatient("a");
    if (!p.ok()) return p.status();
    EXPECT_EQ(p->display_name(), "a");
    return absl::OkStatus();
  }));
  auto read = Read(*store_, [](Txn& txn) { return txn.GetPatient("a"); });
  KC_ASSERT_OK(read);
  EXPECT_EQ(read->name(), "patients/a");
}

TEST_P(StoreConformanceTest, DroppedWriteTxnKeepsNothing) {
  {
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    KC_ASSERT_OK((*txn)->InsertPatient("a", Patient("a")));
    KC_ASSERT_OK((*txn)->PutRequestResult("scope", "r1", "response", "digest"));
    KC_ASSERT_OK((*txn)->GetPatient("a"));  // its own writes are visible to it
  }                                         // dropped without Commit()
  KC_EXPECT_CODE(Read(*store_, [](Txn& txn) { return txn.GetPatient("a"); }), kNotFound);
  auto record = Read(*store_, [](Txn& txn) { return txn.GetStoredRequest("scope", "r1"); });
  KC_ASSERT_OK(record);
  EXPECT_FALSE(record->has_value());
  // The store takes the next writer as usual.
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) { return txn.InsertPatient("a", Patient("a")); }));
}

TEST_P(StoreConformanceTest, TxnUsedAfterCommitIsFailedPrecondition) {
  auto txn = store_->Begin(/*write=*/true);
  KC_ASSERT_OK(txn);
  KC_ASSERT_OK((*txn)->Commit());
  KC_EXPECT_CODE((*txn)->Commit(), kFailedPrecondition);
  KC_EXPECT_CODE((*txn)->InsertPatient("a", Patient("a")), kFailedPrecondition);
  txn->reset();
  auto read = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(read);
  KC_ASSERT_OK((*read)->Commit());
  KC_EXPECT_CODE((*read)->GetPatient("a"), kFailedPrecondition);
}

// A read Txn never sees a write Txn's uncommitted writes. (A backend may make the read
// wait for the writer: SQLite in memory does; then it runs after the rollback.)
TEST_P(StoreConformanceTest, ReadTxnDoesNotSeeUncommittedWrites) {
  auto writer = store_->Begin(/*write=*/true);
  KC_ASSERT_OK(writer);
  KC_ASSERT_OK((*writer)->InsertPatient("a", Patient("a")));
  std::future<absl::StatusCode> seen = std::async(std::launch::async, [&] {
    return Read(*store_, [](Txn& txn) { return txn.GetPatient("a"); }).status().code();
  });
  const bool ran_beside_writer =
      seen.wait_for(std::chrono::milliseconds(300)) == std::future_status::ready;
  writer->reset();  // rolled back
  EXPECT_EQ(seen.get(), absl::StatusCode::kNotFound)
      << (ran_beside_writer ? "read beside the writer" : "read after the rollback");
}

// A read Txn reads one snapshot: a commit made while it runs stays invisible to it.
TEST_P(StoreConformanceTest, ReadTxnReadsOneSnapshot) {
  auto reader = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(reader);
  auto before = (*reader)->ListPatients("", "", {.limit = 10, .after = ""});
  KC_ASSERT_OK(before);
  EXPECT_THAT(before->items, IsEmpty());
  std::future<absl::Status> wrote = std::async(std::launch::async, [&] {
    return Write(*store_, [](Txn& txn) { return txn.InsertPatient("a", Patient("a")); });
  });
  // The writer may have to wait for the reader (SQLite in memory): give it a moment.
  wrote.wait_for(std::chrono::milliseconds(300));
  auto after = (*reader)->ListPatients("", "", {.limit = 10, .after = ""});
  KC_ASSERT_OK(after);
  EXPECT_THAT(after->items, IsEmpty());
  KC_EXPECT_CODE((*reader)->GetPatient("a"), kNotFound);
  reader->reset();
  KC_ASSERT_OK(wrote.get());
  KC_ASSERT_OK(Read(*store_, [](Txn& txn) { return txn.GetPatient("a"); }));
}

// Serializable writes: concurrent read-modify-write Txns, each retried on ABORTED as the
// write path does, lose no update.
TEST_P(StoreConformanceTest, ConcurrentReadModifyWritesLoseNoUpdate) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) {
    v1::Patient p = Patient("a");
    p.set_display_name("0");
    return txn.InsertPatient("a", p);
  }));
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status s = internal::RetryAborted(20, [&] {
          return Write(*store_, [](Txn& txn) -> absl::Status {
            auto p = txn.GetPatient("a");
            if (!p.ok()) return p.status();
            int n = 0;
            if (!absl::SimpleAtoi(p->display_name(), &n)) return absl::InternalError("count");
            p->set_display_name(absl::StrCat(n + 1));
            return txn.UpdatePatient("a", *p);
          });
        });
        if (!s.ok()) {
          ADD_FAILURE() << s;
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto p = Read(*store_, [](Txn& txn) { return txn.GetPatient("a"); });
  KC_ASSERT_OK(p);
  EXPECT_EQ(p->display_name(), absl::StrCat(kThreads * kEach - failures.load()));
  EXPECT_EQ(failures.load(), 0);
}

// ---- records: insert, get, update ------------------------------------------------------

TEST_P(StoreConformanceTest, InsertedRecordsReadBackWhole) {
  v1::Patient patient = Patient("a");
  patient.set_time_zone("Europe/London");
  KC_ASSERT_OK(Write(*store_, [&](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s = txn.UpdatePatient("a", patient); !s.ok()) return s;
    if (absl::Status s =
            txn.InsertDecision("d1", "ga", Decision("d1", "ga", v1::DECISION_STATE_PROPOSED));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertAlert("al1", "ga", "a", "clinics/north", Alert("al1", "ga"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.PutProtocol("p1", Protocol("p1")); !s.ok()) return s;
    return txn.InsertToken("t1", "u1", "hash1", Token("t1", "u1"));
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  auto got_patient = t.GetPatient("a");
  KC_ASSERT_OK(got_patient);
  EXPECT_EQ(got_patient->SerializeAsString(), patient.SerializeAsString());
  auto program = t.GetProgram("ga");
  KC_ASSERT_OK(program);
  EXPECT_EQ(program->SerializeAsString(), Program("ga", "a").SerializeAsString());
  auto decision = t.GetDecision("d1");
  KC_ASSERT_OK(decision);
  EXPECT_EQ(decision->state(), v1::DECISION_STATE_PROPOSED);
  auto alert = t.GetAlert("al1");
  KC_ASSERT_OK(alert);
  EXPECT_EQ(alert->name(), "programs/ga/alerts/al1");
  auto protocol = t.GetProtocol("p1");
  KC_ASSERT_OK(protocol);
  EXPECT_EQ(protocol->version(), 1);
  auto clinic = t.GetClinic("south");
  KC_ASSERT_OK(clinic);
  EXPECT_EQ(clinic->name(), "clinics/south");
  auto user = t.GetUser("u1");
  KC_ASSERT_OK(user);
  EXPECT_EQ(user->SerializeAsString(), User("u1").SerializeAsString());
  auto token = t.GetToken("t1");
  KC_ASSERT_OK(token);
  EXPECT_EQ(token->id, "t1");
  EXPECT_EQ(token->user_id, "u1");
  EXPECT_EQ(token->parent_id, "");
  EXPECT_EQ(token->token.name(), "users/u1/tokens/t1");
}

TEST_P(StoreConformanceTest, GetOfUnknownIdIsNotFound) {
  KC_ASSERT_OK(Write(*store_, SeedClinics));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  KC_EXPECT_CODE(t.GetPatient("nobody"), kNotFound);
  KC_EXPECT_CODE(t.GetProgram("nothing"), kNotFound);
  KC_EXPECT_CODE(t.GetDecision("nothing"), kNotFound);
  KC_EXPECT_CODE(t.GetAlert("nothing"), kNotFound);
  KC_EXPECT_CODE(t.GetProtocol("nothing"), kNotFound);
  KC_EXPECT_CODE(t.GetClinic("nowhere"), kNotFound);
  KC_EXPECT_CODE(t.GetUser("nobody"), kNotFound);
  KC_EXPECT_CODE(t.GetToken("nothing"), kNotFound);
  // NOT_FOUND leaves the Txn usable.
  KC_ASSERT_OK(t.GetPatient("a"));
}

TEST_P(StoreConformanceTest, UpdateOfUnknownIdIsNotFoundAndChangesNothing) {
  KC_ASSERT_OK(Write(*store_, SeedClinics));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    KC_EXPECT_CODE(t.UpdatePatient("nobody", Patient("nobody")), kNotFound);
    KC_EXPECT_CODE(t.UpdateProgram("nothing", Program("nothing", "a")), kNotFound);
    KC_EXPECT_CODE(
        t.UpdateDecision("nothing", Decision("nothing", "ga", v1::DECISION_STATE_APPLIED)),
        kNotFound);
    KC_EXPECT_CODE(t.UpdateAlert("nothing", Alert("nothing", "ga")), kNotFound);
    KC_EXPECT_CODE(t.UpdateUser("nobody", User("nobody")), kNotFound);
    KC_EXPECT_CODE(t.UpdateToken("nothing", Token("nothing", "u1")), kNotFound);
    // The Txn goes on after NOT_FOUND.
    return t.InsertPatient("d", Patient("d"));
  }));
  KC_ASSERT_OK(Read(*store_, [](Txn& txn) { return txn.GetPatient("d"); }));
  KC_EXPECT_CODE(Read(*store_, [](Txn& txn) { return txn.GetPatient("nobody"); }), kNotFound);
}

TEST_P(StoreConformanceTest, UpdatesReplaceTheRecord) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s =
            txn.InsertDecision("d1", "ga", Decision("d1", "ga", v1::DECISION_STATE_PROPOSED));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertAlert("al1", "ga", "a", "clinics/north", Alert("al1", "ga"));
        !s.ok()) {
      return s;
    }
    return txn.InsertToken("t1", "u1", "hash1", Token("t1", "u1"));
  }));
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    v1::Patient p = Patient("a");
    p.set_display_name("renamed");
    if (absl::Status s = txn.UpdatePatient("a", p); !s.ok()) return s;
    v1::Program g = Program("ga", "a");
    g.set_state(v1::PROGRAM_STATE_PAUSED);
    if (absl::Status s = txn.UpdateProgram("ga", g); !s.ok()) return s;
    if (absl::Status s =
            txn.UpdateDecision("d1", Decision("d1", "ga", v1::DECISION_STATE_REJECTED));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.UpdateAlert("al1", Alert("al1", "ga", /*acknowledged=*/true));
        !s.ok()) {
      return s;
    }
    v1::User u = User("u1");
    u.set_disabled(true);
    if (absl::Status s = txn.UpdateUser("u1", u); !s.ok()) return s;
    v1::Token t = Token("t1", "u1");
    t.set_revoked(true);
    return txn.UpdateToken("t1", t);
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  EXPECT_EQ(t.GetPatient("a")->display_name(), "renamed");
  EXPECT_EQ(t.GetProgram("ga")->state(), v1::PROGRAM_STATE_PAUSED);
  EXPECT_EQ(t.GetDecision("d1")->state(), v1::DECISION_STATE_REJECTED);
  EXPECT_TRUE(t.GetAlert("al1")->acknowledged());
  EXPECT_TRUE(t.GetUser("u1")->disabled());
  EXPECT_TRUE(t.GetToken("t1")->token.revoked());
  // Updates move the filters with them: the decision is rejected, the alert acknowledged.
  auto proposed = t.ListDecisions("ga", v1::DECISION_STATE_PROPOSED, {.limit = 10, .after = ""});
  KC_ASSERT_OK(proposed);
  EXPECT_THAT(proposed->items, IsEmpty());
  auto rejected = t.ListDecisions("ga", v1::DECISION_STATE_REJECTED, {.limit = 10, .after = ""});
  KC_ASSERT_OK(rejected);
  EXPECT_THAT(Ids(rejected->items), ElementsAre("d1"));
  auto open = t.ListAlerts(Alerts("", "", "", true), {.limit = 10, .after = ""});
  KC_ASSERT_OK(open);
  EXPECT_THAT(open->items, IsEmpty());
}

// Each duplicate in a Txn of its own (a backend may end the Txn on the error), and the
// first record stays as it was.
TEST_P(StoreConformanceTest, DuplicateInsertIsAlreadyExists) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s = txn.InsertSession("s1", "ga", Session("s1", "ga", "2026-03-02"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertCheckIn("c1", "ga", CheckIn("c1", "ga", "2026-03-02"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertOutcome("o1", "ga", Outcome("o1", "ga", v1::OUTCOME_KIND_AKPS));
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            txn.InsertDecision("d1", "ga", Decision("d1", "ga", v1::DECISION_STATE_PROPOSED));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertAlert("al1", "ga", "a", "clinics/north", Alert("al1", "ga"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertToken("t1", "u1", "hash1", Token("t1", "u1")); !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertAudit("e1", "clinics/north", "a", Audit("e1")); !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertEnrollmentCode("code1", "a", 2000000000); !s.ok()) return s;
    return txn.PutRequestResult("scope", "r1", "first", "digest1");
  }));
  const std::vector<std::pair<std::string, std::function<absl::Status(Txn&)>>> duplicates = {
      {"patient", [](Txn& t) { return t.InsertPatient("a", Patient("a", "clinics/south")); }},
      {"program", [](Txn& t) { return t.InsertProgram("ga", "b", Program("ga", "b")); }},
      {"session",
       [](Txn& t) { return t.InsertSession("s1", "ga", Session("s1", "ga", "2026-03-03")); }},
      {"check-in",
       [](Txn& t) { return t.InsertCheckIn("c1", "ga", CheckIn("c1", "ga", "2026-03-03")); }},
      {"outcome",
       [](Txn& t) {
         return t.InsertOutcome("o1", "ga", Outcome("o1", "ga", v1::OUTCOME_KIND_AKPS));
       }},
      {"decision",
       [](Txn& t) {
         return t.InsertDecision("d1", "ga", Decision("d1", "ga", v1::DECISION_STATE_APPLIED));
       }},
      {"alert",
       [](Txn& t) {
         return t.InsertAlert("al1", "ga", "a", "clinics/north", Alert("al1", "ga", true));
       }},
      {"clinic", [](Txn& t) { return t.InsertClinic("north", Clinic("north")); }},
      {"user", [](Txn& t) { return t.InsertUser("u1", "", User("u1", "clinics/south")); }},
      {"token id", [](Txn& t) { return t.InsertToken("t1", "u1", "hash2", Token("t1", "u1")); }},
      {"token secret hash",
       [](Txn& t) { return t.InsertToken("t2", "u1", "hash1", Token("t2", "u1")); }},
      {"audit entry",
       [](Txn& t) { return t.InsertAudit("e1", "clinics/north", "a", Audit("e1", "again")); }},
      {"enrollment code", [](Txn& t) { return t.InsertEnrollmentCode("code1", "b", 2000000001); }},
      {"request record", [](Txn& t) { return t.PutRequestResult("scope", "r1", "second", ""); }},
  };
  for (const auto& [what, insert] : duplicates) {
    SCOPED_TRACE(what);
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    // PutRequestResult and InsertAudit may fail at Commit() instead (store.h).
    absl::Status status = insert(**txn);
    if (status.ok() && (what == "audit entry" || what == "request record")) {
      status = (*txn)->Commit();
    }
    KC_EXPECT_CODE(status, kAlreadyExists);
  }
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  EXPECT_EQ(t.GetPatient("a")->clinic(), "clinics/north");
  EXPECT_EQ(t.GetProgram("ga")->patient(), "patients/a");
  EXPECT_EQ(t.GetDecision("d1")->state(), v1::DECISION_STATE_PROPOSED);
  EXPECT_FALSE(t.GetAlert("al1")->acknowledged());
  EXPECT_EQ(t.GetUser("u1")->clinic(), "clinics/north");
  KC_EXPECT_CODE(t.GetToken("t2"), kNotFound);
  auto record = t.GetStoredRequest("scope", "r1");
  KC_ASSERT_OK(record);
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->response, "first");
  auto sessions = t.ListSessions("ga", {.limit = 10, .after = ""});
  KC_ASSERT_OK(sessions);
  ASSERT_EQ(sessions->items.size(), 1u);
  EXPECT_EQ(sessions->items[0].local_date(), "2026-03-02");
  auto audit = t.ListAudit("clinics/north", {.limit = 10, .after = ""});
  KC_ASSERT_OK(audit);
  ASSERT_EQ(audit->items.size(), 1u);
  EXPECT_EQ(audit->items[0].summary(), "e1");
}

TEST_P(StoreConformanceTest, InsertUnderAnUnknownParentIsFailedPrecondition) {
  KC_ASSERT_OK(Write(*store_, SeedClinics));
  const std::vector<std::pair<std::string, std::function<absl::Status(Txn&)>>> orphans = {
      {"program of no patient",
       [](Txn& t) { return t.InsertProgram("gx", "x", Program("gx", "x")); }},
      {"session of no program",
       [](Txn& t) { return t.InsertSession("s1", "gx", Session("s1", "gx", "2026-03-02")); }},
      {"check-in of no program",
       [](Txn& t) { return t.InsertCheckIn("c1", "gx", CheckIn("c1", "gx", "2026-03-02")); }},
      {"outcome of no program",
       [](Txn& t) {
         return t.InsertOutcome("o1", "gx", Outcome("o1", "gx", v1::OUTCOME_KIND_AKPS));
       }},
      {"decision of no program",
       [](Txn& t) {
         return t.InsertDecision("d1", "gx", Decision("d1", "gx", v1::DECISION_STATE_PROPOSED));
       }},
      {"alert of no program",
       [](Txn& t) { return t.InsertAlert("al1", "gx", "a", "clinics/north", Alert("al1", "gx")); }},
      {"token of no user",
       [](Txn& t) { return t.InsertToken("t1", "ux", "h", Token("t1", "ux")); }},
  };
  for (const auto& [what, insert] : orphans) {
    SCOPED_TRACE(what);
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    KC_EXPECT_CODE(insert(**txn), kFailedPrecondition);
  }
  KC_EXPECT_CODE(Read(*store_, [](Txn& t) { return t.GetProgram("gx"); }), kNotFound);
}

// Writes a backend may hold back (store.h, "Writes sent later"): an insert under a record
// the Txn read, an update of one. The Txn reads them at once; a taken id fails at the
// latest at Commit(), and then nothing of the Txn is kept. In Txns of one clinic, as a
// request's.
TEST_P(StoreConformanceTest, WritesUnderReadRecordsAreReadAtOnceAndFailByCommit) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    return txn.InsertSession("s1", "ga", Session("s1", "ga", "2026-03-02"));
  }));
  const std::string north = "clinics/north";
  auto write = store_->Begin(/*write=*/true, north);
  KC_ASSERT_OK(write);
  KC_ASSERT_OK([](Txn& txn) -> absl::Status {
    auto program = txn.GetProgram("ga");
    if (!program.ok()) return program.status();
    program->set_pause_reason("renamed");
    if (absl::Status s = txn.UpdateProgram("ga", *program); !s.ok()) return s;
    if (absl::Status s = txn.InsertSession("s2", "ga", Session("s2", "ga", "2026-03-03"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            txn.InsertDecision("d1", "ga", Decision("d1", "ga", v1::DECISION_STATE_PROPOSED));
        !s.ok()) {
      return s;
    }
    // Read back in the same Txn.
    EXPECT_EQ(txn.GetProgram("ga")->pause_reason(), "renamed");
    EXPECT_THAT(Ids(*txn.SessionsSince("ga", "2026-03-01")), ElementsAre("s1", "s2"));
    EXPECT_EQ(txn.GetDecision("d1")->state(), v1::DECISION_STATE_PROPOSED);
    // The program's patient, read after it and changed.
    auto patient = txn.GetPatient("a");
    if (!patient.ok()) return patient.status();
    EXPECT_EQ(patient->name(), "patients/a");
    patient->set_display_name("changed");
    if (absl::Status s = txn.UpdatePatient("a", *patient); !s.ok()) return s;
    EXPECT_EQ(txn.GetPatient("a")->display_name(), "changed");
    return txn.Commit();
  }(**write));
  write->reset();
  EXPECT_EQ(Read(*store_, [](Txn& t) { return t.GetPatient("a"); })->display_name(), "changed");
  EXPECT_EQ(Read(*store_, [](Txn& t) { return t.GetProgram("ga"); })->pause_reason(), "renamed");
  // A taken id under a program the Txn read: ALREADY_EXISTS from the insert, a later call or
  // Commit(), and the Txn's other writes are not kept.
  {
    auto txn = store_->Begin(/*write=*/true, north);
    KC_ASSERT_OK(txn);
    auto program = (*txn)->GetProgram("ga");
    KC_ASSERT_OK(program);
    program->set_pause_reason("lost");
    absl::Status status = (*txn)->UpdateProgram("ga", *program);
    if (status.ok()) status = (*txn)->InsertSession("s1", "ga", Session("s1", "ga", "2026-03-09"));
    if (status.ok()) status = (*txn)->SessionsSince("ga", "2026-03-01").status();
    if (status.ok()) status = (*txn)->Commit();
    KC_EXPECT_CODE(status, kAlreadyExists);
  }
  auto txn = store_->Begin(/*write=*/false, north);
  KC_ASSERT_OK(txn);
  EXPECT_EQ((*txn)->GetProgram("ga")->pause_reason(), "renamed");
  // A program's patient and another patient, after the program.
  EXPECT_EQ((*txn)->GetPatient("a")->display_name(), "changed");
  EXPECT_EQ((*txn)->GetPatient("b")->name(), "patients/b");
  auto sessions = (*txn)->SessionsSince("ga", "2026-03-01");
  KC_ASSERT_OK(sessions);
  EXPECT_THAT(Ids(*sessions), ElementsAre("s1", "s2"));
  EXPECT_EQ((*sessions)[0].local_date(), "2026-03-02");
}

TEST_P(StoreConformanceTest, PutProtocolInsertsOrReplaces) {
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.PutProtocol("p1", Protocol("p1", 1)); }));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.PutProtocol("p1", Protocol("p1", 2)); }));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.PutProtocol("p2", Protocol("p2", 1)); }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  EXPECT_EQ((*txn)->GetProtocol("p1")->version(), 2);
  auto all = (*txn)->ListProtocols({.limit = 10, .after = ""});
  KC_ASSERT_OK(all);
  EXPECT_THAT(Ids(all->items), ElementsAre("p1", "p2"));  // oldest first, p1 once
}

// ---- lists: order, pages, cursors ------------------------------------------------------

TEST_P(StoreConformanceTest, PagesCoverAListOnceInOrderAndEndWithAnEmptyCursor) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    for (int i = 1; i <= 5; ++i) {
      const std::string id = absl::StrCat("p", i);
      if (absl::Status s = txn.InsertPatient(id, Patient(id)); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  // 5 items by 2: 3 pages, the last one short.
  int pages = 0;
  auto all = All<v1::Patient>([&](PageRequest p) { return t.ListPatients("", "", p); }, 2, &pages);
  KC_ASSERT_OK(all);
  EXPECT_THAT(Ids(*all), ElementsAre("p1", "p2", "p3", "p4", "p5"));  // oldest first
  EXPECT_EQ(pages, 3);
  // A page that ends exactly at the end of the list says there is no next one.
  auto whole = t.ListPatients("", "", {.limit = 5, .after = ""});
  KC_ASSERT_OK(whole);
  EXPECT_EQ(whole->items.size(), 5u);
  EXPECT_EQ(whole->next, "");
  auto first = t.ListPatients("", "", {.limit = 4, .after = ""});
  KC_ASSERT_OK(first);
  ASSERT_NE(first->next, "");
  auto last = t.ListPatients("", "", {.limit = 1, .after = first->next});
  KC_ASSERT_OK(last);
  EXPECT_THAT(Ids(last->items), ElementsAre("p5"));
  EXPECT_EQ(last->next, "");
  // An empty list: no items, no next page.
  auto none = t.ListPatients("clinics/none", "", {.limit = 3, .after = ""});
  KC_ASSERT_OK(none);
  EXPECT_THAT(none->items, IsEmpty());
  EXPECT_EQ(none->next, "");
}

TEST_P(StoreConformanceTest, ListsAreInTheirDocumentedOrder) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s = txn.InsertUser("u2", "", User("u2")); !s.ok()) return s;
    if (absl::Status s = txn.PutProtocol("p1", Protocol("p1")); !s.ok()) return s;
    if (absl::Status s = txn.PutProtocol("p2", Protocol("p2")); !s.ok()) return s;
    for (int i = 1; i <= 3; ++i) {
      const std::string n = absl::StrCat(i);
      const std::string date = absl::StrCat("2026-03-0", i);
      if (absl::Status s = txn.InsertSession("s" + n, "ga", Session("s" + n, "ga", date));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = txn.InsertCheckIn("c" + n, "ga", CheckIn("c" + n, "ga", date));
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              txn.InsertOutcome("o" + n, "ga", Outcome("o" + n, "ga", v1::OUTCOME_KIND_AKPS));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = txn.InsertDecision("d" + n, "ga",
                                              Decision("d" + n, "ga", v1::DECISION_STATE_PROPOSED));
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              txn.InsertAlert("al" + n, "ga", "a", "clinics/north", Alert("al" + n, "ga"));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = txn.InsertToken("t" + n, "u1", "h" + n, Token("t" + n, "u1")); !s.ok()) {
        return s;
      }
      if (absl::Status s = txn.InsertAudit("e" + n, "clinics/north", "", Audit("e" + n)); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  const PageRequest page{.limit = 10, .after = ""};
  // Oldest first.
  EXPECT_THAT(Ids(t.ListPatients("", "", page)->items), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Ids(t.ListUsers("clinics/north", page)->items), ElementsAre("u1", "u2"));
  EXPECT_THAT(Ids(t.ListProtocols(page)->items), ElementsAre("p1", "p2"));
  EXPECT_THAT(t.ListProgramIds(page)->items, ElementsAre("ga", "gb", "gc"));
  // Newest first.
  EXPECT_THAT(Ids(t.ListPrograms("", page)->items), ElementsAre("gc", "gb", "ga"));
  EXPECT_THAT(Ids(t.ListClinicPrograms("clinics/north", "", page)->items), ElementsAre("gb", "ga"));
  EXPECT_THAT(Ids(t.ListSessions("ga", page)->items), ElementsAre("s3", "s2", "s1"));
  EXPECT_THAT(Ids(t.ListCheckIns("ga", page)->items), ElementsAre("c3", "c2", "c1"));
  EXPECT_THAT(Ids(t.ListOutcomes("ga", v1::OUTCOME_KIND_UNSPECIFIED, page)->items),
              ElementsAre("o3", "o2", "o1"));
  EXPECT_THAT(Ids(t.ListDecisions("ga", v1::DECISION_STATE_UNSPECIFIED, page)->items),
              ElementsAre("d3", "d2", "d1"));
  EXPECT_THAT(Ids(t.ListAlerts({}, page)->items), ElementsAre("al3", "al2", "al1"));
  EXPECT_THAT(Ids(t.ListTokens("u1", page)->items), ElementsAre("t3", "t2", "t1"));
  EXPECT_THAT(Ids(t.ListAudit("clinics/north", page)->items), ElementsAre("e3", "e2", "e1"));
  // Paged the same, two at a time.
  auto sessions = All<v1::Session>([&](PageRequest p) { return t.ListSessions("ga", p); }, 2);
  KC_ASSERT_OK(sessions);
  EXPECT_THAT(Ids(*sessions), ElementsAre("s3", "s2", "s1"));
  auto ids = All<std::string>([&](PageRequest p) { return t.ListProgramIds(p); }, 2);
  KC_ASSERT_OK(ids);
  EXPECT_THAT(*ids, ElementsAre("ga", "gb", "gc"));
}

// A cursor taken before inserts continues where its page ended: newest-first lists go on
// with older items (the new ones come before the cursor), oldest-first lists reach the new
// items at their end.
TEST_P(StoreConformanceTest, CursorContinuesAfterInserts) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    for (int i = 1; i <= 4; ++i) {
      const std::string id = absl::StrCat("s", i);
      if (absl::Status s = txn.InsertSession(id, "ga", Session(id, "ga", "2026-03-02")); !s.ok()) {
        return s;
      }
    }
    return absl::OkStatus();
  }));
  auto sessions =
      Read(*store_, [](Txn& t) { return t.ListSessions("ga", {.limit = 2, .after = ""}); });
  KC_ASSERT_OK(sessions);
  EXPECT_THAT(Ids(sessions->items), ElementsAre("s4", "s3"));
  auto patients =
      Read(*store_, [](Txn& t) { return t.ListPatients("", "", {.limit = 2, .after = ""}); });
  KC_ASSERT_OK(patients);
  EXPECT_THAT(Ids(patients->items), ElementsAre("a", "b"));

  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = txn.InsertSession("s5", "ga", Session("s5", "ga", "2026-03-03"));
        !s.ok()) {
      return s;
    }
    return txn.InsertPatient("d", Patient("d"));
  }));

  auto older = Read(*store_, [&](Txn& t) {
    return All<v1::Session>(
        [&](PageRequest p) {
          if (p.after.empty()) p.after = sessions->next;
          return t.ListSessions("ga", p);
        },
        2);
  });
  KC_ASSERT_OK(older);
  EXPECT_THAT(Ids(*older), ElementsAre("s2", "s1"));
  auto later = Read(*store_, [&](Txn& t) {
    return All<v1::Patient>(
        [&](PageRequest p) {
          if (p.after.empty()) p.after = patients->next;
          return t.ListPatients("", "", p);
        },
        2);
  });
  KC_ASSERT_OK(later);
  EXPECT_THAT(Ids(*later), ElementsAre("c", "d"));
}

TEST_P(StoreConformanceTest, BadPageRequestIsInvalidArgument) {
  KC_ASSERT_OK(Write(*store_, SeedClinics));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  KC_EXPECT_CODE((*txn)->ListPatients("", "", {.limit = 2, .after = "not a cursor"}),
                 kInvalidArgument);
  KC_EXPECT_CODE((*txn)->ListSessions("ga", {.limit = 2, .after = "-1"}), kInvalidArgument);
  KC_EXPECT_CODE((*txn)->ListProgramIds({.limit = 2, .after = "x"}), kInvalidArgument);
  KC_EXPECT_CODE((*txn)->ListPatients("", "", {.limit = 0, .after = ""}), kInvalidArgument);
}

// ---- lists: filters --------------------------------------------------------------------

TEST_P(StoreConformanceTest, ListFilters) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s = txn.InsertUser("u2", "", User("u2", "clinics/south")); !s.ok()) return s;
    if (absl::Status s = txn.SetAssignments("c", {"u2"}); !s.ok()) return s;
    if (absl::Status s = txn.InsertProgram("ga2", "a", Program("ga2", "a")); !s.ok()) return s;
    // Alerts: ga (patient a, north) one open, one acknowledged; gb (b, north) one open; gc
    // (c, south) one open.
    const struct {
      const char* id;
      const char* program;
      const char* patient;
      const char* clinic;
      bool acknowledged;
    } alerts[] = {{"al1", "ga", "a", "clinics/north", false},
                  {"al2", "ga", "a", "clinics/north", true},
                  {"al3", "gb", "b", "clinics/north", false},
                  {"al4", "gc", "c", "clinics/south", false}};
    for (const auto& a : alerts) {
      if (absl::Status s = txn.InsertAlert(a.id, a.program, a.patient, a.clinic,
                                           Alert(a.id, a.program, a.acknowledged));
          !s.ok()) {
        return s;
      }
    }
    const std::pair<const char*, v1::DecisionState> decisions[] = {
        {"d1", v1::DECISION_STATE_PROPOSED},
        {"d2", v1::DECISION_STATE_APPLIED},
        {"d3", v1::DECISION_STATE_PROPOSED}};
    for (const auto& [id, state] : decisions) {
      if (absl::Status s = txn.InsertDecision(id, "ga", Decision(id, "ga", state)); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s =
            txn.InsertDecision("d4", "gb", Decision("d4", "gb", v1::DECISION_STATE_PROPOSED));
        !s.ok())
      return s;
    const std::pair<const char*, v1::OutcomeKind> outcomes[] = {
        {"o1", v1::OUTCOME_KIND_AKPS},
        {"o2", v1::OUTCOME_KIND_STEP_DOWN_30S},
        {"o3", v1::OUTCOME_KIND_AKPS}};
    for (const auto& [id, kind] : outcomes) {
      if (absl::Status s = txn.InsertOutcome(id, "ga", Outcome(id, "ga", kind)); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = txn.InsertOutcome("o4", "gb", Outcome("o4", "gb", v1::OUTCOME_KIND_AKPS));
        !s.ok())
      return s;
    for (const char* id : {"s1", "s2"}) {
      if (absl::Status s = txn.InsertSession(id, "ga", Session(id, "ga", "2026-03-02")); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = txn.InsertSession("s3", "gb", Session("s3", "gb", "2026-03-02")); !s.ok())
      return s;
    if (absl::Status s = txn.InsertCheckIn("c1", "gb", CheckIn("c1", "gb", "2026-03-02")); !s.ok())
      return s;
    if (absl::Status s = txn.InsertToken("t1", "u2", "h1", Token("t1", "u2")); !s.ok()) return s;
    if (absl::Status s = txn.InsertAudit("e1", "clinics/south", "c", Audit("e1")); !s.ok())
      return s;
    return absl::OkStatus();
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  const PageRequest page{.limit = 10, .after = ""};
  // Alerts.
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("ga"), page)->items), ElementsAre("al2", "al1"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "clinics/north"), page)->items),
              ElementsAre("al3", "al2", "al1"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "clinics/south"), page)->items), ElementsAre("al4"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "", "u1"), page)->items), ElementsAre("al2", "al1"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "", "", true), page)->items),
              ElementsAre("al4", "al3", "al1"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "clinics/north", "", true), page)->items),
              ElementsAre("al3", "al1"));
  EXPECT_THAT(Ids(t.ListAlerts(Alerts("", "", "u1", true), page)->items), ElementsAre("al1"));
  // Decisions by program and state.
  EXPECT_THAT(Ids(t.ListDecisions("ga", v1::DECISION_STATE_PROPOSED, page)->items),
              ElementsAre("d3", "d1"));
  EXPECT_THAT(Ids(t.ListDecisions("ga", v1::DECISION_STATE_APPLIED, page)->items),
              ElementsAre("d2"));
  EXPECT_THAT(Ids(t.ListDecisions("ga", v1::DECISION_STATE_REJECTED, page)->items), IsEmpty());
  EXPECT_THAT(Ids(t.ListDecisions("gb", v1::DECISION_STATE_UNSPECIFIED, page)->items),
              ElementsAre("d4"));
  // Outcomes by program and kind.
  EXPECT_THAT(Ids(t.ListOutcomes("ga", v1::OUTCOME_KIND_AKPS, page)->items),
              ElementsAre("o3", "o1"));
  EXPECT_THAT(Ids(t.ListOutcomes("ga", v1::OUTCOME_KIND_STEP_DOWN_30S, page)->items),
              ElementsAre("o2"));
  EXPECT_THAT(Ids(t.ListOutcomes("ga", v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE, page)->items),
              IsEmpty());
  EXPECT_THAT(Ids(t.ListOutcomes("gb", v1::OUTCOME_KIND_UNSPECIFIED, page)->items),
              ElementsAre("o4"));
  // Programs: of a patient, of a clinic, of a physiotherapist's patients.
  EXPECT_THAT(Ids(t.ListPrograms("a", page)->items), ElementsAre("ga2", "ga"));
  EXPECT_THAT(Ids(t.ListClinicPrograms("clinics/north", "", page)->items),
              ElementsAre("ga2", "gb", "ga"));
  EXPECT_THAT(Ids(t.ListClinicPrograms("clinics/north", "u1", page)->items),
              ElementsAre("ga2", "ga"));
  EXPECT_THAT(Ids(t.ListClinicPrograms("clinics/south", "", page)->items), ElementsAre("gc"));
  EXPECT_THAT(Ids(t.ListClinicPrograms("clinics/south", "u1", page)->items), IsEmpty());
  // Patients: of a clinic, of a physiotherapist.
  EXPECT_THAT(Ids(t.ListPatients("clinics/north", "", page)->items), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(t.ListPatients("", "u1", page)->items), ElementsAre("a"));
  EXPECT_THAT(Ids(t.ListPatients("clinics/north", "u2", page)->items), IsEmpty());
  // Per program, per user, per clinic.
  EXPECT_THAT(Ids(t.ListSessions("ga", page)->items), ElementsAre("s2", "s1"));
  EXPECT_THAT(Ids(t.ListSessions("gc", page)->items), IsEmpty());
  EXPECT_THAT(Ids(t.ListCheckIns("gb", page)->items), ElementsAre("c1"));
  EXPECT_THAT(Ids(t.ListCheckIns("ga", page)->items), IsEmpty());
  EXPECT_THAT(Ids(t.ListUsers("clinics/south", page)->items), ElementsAre("u2"));
  EXPECT_THAT(Ids(t.ListTokens("u2", page)->items), ElementsAre("t1"));
  EXPECT_THAT(Ids(t.ListTokens("u1", page)->items), IsEmpty());
  EXPECT_THAT(Ids(t.ListAudit("clinics/south", page)->items), ElementsAre("e1"));
  EXPECT_THAT(Ids(t.ListAudit("clinics/north", page)->items), IsEmpty());
  // Filtered lists page like the others.
  auto open =
      All<v1::Alert>([&](PageRequest p) { return t.ListAlerts(Alerts("", "", "", true), p); }, 1);
  KC_ASSERT_OK(open);
  EXPECT_THAT(Ids(*open), ElementsAre("al4", "al3", "al1"));
}

TEST_P(StoreConformanceTest, SessionsAndCheckInsSinceADate) {
  KC_ASSERT_OK(Write(*store_, [](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    // Inserted out of date order: the result is in date order.
    const std::pair<const char*, const char*> days[] = {
        {"x3", "2026-03-05"}, {"x1", "2026-03-01"}, {"x2", "2026-03-03"}, {"x4", "2026-03-05"}};
    for (const auto& [id, date] : days) {
      if (absl::Status s = txn.InsertSession(id, "ga", Session(id, "ga", date)); !s.ok()) return s;
      if (absl::Status s = txn.InsertCheckIn(id, "ga", CheckIn(id, "ga", date)); !s.ok()) return s;
    }
    if (absl::Status s = txn.InsertSession("y", "gb", Session("y", "gb", "2026-03-09")); !s.ok()) {
      return s;
    }
    return txn.InsertCheckIn("y", "gb", CheckIn("y", "gb", "2026-03-09"));
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  auto sessions = (*txn)->SessionsSince("ga", "2026-03-03");
  KC_ASSERT_OK(sessions);
  EXPECT_THAT(Ids(*sessions), ElementsAre("x2", "x3", "x4"));
  auto check_ins = (*txn)->CheckInsSince("ga", "2026-03-03");
  KC_ASSERT_OK(check_ins);
  EXPECT_THAT(Ids(*check_ins), ElementsAre("x2", "x3", "x4"));
  EXPECT_THAT(Ids(*(*txn)->SessionsSince("ga", "2026-03-06")), IsEmpty());
  EXPECT_THAT(Ids(*(*txn)->CheckInsSince("gc", "2026-01-01")), IsEmpty());
}

// ReadProgramHistory reads what GetProtocol, SessionsSince, CheckInsSince, ListAlerts and
// ListOutcomes read, in a write Txn its own writes included.
TEST_P(StoreConformanceTest, ProgramHistoryIsWhatItsMethodsRead) {
  auto seed = [](Txn& txn) -> absl::Status {
    if (absl::Status s = txn.PutProtocol("p1", Protocol("p1")); !s.ok()) return s;
    for (const auto& [id, date] : std::vector<std::pair<std::string, std::string>>{
             {"x2", "2026-03-03"}, {"x1", "2026-03-01"}, {"x3", "2026-03-05"}}) {
      if (absl::Status s = txn.InsertSession(id, "ga", Session(id, "ga", date)); !s.ok()) return s;
      if (absl::Status s = txn.InsertCheckIn(id, "ga", CheckIn(id, "ga", date)); !s.ok()) return s;
    }
    for (const char* id : {"al1", "al2", "al3"}) {
      if (absl::Status s = txn.InsertAlert(id, "ga", "a", "clinics/north", Alert(id, "ga"));
          !s.ok()) {
        return s;
      }
    }
    const std::pair<const char*, v1::OutcomeKind> outcomes[] = {
        {"o1", v1::OUTCOME_KIND_AKPS},
        {"o2", v1::OUTCOME_KIND_STEP_DOWN_30S},
        {"o3", v1::OUTCOME_KIND_AKPS},
        {"o4", v1::OUTCOME_KIND_AKPS}};
    for (const auto& [id, kind] : outcomes) {
      if (absl::Status s = txn.InsertOutcome(id, "ga", Outcome(id, "ga", kind)); !s.ok()) return s;
    }
    // Another program's records are not read.
    if (absl::Status s = txn.InsertSession("y", "gb", Session("y", "gb", "2026-03-05")); !s.ok()) {
      return s;
    }
    if (absl::Status s = txn.InsertAlert("al9", "gb", "b", "clinics/north", Alert("al9", "gb"));
        !s.ok()) {
      return s;
    }
    return txn.InsertOutcome("o9", "gb", Outcome("o9", "gb", v1::OUTCOME_KIND_AKPS));
  };
  const HistoryQuery query{.program_id = "ga",
                           .protocol_id = "p1",
                           .since = "2026-03-02",
                           .alert_limit = 2,
                           .outcome_kind = v1::OUTCOME_KIND_AKPS,
                           .outcome_limit = 2};
  auto check = [&](Txn& txn) {
    auto history = txn.ReadProgramHistory(query);
    KC_ASSERT_OK(history);
    EXPECT_EQ(history->protocol.name(), "protocols/p1");
    EXPECT_THAT(Ids(history->sessions), ElementsAre("x2", "x3"));
    EXPECT_THAT(Ids(history->check_ins), ElementsAre("x2", "x3"));
    EXPECT_THAT(Ids(history->alerts), ElementsAre("al3", "al2"));
    EXPECT_THAT(Ids(history->outcomes), ElementsAre("o4", "o3"));
    // What is not asked for is not read; every outcome kind with UNSPECIFIED.
    auto bare = txn.ReadProgramHistory({.program_id = "ga",
                                        .protocol_id = "",
                                        .since = "2026-03-05",
                                        .alert_limit = 0,
                                        .outcome_kind = v1::OUTCOME_KIND_UNSPECIFIED,
                                        .outcome_limit = 10});
    KC_ASSERT_OK(bare);
    EXPECT_EQ(bare->protocol.name(), "");
    EXPECT_THAT(Ids(bare->sessions), ElementsAre("x3"));
    EXPECT_THAT(Ids(bare->alerts), IsEmpty());
    EXPECT_THAT(Ids(bare->outcomes), ElementsAre("o4", "o3", "o2", "o1"));
  };
  // In the Txn that wrote them, before they are committed...
  KC_ASSERT_OK(Write(*store_, [&](Txn& txn) -> absl::Status {
    if (absl::Status s = SeedClinics(txn); !s.ok()) return s;
    if (absl::Status s = seed(txn); !s.ok()) return s;
    check(txn);
    return absl::OkStatus();
  }));
  // ...and in a later read Txn.
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  check(**txn);
  // An unknown protocol is NOT_FOUND, as GetProtocol's.
  HistoryQuery unknown = query;
  unknown.protocol_id = "nothing";
  KC_EXPECT_CODE((*txn)->ReadProgramHistory(unknown), kNotFound);
}

// ---- idempotency records, secrets ----------------------------------------------------

TEST_P(StoreConformanceTest, RequestRecordsAreKeptByScopeAndRequestId) {
  const std::string binary("resp\0onse\xff", 10);  // responses are bytes, not text
  KC_ASSERT_OK(Write(*store_, [&](Txn& t) -> absl::Status {
    auto none = t.GetStoredRequest("clinics/north|users/u1|CreatePatient", "r1");
    if (!none.ok()) return none.status();
    EXPECT_FALSE(none->has_value());
    if (absl::Status s =
            t.PutRequestResult("clinics/north|users/u1|CreatePatient", "r1", binary, "digest1");
        !s.ok()) {
      return s;
    }
    // Seen by the Txn that stored it.
    auto own = t.GetRequestResult("clinics/north|users/u1|CreatePatient", "r1");
    if (!own.ok()) return own.status();
    EXPECT_EQ(own->value_or(""), binary);
    return t.PutRequestResult("ReportSession:programs/ga", "r1", "old", "");
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  auto stored = t.GetStoredRequest("clinics/north|users/u1|CreatePatient", "r1");
  KC_ASSERT_OK(stored);
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->response, binary);
  EXPECT_EQ((*stored)->digest, "digest1");
  auto plain = t.GetRequestResult("clinics/north|users/u1|CreatePatient", "r1");
  KC_ASSERT_OK(plain);
  EXPECT_EQ(plain->value_or(""), binary);
  auto no_digest = t.GetStoredRequest("ReportSession:programs/ga", "r1");
  KC_ASSERT_OK(no_digest);
  ASSERT_TRUE(no_digest->has_value());
  EXPECT_EQ((*no_digest)->response, "old");
  EXPECT_EQ((*no_digest)->digest, "");
  // Another scope or request id: nothing.
  EXPECT_FALSE(t.GetStoredRequest("clinics/north|users/u2|CreatePatient", "r1")->has_value());
  EXPECT_FALSE(t.GetStoredRequest("clinics/north|users/u1|CreatePatient", "r2")->has_value());
  EXPECT_FALSE(t.GetRequestResult("clinics/north|users/u1|CreatePatient", "r2")->has_value());
}

TEST_P(StoreConformanceTest, SecretIsStoredOnceAndSharedByLaterTxns) {
  KC_EXPECT_CODE(Read(*store_, [](Txn& t) { return t.GetOrPutSecret("k", "first"); }), kNotFound);
  std::string first;
  KC_ASSERT_OK(Write(*store_, [&](Txn& t) -> absl::Status {
    auto got = t.GetOrPutSecret("k", "first");
    if (!got.ok()) return got.status();
    first = *got;
    return absl::OkStatus();
  }));
  EXPECT_EQ(first, "first");
  auto again = Read(*store_, [](Txn& t) { return t.GetOrPutSecret("k", "second"); });
  KC_ASSERT_OK(again);
  EXPECT_EQ(*again, "first");
  KC_ASSERT_OK(Write(*store_, [&](Txn& t) -> absl::Status {
    auto got = t.GetOrPutSecret("k", "third");
    if (!got.ok()) return got.status();
    EXPECT_EQ(*got, "first");
    auto other = t.GetOrPutSecret("other", std::string("\0\x01", 2));
    if (!other.ok()) return other.status();
    EXPECT_EQ(*other, std::string("\0\x01", 2));
    return absl::OkStatus();
  }));
  // A dropped Txn keeps no secret either.
  {
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    KC_ASSERT_OK((*txn)->GetOrPutSecret("dropped", "x"));
  }
  KC_EXPECT_CODE(Read(*store_, [](Txn& t) { return t.GetOrPutSecret("dropped", "y"); }), kNotFound);
}

// ---- access: tokens, enrollment codes, assignments -------------------------------------

TEST_P(StoreConformanceTest, TokensByIdSecretHashAndParent) {
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    if (absl::Status s = SeedClinics(t); !s.ok()) return s;
    if (absl::Status s = t.InsertToken("t1", "u1", "hash1", Token("t1", "u1")); !s.ok()) return s;
    if (absl::Status s = t.InsertToken("t2", "u1", "hash2", Token("t2", "u1"), "t1"); !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertToken("t3", "u1", "hash3", Token("t3", "u1"), "t1"); !s.ok()) {
      return s;
    }
    return t.InsertToken("t4", "u1", "hash4", Token("t4", "u1"), "t2");
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  auto found = t.FindTokenBySecretHash("hash2");
  KC_ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "t2");
  EXPECT_EQ((*found)->user_id, "u1");
  EXPECT_EQ((*found)->parent_id, "t1");
  EXPECT_EQ((*found)->token.name(), "users/u1/tokens/t2");
  auto unknown = t.FindTokenBySecretHash("hash9");
  KC_ASSERT_OK(unknown);
  EXPECT_FALSE(unknown->has_value());
  auto children = t.ListChildTokens("t1");
  KC_ASSERT_OK(children);
  std::vector<std::string> ids;
  for (const TokenRecord& r : *children) {
    ids.push_back(r.id);
    EXPECT_EQ(r.parent_id, "t1");
    EXPECT_EQ(r.user_id, "u1");
  }
  EXPECT_THAT(ids, UnorderedElementsAre("t2", "t3"));
  auto grandchildren = t.ListChildTokens("t2");
  KC_ASSERT_OK(grandchildren);
  ASSERT_EQ(grandchildren->size(), 1u);
  EXPECT_EQ((*grandchildren)[0].id, "t4");
  EXPECT_THAT(*t.ListChildTokens("t4"), IsEmpty());
  EXPECT_EQ(t.GetToken("t4")->parent_id, "t2");
}

TEST_P(StoreConformanceTest, EnrollmentCodeIsConsumedOnceAndNotAfterItExpires) {
  constexpr int64_t kNow = 1'800'000'000;
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    if (absl::Status s = SeedClinics(t); !s.ok()) return s;
    if (absl::Status s = t.InsertEnrollmentCode("fresh", "a", kNow + 60); !s.ok()) return s;
    if (absl::Status s = t.InsertEnrollmentCode("stale", "b", kNow - 1); !s.ok()) return s;
    return t.InsertEnrollmentCode("edge", "b", kNow);  // expires at now: expired
  }));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    auto first = t.ConsumeEnrollmentCode("fresh", kNow);
    if (!first.ok()) return first.status();
    EXPECT_EQ(first->value_or(""), "a");
    auto second = t.ConsumeEnrollmentCode("fresh", kNow);  // in the same Txn
    if (!second.ok()) return second.status();
    EXPECT_FALSE(second->has_value());
    auto stale = t.ConsumeEnrollmentCode("stale", kNow);
    if (!stale.ok()) return stale.status();
    EXPECT_FALSE(stale->has_value());
    auto edge = t.ConsumeEnrollmentCode("edge", kNow);
    if (!edge.ok()) return edge.status();
    EXPECT_FALSE(edge->has_value());
    auto unknown = t.ConsumeEnrollmentCode("never", kNow);
    if (!unknown.ok()) return unknown.status();
    EXPECT_FALSE(unknown->has_value());
    return absl::OkStatus();
  }));
  // Used for good: a later Txn cannot use it either.
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    auto again = t.ConsumeEnrollmentCode("fresh", kNow);
    if (!again.ok()) return again.status();
    EXPECT_FALSE(again->has_value());
    return absl::OkStatus();
  }));
  // A consumption that is rolled back leaves the code usable.
  KC_ASSERT_OK(
      Write(*store_, [](Txn& t) { return t.InsertEnrollmentCode("kept", "a", kNow + 60); }));
  {
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    auto used = (*txn)->ConsumeEnrollmentCode("kept", kNow);
    KC_ASSERT_OK(used);
    EXPECT_TRUE(used->has_value());
  }
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    auto used = t.ConsumeEnrollmentCode("kept", kNow);
    if (!used.ok()) return used.status();
    EXPECT_EQ(used->value_or(""), "a");
    return absl::OkStatus();
  }));
}

TEST_P(StoreConformanceTest, AssignmentsAreReplacedAsAWhole) {
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    if (absl::Status s = SeedClinics(t); !s.ok()) return s;
    if (absl::Status s = t.InsertUser("u2", "", User("u2")); !s.ok()) return s;
    return t.SetAssignments("b", {"u1", "u2", "u1"});  // a duplicate counts once
  }));
  auto assigned = [&](const std::string& patient, const std::string& user) {
    auto result = Read(*store_, [&](Txn& t) { return t.IsAssigned(patient, user); });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() && *result;
  };
  EXPECT_TRUE(assigned("b", "u1"));
  EXPECT_TRUE(assigned("b", "u2"));
  EXPECT_TRUE(assigned("a", "u1"));
  EXPECT_FALSE(assigned("a", "u2"));
  EXPECT_FALSE(assigned("c", "u1"));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.SetAssignments("b", {"u2"}); }));
  EXPECT_FALSE(assigned("b", "u1"));
  EXPECT_TRUE(assigned("b", "u2"));
  EXPECT_TRUE(assigned("a", "u1"));  // another patient's assignments stay
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.SetAssignments("b", {}); }));
  EXPECT_FALSE(assigned("b", "u2"));
  auto listed =
      Read(*store_, [](Txn& t) { return t.ListPatients("", "u2", {.limit = 10, .after = ""}); });
  KC_ASSERT_OK(listed);
  EXPECT_THAT(listed->items, IsEmpty());
}

TEST_P(StoreConformanceTest, PatientUserIsFoundByPatient) {
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    if (absl::Status s = SeedClinics(t); !s.ok()) return s;
    return t.InsertUser("pa", "a", User("pa", "clinics/north", v1::ROLE_PATIENT));
  }));
  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  auto found = (*txn)->FindPatientUser("a");
  KC_ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name(), "users/pa");
  auto none = (*txn)->FindPatientUser("b");
  KC_ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

// ---- erasure ---------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ErasePatientRemovesEverythingThatHangsFromThem) {
  // Patient a: programs ga, ga2, with a record of every kind, an assignment, an enrollment
  // code, a patient user "pa" with two tokens, audit entries about them, and stored
  // responses naming them. Patient b, alike in part, must stay whole.
  KC_ASSERT_OK(Write(*store_, [](Txn& t) -> absl::Status {
    if (absl::Status s = SeedClinics(t); !s.ok()) return s;
    if (absl::Status s = t.InsertProgram("ga2", "a", Program("ga2", "a")); !s.ok()) return s;
    for (const char* program : {"ga", "ga2", "gb"}) {
      const std::string g = program;
      const std::string patient = g == "gb" ? "b" : "a";
      if (absl::Status s = t.InsertSession("s-" + g, g, Session("s-" + g, g, "2026-03-02"));
          !s.ok()) {
        return s;
      }
      if (absl::Status s = t.InsertCheckIn("c-" + g, g, CheckIn("c-" + g, g, "2026-03-02"));
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              t.InsertOutcome("o-" + g, g, Outcome("o-" + g, g, v1::OUTCOME_KIND_AKPS));
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              t.InsertDecision("d-" + g, g, Decision("d-" + g, g, v1::DECISION_STATE_PROPOSED));
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              t.InsertAlert("al-" + g, g, patient, "clinics/north", Alert("al-" + g, g));
          !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = t.SetAssignments("b", {"u1"}); !s.ok()) return s;
    if (absl::Status s = t.InsertEnrollmentCode("code-a", "a", 2000000000); !s.ok()) return s;
    if (absl::Status s = t.InsertEnrollmentCode("code-b", "b", 2000000000); !s.ok()) return s;
    if (absl::Status s = t.InsertUser("pa", "a", User("pa", "clinics/north", v1::ROLE_PATIENT));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertUser("pb", "b", User("pb", "clinics/north", v1::ROLE_PATIENT));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertToken("ta1", "pa", "hash-a1", Token("ta1", "pa")); !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertToken("ta2", "pa", "hash-a2", Token("ta2", "pa"), "ta1");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertToken("tb", "pb", "hash-b", Token("tb", "pb")); !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertToken("tu", "u1", "hash-u", Token("tu", "u1")); !s.ok()) {
      return s;
    }
    // Audit: about a (by patient id), by a's user (names it), about b.
    if (absl::Status s = t.InsertAudit("e-a", "clinics/north", "a", Audit("e-a")); !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertAudit("e-pa", "clinics/north", "",
                                       Audit("e-pa", "users/pa/tokens/ta1 revoked"));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = t.InsertAudit("e-b", "clinics/north", "b", Audit("e-b")); !s.ok()) {
      return s;
    }
    // Stored responses naming a, a's program, a's user; a request a's user made; and b's.
    const std::pair<std::string, std::string> records[] = {
        {"clinics/north|users/u1|CreatePatient", "{patients/a}"},
        {"clinics/north|users/u1|ReportSession:programs/ga2", "{programs/ga2/sessions/x}"},
        {"clinics/north|users/u1|CreateToken:users/pa", "{users/pa/tokens/ta2}"},
        {"clinics/north|users/pa|ReportMorningCheckIn:x", "{nothing named}"},
        {"clinics/north|users/u1|UpdatePatient", "{patients/b}"},
    };
    for (const auto& [scope, response] : records) {
      if (absl::Status s = t.PutRequestResult(scope, "r", response, ""); !s.ok()) return s;
    }
    return absl::OkStatus();
  }));
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.ErasePatient("a"); }));
  // Erasing someone who is not there is no error.
  KC_ASSERT_OK(Write(*store_, [](Txn& t) { return t.ErasePatient("nobody"); }));

  auto txn = store_->Begin(/*write=*/false);
  KC_ASSERT_OK(txn);
  Txn& t = **txn;
  const PageRequest page{.limit = 50, .after = ""};
  // a and everything of theirs: gone.
  KC_EXPECT_CODE(t.GetPatient("a"), kNotFound);
  for (const char* g : {"ga", "ga2"}) {
    SCOPED_TRACE(g);
    KC_EXPECT_CODE(t.GetProgram(g), kNotFound);
    EXPECT_THAT(t.ListSessions(g, page)->items, IsEmpty());
    EXPECT_THAT(*t.SessionsSince(g, ""), IsEmpty());
    EXPECT_THAT(t.ListCheckIns(g, page)->items, IsEmpty());
    EXPECT_THAT(*t.CheckInsSince(g, ""), IsEmpty());
    EXPECT_THAT(t.ListOutcomes(g, v1::OUTCOME_KIND_UNSPECIFIED, page)->items, IsEmpty());
    EXPECT_THAT(t.ListDecisions(g, v1::DECISION_STATE_UNSPECIFIED, page)->items, IsEmpty());
    EXPECT_THAT(t.ListAlerts(Alerts(g), page)->items, IsEmpty());
    KC_EXPECT_CODE(t.GetDecision(absl::StrCat("d-", g)), kNotFound);
    KC_EXPECT_CODE(t.GetAlert(absl::StrCat("al-", g)), kNotFound);
  }
  EXPECT_THAT(t.ListPrograms("a", page)->items, IsEmpty());
  EXPECT_FALSE(*t.IsAssigned("a", "u1"));
  KC_EXPECT_CODE(t.GetUser("pa"), kNotFound);
  EXPECT_FALSE(t.FindPatientUser("a")->has_value());
  KC_EXPECT_CODE(t.GetToken("ta1"), kNotFound);
  KC_EXPECT_CODE(t.GetToken("ta2"), kNotFound);
  EXPECT_FALSE(t.FindTokenBySecretHash("hash-a1")->has_value());
  EXPECT_THAT(t.ListTokens("pa", page)->items, IsEmpty());
  EXPECT_THAT(*t.ListChildTokens("ta1"), IsEmpty());
  EXPECT_THAT(Ids(t.ListAudit("clinics/north", page)->items), ElementsAre("e-b"));
  EXPECT_FALSE(t.GetStoredRequest("clinics/north|users/u1|CreatePatient", "r")->has_value());
  EXPECT_FALSE(
      t.GetStoredRequest("clinics/north|users/u1|ReportSession:programs/ga2", "r")->has_value());
  EXPECT_FALSE(t.GetStoredRequest("clinics/north|users/u1|CreateToken:users/pa", "r")->has_value());
  EXPECT_FALSE(
      t.GetStoredRequest("clinics/north|users/pa|ReportMorningCheckIn:x", "r")->has_value());
  EXPECT_THAT(Ids(t.ListAlerts({}, page)->items), ElementsAre("al-gb"));
  // b and the rest: whole.
  KC_ASSERT_OK(t.GetPatient("b"));
  KC_ASSERT_OK(t.GetProgram("gb"));
  EXPECT_EQ(t.ListSessions("gb", page)->items.size(), 1u);
  EXPECT_EQ(t.ListCheckIns("gb", page)->items.size(), 1u);
  EXPECT_EQ(t.ListOutcomes("gb", v1::OUTCOME_KIND_UNSPECIFIED, page)->items.size(), 1u);
  EXPECT_EQ(t.ListDecisions("gb", v1::DECISION_STATE_UNSPECIFIED, page)->items.size(), 1u);
  EXPECT_TRUE(*t.IsAssigned("b", "u1"));
  KC_ASSERT_OK(t.GetUser("pb"));
  KC_ASSERT_OK(t.GetUser("u1"));
  KC_ASSERT_OK(t.GetToken("tb"));
  KC_ASSERT_OK(t.GetToken("tu"));
  EXPECT_TRUE(t.GetStoredRequest("clinics/north|users/u1|UpdatePatient", "r")->has_value());
  EXPECT_THAT(Ids(t.ListPatients("", "", page)->items), ElementsAre("b", "c"));
  EXPECT_THAT(t.ListProgramIds(page)->items, ElementsAre("gb", "gc"));
  t.Commit().IgnoreError();
  txn->reset();
  // b's enrollment code still works; a's is gone.
  KC_ASSERT_OK(Write(*store_, [](Txn& w) -> absl::Status {
    auto a = w.ConsumeEnrollmentCode("code-a", 1'800'000'000);
    if (!a.ok()) return a.status();
    EXPECT_FALSE(a->has_value());
    auto b = w.ConsumeEnrollmentCode("code-b", 1'800'000'000);
    if (!b.ok()) return b.status();
    EXPECT_EQ(b->value_or(""), "b");
    return absl::OkStatus();
  }));
}

// An erasure rolled back erases nothing.
TEST_P(StoreConformanceTest, ErasureDroppedBeforeCommitKeepsThePatient) {
  KC_ASSERT_OK(Write(*store_, SeedClinics));
  {
    auto txn = store_->Begin(/*write=*/true);
    KC_ASSERT_OK(txn);
    KC_ASSERT_OK((*txn)->ErasePatient("a"));
    KC_EXPECT_CODE((*txn)->GetPatient("a"), kNotFound);
  }
  KC_ASSERT_OK(Read(*store_, [](Txn& t) { return t.GetPatient("a"); }));
  KC_ASSERT_OK(Read(*store_, [](Txn& t) { return t.GetProgram("ga"); }));
}

}  // namespace

std::string TempStorePath(const std::string& suffix) {
  static std::atomic<int> counter{0};
  if (TempDir().empty()) {
    TempDir() =
        std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-store-tests-", ::getpid());
    std::filesystem::create_directories(TempDir());
  }
  return (TempDir() / absl::StrCat("store-", counter++, suffix)).string();
}

}  // namespace kneecoach::testing
