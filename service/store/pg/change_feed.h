// The change feed between replicas sharing one PostgreSQL database. Each replica keeps
// today's plans and credentials in memory (PlanCache, AccessCache); a write through another
// replica must reach those caches. A write transaction sends, inside itself, one PostgreSQL
// notification per thing it changed (`pg_notify` on channel kChangeChannel: delivered to the
// listeners when it commits, and never if it rolls back). Each replica's ChangeListener
// holds a dedicated connection that LISTENs on the channel and hands each change to the
// caches.
//
// Notifications are not replayed: while the listening connection is down, changes are
// missed. So the listener reports "everything changed" when the connection is lost and
// again once it is back, and `current()` is false in between: a cache must not serve what it
// holds while the feed is not current (PlanCache and AccessCache are then bypassed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/store/store_change.h"

namespace kneecoach {

inline constexpr absl::string_view kChangeChannel = "kneecoach_changes";

// The notification payload for `change` made by the replica `origin` ("<origin> p <id>",
// "<origin> a", "<origin> *"). Ids and origins hold no spaces.
std::string ChangePayload(absl::string_view origin, const StoreChange& change);
// The change a payload names and its origin; nullopt for a payload of another format (it is
// then treated as kEverything by the listener).
struct ParsedChange {
  std::string origin;
  StoreChange change;
};
std::optional<ParsedChange> ParseChangePayload(absl::string_view payload);

// One thread with one libpq connection LISTENing on kChangeChannel. Calls `on_change` from
// that thread for each change committed by another origin, and kEverything when the
// connection is lost and when it is (re)established. Reconnects by itself, waiting
// `reconnect_delay` between attempts.
//
// Thread safety: current() and counters may be called from any thread; on_change runs on
// the listener's thread and must not block for long.
class ChangeListener {
 public:
  struct Options {
    // libpq connection string or URI of the database the replicas share.
    std::string conninfo;
    // This replica's origin: its own changes are skipped (they invalidated its caches when
    // they committed).
    std::string origin;
    absl::Duration reconnect_delay = absl::Milliseconds(200);
    // How often the thread wakes to check that it should stop and that its connection lives.
    absl::Duration poll_interval = absl::Milliseconds(100);
    std::function<void(const StoreChange&)> on_change;
  };

  // Starts the thread; the first connection is made on it (current() is false until then).
  explicit ChangeListener(Options options);
  // Stops the thread (within poll_interval) and closes the connection.
  ~ChangeListener();
  ChangeListener(const ChangeListener&) = delete;
  ChangeListener& operator=(const ChangeListener&) = delete;

  // Whether the listening connection is up, so that no change is being missed.
  bool current() const { return current_.load(std::memory_order_acquire); }
  // Blocks until current() or `timeout` passes; returns current().
  bool WaitCurrent(absl::Duration timeout) const;
  // Connections made since start (1 after the first; each reconnect adds one).
  int64_t connections() const { return connections_.load(std::memory_order_relaxed); }
  // Changes received from other origins.
  int64_t changes_received() const { return received_.load(std::memory_order_relaxed); }

 private:
  void Run();

  const Options options_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> current_{false};
  std::atomic<int64_t> connections_{0};
  std::atomic<int64_t> received_{0};
  std::thread thread_;
};

}  // namespace kneecoach
