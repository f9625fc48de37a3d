#include "clients/desktop/client.h"

#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "clients/desktop/concurrent.h"
#include "clients/desktop/model.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kneecoach::desktop {

RpcError RpcError::FromStatus(const grpc::Status& status) {
  RpcError error;
  error.code = status.error_code();
  error.message = status.error_message();
  error.violations = clients::StatusViolations(status);
  return error;
}

std::string RpcError::CodeName() const { return clients::CodeName(code); }

std::string RpcError::ToString() const {
  std::string out = absl::StrCat(CodeName(), ": ", message);
  for (const auto& v : violations) absl::StrAppend(&out, "\n  ", v);
  return out;
}

bool RpcError::Names(const std::string& field) const {
  for (const std::string& v : violations) {
    const std::string path = v.substr(0, v.find(':'));
    if (path == field || absl::EndsWith(path, "." + field)) return true;
  }
  return false;
}

namespace {

// "prescription.dose.hold_seconds" -> "Hold seconds (prescription.dose.hold_seconds)";
// "reason" -> "The reason".
std::string FieldWords(const std::string& path) {
  const std::string last =
      path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
  std::string words = absl::StrReplaceAll(last, {{"_", " "}});
  if (path == last) return absl::StrCat("The ", words);
  if (!words.empty()) words[0] = absl::ascii_toupper(words[0]);
  return absl::StrCat(words, " (", path, ")");
}

// One "field: description" violation as a sentence.
std::string ViolationSentence(const std::string& violation) {
  const size_t colon = violation.find(": ");
  if (colon == std::string::npos) return absl::StrCat(violation, ".");
  const std::string field = violation.substr(0, colon);
  const std::string what = violation.substr(colon + 2);
  static const std::regex kRange(R"(^(\S+) out of range (\S+)\.\.(\S+)$)");
  std::smatch m;
  if (std::regex_match(what, m, kRange)) {
    return absl::StrCat(FieldWords(field), " is ", m[1].str(), ", outside the allowed ", m[2].str(),
                        " to ", m[3].str(), ".");
  }
  if (what == "required") return absl::StrCat(FieldWords(field), " is required.");
  return absl::StrCat(FieldWords(field), ": ", what, ".");
}

}  // namespace

std::string RpcError::Sentence(const std::string& target) const {
  switch (code) {
    case grpc::StatusCode::OK:
      return "";
    case grpc::StatusCode::UNAVAILABLE:
      return absl::StrCat("The server at ", target,
                          " cannot be reached: check that it is running and that the address "
                          "(and --tls_ca for a TLS server) is right, then press Refresh.");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("The server at ", target,
                          " did not answer in time; press Refresh to try again.");
    case grpc::StatusCode::UNAUTHENTICATED:
      return "You are signed out: the access token is missing, expired or revoked. Start the "
             "window again with a valid --token-file.";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "Your account may not do this for this patient (only their assigned "
             "physiotherapists and the clinic's admins may).";
    case grpc::StatusCode::NOT_FOUND:
      return "This no longer exists (it may have been removed meanwhile); press Refresh.";
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
      return "Someone changed this at the same time; press Refresh and try again.";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "The server is busy; try again in a moment.";
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::FAILED_PRECONDITION: {
      std::vector<std::string> sentences;
      for (const std::string& v : violations) {
        // A precondition's subject is a rule id ("ALERT_STATE"): its description says it.
        if (code == grpc::StatusCode::FAILED_PRECONDITION) {
          const size_t colon = v.find(": ");
          std::string what = colon == std::string::npos ? v : v.substr(colon + 2);
          if (!what.empty()) what[0] = absl::ascii_toupper(what[0]);
          sentences.push_back(absl::StrCat("Not possible now: ", what, "."));
        } else {
          sentences.push_back(ViolationSentence(v));
        }
      }
      if (sentences.empty()) {
        std::string what = message;
        if (!what.empty()) what[0] = absl::ascii_toupper(what[0]);
        sentences.push_back(
            absl::StrCat(code == grpc::StatusCode::FAILED_PRECONDITION ? "Not possible now: " : "",
                         what, absl::EndsWith(what, ".") ? "" : "."));
      }
      return absl::StrJoin(sentences, " ");
    }
    default:
      return "The server could not do this because of a problem on its side; try again, and "
             "tell your administrator if it keeps happening.";
  }
}

std::string NewRequestId() { return clients::NewRequestId("desktop"); }

namespace {

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(const ClientOptions& options) {
  if (options.tls_ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_ca_pem;
  return grpc::SslCredentials(ssl);
}

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.target, CredentialsFor(options_))),
      stubs_(channel_) {}

std::unique_ptr<grpc::ClientContext> Client::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  clients::PrepareCall(context.get(), options_.token, absl::FromChrono(options_.timeout));
  return context;
}

Result<v1::User> Client::CurrentUser() const {
  v1::GetCurrentUserResponse response;
  grpc::Status status = stubs_.access->GetCurrentUser(Context().get(), {}, &response);
  if (!status.ok()) return Result<v1::User>::Fail(status);
  return Result<v1::User>::Ok(response.user());
}

grpc::Status Client::CaseloadRowOf(const v1::Patient& patient, CaseloadRow* row) const {
  row->patient = patient.name();
  row->patient_name = patient.display_name();
  row->program = patient.active_program();
  if (row->program.empty()) return grpc::Status::OK;

  v1::GetProgramRequest get;
  get.set_name(row->program);
  v1::GetProgramResponse program;
  if (auto s = stubs_.programs->GetProgram(Context().get(), get, &program); !s.ok()) return s;
  row->phase = program.program().phase();
  row->state = program.program().state();
  row->pause_reason = program.program().pause_reason();

  v1::GetProgressRequest progress_request;
  progress_request.set_program(row->program);
  progress_request.set_weeks(1);
  v1::GetProgressResponse progress;
  if (auto s = stubs_.outcomes->GetProgress(Context().get(), progress_request, &progress);
      !s.ok()) {
    return s;
  }
  if (progress.progress().weeks_size() > 0) {
    const v1::ProgressWeek& week = progress.progress().weeks(progress.progress().weeks_size() - 1);
    row->latest_week = week.week();
    if (week.sessions_planned() > 0) row->adherence = week.adherence();
    if (week.has_morning_pain_median()) row->morning_pain_median = week.morning_pain_median();
  }

  // Counted over every page: a caseload row must not under-report alerts.
  v1::ListAlertsRequest alerts_request;
  alerts_request.set_program(row->program);
  alerts_request.set_unacknowledged_only(true);
  alerts_request.set_page_size(200);
  while (true) {
    v1::ListAlertsResponse alerts;
    if (auto s = stubs_.alerts->ListAlerts(Context().get(), alerts_request, &alerts); !s.ok())
      return s;
    row->open_alerts += alerts.alerts_size();
    if (alerts.next_page_token().empty()) break;
    alerts_request.set_page_token(alerts.next_page_token());
  }

  v1::ListDecisionsRequest decisions_request;
  decisions_request.set_program(row->program);
  decisions_request.set_state(v1::DECISION_STATE_PROPOSED);
  decisions_request.set_page_size(200);
  while (true) {
    v1::ListDecisionsResponse decisions;
    if (auto s = stubs_.programs->ListDecisions(Context().get(), decisions_request, &decisions);
        !s.ok()) {
      return s;
    }
    row->pending_decisions += decisions.decisions_size();
    if (decisions.next_page_token().empty()) break;
    decisions_request.set_page_token(decisions.next_page_token());
  }
  return grpc::Status::OK;
}

Result<std::vector<CaseloadRow>> Client::Caseload() const {
  using R = Result<std::vector<CaseloadRow>>;
  v1::GetCurrentUserResponse me;
  if (auto s = stubs_.access->GetCurrentUser(Context().get(), {}, &me); !s.ok()) return R::Fail(s);
  v1::ListPatientsRequest request;
  request.set_page_size(200);
  // A physiotherapist's caseload is the patients assigned to them; anyone else sees all the
  // patients they may see.
  if (me.user().role() == v1::ROLE_PHYSIOTHERAPIST) {
    request.set_physiotherapist(me.user().name());
  }
  std::vector<v1::Patient> patients;
  while (true) {
    v1::ListPatientsResponse page;
    if (auto s = stubs_.patients->ListPatients(Context().get(), request, &page); !s.ok()) {
      return R::Fail(s);
    }
    patients.insert(patients.end(), page.patients().begin(), page.patients().end());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  // Each patient's row is 4 calls; patients load side by side, each into its own slot.
  std::vector<CaseloadRow> rows(patients.size());
  std::vector<grpc::Status> statuses(patients.size());
  ForEachConcurrently(patients.size(), options_.caseload_concurrency,
                      [&](size_t i) { statuses[i] = CaseloadRowOf(patients[i], &rows[i]); });
  // The first failure in list order, as the one-by-one loading reported it.
  for (const grpc::Status& s : statuses) {
    if (!s.ok()) return R::Fail(s);
  }
  SortByUrgency(rows);
  DisambiguateNames(rows);
  return R::Ok(std::move(rows));
}

Result<ProgramDetail> Client::Program(const std::string& program) const {
  using R = Result<ProgramDetail>;
  ProgramDetail detail;
  v1::GetProgramRequest get;
  get.set_name(program);
  v1::GetProgramResponse got;
  if (auto s = stubs_.programs->GetProgram(Context().get(), get, &got); !s.ok()) return R::Fail(s);
  detail.program = got.program();

  v1::GetPatientRequest patient_request;
  patient_request.set_name(detail.program.patient());
  v1::GetPatientResponse patient;
  if (auto s = stubs_.patients->GetPatient(Context().get(), patient_request, &patient); s.ok()) {
    detail.patient_name = patient.patient().display_name();
  } else {
    return R::Fail(s);
  }

  v1::GetProgressRequest progress_request;
  progress_request.set_program(program);
  v1::GetProgressResponse progress;
  if (auto s = stubs_.outcomes->GetProgress(Context().get(), progress_request, &progress);
      !s.ok()) {
    return R::Fail(s);
  }
  detail.progress = progress.progress();

  v1::ListDecisionsRequest decisions_request;
  decisions_request.set_program(program);
  decisions_request.set_state(v1::DECISION_STATE_PROPOSED);
  decisions_request.set_page_size(200);
  while (true) {
    v1::ListDecisionsResponse page;
    if (auto s = stubs_.programs->ListDecisions(Context().get(), decisions_request, &page);
        !s.ok()) {
      return R::Fail(s);
    }
    for (const auto& d : page.decisions()) detail.proposed.push_back(d);
    if (page.next_page_token().empty()) break;
    decisions_request.set_page_token(page.next_page_token());
  }

  v1::ListAlertsRequest alerts_request;
  alerts_request.set_program(program);
  alerts_request.set_page_size(200);
  v1::ListAlertsResponse alerts;
  if (auto s = stubs_.alerts->ListAlerts(Context().get(), alerts_request, &alerts); !s.ok()) {
    return R::Fail(s);
  }
  detail.alerts.assign(alerts.alerts().begin(), alerts.alerts().end());

  // One page of every state, newest first; the proposals among them are shown above.
  v1::ListDecisionsRequest history_request;
  history_request.set_program(program);
  history_request.set_page_size(ProgramDetail::kHistorySize);
  v1::ListDecisionsResponse history;
  if (auto s = stubs_.programs->ListDecisions(Context().get(), history_request, &history);
      !s.ok()) {
    return R::Fail(s);
  }
  for (const auto& d : history.decisions()) {
    if (d.state() != v1::DECISION_STATE_PROPOSED) detail.history.push_back(d);
  }
  if (auto s = LoadReports(program, &detail); !s.ok()) return R::Fail(s);
  return R::Ok(std::move(detail));
}

grpc::Status Client::LoadReports(const std::string& program, ProgramDetail* detail) const {
  v1::ListSessionsRequest sessions_request;
  sessions_request.set_program(program);
  sessions_request.set_page_size(ProgramDetail::kRecentSize);
  v1::ListSessionsResponse sessions;
  if (auto s = stubs_.sessions->ListSessions(Context().get(), sessions_request, &sessions);
      !s.ok()) {
    return s;
  }
  detail->sessions.assign(sessions.sessions().begin(), sessions.sessions().end());

  v1::ListMorningCheckInsRequest check_ins_request;
  check_ins_request.set_program(program);
  check_ins_request.set_page_size(ProgramDetail::kRecentSize);
  v1::ListMorningCheckInsResponse check_ins;
  if (auto s = stubs_.sessions->ListMorningCheckIns(Context().get(), check_ins_request, &check_ins);
      !s.ok()) {
    return s;
  }
  detail->check_ins.assign(check_ins.check_ins().begin(), check_ins.check_ins().end());

  v1::ListOutcomesRequest outcomes_request;
  outcomes_request.set_program(program);
  outcomes_request.set_page_size(200);
  while (true) {
    v1::ListOutcomesResponse page;
    if (auto s = stubs_.outcomes->ListOutcomes(Context().get(), outcomes_request, &page); !s.ok()) {
      return s;
    }
    detail->outcomes.insert(detail->outcomes.end(), page.outcomes().begin(), page.outcomes().end());
    if (page.next_page_token().empty()) break;
    outcomes_request.set_page_token(page.next_page_token());
  }

  v1::ListExercisesRequest exercises_request;
  exercises_request.set_page_size(200);
  while (true) {
    v1::ListExercisesResponse page;
    if (auto s = stubs_.library->ListExercises(Context().get(), exercises_request, &page);
        !s.ok()) {
      return s;
    }
    for (const v1::Exercise& e : page.exercises()) {
      detail->exercise_names[e.name()] = e.display_name();
    }
    if (page.next_page_token().empty()) break;
    exercises_request.set_page_token(page.next_page_token());
  }
  return grpc::Status::OK;
}

BatchResult Client::ApproveAll(const std::vector<std::string>& decisions,
                               const std::string& reason) const {
  BatchResult result;
  for (const std::string& d : decisions) {
    auto one = Approve(d, reason);
    if (one.ok()) {
      ++result.done;
    } else {
      result.failed.emplace_back(d, one.error);
    }
  }
  return result;
}

BatchResult Client::RejectAll(const std::vector<std::string>& decisions,
                              const std::string& reason) const {
  BatchResult result;
  for (const std::string& d : decisions) {
    auto one = Reject(d, reason);
    if (one.ok()) {
      ++result.done;
    } else {
      result.failed.emplace_back(d, one.error);
    }
  }
  return result;
}

Result<v1::Decision> Client::Approve(const std::string& decision, const std::string& reason) const {
  v1::ApproveDecisionRequest request;
  request.set_name(decision);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::ApproveDecisionResponse response;
  grpc::Status status = stubs_.programs->ApproveDecision(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Decision>::Fail(status);
  return Result<v1::Decision>::Ok(response.decision());
}

Result<v1::Decision> Client::Reject(const std::string& decision, const std::string& reason) const {
  v1::RejectDecisionRequest request;
  request.set_name(decision);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::RejectDecisionResponse response;
  grpc::Status status = stubs_.programs->RejectDecision(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Decision>::Fail(status);
  return Result<v1::Decision>::Ok(response.decision());
}

Result<v1::Alert> Client::Acknowledge(const std::string& alert, const std::string& note) const {
  v1::AcknowledgeAlertRequest request;
  request.set_name(alert);
  request.set_note(note);
  request.set_request_id(NewRequestId());
  v1::AcknowledgeAlertResponse response;
  grpc::Status status = stubs_.alerts->AcknowledgeAlert(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Alert>::Fail(status);
  return Result<v1::Alert>::Ok(response.alert());
}

Result<v1::Program> Client::Pause(const std::string& program, const std::string& reason) const {
  v1::PauseProgramRequest request;
  request.set_name(program);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::PauseProgramResponse response;
  grpc::Status status = stubs_.programs->PauseProgram(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Program>::Fail(status);
  return Result<v1::Program>::Ok(response.program());
}

Result<v1::Program> Client::Resume(const std::string& program, const std::string& reason) const {
  v1::ResumeProgramRequest request;
  request.set_name(program);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::ResumeProgramResponse response;
  grpc::Status status = stubs_.programs->ResumeProgram(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Program>::Fail(status);
  return Result<v1::Program>::Ok(response.program());
}

Result<v1::UpdatePrescriptionResponse> Client::UpdatePrescription(
    const v1::Prescription& prescription, const std::vector<std::string>& paths,
    const std::string& reason) const {
  v1::UpdatePrescriptionRequest request;
  *request.mutable_prescription() = prescription;
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::UpdatePrescriptionResponse response;
  grpc::Status status = stubs_.programs->UpdatePrescription(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::UpdatePrescriptionResponse>::Fail(status);
  return Result<v1::UpdatePrescriptionResponse>::Ok(std::move(response));
}

Result<v1::Program> Client::SetApprovalMode(const std::string& program, v1::ApprovalMode mode,
                                            const std::string& reason) const {
  v1::UpdateProgramRequest request;
  request.mutable_program()->set_name(program);
  request.mutable_program()->set_approval_mode(mode);
  request.mutable_update_mask()->add_paths("approval_mode");
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::UpdateProgramResponse response;
  grpc::Status status = stubs_.programs->UpdateProgram(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Program>::Fail(status);
  return Result<v1::Program>::Ok(response.program());
}

}  // namespace kneecoach::desktop
