// KneecoachServer: the whole service wired together (library, protocol, SQLite store,
// Core, gRPC with health checking and reflection), for the kneecoach-server binary and for
// integration tests that start it in-process on 127.0.0.1:0.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "service/core/core.h"
#include "service/domain/clock.h"
#include "service/domain/library.h"
#include "service/server/worker_pool.h"
#include "service/store/open_store.h"
#include "service/store/sqlite_store.h"

namespace kneecoach {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free one (see KneecoachServer::port()).
  std::string listen = "127.0.0.1:50051";
  // The store (OpenStore in service/store/open_store.h: "sqlite:PATH", ":memory:"...); empty:
  // the SQLite database file db_path (":memory:" for tests), its directory created.
  std::string store;
  std::string db_path = "var/kneecoach.db";
  // Tests: wraps the opened store (a fault-injecting wrapper) before the Core uses it.
  std::function<std::unique_ptr<Store>(std::unique_ptr<Store>)> wrap_store;
  // Folder with library.textproto and protocols/default.textproto.
  std::string data_dir = KNEECOACH_DEFAULT_DATA_DIR;
  // Create the demo clinic (admin, physiotherapist, patient with a phone, program) if
  // absent; its credentials are available once from demo_credentials().
  bool seed_demo = false;
  // TLS: PEM files. Both cert and key, or neither (plaintext).
  std::string tls_cert_file;
  std::string tls_key_file;
  // With TLS: PEM CA bundle; clients must present a certificate it signed.
  std::string tls_client_ca_file;
  // Plaintext on a non-loopback address is refused unless this is set.
  bool allow_insecure_remote = false;
  // Largest request accepted, bytes.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // Sync-server threading (docs/performance.md): completion queues, and per queue the
  // threads kept waiting for calls (at least min; a thread finishing a call while more
  // than max wait ends). gRPC's defaults (1, 1, 2) create and end a thread per call under
  // concurrency.
  // Only the reflection service is served with the sync API; the kneecoach.v1 services use
  // the callback API, with blocking calls (writes) on a pool of this many threads. More
  // threads let more writes share one transaction and one WAL sync.
  int worker_threads = 64;
  // Calls waiting for a worker beyond this many are refused with UNAVAILABLE.
  int max_queued_calls = 10000;
  // SimulateProgram (CPU only, bounded by CoreOptions) runs on its own threads, apart from
  // the writes; more simulations waiting than max_queued_simulations get UNAVAILABLE.
  int simulation_threads = 1;
  int max_queued_simulations = 8;
  int sync_completion_queues = 1;
  int sync_min_pollers = 1;
  int sync_max_pollers = 2;
  // Store: group commit (false: synchronous=FULL, an fsync per commit under the writer
  // lock) and read connections beside the writer (see sqlite_store.h).
  bool group_commit = true;
  int read_connections = 4;
  // PostgreSQL store: connections in the pool (PostgresStoreOptions::connections).
  int pg_connections = PostgresStoreOptions{}.connections;
  // WAL checkpoints (group commit only): in the background once the WAL holds this many
  // pages, and holding the writer to start the WAL over once it holds this many.
  int checkpoint_frames = SqliteStoreOptions{}.checkpoint_frames;
  int wal_restart_frames = SqliteStoreOptions{}.wal_restart_frames;
  // Today's plans (SessionService::PreparePlans) are made in the background at start and then this
  // often, at low priority; zero makes none ahead of time.
  absl::Duration plan_refresh = absl::Minutes(10);
  // Called after each round of PreparePlans (from the background thread) with how many
  // plans it made, or why it stopped.
  std::function<void(const absl::StatusOr<int>& made, absl::Duration took)> on_plans_prepared;
  CoreOptions core;
};

class KneecoachServer {
 public:
  // True for 127.0.0.0/8, localhost and [::1] listen addresses.
  static bool IsLoopback(const std::string& listen);

  // Loads and validates the data (a broken library or protocol is an error naming the
  // entry), opens and migrates the database, seeds it, and starts serving. `clock` must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<KneecoachServer>> Start(const ServerOptions& options,
                                                                const Clock& clock);
  ~KneecoachServer();

  int port() const { return port_; }
  // The demo credentials created at this start (nullopt if none were created).
  const std::optional<Core::DemoCredentials>& demo_credentials() const { return demo_; }
  Core& core() { return *core_; }
  // The pool the writes run on (tests hold it busy to queue calls behind it).
  WorkerPool& write_pool() { return *pool_; }
  // Commits and the WAL syncs they shared so far (group commit).
  // (SQLite only; zeros on another store.)
  DurabilityBarrier::Stats commit_stats() {
    return sqlite_ ? sqlite_->commit_stats() : DurabilityBarrier::Stats{};
  }
  SqliteStore::PageStats writer_page_stats() {
    return sqlite_ ? sqlite_->writer_page_stats() : SqliteStore::PageStats{};
  }
  SqliteStore::WalRestartStats wal_restart_stats() {
    return sqlite_ ? sqlite_->wal_restart_stats() : SqliteStore::WalRestartStats{};
  }
  SqliteStore::WriterStats writer_stats() {
    return sqlite_ ? sqlite_->writer_stats() : SqliteStore::WriterStats{};
  }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls and waits for in-flight ones (up to `deadline`).
  void Shutdown(absl::Duration deadline = absl::Seconds(5));

 private:
  KneecoachServer() = default;

  std::unique_ptr<Library> library_;
  std::unique_ptr<Store> store_;
  SqliteStore* sqlite_ = nullptr;  // store_ (or what it wraps) if it is a SqliteStore
  RandomIdGenerator ids_;
  std::unique_ptr<Core> core_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  // Runs the calls that may block (writes); outlives server_, whose shutdown waits for them.
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<WorkerPool> simulations_;
  std::unique_ptr<grpc::Server> server_;
  // Prepares today's plans (ServerOptions::plan_refresh) until stop_planning_.
  absl::Notification stop_planning_;
  std::thread planner_;
  // Sets the health status from the store's reachability, until stop_planning_.
  std::thread health_watch_;
  int port_ = 0;
  std::optional<Core::DemoCredentials> demo_;
};

}  // namespace kneecoach
