// KneecoachServer: the whole service wired together (library, protocol, SQLite store,
// Core, gRPC with health checking and reflection), for the kneecoach-server binary and for
// integration tests that start it in-process on 127.0.0.1:0.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "service/core/core.h"
#include "service/domain/clock.h"
#include "service/domain/library.h"
#include "service/store/sqlite_store.h"

namespace kneecoach {

struct ServerOptions {
  // host:port to listen on; port 0 picks a free one (see KneecoachServer::port()).
  std::string listen = "127.0.0.1:50051";
  // SQLite database file (":memory:" for tests); its directory is created.
  std::string db_path = "var/kneecoach.db";
  // Folder with library.textproto and protocols/default.textproto.
  std::string data_dir = KNEECOACH_DEFAULT_DATA_DIR;
  // Create the demo patient and program ("patients/..", "programs/..") if absent.
  bool seed_demo = false;
  // Largest request accepted, bytes.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  CoreOptions core;
};

class KneecoachServer {
 public:
  // Loads and validates the data (a broken library or protocol is an error naming the
  // entry), opens and migrates the database, seeds it, and starts serving. `clock` must
  // outlive the server.
  static absl::StatusOr<std::unique_ptr<KneecoachServer>> Start(const ServerOptions& options,
                                                                const Clock& clock);
  ~KneecoachServer();

  int port() const { return port_; }
  Core& core() { return *core_; }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls and waits for in-flight ones (up to `deadline`).
  void Shutdown(absl::Duration deadline = absl::Seconds(5));

 private:
  KneecoachServer() = default;

  std::unique_ptr<Library> library_;
  std::unique_ptr<SqliteStore> store_;
  RandomIdGenerator ids_;
  std::unique_ptr<Core> core_;
  std::vector<std::unique_ptr<grpc::Service>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace kneecoach
