// libFuzzer target: arbitrary bytes into every Core use case (request validation, the
// scheduler and the progression engine) over a fresh in-memory store per input, so any
// crash reproduces from its one input file.
//
// Input: byte 0 picks the use case (low 7 bits, modulo their number, in UseCases() order)
// and whether to aim
// the request at a seeded patient and program (bit 7: every program, patient and
// prescription name in the request is rewritten to a real one, so reports reach the engine). The
// rest is the request, parsed as that use case's protobuf message; bytes that do not parse end the
// run (gRPC would have rejected them before Core). Two programs are seeded: the default
// protocol's settle phase, and a runner in return to run with the cadence module on; an
// aimed input whose last byte is odd goes to the runner.
//
// The last use case, "events", takes a SimulateProgramRequest and plays it against the
// stored program instead: its cadence module through UpdateProgram, then each event as a
// real ReportSession, ReportMorningCheckIn or RecordOutcome on its date, so that the
// engine runs over stored state, event after event.
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
#include "service/domain/dates.h"
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

// The use cases run as the system: authorization is not what this target explores.
const RequestContext& System() {
  static const RequestContext* const kSystem = new RequestContext(RequestContext::System("fuzz"));
  return *kSystem;
}

// One use case: parse `bytes` as its request, optionally aim it, and run it.
struct UseCase {
  std::function<void(Core&, FakeClock&, const uint8_t*, size_t, const Targets*)> run;
};

template <typename Response>
void MustSerialize(const absl::StatusOr<Response>& response) {
  if (!response.ok()) return;
  std::string bytes;
  if (!response->SerializeToString(&bytes)) std::abort();
}

// Plays a SimulateProgramRequest's program modules and events against the stored program.
void PlayEvents(Core& core, FakeClock& clock, const uint8_t* data, size_t size,
                const Targets* aim) {
  constexpr int kMaxEvents = 40;
  v1::SimulateProgramRequest request;
  if (aim == nullptr || !request.ParseFromArray(data, static_cast<int>(size))) return;
  if (!CheckRequestLimits(request).ok()) return;
  if (request.program().has_cadence()) {
    v1::UpdateProgramRequest update;
    update.mutable_program()->set_name(aim->program);
    *update.mutable_program()->mutable_cadence() = request.program().cadence();
    update.mutable_update_mask()->add_paths("cadence");
    update.set_reason("fuzz");
    MustSerialize(core.programs().UpdateProgram(System(), update));
  }
  for (int i = 0; i < request.events_size() && i < kMaxEvents; ++i) {
    const v1::SimulatedEvent& e = request.events(i);
    auto day = ParseLocalDate(e.local_date());
    if (day.ok()) {
      clock.Set(absl::FromCivil(absl::CivilHour(*day) + 12, absl::UTCTimeZone()));
    }
    const std::string id = absl::StrCat("e", i);
    if (e.has_session()) {
      v1::ReportSessionRequest report;
      report.set_program(aim->program);
      report.set_request_id(id);
      for (const auto& r : e.session().reports()) *report.add_reports() = r;
      if (report.reports().empty()) {
        for (const std::string& p : aim->prescriptions) {
          auto* r = report.add_reports();
          r->set_prescription(p);
          r->set_sets_done(1);
          r->set_pain_during(e.session().pain_during());
          r->set_pain_after_1h(e.session().pain_after_1h());
          r->set_cadence_spm(static_cast<int>(e.session().completion() * 200));
        }
      }
      Aim(report, *aim);
      if (CheckRequestLimits(report).ok())
        MustSerialize(core.sessions().ReportSession(System(), report));
    } else if (e.has_check_in()) {
      v1::ReportMorningCheckInRequest check_in;
      *check_in.mutable_check_in() = e.check_in();
      check_in.mutable_check_in()->set_program(aim->program);
      check_in.set_request_id(id);
      MustSerialize(core.sessions().ReportMorningCheckIn(System(), check_in));
    } else if (e.has_outcome()) {
      v1::RecordOutcomeRequest outcome;
      *outcome.mutable_outcome() = e.outcome();
      outcome.mutable_outcome()->set_program(aim->program);
      outcome.set_request_id(id);
      MustSerialize(core.outcomes().RecordOutcome(System(), outcome));
    }
  }
  v1::GetTodaySessionRequest today;
  today.set_program(aim->program);
  MustSerialize(core.sessions().GetTodaySession(System(), today));
}

template <typename Service, typename Request, typename Response>
UseCase Case(Service& (Core::*service)(),
             absl::StatusOr<Response> (Service::*method)(const RequestContext&, const Request&)) {
  return {[service, method](Core& core, FakeClock&, const uint8_t* data, size_t size,
                            const Targets* aim) {
    Request request;
    if (!request.ParseFromArray(data, static_cast<int>(size))) return;
    if (aim != nullptr) Aim(request, *aim);
    // As the server does: generic size limits first, then the use case (as the system
    // caller: authorization is not what this target explores).
    if (!CheckRequestLimits(request).ok()) return;
    // Responses must serialize (e.g. no invalid UTF-8 copied into a string field).
    MustSerialize(((core.*service)().*method)(System(), request));
  }};
}

const std::vector<UseCase>& UseCases() {
  static const auto* cases = new std::vector<UseCase>{
      Case(&Core::exercise_library, &ExerciseLibraryService::ListExercises),
      Case(&Core::exercise_library, &ExerciseLibraryService::GetExercise),
      Case(&Core::exercise_library, &ExerciseLibraryService::ListLadders),
      Case(&Core::exercise_library, &ExerciseLibraryService::ListEducationCards),
      Case(&Core::exercise_library, &ExerciseLibraryService::GetEducationCard),
      Case(&Core::patients, &PatientService::CreatePatient),
      Case(&Core::patients, &PatientService::GetPatient),
      Case(&Core::patients, &PatientService::ListPatients),
      Case(&Core::programs, &ProgramService::CreateProgram),
      Case(&Core::programs, &ProgramService::GetProgram),
      Case(&Core::programs, &ProgramService::ListPrograms),
      Case(&Core::programs, &ProgramService::UpdateProgram),
      Case(&Core::programs, &ProgramService::UpdatePrescription),
      Case(&Core::programs, &ProgramService::PauseProgram),
      Case(&Core::programs, &ProgramService::ResumeProgram),
      Case(&Core::programs, &ProgramService::ListDecisions),
      Case(&Core::programs, &ProgramService::ApproveDecision),
      Case(&Core::programs, &ProgramService::RejectDecision),
      Case(&Core::programs, &ProgramService::SimulateProgram),
      Case(&Core::sessions, &SessionService::GetTodaySession),
      Case(&Core::sessions, &SessionService::ReportSession),
      Case(&Core::sessions, &SessionService::ReportMorningCheckIn),
      Case(&Core::sessions, &SessionService::ListSessions),
      Case(&Core::sessions, &SessionService::ListMorningCheckIns),
      Case(&Core::alerts, &AlertService::ListAlerts),
      Case(&Core::alerts, &AlertService::AcknowledgeAlert),
      Case(&Core::protocols, &ProtocolService::ListProtocols),
      Case(&Core::protocols, &ProtocolService::GetProtocol),
      Case(&Core::protocols, &ProtocolService::CreateProtocol),
      Case(&Core::patients, &PatientService::UpdatePatient),
      Case(&Core::patients, &PatientService::ExportPatientData),
      Case(&Core::patients, &PatientService::ErasePatient),
      Case(&Core::outcomes, &OutcomeService::GetQuestionnaire),
      Case(&Core::outcomes, &OutcomeService::RecordOutcome),
      Case(&Core::outcomes, &OutcomeService::ListOutcomes),
      Case(&Core::outcomes, &OutcomeService::GetProgress),
      UseCase{PlayEvents},
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
  if (!core.SeedProtocol(System(), fixed.protocol).ok()) std::abort();
  v1::CreatePatientRequest patient;
  patient.mutable_patient()->set_display_name("Alex Fuzz");
  patient.mutable_patient()->set_clinic("clinics/demo");
  patient.mutable_patient()->set_time_zone("Europe/London");
  patient.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_RIGHT);
  auto created = core.patients().CreatePatient(System(), patient);
  if (!created.ok()) std::abort();
  v1::CreateProgramRequest create;
  create.mutable_program()->set_patient(created->patient().name());
  auto made = core.programs().CreateProgram(System(), create);
  if (!made.ok()) std::abort();
  // The runner: return to run, the first run/walk stage and a strength exercise, cadence on.
  auto runner_patient = core.patients().CreatePatient(System(), patient);
  if (!runner_patient.ok()) std::abort();
  v1::CreateProgramRequest run;
  run.mutable_program()->set_patient(runner_patient->patient().name());
  run.mutable_program()->set_phase(v1::PHASE_RETURN_TO_RUN);
  run.mutable_program()->add_prescriptions()->set_exercise("exercises/run-walk-stage-1");
  run.mutable_program()->add_prescriptions()->set_exercise("exercises/wall-sit-30-45");
  run.mutable_program()->mutable_cadence()->set_enabled(true);
  run.mutable_program()->mutable_cadence()->set_baseline_spm(160);
  run.mutable_program()->mutable_cadence()->set_step_index(-1);
  auto runner = core.programs().CreateProgram(System(), run);
  if (!runner.ok()) std::abort();
  const bool to_runner = (data[size - 1] & 1) != 0;
  Targets targets;
  const v1::Program& program = to_runner ? runner->program() : made->program();
  targets.program = program.name();
  targets.patient = program.patient();
  for (const auto& p : program.prescriptions()) targets.prescriptions.push_back(p.name());

  const auto& cases = UseCases();
  const UseCase& use = cases[(data[0] & 0x7f) % cases.size()];
  use.run(core, clock, data + 1, size - 1, (data[0] & 0x80) ? &targets : nullptr);
}

}  // namespace
}  // namespace kneecoach

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  kneecoach::RunOne(data, size);
  return 0;
}
