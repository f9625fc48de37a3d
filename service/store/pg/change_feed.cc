#include "service/store/pg/change_feed.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace kneecoach {
namespace {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultClearer>;
struct NotifyFreer {
  void operator()(PGnotify* notify) const { PQfreemem(notify); }
};
using Notify = std::unique_ptr<PGnotify, NotifyFreer>;

// Connects and LISTENs; null (after logging why, once per outage) when it cannot.
Conn Listen(const std::string& conninfo, bool& logged) {
  Conn conn(PQconnectdb(conninfo.c_str()));
  if (conn != nullptr && PQstatus(conn.get()) == CONNECTION_OK) {
    Result listen(PQexec(conn.get(), absl::StrCat("LISTEN ", kChangeChannel).c_str()));
    if (PQresultStatus(listen.get()) == PGRES_COMMAND_OK) {
      logged = false;
      return conn;
    }
  }
  if (!logged) {
    // libpq's message names the host and the reason, never the password.
    std::fprintf(stderr, "kneecoach-server: change feed: cannot listen: %s",
                 conn == nullptr ? "out of memory\n" : PQerrorMessage(conn.get()));
    logged = true;
  }
  return nullptr;
}

}  // namespace

std::string ChangePayload(absl::string_view origin, const StoreChange& change) {
  switch (change.kind) {
    case StoreChange::Kind::kProgram:
      return absl::StrCat(origin, " p ", change.program_id);
    case StoreChange::Kind::kAccess:
      return absl::StrCat(origin, " a");
    case StoreChange::Kind::kEverything:
      break;
  }
  return absl::StrCat(origin, " *");
}

std::optional<ParsedChange> ParseChangePayload(absl::string_view payload) {
  std::vector<absl::string_view> parts = absl::StrSplit(payload, ' ');
  if (parts.size() < 2 || parts[0].empty()) return std::nullopt;
  ParsedChange parsed;
  parsed.origin = std::string(parts[0]);
  if (parts.size() == 3 && parts[1] == "p" && !parts[2].empty()) {
    parsed.change = {StoreChange::Kind::kProgram, std::string(parts[2])};
  } else if (parts.size() == 2 && parts[1] == "a") {
    parsed.change = {StoreChange::Kind::kAccess, ""};
  } else if (parts.size() == 2 && parts[1] == "*") {
    parsed.change = {StoreChange::Kind::kEverything, ""};
  } else {
    return std::nullopt;
  }
  return parsed;
}

ChangeListener::ChangeListener(Options options)
    : options_(std::move(options)), thread_([this] { Run(); }) {}

ChangeListener::~ChangeListener() {
  stop_.store(true, std::memory_order_release);
  thread_.join();
}

bool ChangeListener::WaitCurrent(absl::Duration timeout) const {
  const absl::Time end = absl::Now() + timeout;
  while (!current() && absl::Now() < end) absl::SleepFor(absl::Milliseconds(5));
  return current();
}

void ChangeListener::Run() {
  const auto everything = [this] {
    if (options_.on_change) options_.on_change({StoreChange::Kind::kEverything, ""});
  };
  const int poll_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.poll_interval));
  bool logged = false;
  while (!stop_.load(std::memory_order_acquire)) {
    Conn conn = Listen(options_.conninfo, logged);
    if (conn == nullptr) {
      absl::SleepFor(options_.reconnect_delay);
      continue;
    }
    connections_.fetch_add(1, std::memory_order_relaxed);
    current_.store(true, std::memory_order_release);
    // Whatever was committed before this connection listened was not heard.
    everything();
    bool alive = true;
    while (alive && !stop_.load(std::memory_order_acquire)) {
      pollfd fd{PQsocket(conn.get()), POLLIN, 0};
      if (fd.fd < 0) break;
      const int ready = poll(&fd, 1, poll_ms);
      if (ready < 0) break;
      if (ready == 0) {
        // A quiet connection may have died without a word (the server restarted while no
        // notification flowed): a tiny round trip finds out within one poll interval.
        Result ping(PQexec(conn.get(), "SELECT 1"));
        alive = PQresultStatus(ping.get()) == PGRES_TUPLES_OK;
      } else {
        alive = PQconsumeInput(conn.get()) == 1;
      }
      while (alive) {
        Notify notify(PQnotifies(conn.get()));
        if (notify == nullptr) break;
        std::optional<ParsedChange> parsed = ParseChangePayload(notify->extra);
        if (parsed.has_value() && parsed->origin == options_.origin) continue;
        received_.fetch_add(1, std::memory_order_relaxed);
        if (options_.on_change) {
          options_.on_change(parsed.has_value() ? parsed->change
                                                : StoreChange{StoreChange::Kind::kEverything, ""});
        }
      }
      if (alive && PQstatus(conn.get()) != CONNECTION_OK) alive = false;
    }
    current_.store(false, std::memory_order_release);
    if (stop_.load(std::memory_order_acquire)) break;
    std::fprintf(stderr,
                 "kneecoach-server: change feed: connection lost; caches dropped until it is "
                 "back\n");
    // Changes from now until the next connection listens are missed.
    everything();
  }
}

}  // namespace kneecoach
