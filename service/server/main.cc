// kneecoach-server: the kneecoach gRPC service.
//
//   kneecoach-server [--listen=127.0.0.1:50051] [--store=sqlite:var/kneecoach.db]
//                    [--data_dir=<repo>/data] [--seed_demo]
//                    [--tls_cert=PEM --tls_key=PEM [--tls_client_ca=PEM]]
//   kneecoach-server --bootstrap_admin="Dana Admin" --bootstrap_clinic=north [--db=...]
//       creates a clinic's first admin, prints their token once, and exits.
//
// Stops cleanly on SIGINT or SIGTERM, finishing in-flight calls.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/flags/usage.h"
#include "service/server/server.h"
#include "service/store/open_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (port 0 picks a free port, printed at start)");
ABSL_FLAG(std::string, store, "sqlite:var/kneecoach.db",
          "the store: sqlite:PATH (a SQLite file, created with its directory if missing), "
          "sqlite::memory: or postgresql://... (libpq's URI; the password from PGPASSFILE or "
          "libpq's environment, never this flag)");
ABSL_FLAG(std::string, db, "", "SQLite database file: the same as --store=sqlite:PATH");
ABSL_FLAG(std::string, data_dir, KNEECOACH_DEFAULT_DATA_DIR,
          "folder holding library.textproto and protocols/default.textproto");
ABSL_FLAG(bool, seed_demo, false,
          "create a demo patient and program (patients/..., programs/...) if absent");
ABSL_FLAG(std::string, demo_credentials, "",
          "with --seed_demo: where to write the demo tokens (default: beside the SQLite file, "
          "or var/demo-credentials for another store)");
ABSL_FLAG(bool, migrate_only, false,
          "open the store, bring its schema up to date, and exit (a deployment's migration "
          "step, before new replicas start)");
ABSL_FLAG(int, max_page_size, 200, "largest page_size a List call accepts");
ABSL_FLAG(int, worker_threads, 64,
          "threads serving writes and other calls that may block (reads run on gRPC's)");
ABSL_FLAG(int, max_queued_calls, 10000,
          "writes waiting for a worker beyond this many are refused with UNAVAILABLE");
ABSL_FLAG(int, sync_cqs, 1, "gRPC sync server: completion queues (docs/performance.md)");
ABSL_FLAG(int, sync_min_pollers, 1, "gRPC sync server: threads kept waiting per queue");
ABSL_FLAG(int, sync_max_pollers, 2,
          "gRPC sync server: a thread ending a call while more wait than this exits");
ABSL_FLAG(bool, group_commit, true,
          "share one WAL fdatasync among concurrent commits (false: fsync each commit)");
ABSL_FLAG(int, plan_cache_mb, static_cast<int>(kneecoach::CoreOptions{}.plan_cache_bytes >> 20),
          "memory for today's plans kept between GetTodaySession calls, MB (0: none)");
ABSL_FLAG(absl::Duration, plan_refresh, absl::Minutes(10),
          "make today's plans in the background at start and then this often (0: never)");
ABSL_FLAG(int, read_connections, 4, "SQLite connections for reads beside the writer");
ABSL_FLAG(int, pg_connections, 8,
          "PostgreSQL store: connections in this server's pool (at most this many requests "
          "use the database at once)");
ABSL_FLAG(int, checkpoint_frames, kneecoach::ServerOptions{}.checkpoint_frames,
          "checkpoint the WAL in the background once it holds this many pages");
ABSL_FLAG(int, wal_restart_frames, kneecoach::ServerOptions{}.wal_restart_frames,
          "once the WAL holds this many pages, hold writes while it starts over "
          "(bounds the WAL file)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain; with --tls_key, serve TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key for --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: require and verify client certificates signed by it");
ABSL_FLAG(bool, allow_insecure_remote, false,
          "allow plaintext on a non-loopback address (only behind a TLS-terminating proxy)");
ABSL_FLAG(std::string, bootstrap_admin, "",
          "create the first clinic admin with this display name, print their token, exit");
ABSL_FLAG(std::string, bootstrap_clinic, "",
          "with --bootstrap_admin: the clinic id (created if new), e.g. \"north\"");

namespace {

// --bootstrap_admin: the first admin of a clinic. The token is printed once, here only.
int Bootstrap(kneecoach::ServerOptions options, const kneecoach::Clock& clock) {
  options.listen = "127.0.0.1:0";  // not serving: only the store and the use case are needed
  options.seed_demo = false;
  options.plan_refresh = absl::ZeroDuration();
  auto server = kneecoach::KneecoachServer::Start(options, clock);
  if (!server.ok()) {
    std::fprintf(stderr, "kneecoach-server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  auto token = (*server)->core().BootstrapAdmin(kneecoach::RequestContext::System("bootstrap"),
                                                absl::GetFlag(FLAGS_bootstrap_clinic),
                                                absl::GetFlag(FLAGS_bootstrap_admin));
  if (!token.ok()) {
    std::fprintf(stderr, "kneecoach-server: %s\n", token.status().ToString().c_str());
    return 1;
  }
  std::printf("Admin of clinics/%s created. Their token (shown once, keep it safe):\n%s\n",
              absl::GetFlag(FLAGS_bootstrap_clinic).c_str(), token->c_str());
  return 0;
}

// The demo clinic's tokens, written once beside the database (mode 0600) for the quick
// start, never to the log.
void WriteDemoCredentials(const kneecoach::ServerOptions& options,
                          const kneecoach::KneecoachServer& server) {
  const auto& demo = *server.demo_credentials();
  std::string path = absl::GetFlag(FLAGS_demo_credentials);
  if (path.empty() && !options.db_path.empty() && options.db_path != ":memory:") {
    const std::string dir = std::filesystem::path(options.db_path).parent_path().string();
    path = (dir.empty() ? std::string(".") : dir) + "/demo-credentials";
  }
  if (path.empty()) {
    std::filesystem::create_directories("var");
    path = "var/demo-credentials";
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "kneecoach-server: cannot write %s\n", path.c_str());
    return;
  }
  const std::string text = absl::StrCat(
      "# kneecoach demo clinic: bearer tokens (created once; keep this file private)\n", "admin ",
      demo.clinic_admin, "\nphysio ", demo.physiotherapist, "\npatient ", demo.patient,
      "\nprogram ", demo.program, "\n");
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::fprintf(stderr, "kneecoach-server: short write to %s\n", path.c_str());
  }
  ::close(fd);
  std::printf("demo clinic seeded; its tokens are in %s\n", path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "The kneecoach gRPC service: exercise library, programs, daily "
                        "sessions and the pain-adaptive progression engine.\n"
                        "Usage: kneecoach-server [flags]");
  // Debian builds Abseil with mutex deadlock detection on: it records a lock graph on every
  // Lock (gRPC's too), a few percent of every call's CPU; the tests keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Signals are taken by sigwait below, not by whichever thread they land on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kneecoach::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.store = absl::GetFlag(FLAGS_store);
  if (!absl::GetFlag(FLAGS_db).empty()) {
    const absl::CommandLineFlag& store = absl::GetFlagReflectionHandle(FLAGS_store);
    if (store.CurrentValue() != store.DefaultValue()) {
      std::fprintf(stderr, "kneecoach-server: --db and --store both given; use --store only\n");
      return 2;
    }
    options.store = absl::StrCat("sqlite:", absl::GetFlag(FLAGS_db));
  }
  options.db_path = kneecoach::SqlitePathOf(options.store);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.seed_demo = absl::GetFlag(FLAGS_seed_demo);
  options.core.max_page_size = absl::GetFlag(FLAGS_max_page_size);
  options.plan_refresh = absl::GetFlag(FLAGS_plan_refresh);
  options.on_plans_prepared = [](const absl::StatusOr<int>& made, absl::Duration took) {
    if (made.ok()) {
      std::printf("kneecoach-server: today's plans prepared: %d made in %.1f s\n", *made,
                  absl::ToDoubleSeconds(took));
    } else {
      std::printf("kneecoach-server: preparing today's plans stopped after %.1f s: %s\n",
                  absl::ToDoubleSeconds(took), made.status().ToString().c_str());
    }
    std::fflush(stdout);
  };
  options.core.plan_cache_bytes =
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_plan_cache_mb))) << 20;
  options.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  options.max_queued_calls = absl::GetFlag(FLAGS_max_queued_calls);
  options.sync_completion_queues = absl::GetFlag(FLAGS_sync_cqs);
  options.sync_min_pollers = absl::GetFlag(FLAGS_sync_min_pollers);
  options.sync_max_pollers = absl::GetFlag(FLAGS_sync_max_pollers);
  options.group_commit = absl::GetFlag(FLAGS_group_commit);
  options.read_connections = absl::GetFlag(FLAGS_read_connections);
  options.pg_connections = absl::GetFlag(FLAGS_pg_connections);
  options.checkpoint_frames = std::max(1, absl::GetFlag(FLAGS_checkpoint_frames));
  options.wal_restart_frames = std::max(1, absl::GetFlag(FLAGS_wal_restart_frames));
  options.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  options.allow_insecure_remote = absl::GetFlag(FLAGS_allow_insecure_remote);

  if (absl::GetFlag(FLAGS_migrate_only)) {
    // Opening a store migrates it (under a lock that keeps two migrations apart).
    auto store = kneecoach::OpenStore(options.store);
    if (!store.ok()) {
      std::fprintf(stderr, "kneecoach-server: %s\n", store.status().ToString().c_str());
      return 1;
    }
    std::printf("kneecoach-server: the store's schema is up to date (%s)\n",
                kneecoach::RedactStoreSpec(options.store).c_str());
    return 0;
  }
  kneecoach::SystemClock clock;
  if (!absl::GetFlag(FLAGS_bootstrap_admin).empty()) {
    return Bootstrap(options, clock);
  }
  auto server = kneecoach::KneecoachServer::Start(options, clock);
  if (!server.ok()) {
    std::fprintf(stderr, "kneecoach-server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  std::printf("kneecoach-server listening on %s:%d (database %s)\n", host.c_str(),
              (*server)->port(), kneecoach::RedactStoreSpec(options.store).c_str());
  if ((*server)->demo_credentials().has_value()) WriteDemoCredentials(options, **server);
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("kneecoach-server: signal %d, shutting down\n", received);
  (*server)->Shutdown();
  const auto commits = (*server)->commit_stats();
  std::printf("kneecoach-server: %llu commits, %llu shared WAL syncs, %llu SQLite transactions\n",
              static_cast<unsigned long long>(commits.commits),
              static_cast<unsigned long long>(commits.syncs),
              static_cast<unsigned long long>(commits.batches));
  const auto pages = (*server)->writer_page_stats();
  std::printf(
      "kneecoach-server: writer pages: %lld cached, %lld read, %lld written, "
      "%lld spilled\n",
      static_cast<long long>(pages.hits), static_cast<long long>(pages.misses),
      static_cast<long long>(pages.writes), static_cast<long long>(pages.spills));
  const auto writer = (*server)->writer_stats();
  std::printf("kneecoach-server: writer held %.1f ms in all, %lld times\n",
              absl::ToDoubleMilliseconds(writer.held), static_cast<long long>(writer.holds));
  const auto wal = (*server)->wal_restart_stats();
  std::printf(
      "kneecoach-server: WAL restarts: %lld (%lld more given up), holding the "
      "writer %.1f ms in all, %.1f ms at most; the WAL started over %lld times\n",
      static_cast<long long>(wal.restarts), static_cast<long long>(wal.restarts_given_up),
      absl::ToDoubleMilliseconds(wal.writer_held), absl::ToDoubleMilliseconds(wal.max_writer_held),
      static_cast<long long>(wal.started_over));
  const auto plans = (*server)->core().plan_cache_stats();
  std::printf(
      "kneecoach-server: today's plans: %llu kept, %llu made, %llu held (%.1f MB), "
      "%llu dropped for room, %llu not kept (a write came first)\n",
      static_cast<unsigned long long>(plans.hits), static_cast<unsigned long long>(plans.misses),
      static_cast<unsigned long long>(plans.entries), plans.bytes / 1048576.0,
      static_cast<unsigned long long>(plans.evictions),
      static_cast<unsigned long long>(plans.stale_puts));
  return 0;
}
