// libFuzzer target: arbitrary bytes into every Core use case (request validation, the
// scheduler and the progression engine) over a fresh in-memory store per input, so any
// crash reproduces from its one input file.
//
// Input: byte 0 picks the use case (low 7 bits, modulo their number, in UseCases() order)
// and whether to aim
// the request at the seeded patient and program (bit 7: every program, patient and
// prescription name in the request is rewritten to a real one, so reports reach the engine). The
// rest is the request, parsed as that use case's protobuf message; bytes that do not parse end the
// run (gRPC would have rejected them before Core).
//
// Build and run: fuzz/run.sh (clang, -fsanitize=fuzzer,address).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "service/core/core.h"
#include "service/core/limits.h"
#include "service/domain/protocol.h"
#include "service/store/sqlite_store.h"

namespace kneecoach {
namespace {

namespace pb = ::google::protobuf;

struct Fixed {
  std::unique_ptr<Library> library;
  v1::Protocol protocol;
};

const Fixed& Data() {
  static const Fixed* fixed = [] {
    auto* f = new Fixed;
    auto library = Library::LoadFromFile(absl::StrCat(KNEECOACH_DATA_DIR, "/library.textproto"));
    if (!library.ok()) std::abort();
    f->library = *std::move(library);
    auto protocol = LoadProtocolFromFile(
        absl::StrCat(KNEECOACH_DATA_DIR, "/protocols/default.textproto"), *f->library);
    if (!protocol.ok()) std::abort();
    f->protocol = *std::move(protocol);
    return f;
  }();
  return *fixed;
}

// Names of the seeded patient, program and prescriptions, for aiming requests at them.
struct Targets {
  std::string patient;
  std::string program;
  std::vector<std::string> prescriptions;
};

// Rewrites every string field called program/patient/prescription/name (recursively) to
// a real record's name; `name` means the program unless the message is a Patient.
void Aim(pb::Message& m, const Targets& t) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* f : fields) {
    if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < r->FieldSize(m, f); ++i) Aim(*r->MutableRepeatedMessage(&m, f, i), t);
      } else {
        Aim(*r->MutableMessage(&m, f), t);
      }
      continue;
    }
    if (f->type() != pb::FieldDescriptor::TYPE_STRING || f->is_repeated()) continue;
    const std::string& name = f->name();
    const size_t salt = r->GetString(m, f).size();
    if (name == "program") {
      r->SetString(&m, f, t.program);
    } else if (name == "patient") {
      r->SetString(&m, f, t.patient);
    } else if (name == "prescription" && !t.prescriptions.empty()) {
      r->SetString(&m, f, t.prescriptions[salt % t.prescriptions.size()]);
    } else if (name == "name") {
      const bool patient = m.GetDescriptor()->name() == "Patient" ||
                           m.GetDescriptor()->name() == "GetPatientRequest";
      const bool prescription = m.GetDescriptor()->name() == "Prescription";
      r->SetString(&m, f,
                   patient ? t.patient
                   : prescription && !t.prescriptions.empty()
                       ? t.prescriptions[salt % t.prescriptions.size()]
                       : t.program);
    }
  }
}

// One use case: parse `bytes` as its request, optionally aim it, and run it.
struct UseCase {
  std::function<void(Core&, const uint8_t*, size_t, const Targets*)> run;
};

template <typename Request, typename Response>
UseCase Case(absl::StatusOr<Response> (Core::*method)(const Request&)) {
  return {[method](Core& core, const uint8_t* data, size_t size, const Targets* aim) {
    Request request;
    if (!request.ParseFromArray(data, static_cast<int>(size))) return;
    if (aim != nullptr) Aim(request, *aim);
    // As the server does: generic size limits first, then the use case (as the system
    // caller: authorization is not what this target explores).
    if (!CheckRequestLimits(request).ok()) return;
    absl::StatusOr<Response> response = (core.*method)(request);
    if (response.ok()) {
      // Responses must serialize (e.g. no invalid UTF-8 copied into a string field).
      std::string bytes;
      if (!response->SerializeToString(&bytes)) std::abort();
    }
  }};
}

const std::vector<UseCase>& UseCases() {
  static const auto* cases = new std::vector<UseCase>{
      Case(&Core::ListExercises),      Case(&Core::GetExercise),
      Case(&Core::ListLadders),        Case(&Core::ListEducationCards),
      Case(&Core::GetEducationCard),   Case(&Core::CreatePatient),
      Case(&Core::GetPatient),         Case(&Core::ListPatients),
      Case(&Core::CreateProgram),      Case(&Core::GetProgram),
      Case(&Core::ListPrograms),       Case(&Core::UpdateProgram),
      Case(&Core::UpdatePrescription), Case(&Core::PauseProgram),
      Case(&Core::ResumeProgram),      Case(&Core::ListDecisions),
      Case(&Core::ApproveDecision),    Case(&Core::RejectDecision),
      Case(&Core::SimulateProgram),    Case(&Core::GetTodaySession),
      Case(&Core::ReportSession),      Case(&Core::ReportMorningCheckIn),
      Case(&Core::ListSessions),       Case(&Core::ListMorningCheckIns),
      Case(&Core::ListAlerts),         Case(&Core::AcknowledgeAlert),
      Case(&Core::ListProtocols),      Case(&Core::GetProtocol),
      Case(&Core::CreateProtocol),     Case(&Core::UpdatePatient),
      Case(&Core::ExportPatientData),  Case(&Core::ErasePatient),
      Case(&Core::GetQuestionnaire),   Case(&Core::RecordOutcome),
      Case(&Core::ListOutcomes),       Case(&Core::GetProgress),
  };
  return *cases;
}

// Ids from a counter: the same input makes the same records.
class CountingIds final : public IdGenerator {
 public:
  std::string NewId() override { return absl::StrCat("f", ++n_); }

 private:
  int n_ = 0;
};

void RunOne(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const Fixed& fixed = Data();
  auto store = SqliteStore::Open({.path = ":memory:"});
  if (!store.ok()) std::abort();
  // A Monday morning in March; patients in London.
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone()));
  CountingIds ids;
  Core core(*fixed.library, **store, clock, ids);
  if (!core.SeedProtocol(fixed.protocol).ok()) std::abort();
  v1::CreatePatientRequest patient;
  patient.mutable_patient()->set_display_name("Alex Fuzz");
  patient.mutable_patient()->set_clinic("clinics/demo");
  patient.mutable_patient()->set_time_zone("Europe/London");
  patient.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_RIGHT);
  auto created = core.CreatePatient(patient);
  if (!created.ok()) std::abort();
  v1::CreateProgramRequest create;
  create.mutable_program()->set_patient(created->patient().name());
  auto made = core.CreateProgram(create);
  if (!made.ok()) std::abort();
  Targets targets;
  const v1::Program& program = made->program();
  targets.program = program.name();
  targets.patient = program.patient();
  for (const auto& p : program.prescriptions()) targets.prescriptions.push_back(p.name());

  const auto& cases = UseCases();
  const UseCase& use = cases[(data[0] & 0x7f) % cases.size()];
  use.run(core, data + 1, size - 1, (data[0] & 0x80) ? &targets : nullptr);
}

}  // namespace
}  // namespace kneecoach

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kneecoach::RunOne(data, size);
  return 0;
}
