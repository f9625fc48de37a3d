// Calling the kneecoach services from the CLI: one channel, a deadline per call, errors
// printed the same way for every command, and output as JSON (--json) or text.
//
// Every command goes through Rpc::Show / Rpc::ShowList ("call, check status, print JSON or
// text"), so exit codes and error output are the same everywhere:
//   0 OK, 2 INVALID_ARGUMENT (and command-line usage errors), 3 NOT_FOUND, 1 anything else.
#pragma once

#include <iostream>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clients/cli/args.h"
#include "clients/common/client_common.h"
#include "clients/common/stubs.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace kneecoach::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalidArgument = 2;
inline constexpr int kExitNotFound = 3;

// The process exit code for a gRPC status code (see the file comment).
int ExitCode(grpc::StatusCode code);

// "INVALID_ARGUMENT", "NOT_FOUND", ... (clients/common).
using clients::CodeName;

// Prints "error: <CODE>: <message>" to stderr, then one line per google.rpc.BadRequest
// field violation (and PreconditionFailure violation) found in the status details.
// Returns ExitCode(status.error_code()).
int PrintError(const grpc::Status& status);

// Prints "error: <message>" to stderr for a command-line mistake; returns 2.
int UsageError(absl::string_view message);

// A fresh idempotency key, "cli-" and 16 hex digits (fits [A-Za-z0-9_-]{1,64}).
std::string NewRequestId();

// One stub per service over one channel (clients/common).
using clients::Stubs;

// The global flags that shape every call and every output.
struct RpcOptions {
  // host:port of kneecoach-server.
  std::string server = "127.0.0.1:50051";
  // Deadline of each call (each page of a list is one call).
  absl::Duration timeout = absl::Seconds(10);
  // Print responses as JSON (proto field names) instead of text.
  bool json = false;
  // Sent as "authorization: Bearer <token>" on every call when not empty.
  std::string token;
};

// Options every List command accepts: --all, --page-size, --page-token.
std::vector<OptionSpec> PagingOptions();

// Makes calls and prints their results. Used from one thread.
class Rpc {
 public:
  Rpc(RpcOptions options, Stubs& stubs) : options_(std::move(options)), stubs_(stubs) {}

  Stubs& stubs() const { return stubs_; }
  bool json() const { return options_.json; }

  // The same client presenting `token` as its bearer credential instead (an enrollment code
  // is presented this way to EnrollDevice).
  Rpc WithToken(std::string token) const {
    RpcOptions options = options_;
    options.token = std::move(token);
    return Rpc(std::move(options), stubs_);
  }

  // A unary method of a stub class (the commands name the StubInterface's methods).
  template <typename Stub, typename Req, typename Resp>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

  // The stub a method is called on: its type comes from the method alone, so a Stubs
  // member (a v1::X::Stub) serves a method of v1::X::StubInterface.
  template <typename Stub>
  using On = std::type_identity_t<Stub>;

  // One unary call under the deadline. Prints nothing.
  template <typename Stub, typename Req, typename Resp>
  grpc::Status Call(Method<Stub, Req, Resp> method, On<Stub>& stub, const Req& request,
                    Resp* response) const {
    grpc::ClientContext context;
    clients::PrepareCall(&context, options_.token, options_.timeout);
    return (stub.*method)(&context, request, response);
  }

  // Prints `response` as one JSON document (--json) or by calling `text(response)`.
  // Returns the exit code.
  template <typename Resp, typename Text>
  int Print(const Resp& response, Text&& text) const {
    if (json()) return PrintJson(response);
    text(response);
    return kExitOk;
  }

  // Call, check the status (printing any error), print the response as JSON or text.
  // Returns the exit code.
  template <typename Stub, typename Req, typename Resp, typename Text>
  int Show(Method<Stub, Req, Resp> method, On<Stub>& stub, const Req& request, Text&& text) const {
    Resp response;
    grpc::Status status = Call(method, stub, request, &response);
    if (!status.ok()) return PrintError(status);
    return Print(response, std::forward<Text>(text));
  }

  // Calls a List method once, or page after page with --all, merging every page into one
  // response (so --json prints one document); applies --page-size and --page-token.
  template <typename Stub, typename Req, typename Resp>
  grpc::Status CallList(Method<Stub, Req, Resp> method, On<Stub>& stub, Req request,
                        const Args& args, Resp* merged) const {
    if (auto size = args.IntValue("page-size")) request.set_page_size(*size);
    if (args.Has("page-token")) request.set_page_token(args.Value("page-token"));
    merged->Clear();
    while (true) {
      Resp page;
      grpc::Status status = Call(method, stub, request, &page);
      if (!status.ok()) return status;
      merged->MergeFrom(page);
      merged->set_next_page_token(page.next_page_token());
      if (!args.Has("all") || page.next_page_token().empty() ||
          page.next_page_token() == request.page_token()) {
        return status;
      }
      request.set_page_token(page.next_page_token());
    }
  }

  // CallList, then print like Show; in text mode a last line tells how to get more.
  template <typename Stub, typename Req, typename Resp, typename Text>
  int ShowList(Method<Stub, Req, Resp> method, On<Stub>& stub, const Req& request, const Args& args,
               Text&& text) const {
    Resp response;
    grpc::Status status = CallList(method, stub, request, args, &response);
    if (!status.ok()) return PrintError(status);
    return Print(response, [&](const Resp& r) {
      text(r);
      PrintMoreHint(r.next_page_token());
    });
  }

 private:
  int PrintJson(const google::protobuf::Message& message) const;
  static void PrintMoreHint(const std::string& next_page_token);

  RpcOptions options_;
  Stubs& stubs_;
};

}  // namespace kneecoach::cli
