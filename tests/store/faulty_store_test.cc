// Faults injected by FaultyStore surface with their code, and nothing of the Txn they hit is
// kept; OpenStore's specs.
#include "tests/store/faulty_store.h"

#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/core/retry.h"
#include "service/store/open_store.h"
#include "tests/store/store_conformance.h"

namespace kneecoach::testing {
namespace {

v1::Patient Patient(const std::string& id) {
  v1::Patient p;
  p.set_name(absl::StrCat("patients/", id));
  p.set_clinic("clinics/north");
  return p;
}

v1::Session Session(const std::string& id) {
  v1::Session s;
  s.set_name(absl::StrCat("programs/g/sessions/", id));
  s.set_local_date("2026-03-02");
  return s;
}

// Where the fault is injected, and which.
struct FaultCase {
  std::string method;  // "Begin", "InsertSession", "Commit", ...
  absl::Status fault;
  bool file;  // SqliteStore on a file (else in memory)
};

std::string CaseName(const ::testing::TestParamInfo<FaultCase>& info) {
  const absl::StatusCode code = info.param.fault.code();
  const char* fault = code == absl::StatusCode::kAborted       ? "Aborted"
                      : code == absl::StatusCode::kUnavailable ? "Unavailable"
                                                               : "DiskFull";
  return absl::StrCat(info.param.method, "_", fault, info.param.file ? "_File" : "_Memory");
}

// A FaultyStore over SQLite (in memory or on a file) holding a patient and a program.
class FaultFixture : public ::testing::Test {
 protected:
  void Open(bool file) {
    store_.reset();
    auto inner = OpenStore(file ? "sqlite:" + TempStorePath() : ":memory:");
    ASSERT_TRUE(inner.ok()) << inner.status();
    store_ = std::make_unique<FaultyStore>(*std::move(inner));
    // A patient and a program to hang sessions from.
    auto txn = store_->Begin(true);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->InsertPatient("p", Patient("p")).ok());
    v1::Program g;
    g.set_name("programs/g");
    ASSERT_TRUE((*txn)->InsertProgram("g", "p", g).ok());
    ASSERT_TRUE((*txn)->Commit().ok());
  }

  // The sessions stored, read from the wrapped store (no fault can touch it).
  size_t StoredSessions() {
    auto txn = store_->inner().Begin(false);
    EXPECT_TRUE(txn.ok()) << txn.status();
    if (!txn.ok()) return 0;
    auto page = (*txn)->ListSessions("g", {.limit = 100, .after = ""});
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items.size() : 0;
  }
  bool StoredRequest(const std::string& request_id) {
    auto txn = store_->inner().Begin(false);
    if (!txn.ok()) return false;
    auto record = (*txn)->GetStoredRequest("scope", request_id);
    return record.ok() && record->has_value();
  }

  // One request's Txn: two sessions and its idempotency record, then Commit().
  absl::Status Request(const std::string& request_id) {
    auto txn = store_->Begin(true);
    if (!txn.ok()) return txn.status();
    for (const char* n : {"1", "2"}) {
      const std::string id = absl::StrCat(request_id, "-", n);
      if (absl::Status s = (*txn)->InsertSession(id, "g", Session(id)); !s.ok()) return s;
    }
    if (absl::Status s = (*txn)->PutRequestResult("scope", request_id, "response", ""); !s.ok()) {
      return s;
    }
    return (*txn)->Commit();
  }

  std::unique_ptr<FaultyStore> store_;
};

class FaultTest : public FaultFixture, public ::testing::WithParamInterface<FaultCase> {
 protected:
  void SetUp() override { Open(GetParam().file); }
};

TEST_P(FaultTest, FaultSurfacesWithItsCodeAndTheTxnKeepsNothing) {
  const FaultCase& c = GetParam();
  // The second call of InsertSession (the first was kept in the Txn until then).
  store_->FailAt(c.method, c.method == "InsertSession" ? 2 : 1, c.fault);
  const absl::Status status = Request("r1");
  EXPECT_EQ(status.code(), c.fault.code()) << status;
  EXPECT_EQ(store_->injected(), 1);
  EXPECT_EQ(StoredSessions(), 0u);
  EXPECT_FALSE(StoredRequest("r1"));
  // The fault has worn off: the same request goes through, once.
  ASSERT_TRUE(Request("r1").ok());
  EXPECT_EQ(StoredSessions(), 2u);
  EXPECT_TRUE(StoredRequest("r1"));
}

// The write path's retry (service/core/retry.h) over a store that aborts: a bounded number
// of attempts, each from Begin; the one that commits is the only one kept.
TEST_P(FaultTest, RetryRunsTheWholeTxnAgainOnlyOnAborted) {
  const FaultCase& c = GetParam();
  store_->FailAt(c.method, 1, c.fault, /*times=*/2);
  int attempts = 0;
  const absl::Status status = internal::RetryAborted(internal::kWriteAttempts, [&] {
    ++attempts;
    return Request("r3");
  });
  if (c.fault.code() == absl::StatusCode::kAborted) {
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(attempts, 3);
    EXPECT_EQ(StoredSessions(), 2u);
    EXPECT_TRUE(StoredRequest("r3"));
  } else {
    // Other errors are not retried: they reach the caller at once.
    EXPECT_EQ(status.code(), c.fault.code());
    EXPECT_EQ(attempts, 1);
    EXPECT_EQ(StoredSessions(), 0u);
  }
}

std::vector<FaultCase> Cases() {
  std::vector<FaultCase> cases;
  for (bool file : {false, true}) {
    for (const char* method : {"Begin", "InsertSession", "PutRequestResult", "Commit"}) {
      for (const absl::Status& fault : {AbortedFault(), Unavailable(), DiskFull()}) {
        cases.push_back({method, fault, file});
      }
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultTest, ::testing::ValuesIn(Cases()), CaseName);

// A Txn that hit a fault is dead: every later call fails the same, Commit() included, and
// the wrapped Txn was rolled back at once (the next Txn runs).
TEST_F(FaultFixture, TxnThatFailedFailsEveryLaterCall) {
  for (bool file : {false, true}) {
    for (const absl::Status& fault : {AbortedFault(), Unavailable(), DiskFull()}) {
      SCOPED_TRACE(absl::StrCat(file ? "file " : "memory ", fault.ToString()));
      Open(file);
      store_->FailAt("InsertSession", 2, fault);
      auto txn = store_->Begin(true);
      ASSERT_TRUE(txn.ok());
      ASSERT_TRUE((*txn)->InsertSession("x1", "g", Session("x1")).ok());
      EXPECT_EQ((*txn)->InsertSession("x2", "g", Session("x2")).code(), fault.code());
      EXPECT_EQ((*txn)->GetPatient("p").status().code(), fault.code());
      EXPECT_EQ((*txn)->PutRequestResult("scope", "x", "r", "").code(), fault.code());
      EXPECT_EQ((*txn)->Commit().code(), fault.code());
      txn->reset();
      EXPECT_EQ(StoredSessions(), 0u);
      EXPECT_FALSE(StoredRequest("x"));
      ASSERT_TRUE(Request("r2").ok());
      EXPECT_EQ(StoredSessions(), 2u);
    }
  }
}

// The write path's bound: ABORTED at every attempt ends in a plain ABORTED after
// kWriteAttempts attempts, with nothing stored.
TEST_F(FaultFixture, RetryGivesUpAfterItsBoundWithAPlainAborted) {
  for (bool file : {false, true}) {
    for (const char* method : {"Begin", "InsertSession", "PutRequestResult", "Commit"}) {
      SCOPED_TRACE(absl::StrCat(file ? "file " : "memory ", method));
      Open(file);
      store_->FailAt(method, 1, AbortedFault(), kAlways);
      const int before = store_->calls(method);
      int attempts = 0;
      const absl::Status status = internal::RetryAborted(internal::kWriteAttempts, [&] {
        ++attempts;
        return Request("r4");
      });
      EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
      EXPECT_EQ(status.message(), internal::kStillConflicting);
      EXPECT_EQ(attempts, internal::kWriteAttempts);
      EXPECT_EQ(store_->calls(method) - before, internal::kWriteAttempts);
      EXPECT_EQ(StoredSessions(), 0u);
      EXPECT_FALSE(StoredRequest("r4"));
    }
  }
}

TEST(FaultyStore, CountsCallsAndFiresOnTheNthOne) {
  auto inner = OpenStore(":memory:");
  ASSERT_TRUE(inner.ok());
  FaultyStore store(*std::move(inner));
  store.FailAt("GetPatient", 3, Unavailable(), 2);
  for (int i = 1; i <= 5; ++i) {
    auto txn = store.Begin(false);
    ASSERT_TRUE(txn.ok());
    const absl::StatusCode code = (*txn)->GetPatient("p").status().code();
    EXPECT_EQ(code, i == 3 || i == 4 ? absl::StatusCode::kUnavailable : absl::StatusCode::kNotFound)
        << "call " << i;
  }
  EXPECT_EQ(store.calls("GetPatient"), 5);
  EXPECT_EQ(store.calls("Begin"), 5);
  EXPECT_EQ(store.injected(), 2);
  store.FailAt("Begin", 1, Unavailable(), kAlways);
  EXPECT_EQ(store.Begin(true).status().code(), absl::StatusCode::kUnavailable);
  store.Clear();
  EXPECT_TRUE(store.Begin(true).ok());
}

TEST(OpenStore, OpensSqliteSpecsAndNamesTheFlagOtherwise) {
  EXPECT_TRUE(OpenStore(":memory:").ok());
  EXPECT_TRUE(OpenStore("sqlite::memory:").ok());
  const std::string path = TempStorePath();
  auto file = OpenStore("sqlite:" + path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_NE(dynamic_cast<SqliteStore*>(file->get()), nullptr);
  EXPECT_EQ(SqlitePathOf("sqlite:" + path), path);
  EXPECT_EQ(SqlitePathOf("postgresql://db/kc"), "");
  for (const char* bad : {"", "sqlite:", "var/kneecoach.db", "mysql://db", "SQLITE:x.db"}) {
    auto store = OpenStore(bad);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(store.status().message().find("--store"), absl::string_view::npos) << bad;
  }
}

}  // namespace
}  // namespace kneecoach::testing
