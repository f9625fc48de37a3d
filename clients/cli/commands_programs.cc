// programs create/get/list/pause/resume, prescriptions update, decisions (list, approve,
// reject): what a clinician does to a program.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"
#include "clients/cli/views.h"

namespace kneecoach::cli {
namespace {

using Programs = v1::ProgramService::StubInterface;

template <typename Response>
void PrintProgramOf(const Response& response) {
  PrintProgram(std::cout, response.program());
}

int ProgramsCreate(const Context& c) {
  v1::CreateProgramRequest request;
  v1::Program* program = request.mutable_program();
  program->set_patient(Qualify("patients", c.args.Value("patient")));
  program->set_protocol(Qualify("protocols", c.args.Value("protocol")));
  if (auto v = c.args.EnumValue("phase")) program->set_phase(static_cast<v1::Phase>(*v));
  if (auto v = c.args.EnumValue("approval")) {
    program->set_approval_mode(static_cast<v1::ApprovalMode>(*v));
  }
  for (const std::string& slug : c.args.Values("exercise")) {
    program->add_prescriptions()->set_exercise(Qualify("exercises", slug));
  }
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(&Programs::CreateProgram, *c.stubs().programs, request,
                    PrintProgramOf<v1::CreateProgramResponse>);
}

int ProgramsGet(const Context& c) {
  v1::GetProgramRequest request;
  request.set_name(Qualify("programs", c.args.positional(0)));
  return c.rpc.Show(&Programs::GetProgram, *c.stubs().programs, request,
                    PrintProgramOf<v1::GetProgramResponse>);
}

void PrintPrograms(const v1::ListProgramsResponse& response) {
  Table table({"PROGRAM", "PATIENT", "STATE", "PHASE", "STARTED", "EXERCISES"});
  for (const auto& p : response.programs()) {
    table.AddRow({ShortId(p.name()), ShortId(p.patient()), EnumWord(p.state()), EnumWord(p.phase()),
                  p.start_date(), absl::StrCat(p.prescriptions_size())});
  }
  table.Print(std::cout);
}

int ProgramsList(const Context& c) {
  v1::ListProgramsRequest request;
  request.set_patient(Qualify("patients", c.args.Value("patient")));
  return c.rpc.ShowList(&Programs::ListPrograms, *c.stubs().programs, request, c.args,
                        PrintPrograms);
}

// Pause, resume, approve and reject all take a name, a reason and a request id.
template <typename Req, typename Resp, typename Text>
int NameReasonCall(const Context& c, Rpc::Method<Programs, Req, Resp> method, std::string name,
                   Text&& text) {
  Req request;
  request.set_name(std::move(name));
  request.set_reason(c.args.Value("reason"));
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(method, *c.stubs().programs, request, std::forward<Text>(text));
}

int ProgramsPause(const Context& c) {
  return NameReasonCall(c, &Programs::PauseProgram, Qualify("programs", c.args.positional(0)),
                        PrintProgramOf<v1::PauseProgramResponse>);
}

int ProgramsResume(const Context& c) {
  return NameReasonCall(c, &Programs::ResumeProgram, Qualify("programs", c.args.positional(0)),
                        PrintProgramOf<v1::ResumeProgramResponse>);
}

template <typename Response>
void PrintDecisionOf(const Response& response) {
  google::protobuf::RepeatedPtrField<v1::Decision> one;
  *one.Add() = response.decision();
  PrintDecisions(std::cout, one);
}

std::string DecisionName(const Context& c) {
  return QualifyChild("programs", "decisions", c.args.positional(0));
}

int DecisionsApprove(const Context& c) {
  return NameReasonCall(c, &Programs::ApproveDecision, DecisionName(c),
                        PrintDecisionOf<v1::ApproveDecisionResponse>);
}

int DecisionsReject(const Context& c) {
  return NameReasonCall(c, &Programs::RejectDecision, DecisionName(c),
                        PrintDecisionOf<v1::RejectDecisionResponse>);
}

// Dose options of `prescriptions update`, each the path it sets in the update mask.
struct DoseField {
  const char* option;
  const char* path;
  void (v1::Dose::*set)(int32_t);
};
constexpr DoseField kDoseFields[] = {
    {"sets", "dose.sets", &v1::Dose::set_sets},
    {"reps", "dose.reps", &v1::Dose::set_reps},
    {"hold", "dose.hold_seconds", &v1::Dose::set_hold_seconds},
    {"rest", "dose.rest_seconds", &v1::Dose::set_rest_seconds},
    {"duration", "dose.duration_seconds", &v1::Dose::set_duration_seconds},
    {"max-flexion", "dose.max_knee_flexion_degrees", &v1::Dose::set_max_knee_flexion_degrees},
    {"run", "dose.run_seconds", &v1::Dose::set_run_seconds},
    {"walk", "dose.walk_seconds", &v1::Dose::set_walk_seconds},
    {"rpe", "dose.target_rpe", &v1::Dose::set_target_rpe},
};

std::vector<OptionSpec> PrescriptionUpdateOptions() {
  std::vector<OptionSpec> options;
  for (const DoseField& f : kDoseFields) options.push_back(Int(f.option, "N", f.path));
  for (OptionSpec spec :
       {Number("load", "KG", "dose.load_kg"), Switch("lock"), Switch("unlock"), Switch("suspend"),
        Switch("unsuspend"), String("note", "TEXT", "clinician note"),
        String("exercise", "SLUG", "swap to another exercise"), Int("min-days-between"),
        Int("max-per-week"), String("reason", "TEXT", "why (recorded on the decision)"),
        String("request-id", "ID")}) {
    options.push_back(std::move(spec));
  }
  return options;
}

void PrintPrescriptionUpdate(const v1::UpdatePrescriptionResponse& response) {
  const auto& p = response.prescription();
  std::cout << p.name() << "  " << ShortId(p.exercise()) << "  " << FormatDose(p.dose())
            << (p.locked() ? "  locked" : "") << (p.suspended() ? "  suspended" : "") << "\n";
  if (response.has_decision()) PrintDecisionOf(response);
}

int PrescriptionsUpdate(const Context& c) {
  v1::UpdatePrescriptionRequest request;
  v1::Prescription* p = request.mutable_prescription();
  p->set_name(QualifyChild("programs", "prescriptions", c.args.positional(0)));
  auto* mask = request.mutable_update_mask();
  for (const DoseField& f : kDoseFields) {
    if (auto v = c.args.IntValue(f.option)) {
      (p->mutable_dose()->*f.set)(*v);
      mask->add_paths(f.path);
    }
  }
  if (auto v = c.args.NumberValue("load")) {
    p->mutable_dose()->set_load_kg(*v);
    mask->add_paths("dose.load_kg");
  }
  if (c.args.Has("lock") || c.args.Has("unlock")) {
    if (c.args.Has("lock") && c.args.Has("unlock"))
      return UsageError("--lock or --unlock, not both");
    p->set_locked(c.args.Has("lock"));
    mask->add_paths("locked");
  }
  if (c.args.Has("suspend") || c.args.Has("unsuspend")) {
    if (c.args.Has("suspend") && c.args.Has("unsuspend")) {
      return UsageError("--suspend or --unsuspend, not both");
    }
    p->set_suspended(c.args.Has("suspend"));
    mask->add_paths("suspended");
  }
  if (c.args.Has("note")) {
    p->set_clinician_note(c.args.Value("note"));
    mask->add_paths("clinician_note");
  }
  if (c.args.Has("exercise")) {
    p->set_exercise(Qualify("exercises", c.args.Value("exercise")));
    mask->add_paths("exercise");
  }
  if (auto v = c.args.IntValue("min-days-between")) {
    p->set_min_days_between(*v);
    mask->add_paths("min_days_between");
  }
  if (auto v = c.args.IntValue("max-per-week")) {
    p->set_max_per_week(*v);
    mask->add_paths("max_per_week");
  }
  if (mask->paths().empty())
    return UsageError("nothing to update: give a dose option, --lock, ...");
  request.set_reason(c.args.Value("reason"));
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(&Programs::UpdatePrescription, *c.stubs().programs, request,
                    PrintPrescriptionUpdate);
}

void PrintDecisionTable(const v1::ListDecisionsResponse& response) {
  Table table(
      {"WHEN", "DECISION", "KIND", "STATE", "PRESCRIPTION", "CHANGE", "RULE", "BY", "REASON"});
  for (const auto& d : response.decisions()) {
    // Who approved, rejected or overrode it (display name); the engine's own: "engine".
    const std::string by = !d.reviewer_display_name().empty() ? d.reviewer_display_name()
                           : d.author().empty()               ? "engine"
                                                              : d.author();
    table.AddRow({FormatTime(d.create_time()), ShortId(d.name()), EnumWord(d.kind()),
                  EnumWord(d.state()), d.prescription().empty() ? "-" : ShortId(d.prescription()),
                  DecisionChange(d), d.rule(), by, d.patient_reason()});
  }
  table.Print(std::cout, "no decisions yet");
}

int DecisionsList(const Context& c) {
  v1::ListDecisionsRequest request;
  request.set_program(Qualify("programs", c.args.positional(0)));
  if (auto v = c.args.EnumValue("state")) request.set_state(static_cast<v1::DecisionState>(*v));
  return c.rpc.ShowList(&Programs::ListDecisions, *c.stubs().programs, request, c.args,
                        PrintDecisionTable);
}

std::vector<OptionSpec> ReasonOptions() {
  return {String("reason", "TEXT"), String("request-id", "ID", "idempotency key")};
}

}  // namespace

std::vector<Command> ProgramCommands() {
  return {
      {{"programs", "create"},
       {},
       "Create a program for a patient from a protocol phase or a list of exercises",
       {String("patient", "patients/ID"), String("protocol", "protocols/ID", "default: default"),
        EnumOption<v1::Phase>("phase"), Strings("exercise", "SLUG", "prescribe this exercise"),
        EnumOption<v1::ApprovalMode>("approval"), String("request-id", "ID")},
       ProgramsCreate},
      {{"programs", "get"}, {"ID"}, "Show a program and its prescriptions", {}, ProgramsGet},
      {{"programs", "list"},
       {},
       "List programs, newest first: yours, your caseload's, or --patient's",
       Concat({String("patient", "patients/ID")}, PagingOptions()),
       ProgramsList},
      {{"programs", "pause"}, {"ID"}, "Pause a program (--reason)", ReasonOptions(), ProgramsPause},
      {{"programs", "resume"},
       {"ID"},
       "Resume a paused program (--reason)",
       ReasonOptions(),
       ProgramsResume},
      {{"prescriptions", "update"},
       {"NAME"},
       "Change a prescription's dose, lock or note (builds the update mask)",
       PrescriptionUpdateOptions(),
       PrescriptionsUpdate},
      {{"decisions"},
       {"PROGRAM"},
       "List a program's decisions, newest first",
       Concat({EnumOption<v1::DecisionState>("state")}, PagingOptions()),
       DecisionsList},
      {{"decisions", "approve"},
       {"NAME"},
       "Approve a proposed decision",
       ReasonOptions(),
       DecisionsApprove},
      {{"decisions", "reject"},
       {"NAME"},
       "Reject a proposed decision (--reason)",
       ReasonOptions(),
       DecisionsReject},
  };
}

}  // namespace kneecoach::cli
