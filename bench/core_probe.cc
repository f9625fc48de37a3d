// kneecoach-core-probe: where a GetTodaySession's server time goes, without gRPC. Opens a
// seeded database (kneecoach-seed) through the server's store and Core and times, one
// thread, random programs: the whole use case (authentication, authorization, planning) in
// both views, then its store reads one by one; the progression engine alone on a report
// with its history already loaded; and a whole ReportSession. Prints microseconds per
// operation.
//
//   kneecoach-core-probe --db=var/bench/large-2000.db --programs=2000 --token=...
//
// The token is a clinic admin's of clinics/bench (kneecoach-server --bootstrap_admin); the
// database is written to only by the ReportSession measurement (--only to skip it).
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/requests.h"
#include "service/core/caller.h"
#include "service/core/core.h"
#include "service/core/engine_bridge.h"
#include "service/core/plan_codec.h"
#include "service/core/plan_texts.h"
#include "service/core/program_access.h"
#include "service/domain/dates.h"
#include "service/domain/engine.h"
#include "service/flags/usage.h"
#include "service/store/sqlite_store.h"

ABSL_FLAG(std::string, db, "var/bench/large-2000.db", "seeded database (read only)");
ABSL_FLAG(int, programs, 2000, "programs in it (bench-g0..N-1)");
ABSL_FLAG(std::string, token, "", "a clinic admin's bearer token for clinics/bench");
ABSL_FLAG(int, iterations, 20000, "calls per measurement");
ABSL_FLAG(std::string, only, "", "run only the measurements whose label contains this");
ABSL_FLAG(std::string, data_dir, KNEECOACH_DEFAULT_DATA_DIR, "library and protocols");

namespace kneecoach {
namespace {

int Main() {
  auto library = Library::LoadFromFile(absl::GetFlag(FLAGS_data_dir) + "/library.textproto");
  if (!library.ok()) return std::fprintf(stderr, "%s\n", library.status().ToString().c_str()), 1;
  auto store = SqliteStore::Open({.path = absl::GetFlag(FLAGS_db)});
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  SystemClock clock;
  RandomIdGenerator ids;
  Core core(**library, **store, clock, ids);
  const std::string authorization = "Bearer " + absl::GetFlag(FLAGS_token);
  const MethodInfo* method =
      (*MethodRegistry::Api())->Find("/kneecoach.v1.SessionService/GetTodaySession");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(0, absl::GetFlag(FLAGS_programs) - 1);
  const int n = absl::GetFlag(FLAGS_iterations);

  auto time = [&](const char* what, const std::function<bool(int)>& op) {
    if (std::string(what).find(absl::GetFlag(FLAGS_only)) == std::string::npos) return;
    int failed = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) failed += !op(pick(rng));
    const double us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count() /
        n;
    std::printf("%-52s %8.2f us%s\n", what, us,
                failed ? absl::StrCat("  (", failed, " failed)").c_str() : "");
  };
  // One GetTodaySession as the server runs it: authenticate, authorize, the use case, whose
  // response comes encoded (a kept plan is not decoded).
  auto get_today =
      [&](int p, v1::SessionView view) -> absl::StatusOr<Encoded<v1::GetTodaySessionResponse>> {
    ASSIGN_OR_RETURN(Caller caller, core.Authenticate(authorization));
    v1::GetTodaySessionRequest request;
    request.set_program(absl::StrCat("programs/bench-g", p));
    request.set_view(view);
    RequestContext ctx = RequestContext::ForCall(std::move(caller), method, "");
    RETURN_IF_ERROR(core.Authorize(ctx, request));
    return core.sessions().GetTodaySessionEncoded(ctx, request);
  };
  auto today = [&](v1::SessionView view) {
    return [&, view](int p) { return get_today(p, view).ok(); };
  };
  const PlanCodec codec(**library);
  std::string basic_plan;
  for (v1::SessionView view : {v1::SESSION_VIEW_FULL, v1::SESSION_VIEW_BASIC}) {
    auto encoded = get_today(1, view);
    if (!encoded.ok()) return std::fprintf(stderr, "%s\n", encoded.status().ToString().c_str()), 1;
    v1::GetTodaySessionResponse response;
    if (!response.ParseFromString(encoded->bytes)) return std::fprintf(stderr, "undecodable\n"), 1;
    std::printf("%s response: %zu bytes, %d items, %d cards\n", v1::SessionView_Name(view).c_str(),
                encoded->bytes.size(), response.session().items_size(),
                response.session().education_cards_size());
    if (view == v1::SESSION_VIEW_BASIC) {
      basic_plan = encoded->bytes;
      std::printf("  kept deflated with the library's names as dictionary: %zu bytes\n",
                  codec.Compress(basic_plan).size());
    }
  }
  // Every program's plan kept first, as the server's background round does: the timings
  // below are of kept plans (a first call that makes one costs the store reads).
  if (auto made = core.sessions().PreparePlans(RequestContext::System("prepare plans"));
      !made.ok()) {
    return std::fprintf(stderr, "%s\n", made.status().ToString().c_str()), 1;
  }
  time("GetTodaySession FULL (auth, plan, encoded)", today(v1::SESSION_VIEW_FULL));
  time("GetTodaySession BASIC (auth, plan, encoded)", today(v1::SESSION_VIEW_BASIC));
  const std::string packed = codec.Compress(basic_plan);
  time("  deflate a basic plan", [&](int) { return !codec.Compress(basic_plan).empty(); });
  time("  inflate it", [&](int) { return codec.Decompress(packed).ok(); });
  const PlanTexts texts(**library);
  time("  full view from it (PlanTexts)", [&](int) { return texts.FullView(basic_plan).ok(); });
  time("  Authenticate (cached)", [&](int) { return core.Authenticate(authorization).ok(); });
  time("  read Txn: begin, end", [&](int) { return (*store)->Begin(false).ok(); });
  time("  read Txn + GetProgram", [&](int p) {
    auto txn = (*store)->Begin(false);
    return txn.ok() && (*txn)->GetProgram(absl::StrCat("bench-g", p)).ok();
  });
  time("  read Txn + GetPatient", [&](int p) {
    auto txn = (*store)->Begin(false);
    return txn.ok() && (*txn)->GetPatient(absl::StrCat("bench-p", p)).ok();
  });
  time("  read Txn + SessionsSince(14 days)", [&](int p) {
    auto txn = (*store)->Begin(false);
    return txn.ok() && (*txn)->SessionsSince(absl::StrCat("bench-g", p), "2026-11-07").ok();
  });
  // The progression engine alone on a report like the benchmark's, with what the server
  // would read for it (program, protocol, 120 days of history, alerts) loaded beforehand:
  // the part of a report no store layout can remove.
  {
    struct Loaded {
      v1::Program program;
      v1::Protocol protocol;
      History history;
      v1::Session session;
    };
    std::vector<Loaded> loaded;
    const absl::CivilDay day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    for (int p = 0; p < std::min(200, absl::GetFlag(FLAGS_programs)); ++p) {
      auto txn = (*store)->Begin(false);
      if (!txn.ok()) return 1;
      Loaded l;
      // What ReportSession reads, read the way it reads it.
      auto program = internal::LoadProgram(**txn, "program", bench::ProgramName(p));
      if (!program.ok())
        return std::fprintf(stderr, "%s\n", program.status().ToString().c_str()), 1;
      l.program = program->program;
      auto input = internal::LoadEngineInput(**txn, *program, day);
      if (!input.ok()) return std::fprintf(stderr, "%s\n", input.status().ToString().c_str()), 1;
      l.protocol = std::move(input->protocol);
      l.history = std::move(input->history);
      v1::ReportSessionRequest request = bench::ReportRequest(p, "probe");
      l.session.set_program(request.program());
      l.session.set_local_date(FormatLocalDate(day));
      l.session.set_state(v1::SESSION_STATE_REPORTED);
      for (const auto& r : request.reports()) {
        v1::ExerciseReport report = r;
        for (const auto& candidate : l.program.prescriptions()) {
          if (candidate.name() != report.prescription()) continue;
          report.set_exercise(candidate.exercise());
          *report.mutable_prescribed_dose() = candidate.dose();
        }
        *l.session.add_reports() = std::move(report);
      }
      loaded.push_back(std::move(l));
    }
    size_t sessions = 0, check_ins = 0;
    for (const auto& l : loaded)
      sessions += l.history.sessions.size(), check_ins += l.history.check_ins.size();
    std::printf("engine history: %.1f sessions and %.1f check-ins a program (%zu programs)\n",
                double(sessions) / loaded.size(), double(check_ins) / loaded.size(), loaded.size());
    const absl::Time now = absl::Now();
    time("OnSessionReported (the engine alone)", [&](int p) {
      const Loaded& l = loaded[p % loaded.size()];
      const EngineContext ctx{**library, l.protocol, day, now};
      v1::Session session = l.session;
      EngineResult result = OnSessionReported(ctx, l.program, session, l.history);
      return result.program.prescriptions_size() > 0;
    });
    time("  copy the program and the session", [&](int p) {
      const Loaded& l = loaded[p % loaded.size()];
      v1::Session session = l.session;
      v1::Program program = l.program;
      return program.prescriptions_size() > 0 && session.reports_size() > 0;
    });
  }
  // Writes: one thread, so every report is its own batch and waits for its own sync.
  int sent = 0;
  const int64_t run = absl::ToUnixMicros(absl::Now());
  const MethodInfo* report_method =
      (*MethodRegistry::Api())->Find("/kneecoach.v1.SessionService/ReportSession");
  time("ReportSession (auth, engine, commit, fdatasync)", [&](int p) {
    auto caller = core.Authenticate(authorization);
    if (!caller.ok()) return false;
    v1::ReportSessionRequest request =
        bench::ReportRequest(p, absl::StrCat("probe-", run, "-", ++sent));
    RequestContext ctx = RequestContext::ForCall(*std::move(caller), report_method, "");
    if (!core.Authorize(ctx, request).ok()) return false;
    return core.sessions().ReportSession(ctx, request).ok();
  });
  return 0;
}

}  // namespace
}  // namespace kneecoach

int main(int argc, char** argv) {
  kneecoach::ParseFlags(argc, argv,
                        "Times GetTodaySession's parts in process; see the file comment.\n"
                        "Usage: kneecoach-core-probe [flags]");
  return kneecoach::Main();
}
