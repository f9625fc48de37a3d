// alerts (list) and alerts ack: the clinician's inbox.
#include <iostream>

#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"

namespace kneecoach::cli {
namespace {

using Alerts = v1::AlertService::StubInterface;

void PrintAlertTable(const v1::ListAlertsResponse& response) {
  Table table({"WHEN", "ALERT", "KIND", "PAUSED", "ACK", "MESSAGE"});
  for (const auto& a : response.alerts()) {
    // "programs/p/alerts/a" -> "p/a", which `alerts ack` accepts.
    const std::string id = ShortId(a.program()) + "/" + ShortId(a.name());
    table.AddRow({FormatTime(a.create_time()), id, EnumWord(a.kind()),
                  a.paused_program() ? "yes" : "no", a.acknowledged() ? "yes" : "no", a.message()});
  }
  table.Print(std::cout, "no alerts");
}

int AlertsList(const Context& c) {
  v1::ListAlertsRequest request;
  request.set_program(Qualify("programs", c.args.Value("program")));
  request.set_clinic(Qualify("clinics", c.args.Value("clinic")));
  request.set_unacknowledged_only(c.args.Has("unacknowledged"));
  return c.rpc.ShowList(&Alerts::ListAlerts, *c.stubs().alerts, request, c.args, PrintAlertTable);
}

void PrintAcknowledged(const v1::AcknowledgeAlertResponse& response) {
  const auto& a = response.alert();
  std::cout << a.name() << " acknowledged " << FormatTime(a.acknowledge_time());
  // The physiotherapist's name where the server records it, else the stored word.
  const std::string& by = a.acknowledged_by_display_name().empty()
                              ? a.acknowledged_by()
                              : a.acknowledged_by_display_name();
  if (!by.empty()) std::cout << " by " << by;
  std::cout << ": " << a.acknowledge_note() << "\n";
}

int AlertsAck(const Context& c) {
  v1::AcknowledgeAlertRequest request;
  request.set_name(QualifyChild("programs", "alerts", c.args.positional(0)));
  request.set_note(c.args.Value("note"));
  request.set_request_id(c.args.Value("request-id", NewRequestId()));
  return c.rpc.Show(&Alerts::AcknowledgeAlert, *c.stubs().alerts, request, PrintAcknowledged);
}

std::vector<OptionSpec> ListOptions() {
  return Concat({String("program", "programs/ID"), String("clinic", "clinics/ID"),
                 Switch("unacknowledged", "only alerts not yet acknowledged")},
                PagingOptions());
}

}  // namespace

std::vector<Command> AlertCommands() {
  return {
      {{"alerts"},
       {},
       "List alerts, newest first (same as `alerts list`)",
       ListOptions(),
       AlertsList},
      {{"alerts", "list"}, {}, "List alerts, newest first", ListOptions(), AlertsList},
      {{"alerts", "ack"},
       {"NAME"},
       "Acknowledge an alert (--note)",
       {String("note", "TEXT"), String("request-id", "ID")},
       AlertsAck},
  };
}

}  // namespace kneecoach::cli
