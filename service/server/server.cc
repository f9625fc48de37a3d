#include "service/server/server.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include "absl/strings/str_cat.h"

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/domain/protocol.h"
#include "service/domain/status_macros.h"
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
  ASSIGN_OR_RETURN(auto cert, ReadFile(options.tls_cert_file));
  ASSIGN_OR_RETURN(auto key, ReadFile(options.tls_key_file));
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (!options.tls_client_ca_file.empty()) {
    ASSIGN_OR_RETURN(auto ca, ReadFile(options.tls_client_ca_file));
    ssl.pem_root_certs = ca;
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
  ASSIGN_OR_RETURN(auto library,
                   Library::LoadFromFile(absl::StrCat(options.data_dir, "/library.textproto")));
  s->library_ = std::move(library);
  ASSIGN_OR_RETURN(auto protocol, LoadProtocolFromFile(absl::StrCat(options.data_dir,
                                                                    "/protocols/default.textproto"),
                                                       *s->library_));

  StoreOptions store_options;
  store_options.sqlite.group_commit = options.group_commit;
  store_options.sqlite.read_connections = options.read_connections;
  store_options.postgres.connections = options.pg_connections;
  store_options.sqlite.checkpoint_frames = options.checkpoint_frames;
  store_options.sqlite.wal_restart_frames = options.wal_restart_frames;
  ASSIGN_OR_RETURN(
      s->store_,
      OpenStore(options.store.empty() ? absl::StrCat("sqlite:", options.db_path) : options.store,
                store_options));
  s->sqlite_ = dynamic_cast<SqliteStore*>(s->store_.get());
  if (options.wrap_store) s->store_ = options.wrap_store(std::move(s->store_));
  s->core_ = std::make_unique<Core>(*s->library_, *s->store_, clock, s->ids_, options.core);
  // Every method of the protos with its rules; a method without them stops the start here.
  ASSIGN_OR_RETURN(const MethodRegistry* registry, MethodRegistry::Api());
  RETURN_IF_ERROR(s->core_->SeedProtocol(RequestContext::System("seed"), protocol));
  if (options.seed_demo) {
    ASSIGN_OR_RETURN(s->demo_, s->core_->SeedDemo(RequestContext::System("seed demo")));
  }

  ASSIGN_OR_RETURN(auto credentials, MakeCredentials(options));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &s->port_);
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
  ASSIGN_OR_RETURN(s->services_, MakeServices(*registry, ApiBindings(*s->core_),
                                              ServeDeps{*s->core_, *s->pool_, *s->simulations_}));
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
  // Health follows the store: the overall status ("") is NOT_SERVING while the store cannot
  // vouch for other replicas' changes (for PostgreSQL: its listening connection is down, so
  // the database cannot be reached), and SERVING again by itself once it can; calls meanwhile
  // get UNAVAILABLE from the store. "liveness" stays SERVING while the process runs: a
  // database outage is no reason to restart a replica (deploy/kubernetes probes it).
  // A replica on a shared store starts its change feed as it opens (Core::WatchChanges);
  // give the feed a moment to connect, so that health starts SERVING rather than flipping to
  // NOT_SERVING and back while it does.
  for (int i = 0; i < 100 && !s->store_->ChangesCurrent(); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  if (grpc::HealthCheckServiceInterface* health = s->server_->GetHealthCheckService()) {
    health->SetServingStatus("liveness", true);
    s->health_watch_ = std::thread([server = s.get(), health] {
      bool serving = true;
      do {
        const bool now = server->store_->ChangesCurrent();
        if (now != serving) {
          health->SetServingStatus("", now);
          std::fprintf(stderr, "kneecoach-server: health: %s\n",
                       now ? "SERVING (the store is reachable again)"
                           : "NOT_SERVING (the store cannot be reached)");
          serving = now;
        }
      } while (!server->stop_planning_.WaitForNotificationWithTimeout(absl::Milliseconds(50)));
    });
  }
  if (options.plan_refresh > absl::ZeroDuration()) {
    s->planner_ = std::thread(
        [server = s.get(), every = options.plan_refresh, report = options.on_plans_prepared] {
          // Below the calls being served: plans not yet made are made by the calls that need
          // them anyway.
          setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
          RequestContext ctx = RequestContext::System("prepare plans");
          ctx.cancelled = [server] { return server->stop_planning_.HasBeenNotified(); };
          do {
            const absl::Time start = absl::Now();
            auto made = server->core_->sessions().PreparePlans(ctx);
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
  if (health_watch_.joinable()) health_watch_.join();
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + deadline));
}

}  // namespace kneecoach
