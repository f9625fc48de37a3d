#include "service/server/server.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include "absl/strings/str_cat.h"

#include "absl/strings/match.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/domain/protocol.h"
#include "service/server/reflection.h"
#include "service/server/services.h"

namespace kneecoach {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Plaintext on loopback; TLS (optionally verifying client certificates) otherwise.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  if (options.tls_cert_file.empty()) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    if (!KneecoachServer::IsLoopback(options.listen) && !options.allow_insecure_remote) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to serve health data in plaintext on ", options.listen,
          ": give --tls_cert and --tls_key, or --allow_insecure_remote if a proxy terminates "
          "TLS"));
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl;
  auto cert = ReadFile(options.tls_cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(options.tls_key_file);
  if (!key.ok()) return key.status();
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!options.tls_client_ca_file.empty()) {
    auto ca = ReadFile(options.tls_client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<KneecoachServer>> KneecoachServer::Start(
    const ServerOptions& options, const Clock& clock) {
  if (options.worker_threads < 1 || options.max_queued_calls < 1 ||
      options.simulation_threads < 1 || options.max_queued_simulations < 1) {
    return absl::InvalidArgumentError(
        "worker_threads, max_queued_calls, simulation_threads and max_queued_simulations must "
        "be at least 1");
  }
  std::unique_ptr<KneecoachServer> s(new KneecoachServer());
  auto library = Library::LoadFromFile(absl::StrCat(options.data_dir, "/library.textproto"));
  if (!library.ok()) return library.status();
  s->library_ = *std::move(library);
  auto protocol = LoadProtocolFromFile(
      absl::StrCat(options.data_dir, "/protocols/default.textproto"), *s->library_);
  if (!protocol.ok()) return protocol.status();

  StoreOptions store_options;
  store_options.sqlite.group_commit = options.group_commit;
  store_options.sqlite.read_connections = options.read_connections;
  store_options.postgres.connections = options.pg_connections;
  store_options.sqlite.checkpoint_frames = options.checkpoint_frames;
  store_options.sqlite.wal_restart_frames = options.wal_restart_frames;
  auto store =
      OpenStore(options.store.empty() ? absl::StrCat("sqlite:", options.db_path) : options.store,
                store_options);
  if (!store.ok()) return store.status();
  s->store_ = *std::move(store);
  s->sqlite_ = dynamic_cast<SqliteStore*>(s->store_.get());
  if (options.wrap_store) s->store_ = options.wrap_store(std::move(s->store_));
  s->core_ = std::make_unique<Core>(*s->library_, *s->store_, clock, s->ids_, options.core);
  if (absl::Status st = s->core_->SeedProtocol(*protocol); !st.ok()) return st;
  if (options.seed_demo) {
    auto demo = s->core_->SeedDemo();
    if (!demo.ok()) return demo.status();
    s->demo_ = *std::move(demo);
  }

  auto credentials = MakeCredentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &s->port_);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // Handler threads (docs/performance.md): enough stay polling that a call does not
  // create a thread and end it afterwards.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS,
                              options.sync_completion_queues);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options.sync_min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.sync_max_pollers);
  s->pool_ = std::make_unique<WorkerPool>(options.worker_threads, options.max_queued_calls);
  s->simulations_ =
      std::make_unique<WorkerPool>(options.simulation_threads, options.max_queued_simulations);
  s->services_ = MakeServices(*s->core_, *s->pool_, *s->simulations_);
  for (auto& service : s->services_) {
    builder.RegisterService(service.get());
  }
  // Reflection lists what gRPC records as registered (health included), never a list kept
  // beside the registrations.
  auto reflection = std::make_unique<ReflectionService>(*s->core_);
  builder.SetOption(reflection->ListServedServices());
  builder.RegisterService(reflection.get());
  s->services_.push_back(std::move(reflection));
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  if (options.plan_refresh > absl::ZeroDuration()) {
    s->planner_ = std::thread(
        [server = s.get(), every = options.plan_refresh, report = options.on_plans_prepared] {
          // Below the calls being served: plans not yet made are made by the calls that need
          // them anyway.
          setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
          do {
            const absl::Time start = absl::Now();
            auto made = server->core_->PreparePlans(
                [server] { return server->stop_planning_.HasBeenNotified(); });
            if (report) report(made, absl::Now() - start);
          } while (!server->stop_planning_.WaitForNotificationWithTimeout(every));
        });
  }
  return s;
}

bool KneecoachServer::IsLoopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "[::1]";
}

KneecoachServer::~KneecoachServer() { Shutdown(); }

void KneecoachServer::Wait() {
  if (server_) server_->Wait();
}

void KneecoachServer::Shutdown(absl::Duration deadline) {
  if (!stop_planning_.HasBeenNotified()) stop_planning_.Notify();
  if (planner_.joinable()) planner_.join();
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
}

}  // namespace kneecoach
