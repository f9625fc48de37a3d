#include "clients/desktop/client.h"


#include "absl/strings/str_cat.h"
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

std::string NewRequestId() { return clients::NewRequestId("desktop"); }

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel(options_.target, grpc::InsecureChannelCredentials())),
      access_(v1::AccessService::NewStub(channel_)),
      patients_(v1::PatientService::NewStub(channel_)),
      programs_(v1::ProgramService::NewStub(channel_)),
      alerts_(v1::AlertService::NewStub(channel_)),
      outcomes_(v1::OutcomeService::NewStub(channel_)) {}

std::unique_ptr<grpc::ClientContext> Client::Context() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + options_.timeout);
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
  return context;
}

Result<v1::User> Client::CurrentUser() const {
  v1::GetCurrentUserResponse response;
  grpc::Status status = access_->GetCurrentUser(Context().get(), {}, &response);
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
  if (auto s = programs_->GetProgram(Context().get(), get, &program); !s.ok()) return s;
  row->phase = program.program().phase();
  row->state = program.program().state();
  row->pause_reason = program.program().pause_reason();

  v1::GetProgressRequest progress_request;
  progress_request.set_program(row->program);
  progress_request.set_weeks(1);
  v1::GetProgressResponse progress;
  if (auto s = outcomes_->GetProgress(Context().get(), progress_request, &progress); !s.ok()) {
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
    if (auto s = alerts_->ListAlerts(Context().get(), alerts_request, &alerts); !s.ok()) return s;
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
    if (auto s = programs_->ListDecisions(Context().get(), decisions_request, &decisions);
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
  if (auto s = access_->GetCurrentUser(Context().get(), {}, &me); !s.ok()) return R::Fail(s);
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
    if (auto s = patients_->ListPatients(Context().get(), request, &page); !s.ok()) {
      return R::Fail(s);
    }
    patients.insert(patients.end(), page.patients().begin(), page.patients().end());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  // Each patient's row is 4 calls; patients load side by side, each into its own slot.
  std::vector<CaseloadRow> rows(patients.size());
  std::vector<grpc::Status> statuses(patients.size());
  ForEachConcurrently(patients.size(), options_.caseload_concurrency, [&](size_t i) {
    statuses[i] = CaseloadRowOf(patients[i], &rows[i]);
  });
  // The first failure in list order, as the one-by-one loading reported it.
  for (const grpc::Status& s : statuses) {
    if (!s.ok()) return R::Fail(s);
  }
  SortByUrgency(rows);
  return R::Ok(std::move(rows));
}

Result<ProgramDetail> Client::Program(const std::string& program) const {
  using R = Result<ProgramDetail>;
  ProgramDetail detail;
  v1::GetProgramRequest get;
  get.set_name(program);
  v1::GetProgramResponse got;
  if (auto s = programs_->GetProgram(Context().get(), get, &got); !s.ok()) return R::Fail(s);
  detail.program = got.program();

  v1::GetPatientRequest patient_request;
  patient_request.set_name(detail.program.patient());
  v1::GetPatientResponse patient;
  if (auto s = patients_->GetPatient(Context().get(), patient_request, &patient); s.ok()) {
    detail.patient_name = patient.patient().display_name();
  } else {
    return R::Fail(s);
  }

  v1::GetProgressRequest progress_request;
  progress_request.set_program(program);
  v1::GetProgressResponse progress;
  if (auto s = outcomes_->GetProgress(Context().get(), progress_request, &progress); !s.ok()) {
    return R::Fail(s);
  }
  detail.progress = progress.progress();

  v1::ListDecisionsRequest decisions_request;
  decisions_request.set_program(program);
  decisions_request.set_state(v1::DECISION_STATE_PROPOSED);
  decisions_request.set_page_size(200);
  while (true) {
    v1::ListDecisionsResponse page;
    if (auto s = programs_->ListDecisions(Context().get(), decisions_request, &page); !s.ok()) {
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
  if (auto s = alerts_->ListAlerts(Context().get(), alerts_request, &alerts); !s.ok()) {
    return R::Fail(s);
  }
  detail.alerts.assign(alerts.alerts().begin(), alerts.alerts().end());

  // One page of every state, newest first; the proposals among them are shown above.
  v1::ListDecisionsRequest history_request;
  history_request.set_program(program);
  history_request.set_page_size(ProgramDetail::kHistorySize);
  v1::ListDecisionsResponse history;
  if (auto s = programs_->ListDecisions(Context().get(), history_request, &history); !s.ok()) {
    return R::Fail(s);
  }
  for (const auto& d : history.decisions()) {
    if (d.state() != v1::DECISION_STATE_PROPOSED) detail.history.push_back(d);
  }
  return R::Ok(std::move(detail));
}

Result<v1::Decision> Client::Approve(const std::string& decision, const std::string& reason) const {
  v1::ApproveDecisionRequest request;
  request.set_name(decision);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::ApproveDecisionResponse response;
  grpc::Status status = programs_->ApproveDecision(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Decision>::Fail(status);
  return Result<v1::Decision>::Ok(response.decision());
}

Result<v1::Decision> Client::Reject(const std::string& decision, const std::string& reason) const {
  v1::RejectDecisionRequest request;
  request.set_name(decision);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::RejectDecisionResponse response;
  grpc::Status status = programs_->RejectDecision(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Decision>::Fail(status);
  return Result<v1::Decision>::Ok(response.decision());
}

Result<v1::Alert> Client::Acknowledge(const std::string& alert, const std::string& note) const {
  v1::AcknowledgeAlertRequest request;
  request.set_name(alert);
  request.set_note(note);
  request.set_request_id(NewRequestId());
  v1::AcknowledgeAlertResponse response;
  grpc::Status status = alerts_->AcknowledgeAlert(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Alert>::Fail(status);
  return Result<v1::Alert>::Ok(response.alert());
}

Result<v1::Program> Client::Pause(const std::string& program, const std::string& reason) const {
  v1::PauseProgramRequest request;
  request.set_name(program);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::PauseProgramResponse response;
  grpc::Status status = programs_->PauseProgram(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Program>::Fail(status);
  return Result<v1::Program>::Ok(response.program());
}

Result<v1::Program> Client::Resume(const std::string& program, const std::string& reason) const {
  v1::ResumeProgramRequest request;
  request.set_name(program);
  request.set_reason(reason);
  request.set_request_id(NewRequestId());
  v1::ResumeProgramResponse response;
  grpc::Status status = programs_->ResumeProgram(Context().get(), request, &response);
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
  grpc::Status status = programs_->UpdatePrescription(Context().get(), request, &response);
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
  grpc::Status status = programs_->UpdateProgram(Context().get(), request, &response);
  if (!status.ok()) return Result<v1::Program>::Fail(status);
  return Result<v1::Program>::Ok(response.program());
}

}  // namespace kneecoach::desktop
