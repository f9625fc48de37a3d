// kneecoach-threading-probe: the same Core and SQLite store as kneecoach-server, served
// through one of gRPC's threading models, to choose the server's by measurement
// (docs/performance.md). Serves GetTodaySession, ReportSession, ReportMorningCheckIn,
// ListExercises and health checking; no authentication (every call runs as the system
// caller), so compare the probe's modes with each other, not with the real server.
//
//   kneecoach-threading-probe --db=var/bench/run-large.db --mode=callback-pool
//   kneecoach-bench --target=127.0.0.1:PORT --programs=N
//
// Modes: sync (gRPC's sync API; --sync_min_pollers/--sync_max_pollers), callback (the
// callback API, Core runs on gRPC's callback thread), callback-pool (the callback API,
// Core runs on a fixed pool of --pool_threads threads, so a call that waits for its
// commit's fsync does not hold a gRPC thread).
#include <csignal>
#include <cstdio>
#include <deque>
#include <functional>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/core/core.h"
#include "service/domain/protocol.h"
#include "service/flags/usage.h"
#include "service/server/status_util.h"
#include "service/store/sqlite_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port");
ABSL_FLAG(std::string, db, "var/bench/run-large.db", "a database made by kneecoach-seed");
ABSL_FLAG(std::string, data_dir, KNEECOACH_DEFAULT_DATA_DIR, "library and protocol folder");
ABSL_FLAG(std::string, mode, "sync", "sync, callback or callback-pool");
ABSL_FLAG(int, pool_threads, 16, "callback-pool: threads running Core");
ABSL_FLAG(int, sync_min_pollers, 1, "sync: threads kept waiting for calls");
ABSL_FLAG(int, sync_max_pollers, 2, "sync: a thread ending a call while more wait exits");

namespace kneecoach::probe {
namespace {

// A fixed pool of threads running queued closures. Thread-safe.
class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~Pool() {
    {
      absl::MutexLock lock(&mu_);
      done_ = true;
    }
    for (auto& t : threads_) t.join();
  }
  void Run(std::function<void()> fn) {
    absl::MutexLock lock(&mu_);
    queue_.push_back(std::move(fn));
  }

 private:
  void Loop() {
    while (true) {
      std::function<void()> fn;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](Pool* p) { return p->done_ || !p->queue_.empty(); }, this));
        if (queue_.empty()) return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

// The use cases run as the system: the probe measures threading, not authorization.
template <typename UseCase, typename Request, typename Response>
grpc::Status Run(const UseCase& use_case, const Request& request, Response* response) {
  static const RequestContext* const kProbe = new RequestContext(RequestContext::System("probe"));
  auto result = use_case(*kProbe, request);
  if (!result.ok()) return ToGrpcStatus(result.status(), "probe", "probe");
  *response = *std::move(result);
  return grpc::Status::OK;
}

// Callback API: inline, or handed to the pool.
template <typename UseCase, typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(Pool* pool, const UseCase& use_case,
                                grpc::CallbackServerContext* context, const Request* request,
                                Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (pool == nullptr) {
    reactor->Finish(Run(use_case, *request, response));
  } else {
    pool->Run([use_case, request, response, reactor] {
      reactor->Finish(Run(use_case, *request, response));
    });
  }
  return reactor;
}

#define KC_USE_CASE(service, Method)                                \
  [this](const RequestContext& ctx, const v1::Method##Request& r) { \
    return core_.service().Method(ctx, r);                          \
  }
#define KC_SYNC(service, Method)                                                \
  grpc::Status Method(grpc::ServerContext*, const v1::Method##Request* request, \
                      v1::Method##Response* response) override {                \
    return Run(KC_USE_CASE(service, Method), *request, response);               \
  }
#define KC_CALLBACK(service, Method)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,           \
                                   const v1::Method##Request* request,             \
                                   v1::Method##Response* response) override {      \
    return Serve(pool_, KC_USE_CASE(service, Method), context, request, response); \
  }

class SyncSessions final : public v1::SessionService::Service {
 public:
  explicit SyncSessions(Core& core) : core_(core) {}
  KC_SYNC(sessions, GetTodaySession)
  KC_SYNC(sessions, ReportSession)
  KC_SYNC(sessions, ReportMorningCheckIn)

 private:
  Core& core_;
};

class SyncLibrary final : public v1::ExerciseLibraryService::Service {
 public:
  explicit SyncLibrary(Core& core) : core_(core) {}
  KC_SYNC(exercise_library, ListExercises)

 private:
  Core& core_;
};

class CallbackSessions final : public v1::SessionService::CallbackService {
 public:
  CallbackSessions(Core& core, Pool* pool) : core_(core), pool_(pool) {}
  KC_CALLBACK(sessions, GetTodaySession)
  KC_CALLBACK(sessions, ReportSession)
  KC_CALLBACK(sessions, ReportMorningCheckIn)

 private:
  Core& core_;
  Pool* pool_;
};

class CallbackLibrary final : public v1::ExerciseLibraryService::CallbackService {
 public:
  CallbackLibrary(Core& core, Pool* pool) : core_(core), pool_(pool) {}
  KC_CALLBACK(exercise_library, ListExercises)

 private:
  Core& core_;
  Pool* pool_;
};

int Main() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  auto library = Library::LoadFromFile(absl::StrCat(data_dir, "/library.textproto"));
  if (!library.ok()) return 1;
  auto store = SqliteStore::Open({.path = absl::GetFlag(FLAGS_db)});
  if (!store.ok()) {
    std::fprintf(stderr, "probe: %s\n", store.status().ToString().c_str());
    return 1;
  }
  SystemClock clock;
  RandomIdGenerator ids;
  Core core(**library, **store, clock, ids);

  const std::string mode = absl::GetFlag(FLAGS_mode);
  std::unique_ptr<Pool> pool;
  if (mode == "callback-pool") pool = std::make_unique<Pool>(absl::GetFlag(FLAGS_pool_threads));
  std::vector<std::unique_ptr<grpc::Service>> services;
  if (mode == "sync") {
    services.push_back(std::make_unique<SyncSessions>(core));
    services.push_back(std::make_unique<SyncLibrary>(core));
  } else if (mode == "callback" || mode == "callback-pool") {
    services.push_back(std::make_unique<CallbackSessions>(core, pool.get()));
    services.push_back(std::make_unique<CallbackLibrary>(core, pool.get()));
  } else {
    std::fprintf(stderr, "probe: unknown --mode=%s\n", mode.c_str());
    return 2;
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              absl::GetFlag(FLAGS_sync_min_pollers));
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              absl::GetFlag(FLAGS_sync_max_pollers));
  for (auto& s : services) builder.RegisterService(s.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 1;
  std::printf("kneecoach-threading-probe listening on 127.0.0.1:%d (mode %s)\n", port,
              mode.c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}

}  // namespace
}  // namespace kneecoach::probe

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "Serves kneecoach with a chosen threading model for kneecoach-bench; "
                        "see the file comment.\nUsage: kneecoach-threading-probe [flags]");
  return kneecoach::probe::Main();
}
