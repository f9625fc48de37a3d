// kneecoach-admin migrate's copy (service/admin/copy_store.h), into another SQLite store: the
// PostgreSQL target is tested in tests/pg/migrate_test.cc.
#include "service/admin/copy_store.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/store/sqlite_store.h"
#include "tests/admin/copy_store_fill.h"

namespace kneecoach {
namespace {

std::string TempPath(const std::string& name) {
  const auto path =
      std::filesystem::temp_directory_path() / absl::StrCat("kneecoach-copy-", ::getpid(), name);
  std::filesystem::remove(path);
  return path.string();
}

TEST(CopySqliteToStore, CopiesEveryRowOfEveryTableAndVerifiesThem) {
  const std::string source = TempPath("source.db");
  testing::FillEveryTable(source, 4, 3);
  auto target = SqliteStore::Open({.path = TempPath("target.db")});
  ASSERT_TRUE(target.ok());
  auto report = CopySqliteToStore(source, **target);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->source.size(), 15u);
  std::map<std::string, int64_t> rows;
  for (size_t i = 0; i < report->source.size(); ++i) {
    SCOPED_TRACE(report->source[i].table);
    EXPECT_EQ(report->source[i], report->target[i]);
    EXPECT_EQ(report->source[i].checksum.size(), 64u);
    rows[report->source[i].table] = report->source[i].rows;
  }
  EXPECT_EQ(rows["clinics"], 1);
  EXPECT_EQ(rows["patients"], 4);
  EXPECT_EQ(rows["users"], 5);
  EXPECT_EQ(rows["sessions"], 12);
  EXPECT_EQ(rows["check_ins"], 12);
  EXPECT_EQ(rows["tokens"], 5);
  EXPECT_EQ(rows["enrollment_codes"], 4);
  EXPECT_EQ(rows["assignments"], 4);
  EXPECT_EQ(rows["audit"], 13);
  EXPECT_EQ(rows["requests"], 12);

  // Tokens move as their hashes: the same secret finds the same token; a used enrollment
  // code stays used, an unused one can still be used once.
  auto txn = (*target)->Begin(true);
  ASSERT_TRUE(txn.ok());
  auto token = (*txn)->FindTokenBySecretHash("hash-p1");
  ASSERT_TRUE(token.ok() && token->has_value());
  EXPECT_EQ((*token)->id, "tp1");
  EXPECT_EQ((*token)->parent_id, "t0");
  auto unused = (*txn)->ConsumeEnrollmentCode("code-p0", 1);
  ASSERT_TRUE(unused.ok());
  EXPECT_EQ(unused->value_or(""), "p0");
  auto used = (*txn)->ConsumeEnrollmentCode("code-p1", 1);
  ASSERT_TRUE(used.ok());
  EXPECT_FALSE(used->has_value());
  // Lists keep their order (newest first).
  auto sessions = (*txn)->ListSessions("g0", {.limit = 10});
  ASSERT_TRUE(sessions.ok());
  ASSERT_EQ(sessions->items.size(), 3u);
  EXPECT_EQ(sessions->items[0].name(), "programs/g0/sessions/s2");
  EXPECT_EQ(sessions->items[2].name(), "programs/g0/sessions/s0");
}

TEST(CopySqliteToStore, RefusesATargetThatHoldsRecords) {
  const std::string source = TempPath("source2.db");
  testing::FillEveryTable(source, 2, 1);
  auto target = SqliteStore::Open({.path = TempPath("target2.db")});
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(CopySqliteToStore(source, **target).ok());
  auto again = CopySqliteToStore(source, **target);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition) << again.status();
}

TEST(CopySqliteToStore, AMissingSourceIsNotFound) {
  auto target = SqliteStore::Open({.path = ":memory:"});
  ASSERT_TRUE(target.ok());
  auto report = CopySqliteToStore(TempPath("missing.db"), **target);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kneecoach
