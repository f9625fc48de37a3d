#include "service/server/services.h"

#include "kneecoach/v1/access.grpc.pb.h"
#include "kneecoach/v1/decision.grpc.pb.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/protocol.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/core/caller.h"
#include "service/core/limits.h"
#include "service/server/status_util.h"

namespace kneecoach {
namespace {

// Runs one Core use case for a unary RPC: authenticate the caller, check the request's
// size limits, authorize (Core::Authorize, the one policy), then run it as that caller.
template <typename Request, typename Response>
grpc::Status Handle(Core& core, const char* method,
                    absl::StatusOr<Response> (Core::*use_case)(const Request&),
                    grpc::ServerContext* context, const Request& request, Response* response) {
  // No context->IsCancelled() check: in the sync API it plucks the completion queue, ~10% of
  // a GetTodaySession's server CPU (docs/performance.md); gRPC drops a cancelled call's reply.
  auto header = context->client_metadata().find("authorization");
  const std::string authorization =
      header == context->client_metadata().end()
          ? ""
          : std::string(header->second.data(), header->second.size());
  absl::StatusOr<Caller> caller = core.Authenticate(authorization, method);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (absl::Status s = CheckRequestLimits(request); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = core.Authorize(*caller, request); !s.ok()) return ToGrpcStatus(s);
  CallScope scope(*std::move(caller));
  absl::StatusOr<Response> result = (core.*use_case)(request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

#define KC_RPC(Service, Method)                                                        \
  grpc::Status Method(grpc::ServerContext* context, const v1::Method##Request* request, \
                      v1::Method##Response* response) override {                      \
    return Handle(core_, "/kneecoach.v1." #Service "/" #Method, &Core::Method, context, \
                  *request, response);                                                \
  }

class LibraryService final : public v1::ExerciseLibraryService::Service {
 public:
  explicit LibraryService(Core& core) : core_(core) {}
  KC_RPC(ExerciseLibraryService, ListExercises)
  KC_RPC(ExerciseLibraryService, GetExercise)
  KC_RPC(ExerciseLibraryService, ListLadders)
  KC_RPC(ExerciseLibraryService, ListEducationCards)
  KC_RPC(ExerciseLibraryService, GetEducationCard)

 private:
  Core& core_;
};

class PatientServiceImpl final : public v1::PatientService::Service {
 public:
  explicit PatientServiceImpl(Core& core) : core_(core) {}
  KC_RPC(PatientService, CreatePatient)
  KC_RPC(PatientService, GetPatient)
  KC_RPC(PatientService, ListPatients)
  KC_RPC(PatientService, UpdatePatient)
  KC_RPC(PatientService, ExportPatientData)
  KC_RPC(PatientService, ErasePatient)

 private:
  Core& core_;
};

class ProgramServiceImpl final : public v1::ProgramService::Service {
 public:
  explicit ProgramServiceImpl(Core& core) : core_(core) {}
  KC_RPC(ProgramService, CreateProgram)
  KC_RPC(ProgramService, GetProgram)
  KC_RPC(ProgramService, ListPrograms)
  KC_RPC(ProgramService, UpdateProgram)
  KC_RPC(ProgramService, UpdatePrescription)
  KC_RPC(ProgramService, PauseProgram)
  KC_RPC(ProgramService, ResumeProgram)
  KC_RPC(ProgramService, ListDecisions)
  KC_RPC(ProgramService, ApproveDecision)
  KC_RPC(ProgramService, RejectDecision)
  KC_RPC(ProgramService, SimulateProgram)

 private:
  Core& core_;
};

class SessionServiceImpl final : public v1::SessionService::Service {
 public:
  explicit SessionServiceImpl(Core& core) : core_(core) {}
  KC_RPC(SessionService, GetTodaySession)
  KC_RPC(SessionService, ReportSession)
  KC_RPC(SessionService, ReportMorningCheckIn)
  KC_RPC(SessionService, ListSessions)
  KC_RPC(SessionService, ListMorningCheckIns)

 private:
  Core& core_;
};

class AlertServiceImpl final : public v1::AlertService::Service {
 public:
  explicit AlertServiceImpl(Core& core) : core_(core) {}
  KC_RPC(AlertService, ListAlerts)
  KC_RPC(AlertService, AcknowledgeAlert)

 private:
  Core& core_;
};

class ProtocolServiceImpl final : public v1::ProtocolService::Service {
 public:
  explicit ProtocolServiceImpl(Core& core) : core_(core) {}
  KC_RPC(ProtocolService, ListProtocols)
  KC_RPC(ProtocolService, GetProtocol)
  KC_RPC(ProtocolService, CreateProtocol)

 private:
  Core& core_;
};

class AccessServiceImpl final : public v1::AccessService::Service {
 public:
  explicit AccessServiceImpl(Core& core) : core_(core) {}
  KC_RPC(AccessService, GetCurrentUser)
  KC_RPC(AccessService, GetClinic)
  KC_RPC(AccessService, CreateUser)
  KC_RPC(AccessService, GetUser)
  KC_RPC(AccessService, ListUsers)
  KC_RPC(AccessService, UpdateUser)
  KC_RPC(AccessService, CreateToken)
  KC_RPC(AccessService, ListTokens)
  KC_RPC(AccessService, RevokeToken)
  KC_RPC(AccessService, CreateEnrollmentCode)
  KC_RPC(AccessService, EnrollDevice)
  KC_RPC(AccessService, ListAuditEntries)

 private:
  Core& core_;
};

#undef KC_RPC

}  // namespace

std::vector<std::unique_ptr<grpc::Service>> MakeServices(Core& core) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<LibraryService>(core));
  services.push_back(std::make_unique<PatientServiceImpl>(core));
  services.push_back(std::make_unique<ProgramServiceImpl>(core));
  services.push_back(std::make_unique<SessionServiceImpl>(core));
  services.push_back(std::make_unique<AlertServiceImpl>(core));
  services.push_back(std::make_unique<ProtocolServiceImpl>(core));
  services.push_back(std::make_unique<AccessServiceImpl>(core));
  return services;
}

}  // namespace kneecoach
