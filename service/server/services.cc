#include "service/server/services.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "kneecoach/v1/access.grpc.pb.h"
#include "kneecoach/v1/decision.grpc.pb.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/outcome.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/protocol.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/core/caller.h"
#include "service/core/limits.h"
#include "service/core/sign_in_limiter.h"
#include "service/domain/secrets.h"
#include "service/server/server.h"
#include "service/server/status_util.h"

namespace kneecoach {
namespace {

// Hex SHA-256 of the method and the request serialized deterministically (idempotency keys
// refuse a request_id reused for another request).
std::string RequestDigest(const char* method, const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return HashSecret(absl::StrCat(method, "\n", bytes));
}

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

// Runs one Core use case for a unary RPC: authenticate the caller, check the request's
// size limits, authorize (Core::Authorize, the one policy), then run it as that caller.
template <typename Request, typename Response>
grpc::Status Handle(Core& core, const char* method,
                    absl::StatusOr<Response> (Core::*use_case)(const Request&),
                    grpc::CallbackServerContext* context, const Request& request,
                    Response* response) {
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
  absl::StatusOr<Caller> caller = core.Authenticate(authorization, method);
  if (!caller.ok()) {
    if (absl::IsUnauthenticated(caller.status()) && !authorization.empty()) {
      const std::string peer = ClientAddress(*context);
      if (absl::Status s = core.CheckSignInAllowed(peer, false); !s.ok()) return ToGrpcStatus(s);
      core.RecordFailedSignIn(peer, method, caller.status().message());
    }
    return ToGrpcStatus(caller.status());
  }
  const bool enrollment = !caller->enrollment_code.empty();
  // Read only where a sign-in is counted: not on the calls of signed-in users.
  const std::string peer = enrollment ? ClientAddress(*context) : std::string();
  if (enrollment) {
    if (absl::Status s = core.CheckSignInAllowed(peer, true); !s.ok()) return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckRequestLimits(request); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = core.Authorize(*caller, request); !s.ok()) return ToGrpcStatus(s);
  // Only a request that can be replayed (it has a request_id, and one is set) is digested:
  // reads pay nothing for idempotency.
  if constexpr (requires { request.request_id(); }) {
    if (!request.request_id().empty()) caller->request_digest = RequestDigest(method, request);
  }
  caller->deadline = absl::FromChrono(context->deadline());
  caller->cancelled = [context] { return context->IsCancelled(); };
  CallScope scope(*std::move(caller));
  absl::StatusOr<Response> result = (core.*use_case)(request);
  if (!result.ok()) {
    if (enrollment && absl::IsUnauthenticated(result.status())) {
      core.RecordFailedSignIn(peer, method, result.status().message());
    }
    return ToGrpcStatus(result.status());
  }
  *response = *std::move(result);
  return grpc::Status::OK;
}

// A service class whose methods are all raw callback methods: `Raw<S, S::WithRawCallback
// Method_A, S::WithRawCallbackMethod_B>::type` derives from A<B<S::Service>>.
template <typename Base, template <class> class... Methods>
struct Raw {
  using type = Base;
};
template <typename Base, template <class> class Method, template <class> class... Rest>
struct Raw<Base, Method, Rest...> {
  using type = Method<typename Raw<Base, Rest...>::type>;
};

template <typename Response>
grpc::Status Encode(const Response& response, grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Response>::Serialize(response, bytes, &own_buffer);
}

template <typename Message>
grpc::Status Encode(const Encoded<Message>& response, grpc::ByteBuffer* bytes) {
  grpc::Slice slice(response.bytes);
  *bytes = grpc::ByteBuffer(&slice, 1);
  return grpc::Status::OK;
}

// Parses the request, runs Handle and serializes the response. The methods are raw (bytes
// in, bytes out) so that a request that does not parse gets INVALID_ARGUMENT saying so: a
// typed callback method answers it with an empty UNIMPLEMENTED.
template <typename Request, typename Response>
grpc::Status HandleBytes(Core& core, const char* method,
                         absl::StatusOr<Response> (Core::*use_case)(const Request&),
                         grpc::CallbackServerContext* context, grpc::ByteBuffer* request_bytes,
                         grpc::ByteBuffer* response_bytes) {
  Request request;
  if (!grpc::SerializationTraits<Request>::Deserialize(request_bytes, &request).ok()) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("the request is not a valid ", Request::descriptor()->full_name(),
                     " (malformed protobuf or invalid UTF-8 in a string)"));
  }
  // Fields this server does not know are dropped, at every depth, before anything checks or
  // stores the request: they would pass the size limits unseen and be served back.
  request.DiscardUnknownFields();
  Response response;
  grpc::Status status = Handle(core, method, use_case, context, request, &response);
  if (!status.ok()) return status;
  return Encode(response, response_bytes);
}

// Callback API (docs/performance.md, "Threading model"): reads run on the gRPC thread that
// received the call and finish it at once; calls that may block for long (every write waits
// until its commit is durable) go to the worker pool, which finishes them.
template <typename Request, typename Response>
grpc::ServerUnaryReactor* Serve(Core& core, WorkerPool* pool, const char* method,
                                absl::StatusOr<Response> (Core::*use_case)(const Request&),
                                grpc::CallbackServerContext* context,
                                const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // The request buffer is the call's until the reactor is finished; parsing consumes it.
  auto* request_bytes = const_cast<grpc::ByteBuffer*>(request);
  if (pool == nullptr) {
    reactor->Finish(HandleBytes(core, method, use_case, context, request_bytes, response));
  } else {
    const bool queued =
        pool->Submit([&core, method, use_case, context, request_bytes, response, reactor] {
          reactor->Finish(HandleBytes(core, method, use_case, context, request_bytes, response));
        });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "server overloaded: too many calls waiting; retry with "
                                   "backoff (the same request_id is safe)"));
    }
  }
  return reactor;
}

#define KC_RPC_AS(Service, Method, use_case, pool)                                               \
  grpc::ServerUnaryReactor* Method(grpc::CallbackServerContext* context,                         \
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response)  \
      override {                                                                                 \
    return Serve(core_, pool, "/kneecoach.v1." #Service "/" #Method, use_case, context, request, \
                 response);                                                                      \
  }
#define KC_RPC(Service, Method, pool) KC_RPC_AS(Service, Method, &Core::Method, pool)
#define KC_INLINE(Service, Method) KC_RPC(Service, Method, nullptr)
#define KC_POOL(Service, Method) KC_RPC(Service, Method, &pool_)
#define KC_RAW(Service, Method) v1::Service::WithRawCallbackMethod_##Method

class LibraryService final
    : public Raw<v1::ExerciseLibraryService::Service, KC_RAW(ExerciseLibraryService, ListExercises),
                 KC_RAW(ExerciseLibraryService, GetExercise),
                 KC_RAW(ExerciseLibraryService, ListLadders),
                 KC_RAW(ExerciseLibraryService, ListEducationCards),
                 KC_RAW(ExerciseLibraryService, GetEducationCard)>::type {
 public:
  LibraryService(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_INLINE(ExerciseLibraryService, ListExercises)
  KC_INLINE(ExerciseLibraryService, GetExercise)
  KC_INLINE(ExerciseLibraryService, ListLadders)
  KC_INLINE(ExerciseLibraryService, ListEducationCards)
  KC_INLINE(ExerciseLibraryService, GetEducationCard)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class PatientServiceImpl final
    : public Raw<v1::PatientService::Service, KC_RAW(PatientService, CreatePatient),
                 KC_RAW(PatientService, GetPatient), KC_RAW(PatientService, ListPatients),
                 KC_RAW(PatientService, UpdatePatient), KC_RAW(PatientService, ExportPatientData),
                 KC_RAW(PatientService, ErasePatient)>::type {
 public:
  PatientServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_POOL(PatientService, CreatePatient)
  KC_INLINE(PatientService, GetPatient)
  KC_INLINE(PatientService, ListPatients)
  KC_POOL(PatientService, UpdatePatient)
  KC_POOL(PatientService, ExportPatientData)
  KC_POOL(PatientService, ErasePatient)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class ProgramServiceImpl final
    : public Raw<v1::ProgramService::Service, KC_RAW(ProgramService, CreateProgram),
                 KC_RAW(ProgramService, GetProgram), KC_RAW(ProgramService, ListPrograms),
                 KC_RAW(ProgramService, UpdateProgram), KC_RAW(ProgramService, UpdatePrescription),
                 KC_RAW(ProgramService, PauseProgram), KC_RAW(ProgramService, ResumeProgram),
                 KC_RAW(ProgramService, ListDecisions), KC_RAW(ProgramService, ApproveDecision),
                 KC_RAW(ProgramService, RejectDecision),
                 KC_RAW(ProgramService, SimulateProgram)>::type {
 public:
  ProgramServiceImpl(Core& core, WorkerPool& pool, WorkerPool& simulations)
      : core_(core), pool_(pool), simulations_(simulations) {}
  KC_POOL(ProgramService, CreateProgram)
  KC_INLINE(ProgramService, GetProgram)
  KC_INLINE(ProgramService, ListPrograms)
  KC_POOL(ProgramService, UpdateProgram)
  KC_POOL(ProgramService, UpdatePrescription)
  KC_POOL(ProgramService, PauseProgram)
  KC_POOL(ProgramService, ResumeProgram)
  KC_INLINE(ProgramService, ListDecisions)
  KC_POOL(ProgramService, ApproveDecision)
  KC_POOL(ProgramService, RejectDecision)
  // CPU-bound: on its own pool, so that simulations never hold up the writers.
  KC_RPC(ProgramService, SimulateProgram, &simulations_)

 private:
  Core& core_;
  WorkerPool& pool_;
  WorkerPool& simulations_;
};

class SessionServiceImpl final
    : public Raw<v1::SessionService::Service, KC_RAW(SessionService, GetTodaySession),
                 KC_RAW(SessionService, ReportSession),
                 KC_RAW(SessionService, ReportMorningCheckIn), KC_RAW(SessionService, ListSessions),
                 KC_RAW(SessionService, ListMorningCheckIns)>::type {
 public:
  SessionServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  // A kept plan goes out as it was encoded (PlanCache).
  KC_RPC_AS(SessionService, GetTodaySession, &Core::GetTodaySessionEncoded, nullptr)
  KC_POOL(SessionService, ReportSession)
  KC_POOL(SessionService, ReportMorningCheckIn)
  KC_INLINE(SessionService, ListSessions)
  KC_INLINE(SessionService, ListMorningCheckIns)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class OutcomeServiceImpl final
    : public Raw<v1::OutcomeService::Service, KC_RAW(OutcomeService, GetQuestionnaire),
                 KC_RAW(OutcomeService, RecordOutcome), KC_RAW(OutcomeService, ListOutcomes),
                 KC_RAW(OutcomeService, GetProgress)>::type {
 public:
  OutcomeServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_INLINE(OutcomeService, GetQuestionnaire)
  KC_POOL(OutcomeService, RecordOutcome)
  KC_INLINE(OutcomeService, ListOutcomes)
  KC_POOL(OutcomeService, GetProgress)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class AlertServiceImpl final
    : public Raw<v1::AlertService::Service, KC_RAW(AlertService, ListAlerts),
                 KC_RAW(AlertService, AcknowledgeAlert)>::type {
 public:
  AlertServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_INLINE(AlertService, ListAlerts)
  KC_POOL(AlertService, AcknowledgeAlert)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class ProtocolServiceImpl final
    : public Raw<v1::ProtocolService::Service, KC_RAW(ProtocolService, ListProtocols),
                 KC_RAW(ProtocolService, GetProtocol),
                 KC_RAW(ProtocolService, CreateProtocol)>::type {
 public:
  ProtocolServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_INLINE(ProtocolService, ListProtocols)
  KC_INLINE(ProtocolService, GetProtocol)
  KC_POOL(ProtocolService, CreateProtocol)

 private:
  Core& core_;
  WorkerPool& pool_;
};

class AccessServiceImpl final
    : public Raw<v1::AccessService::Service, KC_RAW(AccessService, GetCurrentUser),
                 KC_RAW(AccessService, GetClinic), KC_RAW(AccessService, CreateUser),
                 KC_RAW(AccessService, GetUser), KC_RAW(AccessService, ListUsers),
                 KC_RAW(AccessService, UpdateUser), KC_RAW(AccessService, CreateToken),
                 KC_RAW(AccessService, ListTokens), KC_RAW(AccessService, RevokeToken),
                 KC_RAW(AccessService, CreateEnrollmentCode), KC_RAW(AccessService, EnrollDevice),
                 KC_RAW(AccessService, ListAuditEntries)>::type {
 public:
  AccessServiceImpl(Core& core, WorkerPool& pool) : core_(core), pool_(pool) {}
  KC_INLINE(AccessService, GetCurrentUser)
  KC_INLINE(AccessService, GetClinic)
  KC_POOL(AccessService, CreateUser)
  KC_INLINE(AccessService, GetUser)
  KC_INLINE(AccessService, ListUsers)
  KC_POOL(AccessService, UpdateUser)
  KC_POOL(AccessService, CreateToken)
  KC_INLINE(AccessService, ListTokens)
  KC_POOL(AccessService, RevokeToken)
  KC_POOL(AccessService, CreateEnrollmentCode)
  KC_POOL(AccessService, EnrollDevice)
  KC_INLINE(AccessService, ListAuditEntries)

 private:
  Core& core_;
  WorkerPool& pool_;
};

#undef KC_RPC
#undef KC_INLINE
#undef KC_POOL
#undef KC_RAW

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeServices(Core& core, WorkerPool& pool,
                                                         WorkerPool& simulations) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<LibraryService>(core, pool));
  services.push_back(std::make_unique<PatientServiceImpl>(core, pool));
  services.push_back(std::make_unique<ProgramServiceImpl>(core, pool, simulations));
  services.push_back(std::make_unique<SessionServiceImpl>(core, pool));
  services.push_back(std::make_unique<OutcomeServiceImpl>(core, pool));
  services.push_back(std::make_unique<AlertServiceImpl>(core, pool));
  services.push_back(std::make_unique<ProtocolServiceImpl>(core, pool));
  services.push_back(std::make_unique<AccessServiceImpl>(core, pool));
  return services;
}

}  // namespace kneecoach
