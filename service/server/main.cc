// kneecoach-server: the kneecoach gRPC service.
//
//   kneecoach-server [--listen=127.0.0.1:50051] [--db=var/kneecoach.db]
//                    [--data_dir=<repo>/data] [--seed_demo]
//
// Stops cleanly on SIGINT or SIGTERM, finishing in-flight calls.
#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "service/server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to listen on (port 0 picks a free port, printed at start)");
ABSL_FLAG(std::string, db, "var/kneecoach.db",
          "SQLite database file; created with its directory if missing");
ABSL_FLAG(std::string, data_dir, KNEECOACH_DEFAULT_DATA_DIR,
          "folder holding library.textproto and protocols/default.textproto");
ABSL_FLAG(bool, seed_demo, false,
          "create a demo patient and program (patients/..., programs/...) if absent");
ABSL_FLAG(int, max_page_size, 200, "largest page_size a List call accepts");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "The kneecoach gRPC service: exercise library, programs, daily sessions and the "
      "pain-adaptive progression engine.\nUsage: kneecoach-server [flags]");
  absl::ParseCommandLine(argc, argv);

  // Signals are taken by sigwait below, not by whichever thread they land on.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kneecoach::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.db_path = absl::GetFlag(FLAGS_db);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.seed_demo = absl::GetFlag(FLAGS_seed_demo);
  options.core.max_page_size = absl::GetFlag(FLAGS_max_page_size);

  kneecoach::SystemClock clock;
  auto server = kneecoach::KneecoachServer::Start(options, clock);
  if (!server.ok()) {
    std::fprintf(stderr, "kneecoach-server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string host = options.listen.substr(0, options.listen.rfind(':'));
  std::printf("kneecoach-server listening on %s:%d (database %s)\n", host.c_str(),
              (*server)->port(), options.db_path.c_str());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  std::printf("kneecoach-server: signal %d, shutting down\n", received);
  (*server)->Shutdown();
  return 0;
}
