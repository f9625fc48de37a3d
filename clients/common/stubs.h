// How every kneecoach client (the CLI, the desktop window, the tests) talks to the server:
// one generated stub per kneecoach.v1 service over one channel, and each call's context
// prepared the same way (a deadline and the bearer token).
//
// Thread safety: gRPC stubs are thread-safe, so one Stubs may serve any number of threads
// once constructed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "kneecoach/v1/access.grpc.pb.h"
#include "kneecoach/v1/decision.grpc.pb.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/outcome.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/protocol.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"

namespace kneecoach::clients {

// The generated stub of `Service` (v1::PatientService, ...) on a channel, used like the
// std::unique_ptr that `Service::NewStub` returns (`->`, `*`, `get()`). Its type names its
// service, which lets Stubs list the services it has.
template <typename Service>
class StubOf {
 public:
  using Stub = typename Service::Stub;

  explicit StubOf(const std::shared_ptr<grpc::ChannelInterface>& channel)
      : stub_(Service::NewStub(channel)) {}

  Stub* operator->() const { return stub_.get(); }
  Stub& operator*() const { return *stub_; }
  Stub* get() const { return stub_.get(); }

  // "kneecoach.v1.PatientService", ...
  static const char* service_name() { return Service::service_full_name(); }

 private:
  std::unique_ptr<Stub> stub_;
};

// One stub per kneecoach.v1 service, all over one channel. A service added to the protos
// needs a member here: tests/clients/stubs_test.cc compares ServiceNames() with every service
// of proto/kneecoach/v1 in the descriptor pool.
struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::ChannelInterface>& channel);

  StubOf<v1::AccessService> access;
  StubOf<v1::AlertService> alerts;
  StubOf<v1::ExerciseLibraryService> library;
  StubOf<v1::OutcomeService> outcomes;
  StubOf<v1::PatientService> patients;
  StubOf<v1::ProgramService> programs;
  StubOf<v1::ProtocolService> protocols;
  StubOf<v1::SessionService> sessions;

  // The full names of the members' services, in member order, read from their types.
  std::vector<std::string> ServiceNames() const;
};

// Prepares `context` for one call: a deadline `timeout` from now and, unless `token` is
// empty, the metadata "authorization: Bearer <token>".
void PrepareCall(grpc::ClientContext* context, absl::string_view token, absl::Duration timeout);

}  // namespace kneecoach::clients
