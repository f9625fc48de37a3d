// patients create/get/list.
#include <iostream>

#include "absl/strings/ascii.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"
#include "clients/cli/views.h"

namespace kneecoach::cli {
namespace {

using Patients = v1::PatientService::StubInterface;

int PatientsCreate(const Context& c) {
  v1::CreatePatientRequest request;
  v1::Patient* patient = request.mutable_patient();
  patient->set_display_name(c.args.Value("name"));
  patient->set_clinic(Qualify("clinics", c.args.Value("clinic")));
  patient->set_time_zone(c.args.Value("tz"));
  const std::string side = absl::AsciiStrToLower(c.args.Value("side"));
  if (side == "left" || side == "both") patient->add_affected_sides(v1::KNEE_SIDE_LEFT);
  if (side == "right" || side == "both") patient->add_affected_sides(v1::KNEE_SIDE_RIGHT);
  if (c.args.Has("side") && patient->affected_sides().empty()) {
    return UsageError("--side: expected left, right or both");
  }
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(&Patients::CreatePatient, *c.stubs().patients, request,
                    PrintPatientOf<v1::CreatePatientResponse>);
}

int PatientsGet(const Context& c) {
  v1::GetPatientRequest request;
  request.set_name(Qualify("patients", c.args.positional(0)));
  return c.rpc.Show(&Patients::GetPatient, *c.stubs().patients, request,
                    PrintPatientOf<v1::GetPatientResponse>);
}

void PrintPatients(const v1::ListPatientsResponse& response) {
  Table table({"PATIENT", "NAME", "CLINIC", "TIME ZONE", "KNEE", "ACTIVE PROGRAM"});
  for (const auto& p : response.patients()) {
    table.AddRow({ShortId(p.name()), p.display_name(), p.clinic(), p.time_zone(), KneeSides(p),
                  p.active_program().empty() ? "-" : ShortId(p.active_program())});
  }
  table.Print(std::cout);
}

int PatientsList(const Context& c) {
  v1::ListPatientsRequest request;
  request.set_clinic(Qualify("clinics", c.args.Value("clinic")));
  return c.rpc.ShowList(&Patients::ListPatients, *c.stubs().patients, request, c.args,
                        PrintPatients);
}

}  // namespace

std::vector<Command> PatientCommands() {
  return {
      {{"patients", "create"},
       {},
       "Create a patient (--name --clinic --tz --side)",
       {String("name", "NAME", "display name"), String("clinic", "clinics/ID"),
        String("tz", "Area/City", "IANA time zone"), String("side", "left|right|both"),
        String("request-id", "ID", "idempotency key (default: random)")},
       PatientsCreate},
      {{"patients", "get"}, {"ID"}, "Show a patient", {}, PatientsGet},
      {{"patients", "list"},
       {},
       "List patients, oldest first",
       Concat({String("clinic", "clinics/ID")}, PagingOptions()),
       PatientsList},
  };
}

}  // namespace kneecoach::cli
