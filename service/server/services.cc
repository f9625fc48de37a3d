#include "service/server/services.h"

#include "kneecoach/v1/decision.grpc.pb.h"
#include "kneecoach/v1/exercise_library_service.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/protocol.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"
#include "service/server/status_util.h"

namespace kneecoach {
namespace {

// Runs one Core use case for a unary RPC.
template <typename Request, typename Response>
grpc::Status Handle(Core& core,
                    absl::StatusOr<Response> (Core::*method)(const Request&),
                    grpc::ServerContext* context, const Request& request, Response* response) {
  if (context->IsCancelled()) return grpc::Status(grpc::CANCELLED, "cancelled by the client");
  absl::StatusOr<Response> result = (core.*method)(request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = *std::move(result);
  return grpc::Status::OK;
}

#define KC_RPC(Method)                                                                 \
  grpc::Status Method(grpc::ServerContext* context, const v1::Method##Request* request, \
                      v1::Method##Response* response) override {                      \
    return Handle(core_, &Core::Method, context, *request, response);                  \
  }

class LibraryService final : public v1::ExerciseLibraryService::Service {
 public:
  explicit LibraryService(Core& core) : core_(core) {}
  KC_RPC(ListExercises)
  KC_RPC(GetExercise)
  KC_RPC(ListLadders)
  KC_RPC(ListEducationCards)
  KC_RPC(GetEducationCard)

 private:
  Core& core_;
};

class PatientServiceImpl final : public v1::PatientService::Service {
 public:
  explicit PatientServiceImpl(Core& core) : core_(core) {}
  KC_RPC(CreatePatient)
  KC_RPC(GetPatient)
  KC_RPC(ListPatients)

 private:
  Core& core_;
};

class ProgramServiceImpl final : public v1::ProgramService::Service {
 public:
  explicit ProgramServiceImpl(Core& core) : core_(core) {}
  KC_RPC(CreateProgram)
  KC_RPC(GetProgram)
  KC_RPC(ListPrograms)
  KC_RPC(UpdateProgram)
  KC_RPC(UpdatePrescription)
  KC_RPC(PauseProgram)
  KC_RPC(ResumeProgram)
  KC_RPC(ListDecisions)
  KC_RPC(ApproveDecision)
  KC_RPC(RejectDecision)
  KC_RPC(SimulateProgram)

 private:
  Core& core_;
};

class SessionServiceImpl final : public v1::SessionService::Service {
 public:
  explicit SessionServiceImpl(Core& core) : core_(core) {}
  KC_RPC(GetTodaySession)
  KC_RPC(ReportSession)
  KC_RPC(ReportMorningCheckIn)
  KC_RPC(ListSessions)
  KC_RPC(ListMorningCheckIns)

 private:
  Core& core_;
};

class AlertServiceImpl final : public v1::AlertService::Service {
 public:
  explicit AlertServiceImpl(Core& core) : core_(core) {}
  KC_RPC(ListAlerts)
  KC_RPC(AcknowledgeAlert)

 private:
  Core& core_;
};

class ProtocolServiceImpl final : public v1::ProtocolService::Service {
 public:
  explicit ProtocolServiceImpl(Core& core) : core_(core) {}
  KC_RPC(ListProtocols)
  KC_RPC(GetProtocol)
  KC_RPC(CreateProtocol)

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
  return services;
}

}  // namespace kneecoach
