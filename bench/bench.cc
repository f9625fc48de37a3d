// kneecoach-bench: a load generator for a running kneecoach-server (async gRPC client,
// N concurrent streams over a few HTTP/2 connections on loopback). scripts/bench.sh starts
// the server on a seeded database and runs this; see bench/README.md.
//
//   kneecoach-bench --target=127.0.0.1:50051 --programs=100000 --server_pid=1234
//       --scenarios=health,today,today-basic,library,report,peak,peak-half   (one line)
//
// Each scenario runs closed-loop (every stream sends its next call when the last returns)
// for --duration after --warmup, except "peak-half", which sends the "peak" mix open-loop
// at half the rate "peak" reached, timing each call from when it was due to be sent (no
// coordinated omission). Prints requests/s, p50/p99/p99.9 latency and the ratio to the
// "health" scenario (grpc.health.v1.Health/Check: the cost of gRPC itself here), and the
// server's peak resident memory (VmHWM) when --server_pid is given.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/requests.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/flags/usage.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051",
          "server address; several replicas comma-separated (HOST:PORT,HOST:PORT): each "
          "channel then balances calls over them round robin, per call (gRPC round_robin)");
ABSL_FLAG(std::string, scenarios, "health,today,today-basic,library,report,peak,peak-half",
          "comma-separated scenarios: health, today, today-basic, library, report, checkin, peak, "
          "peak-half (needs peak before it)");
ABSL_FLAG(int, programs, 1000, "programs in the seeded database (bench-g0..N-1)");
ABSL_FLAG(int, streams, 64, "concurrent calls in flight (closed loop)");
ABSL_FLAG(int, connections, 4, "HTTP/2 connections (channels) the streams share");
ABSL_FLAG(int, threads, 2, "client completion-queue threads");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured time per scenario");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "unmeasured time before each scenario");
ABSL_FLAG(double, rate, 0, "open-loop calls/s for every scenario (0: closed loop)");
ABSL_FLAG(int, server_pid, 0, "kneecoach-server's pid, to report its peak memory");
ABSL_FLAG(std::string, token, "", "bearer token sent as `authorization` metadata");
ABSL_FLAG(std::string, label, "", "printed in the table header (e.g. the database)");

namespace kneecoach::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace health = ::grpc::health::v1;

enum class Kind { kHealth, kToday, kTodayBasic, kLibrary, kReport, kCheckIn };

struct Scenario {
  std::string name;
  // Kinds with weights (summing to 100).
  std::vector<std::pair<Kind, int>> mix;
  double rate = 0;  // open loop when > 0
};

// The morning peak: patients opening today's session, reporting yesterday's evening
// session and this morning's check-in, a few browsing the library.
const std::vector<std::pair<Kind, int>> kPeakMix = {
    {Kind::kToday, 60}, {Kind::kReport, 25}, {Kind::kCheckIn, 10}, {Kind::kLibrary, 5}};

struct Stubs {
  std::unique_ptr<health::Health::Stub> health;
  std::unique_ptr<v1::SessionService::Stub> sessions;
  std::unique_ptr<v1::ExerciseLibraryService::Stub> library;
};

// One call in flight; reused for the next call when it completes.
struct Call {
  Kind kind = Kind::kHealth;
  Clock::time_point due;  // when it was (to be) sent: latency is measured from here
  grpc::Status status;
  std::unique_ptr<grpc::ClientContext> context;
  health::HealthCheckRequest health_request;
  health::HealthCheckResponse health_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<health::HealthCheckResponse>> health_rpc;
  v1::GetTodaySessionRequest today_request;
  v1::GetTodaySessionResponse today_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::GetTodaySessionResponse>> today_rpc;
  v1::ListExercisesRequest library_request;
  v1::ListExercisesResponse library_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ListExercisesResponse>> library_rpc;
  v1::ReportSessionRequest report_request;
  v1::ReportSessionResponse report_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ReportSessionResponse>> report_rpc;
  v1::ReportMorningCheckInRequest checkin_request;
  v1::ReportMorningCheckInResponse checkin_response;
  std::unique_ptr<grpc::ClientAsyncResponseReader<v1::ReportMorningCheckInResponse>> checkin_rpc;
};

template <typename Reader, typename Response>
void Finish(Reader& rpc, Response* response, Call* call) {
  rpc->StartCall();
  rpc->Finish(response, &call->status, call);
}

struct WorkerResult {
  std::vector<int64_t> latencies_ns;
  int64_t errors = 0;
  std::string first_error;
};

class Worker {
 public:
  Worker(const std::vector<Stubs>& stubs, const Scenario& scenario, int streams, int id,
         uint64_t run)
      : stubs_(stubs),
        scenario_(scenario),
        streams_(streams),
        id_(id),
        run_(run),
        rng_(run * 1000 + id) {}

  WorkerResult Run(Clock::time_point measure_from, Clock::time_point end, double rate) {
    std::vector<std::unique_ptr<Call>> calls;
    std::vector<Call*> free;
    const int slots = rate > 0 ? 1024 : streams_;
    for (int i = 0; i < slots; ++i) {
      calls.push_back(std::make_unique<Call>());
      free.push_back(calls.back().get());
    }
    int in_flight = 0;
    if (rate <= 0) {
      const auto now = Clock::now();
      for (Call* c : free) Start(c, now), ++in_flight;
      free.clear();
    }
    const auto interval = std::chrono::nanoseconds(rate > 0 ? int64_t(1e9 / rate) : 0);
    auto next_due = Clock::now();
    std::deque<Clock::time_point> backlog;  // due but no free slot yet
    while (true) {
      if (rate > 0) {
        // Queue every call that has come due; send as slots allow.
        const auto now = Clock::now();
        while (next_due <= now && next_due < end) {
          backlog.push_back(next_due);
          next_due += interval;
        }
        while (!backlog.empty() && !free.empty()) {
          Start(free.back(), backlog.front());
          free.pop_back();
          backlog.pop_front();
          ++in_flight;
        }
        if (in_flight == 0 && next_due >= end) break;
      } else if (in_flight == 0) {
        break;
      }
      void* tag = nullptr;
      bool ok = false;
      const auto wait = rate > 0 ? std::min(next_due, end) : end + std::chrono::seconds(30);
      const auto deadline = std::chrono::system_clock::now() + (wait - Clock::now());
      const auto got = cq_.AsyncNext(&tag, &ok, deadline);
      if (got == grpc::CompletionQueue::SHUTDOWN) break;
      if (got == grpc::CompletionQueue::TIMEOUT) continue;
      Call* call = static_cast<Call*>(tag);
      --in_flight;
      const auto done = Clock::now();
      if (call->due >= measure_from && done <= end) {
        if (call->status.ok()) {
          result_.latencies_ns.push_back(
              std::chrono::duration_cast<std::chrono::nanoseconds>(done - call->due).count());
        } else if (result_.errors++ == 0) {
          result_.first_error =
              absl::StrCat(call->status.error_code(), ": ", call->status.error_message());
        }
      }
      if (rate <= 0 && done < end) {
        Start(call, done);
        ++in_flight;
      } else {
        free.push_back(call);
      }
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
    return std::move(result_);
  }

 private:
  Kind Pick() {
    int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
    for (const auto& [kind, weight] : scenario_.mix) {
      if (roll < weight) return kind;
      roll -= weight;
    }
    return scenario_.mix.back().first;
  }

  void Start(Call* call, Clock::time_point due) {
    call->kind = Pick();
    call->due = due;
    call->context = std::make_unique<grpc::ClientContext>();
    call->context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!token_.empty()) call->context->AddMetadata("authorization", token_);
    const Stubs& s = stubs_[next_stub_++ % stubs_.size()];
    const int program =
        std::uniform_int_distribution<int>(0, absl::GetFlag(FLAGS_programs) - 1)(rng_);
    const std::string request_id = absl::StrCat("bench-", run_, "-", id_, "-", ++sent_);
    grpc::ClientContext* ctx = call->context.get();
    switch (call->kind) {
      case Kind::kHealth:
        call->health_rpc = s.health->PrepareAsyncCheck(ctx, call->health_request, &cq_);
        Finish(call->health_rpc, &call->health_response, call);
        break;
      case Kind::kToday:
      case Kind::kTodayBasic:
        call->today_request.set_program(ProgramName(program));
        call->today_request.set_view(call->kind == Kind::kTodayBasic ? v1::SESSION_VIEW_BASIC
                                                                     : v1::SESSION_VIEW_FULL);
        call->today_rpc = s.sessions->PrepareAsyncGetTodaySession(ctx, call->today_request, &cq_);
        Finish(call->today_rpc, &call->today_response, call);
        break;
      case Kind::kLibrary:
        call->library_rpc = s.library->PrepareAsyncListExercises(ctx, call->library_request, &cq_);
        Finish(call->library_rpc, &call->library_response, call);
        break;
      case Kind::kReport:
        call->report_request = ReportRequest(program, request_id);
        call->report_rpc = s.sessions->PrepareAsyncReportSession(ctx, call->report_request, &cq_);
        Finish(call->report_rpc, &call->report_response, call);
        break;
      case Kind::kCheckIn:
        call->checkin_request = CheckInRequest(program, request_id);
        call->checkin_rpc =
            s.sessions->PrepareAsyncReportMorningCheckIn(ctx, call->checkin_request, &cq_);
        Finish(call->checkin_rpc, &call->checkin_response, call);
        break;
    }
  }

  const std::vector<Stubs>& stubs_;
  const Scenario& scenario_;
  const int streams_;
  const int id_;
  const uint64_t run_;
  const std::string token_ =
      absl::GetFlag(FLAGS_token).empty() ? "" : "Bearer " + absl::GetFlag(FLAGS_token);
  std::mt19937_64 rng_;
  grpc::CompletionQueue cq_;
  size_t next_stub_ = 0;
  int64_t sent_ = 0;
  WorkerResult result_;
};

struct Result {
  std::string name;
  int64_t count = 0;
  int64_t errors = 0;
  std::string first_error;
  double seconds = 0;
  double p50 = 0, p99 = 0, p999 = 0;  // milliseconds
  double rps() const { return seconds > 0 ? count / seconds : 0; }
};

double Percentile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return sorted[i] / 1e6;
}

Result RunScenario(const std::vector<Stubs>& stubs, const Scenario& scenario, uint64_t run) {
  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const int streams = std::max(threads, absl::GetFlag(FLAGS_streams));
  const auto start = Clock::now();
  const auto measure_from = start + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_warmup));
  const auto end = measure_from + absl::ToChronoNanoseconds(absl::GetFlag(FLAGS_duration));
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<WorkerResult> results(threads);
  std::vector<std::thread> running;
  for (int t = 0; t < threads; ++t) {
    const int share = streams / threads + (t < streams % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(stubs, scenario, share, t, run));
  }
  for (int t = 0; t < threads; ++t) {
    running.emplace_back(
        [&, t] { results[t] = workers[t]->Run(measure_from, end, scenario.rate / threads); });
  }
  for (auto& t : running) t.join();
  Result r;
  r.name = scenario.name;
  r.seconds = std::chrono::duration<double>(end - measure_from).count();
  std::vector<int64_t> all;
  for (auto& w : results) {
    all.insert(all.end(), w.latencies_ns.begin(), w.latencies_ns.end());
    r.errors += w.errors;
    if (r.first_error.empty()) r.first_error = w.first_error;
  }
  std::sort(all.begin(), all.end());
  r.count = static_cast<int64_t>(all.size());
  r.p50 = Percentile(all, 0.50);
  r.p99 = Percentile(all, 0.99);
  r.p999 = Percentile(all, 0.999);
  return r;
}

// VmHWM and VmRSS of `pid` in MB, from /proc.
std::pair<double, double> ServerMemoryMb(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  double hwm = 0, rss = 0;
  while (std::getline(status, line)) {
    double kb = 0;
    if (std::sscanf(line.c_str(), "VmHWM: %lf kB", &kb) == 1) hwm = kb / 1024;
    if (std::sscanf(line.c_str(), "VmRSS: %lf kB", &kb) == 1) rss = kb / 1024;
  }
  return {hwm, rss};
}

int Main() {
  std::string target = absl::GetFlag(FLAGS_target);
  // Several replicas: gRPC's client-side round robin over all of them, per call.
  const bool replicas = absl::StrContains(target, ',');
  if (replicas) target = absl::StrCat("ipv4:", target);
  std::vector<Stubs> stubs;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_connections)); ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one TCP connection per channel
    args.SetInt("kneecoach.bench.connection", i);
    if (replicas) args.SetServiceConfigJSON(R"({"loadBalancingConfig": [{"round_robin": {}}]})");
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      std::fprintf(stderr, "kneecoach-bench: cannot connect to %s\n", target.c_str());
      return 1;
    }
    stubs.push_back({health::Health::NewStub(channel), v1::SessionService::NewStub(channel),
                     v1::ExerciseLibraryService::NewStub(channel)});
  }

  const double fixed_rate = absl::GetFlag(FLAGS_rate);
  std::vector<Result> results;
  const uint64_t run = static_cast<uint64_t>(absl::ToUnixMicros(absl::Now()));
  double health_rps = 0, peak_rps = 0;
  for (absl::string_view name : absl::StrSplit(absl::GetFlag(FLAGS_scenarios), ',')) {
    Scenario s{std::string(name), {}, fixed_rate};
    if (name == "health")
      s.mix = {{Kind::kHealth, 100}};
    else if (name == "today")
      s.mix = {{Kind::kToday, 100}};
    else if (name == "today-basic")
      s.mix = {{Kind::kTodayBasic, 100}};
    else if (name == "library")
      s.mix = {{Kind::kLibrary, 100}};
    else if (name == "report")
      s.mix = {{Kind::kReport, 100}};
    else if (name == "checkin")
      s.mix = {{Kind::kCheckIn, 100}};
    else if (name == "peak")
      s.mix = kPeakMix;
    else if (name == "peak-half") {
      if (peak_rps <= 0) {
        std::fprintf(stderr, "kneecoach-bench: peak-half needs peak before it\n");
        return 2;
      }
      s.mix = kPeakMix;
      s.rate = peak_rps / 2;
    } else {
      std::fprintf(stderr, "kneecoach-bench: unknown scenario %s\n", s.name.c_str());
      return 2;
    }
    if (s.rate > 0) s.name = absl::StrFormat("%s@%.0f/s", s.name, s.rate);
    std::fprintf(stderr, "kneecoach-bench: %s ...\n", s.name.c_str());
    Result r = RunScenario(stubs, s, run);
    if (name == "health") health_rps = r.rps();
    if (name == "peak") peak_rps = r.rps();
    results.push_back(std::move(r));
  }

  std::printf(
      "\nkneecoach-bench %s: %d streams over %d connections, %d client threads, "
      "%s per scenario%s\n",
      absl::GetFlag(FLAGS_label).c_str(), absl::GetFlag(FLAGS_streams),
      absl::GetFlag(FLAGS_connections), absl::GetFlag(FLAGS_threads),
      absl::FormatDuration(absl::GetFlag(FLAGS_duration)).c_str(),
      fixed_rate > 0 ? absl::StrFormat(", open loop %.0f/s", fixed_rate).c_str() : "");
  std::printf("| %-22s | %9s | %8s | %8s | %8s | %9s | %6s |\n", "scenario", "req/s", "p50 ms",
              "p99 ms", "p99.9 ms", "vs health", "errors");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(24, '-').c_str(),
              std::string(11, '-').c_str(), std::string(10, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(),
              std::string(11, '-').c_str(), std::string(8, '-').c_str());
  for (const Result& r : results) {
    const std::string ratio =
        health_rps > 0 ? absl::StrFormat("%.0f%%", 100 * r.rps() / health_rps) : "-";
    std::printf("| %-22s | %9.0f | %8.2f | %8.2f | %8.2f | %9s | %6lld |\n", r.name.c_str(),
                r.rps(), r.p50, r.p99, r.p999, ratio.c_str(), static_cast<long long>(r.errors));
  }
  for (const Result& r : results) {
    if (r.errors > 0) {
      std::printf("%s: first error: %s\n", r.name.c_str(), r.first_error.c_str());
    }
  }
  if (const int pid = absl::GetFlag(FLAGS_server_pid); pid > 0) {
    const auto [hwm, rss] = ServerMemoryMb(pid);
    std::printf("server memory: peak %.1f MB (VmHWM), now %.1f MB (VmRSS)\n", hwm, rss);
  }
  std::fflush(stdout);
  for (const Result& r : results) {
    if (r.count == 0) return 1;  // nothing succeeded: the table is not a measurement
  }
  return 0;
}

}  // namespace
}  // namespace kneecoach::bench

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "Load generator for kneecoach-server; see bench/README.md.\n"
                        "Usage: kneecoach-bench --target=HOST:PORT --programs=N [flags]");
  // As in the server: Debian's Abseil checks lock order on every Lock, gRPC's included; the
  // load generator should spend its CPU on calls.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return kneecoach::bench::Main();
}
