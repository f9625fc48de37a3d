// InWrite (service/core/core_util.h) against a real store: a call whose client stopped
// waiting while its write waited to begin does nothing.
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "service/core/access_cache.h"
#include "service/core/core_state.h"
#include "service/core/core_util.h"
#include "service/core/plan_cache.h"
#include "service/domain/clock.h"
#include "service/domain/ids.h"
#include "service/store/open_store.h"

namespace kneecoach {
namespace {

class InWriteTest : public ::testing::Test {
 protected:
  // Runs InWrite for `ctx` on another thread while the test holds the store's writer, and
  // lets the writer go once `hold_until` has passed. Returns InWrite's outcome; `ran`
  // tells whether the write's own work ran.
  absl::StatusOr<v1::Patient> WriteBehindAHeldWriter(const RequestContext& ctx,
                                                     absl::Time hold_until, bool& ran) {
    auto held = store_->Begin(/*write=*/true);
    EXPECT_TRUE(held.ok()) << held.status();
    absl::StatusOr<v1::Patient> outcome = absl::UnknownError("not run");
    std::atomic<bool> work_ran{false};
    std::thread call([&] {
      outcome = internal::InWrite<v1::Patient>(
          ctx, deps_, "Test:patients/late", "", [&](Txn& txn) -> absl::StatusOr<v1::Patient> {
            work_ran = true;
            v1::Patient patient;
            patient.set_name("patients/late");
            patient.set_display_name("Late");
            if (absl::Status s = txn.InsertPatient("late", patient); !s.ok()) return s;
            return patient;
          });
    });
    while (absl::Now() < hold_until) absl::SleepFor(absl::Milliseconds(10));
    held->reset();  // the waiting write may begin
    call.join();
    ran = work_ran;
    return outcome;
  }

  // The records the write would leave: its patient and its audit entry.
  int StoredRecords() {
    auto txn = store_->Begin(/*write=*/false);
    EXPECT_TRUE(txn.ok());
    auto patient = (*txn)->GetPatient("late");
    auto audit = (*txn)->ListAudit(/*clinic=*/"", PageRequest{.limit = 10, .after = ""});
    EXPECT_TRUE(audit.ok()) << audit.status();
    return (patient.ok() ? 1 : 0) + static_cast<int>(audit.ok() ? audit->items.size() : 0);
  }

  std::unique_ptr<Store> store_ = OpenStore("sqlite::memory:").value();
  SystemClock clock_;
  RandomIdGenerator ids_;
  AccessCache access_cache_;
  PlanCache plan_cache_;
  internal::WriteDeps deps_{*store_, clock_, ids_, access_cache_, plan_cache_};
};

// The control: a call that is still waited for writes once the writer is free.
TEST_F(InWriteTest, AWriteThatWaitedForTheWriterRunsWhileItsCallerWaits) {
  RequestContext ctx = RequestContext::System("test");
  ctx.deadline = absl::Now() + absl::Seconds(60);
  bool ran = false;
  auto outcome = WriteBehindAHeldWriter(ctx, absl::Now() + absl::Milliseconds(200), ran);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_TRUE(ran);
  EXPECT_EQ(StoredRecords(), 2);
}

// The deadline passes while the write waits for the writer (SQLite) or a pooled connection
// (PostgreSQL): it fails DEADLINE_EXCEEDED and writes nothing, rather than doing work
// nobody will read the answer of.
TEST_F(InWriteTest, AWriteWhoseDeadlinePassedWhileItWaitedDoesNothing) {
  RequestContext ctx = RequestContext::System("test");
  ctx.deadline = absl::Now() + absl::Milliseconds(150);
  bool ran = false;
  auto outcome = WriteBehindAHeldWriter(ctx, ctx.deadline + absl::Milliseconds(100), ran);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded) << outcome.status();
  EXPECT_FALSE(ran);
  EXPECT_EQ(StoredRecords(), 0);
}

// Likewise for a client that went away while the write waited.
TEST_F(InWriteTest, AWriteWhoseClientLeftWhileItWaitedDoesNothing) {
  RequestContext ctx = RequestContext::System("test");
  std::atomic<bool> gone{false};
  ctx.cancelled = [&] { return gone.load(); };
  const absl::Time release = absl::Now() + absl::Milliseconds(200);
  std::thread leave([&] {
    absl::SleepFor(absl::Milliseconds(100));
    gone = true;
  });
  bool ran = false;
  auto outcome = WriteBehindAHeldWriter(ctx, release, ran);
  leave.join();
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled) << outcome.status();
  EXPECT_FALSE(ran);
  EXPECT_EQ(StoredRecords(), 0);
}

}  // namespace
}  // namespace kneecoach
