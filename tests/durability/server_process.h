// A real kneecoach-server process for fault tests: started with fork/exec on
// 127.0.0.1:0, its port read from the line it prints at start, stopped by any signal
// (SIGKILL for a crash). Also runs kneecoach-seed to make a database, and calls the server
// as a token bearer.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/requests.h"
#include "grpcpp/grpcpp.h"
#include "kneecoach/v1/session.grpc.pb.h"

namespace kneecoach::testing {

// Runs `argv` to completion, its stdout and stderr into `output` if given; its exit code
// (-1 if it could not run or was signalled).
// Starts `argv` with stdout and stderr on a pipe: its pid in `pid` (-1 on failure) and the
// read end of the pipe returned (-1 on failure). Everything the child needs is built before
// fork: it only execs.
inline int Spawn(const std::vector<std::string>& argv, pid_t* pid) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  *pid = -1;
  if (::pipe(fds) != 0) return -1;
  *pid = ::fork();
  if (*pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  return fds[0];
}

inline int RunProcess(const std::vector<std::string>& argv, std::string* output = nullptr) {
  pid_t pid;
  const int out = Spawn(argv, &pid);
  if (out < 0) return -1;
  char buf[4096];
  for (ssize_t n; (n = ::read(out, buf, sizeof(buf))) > 0;) {
    if (output != nullptr) output->append(buf, n);
  }
  ::close(out);
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// A bearer token for an admin of the clinic kneecoach-seed puts every patient in (the last
// line `kneecoach-server --bootstrap_admin` prints), or "" if the server has no such flag
// (no authentication).
inline std::string BootstrapToken(const std::string& db) {
  std::string output;
  const int code = RunProcess({KNEECOACH_SERVER_BIN, absl::StrCat("--db=", db),
                               absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR),
                               "--bootstrap_admin=Bench Admin", "--bootstrap_clinic=bench"},
                              &output);
  if (code != 0) return "";
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return output.substr(output.rfind('\n') + 1);
}

// `kneecoach-seed` making `programs` programs with `sessions` sessions each in `db`.
inline int Seed(const std::string& db, int programs, int sessions) {
  return RunProcess({KNEECOACH_SEED_BIN, absl::StrCat("--db=", db),
                     absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR),
                     absl::StrCat("--patients=", programs),
                     absl::StrCat("--sessions_per_patient=", sessions)});
}

// Calls as the bearer of `token` ("" sends none), with a 10 s deadline: ReportSession of
// program `program` with bench::ReportRequest, and GetTodaySession.
inline void Prepare(grpc::ClientContext& context, const std::string& token) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
}

inline grpc::Status ReportAs(v1::SessionService::Stub& stub, const std::string& token, int program,
                             const std::string& request_id, v1::ReportSessionResponse* response) {
  grpc::ClientContext context;
  Prepare(context, token);
  return stub.ReportSession(&context, bench::ReportRequest(program, request_id), response);
}

inline grpc::Status TodayAs(v1::SessionService::Stub& stub, const std::string& token, int program) {
  grpc::ClientContext context;
  Prepare(context, token);
  v1::GetTodaySessionRequest request;
  request.set_program(bench::ProgramName(program));
  v1::GetTodaySessionResponse response;
  return stub.GetTodaySession(&context, request, &response);
}

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { Stop(SIGKILL); }

  // Starts the server on `db` (a SQLite path, or a store spec such as postgresql://...);
  // true once it listens. Otherwise false, with what it printed in output(). Once it
  // listens, what it prints is read on (so that it never blocks on a full pipe) into
  // output().
  bool Start(const std::string& db, const std::vector<std::string>& extra_flags = {}) {
    const bool spec = db.find("://") != std::string::npos;
    std::vector<std::string> argv = {KNEECOACH_SERVER_BIN, "--listen=127.0.0.1:0",
                                     absl::StrCat(spec ? "--store=" : "--db=", db),
                                     absl::StrCat("--data_dir=", KNEECOACH_TEST_DATA_DIR)};
    argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
    out_fd_ = Spawn(argv, &pid_);
    if (out_fd_ < 0) return false;
    output_.clear();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(out_fd_, buf, sizeof(buf));
      if (n <= 0) break;  // exited
      output_.append(buf, n);
      // "kneecoach-server listening on 127.0.0.1:PORT (database ...)"
      const size_t at = output_.find("listening on 127.0.0.1:");
      const size_t end = output_.find(' ', at + 23);
      if (at != std::string::npos && end != std::string::npos &&
          absl::SimpleAtoi(absl::string_view(output_).substr(at + 23, end - at - 23), &port_)) {
        drain_ = std::thread([this, fd = out_fd_] {
          char more[4096];
          for (ssize_t got; (got = ::read(fd, more, sizeof(more))) > 0;) {
            std::lock_guard<std::mutex> lock(mu_);
            output_.append(more, got);
          }
        });
        return true;
      }
    }
    return false;
  }

  // Sends `signal` and reaps the process; its wait status (0 if none was running).
  int Stop(int signal) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    if (drain_.joinable()) drain_.join();  // ends at the pipe's end of file
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
    return status;
  }

  // Waits for the process to exit by itself; its wait status.
  int Wait() {
    int status = 0;
    if (pid_ > 0) ::waitpid(pid_, &status, 0);
    pid_ = 0;
    if (drain_.joinable()) drain_.join();
    return status;
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  std::string output() const {
    std::lock_guard<std::mutex> lock(mu_);
    return output_;
  }

 private:
  pid_t pid_ = 0;
  int out_fd_ = -1;
  int port_ = 0;
  mutable std::mutex mu_;
  std::string output_;  // guarded by mu_ once drain_ runs
  std::thread drain_;
};

}  // namespace kneecoach::testing
