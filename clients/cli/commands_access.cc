// whoami, clinic get, users, tokens, enrollment-code, enroll and audit (who may do what),
// and the access side of a patient's record: patients assign/export/erase.
#include <iostream>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "clients/cli/command.h"
#include "clients/cli/format.h"
#include "clients/cli/names.h"
#include "clients/cli/views.h"

namespace kneecoach::cli {
namespace {

using Access = v1::AccessService::StubInterface;
using Patients = v1::PatientService::StubInterface;

std::string RequestIdOf(const Context& c) { return c.args.Value("request-id", NewRequestId()); }

OptionSpec RequestIdOption() {
  return String("request-id", "ID", "idempotency key (default: random)");
}

// --- users -----------------------------------------------------------------------------------

void PrintUser(const v1::User& u) {
  std::cout << u.name() << "  " << u.display_name() << (u.disabled() ? "  (disabled)" : "")
            << "\n  role " << EnumWord(u.role()) << ", clinic " << u.clinic() << ", created "
            << FormatTime(u.create_time()) << "\n";
  if (!u.patient().empty()) std::cout << "  patient " << u.patient() << "\n";
  for (const auto& method : u.granted_methods()) std::cout << "  may call " << method << "\n";
}

template <typename Response>
void PrintUserOf(const Response& response) {
  PrintUser(response.user());
}

int WhoAmI(const Context& c) {
  return c.rpc.Show(&Access::GetCurrentUser, *c.stubs().access, v1::GetCurrentUserRequest(),
                    PrintUserOf<v1::GetCurrentUserResponse>);
}

void PrintClinic(const v1::GetClinicResponse& response) {
  const auto& clinic = response.clinic();
  std::cout << clinic.name() << "  " << clinic.display_name() << "\n  created "
            << FormatTime(clinic.create_time()) << "\n";
}

int ClinicGet(const Context& c) {
  v1::GetClinicRequest request;
  request.set_name(Qualify("clinics", c.args.OptionalPositional(0)));
  if (request.name().empty()) {  // the caller's own clinic
    v1::GetCurrentUserResponse me;
    if (grpc::Status s = c.rpc.Call(&Access::GetCurrentUser, *c.stubs().access,
                                    v1::GetCurrentUserRequest(), &me);
        !s.ok()) {
      return PrintError(s);
    }
    request.set_name(me.user().clinic());
  }
  return c.rpc.Show(&Access::GetClinic, *c.stubs().access, request, PrintClinic);
}

// --role: "physio", "admin", or any Role word ("integrator", "clinic-admin").
std::optional<v1::Role> ParseRole(absl::string_view word) {
  if (word == "physio") return v1::ROLE_PHYSIOTHERAPIST;
  if (word == "admin") return v1::ROLE_CLINIC_ADMIN;
  if (auto role = ParseEnumWord(v1::Role_descriptor(), word)) return v1::Role(*role);
  return std::nullopt;
}

// --grant: a full method name, or "Service/Method" in kneecoach.v1.
std::string MethodName(absl::string_view grant) {
  if (absl::StartsWith(grant, "/")) return std::string(grant);
  return absl::StrCat("/kneecoach.v1.", grant);
}

int UsersCreate(const Context& c) {
  v1::CreateUserRequest request;
  v1::User* user = request.mutable_user();
  user->set_display_name(c.args.Value("name"));
  if (c.args.Has("role")) {
    std::optional<v1::Role> role = ParseRole(c.args.Value("role"));
    if (!role) return UsageError("--role: expected physio, admin or integrator");
    user->set_role(*role);
  }
  for (const std::string& grant : c.args.Values("grant")) {
    user->add_granted_methods(MethodName(grant));
  }
  request.set_request_id(RequestIdOf(c));
  return c.rpc.Show(&Access::CreateUser, *c.stubs().access, request,
                    PrintUserOf<v1::CreateUserResponse>);
}

void PrintUsers(const v1::ListUsersResponse& response) {
  Table table({"USER", "ROLE", "DISABLED", "CREATED", "NAME"});
  for (const auto& u : response.users()) {
    table.AddRow({ShortId(u.name()), EnumWord(u.role()), u.disabled() ? "yes" : "no",
                  FormatTime(u.create_time()), u.display_name()});
  }
  table.Print(std::cout, "no users");
}

int UsersList(const Context& c) {
  return c.rpc.ShowList(&Access::ListUsers, *c.stubs().access, v1::ListUsersRequest(), c.args,
                        PrintUsers);
}

int UsersGet(const Context& c) {
  v1::GetUserRequest request;
  request.set_name(Qualify("users", c.args.positional(0)));
  return c.rpc.Show(&Access::GetUser, *c.stubs().access, request, PrintUserOf<v1::GetUserResponse>);
}

int SetDisabled(const Context& c, bool disabled) {
  v1::UpdateUserRequest request;
  request.mutable_user()->set_name(Qualify("users", c.args.positional(0)));
  request.mutable_user()->set_disabled(disabled);
  request.mutable_update_mask()->add_paths("disabled");
  request.set_request_id(RequestIdOf(c));
  return c.rpc.Show(&Access::UpdateUser, *c.stubs().access, request,
                    PrintUserOf<v1::UpdateUserResponse>);
}

int UsersDisable(const Context& c) { return SetDisabled(c, true); }
int UsersEnable(const Context& c) { return SetDisabled(c, false); }

// --- tokens and enrollment -------------------------------------------------------------------

// A new bearer secret: one line about it and the warning on stderr, the secret alone on
// stdout (so `> FILE` makes a file for --token-file).
void PrintSecret(const v1::Token& token, const std::string& secret) {
  std::cerr << "token " << ShortChildId(token.name()) << " (" << token.display_name()
            << "), expires " << FormatTime(token.expire_time())
            << ": store the secret now, it is shown only once\n";
  std::cout << secret << "\n";
}

void PrintCreatedToken(const v1::CreateTokenResponse& response) {
  PrintSecret(response.token(), response.secret());
}

int TokensCreate(const Context& c) {
  v1::CreateTokenRequest request;
  request.set_user(Qualify("users", c.args.positional(0)));
  request.set_display_name(c.args.Value("name"));
  if (auto days = c.args.IntValue("days")) request.set_ttl_days(*days);
  request.set_request_id(NewRequestId());  // not replayed (a secret is never sent twice)
  return c.rpc.Show(&Access::CreateToken, *c.stubs().access, request, PrintCreatedToken);
}

void PrintTokens(const v1::ListTokensResponse& response) {
  Table table({"TOKEN", "CREATED", "EXPIRES", "REVOKED", "NAME"});
  for (const auto& t : response.tokens()) {
    table.AddRow({ShortChildId(t.name()), FormatTime(t.create_time()), FormatTime(t.expire_time()),
                  t.revoked() ? "yes" : "no", t.display_name()});
  }
  table.Print(std::cout, "no tokens");
}

int TokensList(const Context& c) {
  v1::ListTokensRequest request;
  request.set_user(Qualify("users", c.args.positional(0)));
  return c.rpc.ShowList(&Access::ListTokens, *c.stubs().access, request, c.args, PrintTokens);
}

void PrintRevoked(const v1::RevokeTokenResponse& response) {
  std::cout << response.token().name() << " revoked\n";
}

int TokensRevoke(const Context& c) {
  v1::RevokeTokenRequest request;
  request.set_name(QualifyChild("users", "tokens", c.args.positional(0)));
  request.set_request_id(RequestIdOf(c));
  return c.rpc.Show(&Access::RevokeToken, *c.stubs().access, request, PrintRevoked);
}

void PrintEnrollmentCode(const v1::CreateEnrollmentCodeResponse& response) {
  std::cout << response.code() << "  one use, expires " << FormatTime(response.expire_time())
            << "\n";
}

int EnrollmentCode(const Context& c) {
  v1::CreateEnrollmentCodeRequest request;
  request.set_patient(Qualify("patients", c.args.positional(0)));
  request.set_request_id(NewRequestId());  // not replayed (a code is a credential)
  return c.rpc.Show(&Access::CreateEnrollmentCode, *c.stubs().access, request, PrintEnrollmentCode);
}

void PrintEnrolled(const v1::EnrollDeviceResponse& response) {
  std::cerr << "enrolled " << response.user().patient() << " as " << response.user().name() << "\n";
  PrintSecret(response.token(), response.secret());
}

// The code itself is the credential: presented as the bearer token, in place of any other.
int Enroll(const Context& c) {
  v1::EnrollDeviceRequest request;
  request.set_device_name(c.args.Value("device"));
  return c.rpc.WithToken(c.args.positional(0))
      .Show(&Access::EnrollDevice, *c.stubs().access, request, PrintEnrolled);
}

// --- audit -----------------------------------------------------------------------------------

std::string Actor(const v1::AuditEntry& e) {
  if (e.actor_role() == v1::ROLE_UNSPECIFIED) return e.actor();
  return absl::StrCat(e.actor(), " (", EnumWord(e.actor_role()), ")");
}

void PrintAudit(const v1::ListAuditEntriesResponse& response) {
  Table table({"TIME", "ACTOR", "METHOD", "RESOURCE", "REQUEST ID"});
  for (const auto& e : response.audit_entries()) {
    table.AddRow({FormatTimeSeconds(e.time()), Actor(e),
                  std::string(absl::StripPrefix(e.method(), "/kneecoach.v1.")),
                  e.resource().empty() ? "-" : e.resource(),
                  e.request_id().empty() ? "-" : e.request_id()});
  }
  table.Print(std::cout, "no audit entries");
}

int Audit(const Context& c) {
  v1::ListAuditEntriesRequest request;
  request.set_clinic(Qualify("clinics", c.args.Value("clinic")));
  return c.rpc.ShowList(&Access::ListAuditEntries, *c.stubs().access, request, c.args, PrintAudit);
}

// --- a patient's record ----------------------------------------------------------------------

std::string PatientName(const Context& c) { return Qualify("patients", c.args.positional(0)); }

int PatientsAssign(const Context& c) {
  const std::vector<std::string> physios = c.args.Values("physio");
  if (physios.empty()) {
    return UsageError("give --physio=USER, once per physiotherapist (the list replaces the old)");
  }
  v1::UpdatePatientRequest request;
  v1::Patient* patient = request.mutable_patient();
  patient->set_name(PatientName(c));
  for (const std::string& user : physios) patient->add_physiotherapists(Qualify("users", user));
  request.mutable_update_mask()->add_paths("physiotherapists");
  request.set_request_id(RequestIdOf(c));
  return c.rpc.Show(&Patients::UpdatePatient, *c.stubs().patients, request,
                    PrintPatientOf<v1::UpdatePatientResponse>);
}

void PrintExport(const v1::ExportPatientDataResponse& response) {
  std::cout << response.json() << (absl::EndsWith(response.json(), "\n") ? "" : "\n");
}

int PatientsExport(const Context& c) {
  v1::ExportPatientDataRequest request;
  request.set_name(PatientName(c));
  return c.rpc.Show(&Patients::ExportPatientData, *c.stubs().patients, request, PrintExport);
}

int PatientsErase(const Context& c) {
  v1::ErasePatientRequest request;
  request.set_name(PatientName(c));
  request.set_reason(c.args.Value("reason"));
  request.set_request_id(RequestIdOf(c));
  return c.rpc.Show(
      &Patients::ErasePatient, *c.stubs().patients, request, [&](const v1::ErasePatientResponse&) {
        std::cout << request.name() << " erased with all their data (the audit trail keeps why)\n";
      });
}

}  // namespace

std::vector<Command> AccessCommands() {
  return {
      {{"whoami"}, {}, "Who the token belongs to: user, role, clinic", {}, WhoAmI},
      {{"clinic", "get"}, {"[ID]"}, "Show a clinic (default: your own)", {}, ClinicGet},
      {{"users", "create"},
       {},
       "Create a physiotherapist, clinic admin or integrator (--name --role)",
       {String("name", "NAME", "display name"), String("role", "physio|admin|integrator"),
        Strings("grant", "/kneecoach.v1.SERVICE/METHOD", "integrators: a method it may call"),
        RequestIdOption()},
       UsersCreate},
      {{"users", "list"}, {}, "List your clinic's users", PagingOptions(), UsersList},
      {{"users", "get"}, {"ID"}, "Show a user", {}, UsersGet},
      {{"users", "disable"},
       {"ID"},
       "Disable a user: their tokens stop working",
       {RequestIdOption()},
       UsersDisable},
      {{"users", "enable"}, {"ID"}, "Re-enable a disabled user", {RequestIdOption()}, UsersEnable},
      {{"tokens", "create"},
       {"USER"},
       "A new token for a user; prints the secret, once",
       {String("name", "TEXT", "what it is for"), Int("days", "N", "lifetime, 1-365 (default 90)")},
       TokensCreate},
      {{"tokens", "list"}, {"USER"}, "A user's tokens", PagingOptions(), TokensList},
      {{"tokens", "revoke"},
       {"NAME"},
       "Revoke a token (USER/TOKEN)",
       {RequestIdOption()},
       TokensRevoke},
      {{"enrollment-code"},
       {"PATIENT"},
       "A one-use code that enrolls the patient's phone",
       {},
       EnrollmentCode},
      {{"enroll"},
       {"CODE"},
       "Exchange an enrollment code for the patient's token (what the phone does)",
       {String("device", "NAME", "what the token is for (default: phone)")},
       Enroll},
      {{"audit"},
       {},
       "The clinic's audit trail, newest first",
       Concat({String("clinic", "clinics/ID", "default: your own")}, PagingOptions()),
       Audit},
  };
}

std::vector<Command> PatientRecordCommands() {
  return {
      {{"patients", "assign"},
       {"PATIENT"},
       "Set a patient's physiotherapists (--physio, repeatable)",
       {Strings("physio", "USER", "a physiotherapist (the list replaces the current one)"),
        RequestIdOption()},
       PatientsAssign},
      {{"patients", "export"},
       {"PATIENT"},
       "Everything stored about a patient, as JSON",
       {},
       PatientsExport},
      {{"patients", "erase"},
       {"PATIENT"},
       "Erase a patient and all their data (--reason)",
       {String("reason", "TEXT", "why (kept in the audit trail)"), RequestIdOption()},
       PatientsErase},
  };
}

}  // namespace kneecoach::cli
