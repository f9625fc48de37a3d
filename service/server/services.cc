#include "service/server/services.h"

#include <cstdio>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "service/core/limits.h"
#include "service/domain/secrets.h"
#include "service/server/server.h"

namespace kneecoach {
namespace handlers {
namespace {

// The client failed sign-ins are counted against (Core::CheckSignInAllowed): the peer's
// address, or behind a proxy on this host (the web app's gateway) the one it forwards.
std::string ClientAddress(const grpc::CallbackServerContext& context) {
  std::string peer = PeerAddress(context.peer());
  if (KneecoachServer::IsLoopback(absl::StrCat(absl::StripPrefix(peer, "ipv4:"), ":0")) ||
      peer == "ipv6:[::1]") {
    auto forwarded = context.client_metadata().find("x-forwarded-for");
    if (forwarded != context.client_metadata().end()) {
      peer = absl::StrCat("forwarded:",
                          absl::string_view(forwarded->second.data(), forwarded->second.size()));
    }
  }
  return peer;
}

// A failed sign-in's audit entry that could not be written is logged, not lost.
void RecordFailedSignIn(Core& core, const std::string& peer, const MethodInfo& method,
                        absl::string_view why, absl::string_view request_id) {
  if (absl::Status s = core.RecordFailedSignIn(peer, method.full_name, why); !s.ok()) {
    LogStatus(s, request_id, method.full_name);
  }
}

}  // namespace

WorkerPool* PoolFor(const MethodInfo& method, const ServeDeps& deps) {
  switch (method.execution) {
    case v1::EXECUTION_WRITE_POOL:
      return &deps.writes;
    case v1::EXECUTION_SIMULATION_POOL:
      return &deps.simulations;
    default:
      return nullptr;
  }
}

std::string RequestDigest(absl::string_view method, const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return HashSecret(absl::StrCat(method, "\n", bytes));
}

absl::Status Admit(const MethodInfo& method, Core& core, grpc::CallbackServerContext* context,
                   const google::protobuf::Message& request, std::string request_id,
                   Admitted& admitted) {
  auto header = context->client_metadata().find("authorization");
  const absl::string_view authorization =
      header == context->client_metadata().end()
          ? absl::string_view()
          : absl::string_view(header->second.data(), header->second.size());
  // A valid token is served whatever its peer's failures: many patients share the gateway's
  // peer, and a guess at a 256-bit token is hopeless anyway. A failed sign-in from a peer
  // over its budget is told to wait (RESOURCE_EXHAUSTED) before it is counted; enrollment
  // codes, short enough to guess, are checked against the budget below even when right, so
  // a blocked peer learns nothing from its guesses.
  absl::StatusOr<Caller> caller = core.Authenticate(authorization);
  if (!caller.ok()) {
    if (absl::IsUnauthenticated(caller.status()) && !authorization.empty()) {
      const std::string peer = ClientAddress(*context);
      RETURN_IF_ERROR(core.CheckSignInAllowed(peer, false));
      RecordFailedSignIn(core, peer, method, caller.status().message(), request_id);
    }
    return caller.status();
  }
  admitted.enrollment = !caller->enrollment_code.empty();
  // Read only where a sign-in is counted: not on the calls of signed-in users.
  if (admitted.enrollment) {
    admitted.peer = ClientAddress(*context);
    RETURN_IF_ERROR(core.CheckSignInAllowed(admitted.peer, true));
  }
  RETURN_IF_ERROR(CheckRequestLimits(request));
  admitted.ctx.emplace(RequestContext::ForCall(*std::move(caller), &method, std::move(request_id)));
  admitted.ctx->deadline = absl::FromChrono(context->deadline());
  admitted.ctx->cancelled = [context] { return context->IsCancelled(); };
  return core.Authorize(*admitted.ctx, request);
}

void AfterFailure(Core& core, const MethodInfo& method, const Admitted& admitted,
                  const absl::Status& status, absl::string_view request_id) {
  if (admitted.enrollment && absl::IsUnauthenticated(status)) {
    RecordFailedSignIn(core, admitted.peer, method, status.message(), request_id);
  }
}

absl::Status Overloaded() {
  return absl::UnavailableError(
      "server overloaded: too many calls waiting; retry with backoff (the same request_id is "
      "safe)");
}

}  // namespace handlers

namespace {

// `fn` of the service `service` of Core, as a unary use case.
template <typename Service, typename Request, typename Response>
Binding Bind(Service& service,
             absl::StatusOr<Response> (Service::*fn)(const RequestContext&, const Request&)) {
  return Unary<Request, Response>([&service, fn](const RequestContext& ctx, const Request& r) {
    return (service.*fn)(ctx, r);
  });
}

}  // namespace

std::vector<Binding> ApiBindings(Core& core) {
  ExerciseLibraryService& library = core.exercise_library();
  PatientService& patients = core.patients();
  ProgramService& programs = core.programs();
  SessionService& sessions = core.sessions();
  OutcomeService& outcomes = core.outcomes();
  AlertService& alerts = core.alerts();
  AccessService& access = core.access();
  ProtocolService& protocols = core.protocols();
  return {
      Bind(library, &ExerciseLibraryService::ListExercises),
      Bind(library, &ExerciseLibraryService::GetExercise),
      Bind(library, &ExerciseLibraryService::ListLadders),
      Bind(library, &ExerciseLibraryService::ListEducationCards),
      Bind(library, &ExerciseLibraryService::GetEducationCard),
      Bind(patients, &PatientService::CreatePatient),
      Bind(patients, &PatientService::GetPatient),
      Bind(patients, &PatientService::ListPatients),
      Bind(patients, &PatientService::UpdatePatient),
      Bind(patients, &PatientService::ExportPatientData),
      Bind(patients, &PatientService::ErasePatient),
      Bind(programs, &ProgramService::CreateProgram),
      Bind(programs, &ProgramService::GetProgram),
      Bind(programs, &ProgramService::ListPrograms),
      Bind(programs, &ProgramService::UpdateProgram),
      Bind(programs, &ProgramService::UpdatePrescription),
      Bind(programs, &ProgramService::PauseProgram),
      Bind(programs, &ProgramService::ResumeProgram),
      Bind(programs, &ProgramService::ListDecisions),
      Bind(programs, &ProgramService::ApproveDecision),
      Bind(programs, &ProgramService::RejectDecision),
      Bind(programs, &ProgramService::SimulateProgram),
      // A kept plan goes out as it was encoded (PlanCache).
      Bind(sessions, &SessionService::GetTodaySessionEncoded),
      Bind(sessions, &SessionService::ReportSession),
      Bind(sessions, &SessionService::ReportMorningCheckIn),
      Bind(sessions, &SessionService::ListSessions),
      Bind(sessions, &SessionService::ListMorningCheckIns),
      Bind(outcomes, &OutcomeService::GetQuestionnaire),
      Bind(outcomes, &OutcomeService::RecordOutcome),
      Bind(outcomes, &OutcomeService::ListOutcomes),
      Bind(outcomes, &OutcomeService::GetProgress),
      Bind(alerts, &AlertService::ListAlerts),
      Bind(alerts, &AlertService::AcknowledgeAlert),
      Bind(access, &AccessService::GetCurrentUser),
      Bind(access, &AccessService::GetClinic),
      Bind(access, &AccessService::CreateUser),
      Bind(access, &AccessService::GetUser),
      Bind(access, &AccessService::ListUsers),
      Bind(access, &AccessService::UpdateUser),
      Bind(access, &AccessService::CreateToken),
      Bind(access, &AccessService::ListTokens),
      Bind(access, &AccessService::RevokeToken),
      Bind(access, &AccessService::CreateEnrollmentCode),
      Bind(access, &AccessService::EnrollDevice),
      Bind(access, &AccessService::ListAuditEntries),
      Bind(protocols, &ProtocolService::ListProtocols),
      Bind(protocols, &ProtocolService::GetProtocol),
      Bind(protocols, &ProtocolService::CreateProtocol),
  };
}

absl::StatusOr<std::vector<std::unique_ptr<grpc::Service>>> MakeServices(
    const MethodRegistry& registry, const std::vector<Binding>& bindings, const ServeDeps& deps) {
  absl::flat_hash_map<const google::protobuf::Descriptor*, const Binding*> by_request;
  for (const Binding& binding : bindings) {
    if (!by_request.emplace(binding.request_type, &binding).second) {
      return absl::FailedPreconditionError(
          absl::StrCat("two bindings take ", binding.request_type->full_name()));
    }
  }
  std::vector<std::unique_ptr<grpc::Service>> services;
  size_t bound = 0;
  for (const google::protobuf::ServiceDescriptor* service : registry.services()) {
    auto served = std::make_unique<RegistryService>();
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodInfo* method =
          registry.Find(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
      auto binding = by_request.find(method->descriptor->input_type());
      if (binding == by_request.end() || method->descriptor->client_streaming() ||
          binding->second->server_streaming != method->descriptor->server_streaming()) {
        return absl::FailedPreconditionError(absl::StrCat(
            method->full_name, " has no use case bound to it (service/server/services.cc)"));
      }
      binding->second->add(*method, deps, *served);
      ++bound;
    }
    services.push_back(std::move(served));
  }
  if (bound != bindings.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat(bindings.size() - bound, " bindings match no method of the protos"));
  }
  return services;
}

}  // namespace kneecoach
