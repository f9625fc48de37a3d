// End to end: starts the real kneecoach-server (argv[1]) on 127.0.0.1:0 with a temporary
// database and the demo clinic, then drives the real MainWindow with QTest (offscreen)
// as the demo physiotherapist, and checks every effect through direct gRPC calls.
//
//   desktop_e2e_test SERVER_BIN [QTest options]        (ctest: e2e_desktop)
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProcess>
#include <QSignalSpy>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "clients/desktop/caseload_model.h"
#include "clients/desktop/client.h"
#include "clients/desktop/main_window.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "kneecoach/v1/access.grpc.pb.h"
#include "kneecoach/v1/decision.grpc.pb.h"
#include "kneecoach/v1/outcome.grpc.pb.h"
#include "kneecoach/v1/patient.grpc.pb.h"
#include "kneecoach/v1/program.grpc.pb.h"
#include "kneecoach/v1/session.grpc.pb.h"

namespace kneecoach::desktop {
namespace {

constexpr int kUiTimeoutMs = 20000;
QString g_server_bin;

// A call context with a deadline and the bearer token.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

// The row of `table` whose column 0 holds `name` (Qt::UserRole); -1 if none.
int RowOf(const QTableWidget* table, const std::string& name) {
  for (int r = 0; r < table->rowCount(); ++r) {
    const QTableWidgetItem* item = table->item(r, 0);
    if (item != nullptr && item->data(Qt::UserRole).toString().toStdString() == name) return r;
  }
  return -1;
}

QLineSeries* SeriesNamed(QChart* chart, const QString& name) {
  for (QAbstractSeries* s : chart->series()) {
    if (s->name() == name) return qobject_cast<QLineSeries*>(s);
  }
  return nullptr;
}

}  // namespace

class DesktopE2eTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void cleanupTestCase();
  void wrongTokenShowsUnauthenticated();
  void physiotherapistWorkflow();
  // After physiotherapistWorkflow: its approved and rejected decisions are in the history.
  void overrideApprovalModeAndHistory();
  // Last: adds patients the earlier tests do not expect.
  void largeCaseloadLoadsInUrgencyOrder();

 private:
  v1::Program GetProgram();
  std::vector<v1::Decision> Decisions(v1::DecisionState state);
  v1::ProgramProgress Progress();
  std::string Target() const { return "127.0.0.1:" + std::to_string(port_); }
  QString CaseloadCell(QTableView* view, int row, int column) const {
    return view->model()->index(row, column).data().toString();
  }

  QTemporaryDir dir_;
  QProcess server_;
  int port_ = 0;
  std::string physio_token_;
  std::string patient_token_;
  std::string program_;
  // Left by physiotherapistWorkflow for the history.
  std::string approved_, approved_reason_, rejected_, rejected_reason_, quad_set_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ProgramService::Stub> programs_;
  std::unique_ptr<v1::SessionService::Stub> sessions_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
  std::unique_ptr<v1::OutcomeService::Stub> outcomes_;
  std::unique_ptr<v1::PatientService::Stub> patients_;
};

void DesktopE2eTest::initTestCase() {
  QVERIFY(dir_.isValid());
  QVERIFY2(QFileInfo(g_server_bin).isExecutable(), qPrintable(g_server_bin));
  server_.setProcessChannelMode(QProcess::MergedChannels);
  server_.start(
      g_server_bin,
      {QStringLiteral("--listen=127.0.0.1:0"), QStringLiteral("--db=%1/kc.db").arg(dir_.path()),
       QStringLiteral("--data_dir=" KNEECOACH_TEST_DATA_DIR), QStringLiteral("--seed_demo")});
  QVERIFY2(server_.waitForStarted(10000), qPrintable(server_.errorString()));
  // "listening on 127.0.0.1:PORT", then the demo credentials beside the database.
  QString log;
  const QRegularExpression listening(QStringLiteral("listening on 127\\.0\\.0\\.1:(\\d+)"));
  QElapsedTimer timer;
  timer.start();
  while (port_ == 0 && timer.elapsed() < 30000) {
    server_.waitForReadyRead(200);
    log += QString::fromUtf8(server_.readAll());
    if (auto m = listening.match(log); m.hasMatch()) port_ = m.captured(1).toInt();
    QVERIFY2(server_.state() == QProcess::Running, qPrintable("server exited:\n" + log));
  }
  QVERIFY2(port_ > 0, qPrintable("no 'listening on' in the server log:\n" + log));
  // Written whole after the server listens: wait for its last line.
  const QString path = dir_.filePath(QStringLiteral("demo-credentials"));
  const auto read_all = [&path] {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
  };
  QTRY_VERIFY_WITH_TIMEOUT(read_all().contains(QLatin1String("\nprogram ")), 10000);
  for (const QString& line : read_all().split(QLatin1Char('\n'))) {
    const QStringList words = line.split(QLatin1Char(' '));
    if (words.size() != 2) continue;
    if (words[0] == QLatin1String("physio")) physio_token_ = words[1].toStdString();
    if (words[0] == QLatin1String("patient")) patient_token_ = words[1].toStdString();
    if (words[0] == QLatin1String("program")) program_ = words[1].toStdString();
  }
  QVERIFY(!physio_token_.empty() && !patient_token_.empty() && !program_.empty());

  channel_ = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
  programs_ = v1::ProgramService::NewStub(channel_);
  sessions_ = v1::SessionService::NewStub(channel_);
  alerts_ = v1::AlertService::NewStub(channel_);
  outcomes_ = v1::OutcomeService::NewStub(channel_);
  patients_ = v1::PatientService::NewStub(channel_);
}

void DesktopE2eTest::cleanupTestCase() {
  if (server_.state() != QProcess::NotRunning) {
    server_.terminate();
    if (!server_.waitForFinished(10000)) server_.kill();
    server_.waitForFinished(5000);
  }
}

v1::Program DesktopE2eTest::GetProgram() {
  v1::GetProgramRequest request;
  request.set_name(program_);
  v1::GetProgramResponse response;
  const grpc::Status status = programs_->GetProgram(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("GetProgram: %s", status.error_message().c_str());
  return response.program();
}

std::vector<v1::Decision> DesktopE2eTest::Decisions(v1::DecisionState state) {
  v1::ListDecisionsRequest request;
  request.set_program(program_);
  request.set_state(state);
  request.set_page_size(200);
  v1::ListDecisionsResponse response;
  const grpc::Status status =
      programs_->ListDecisions(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("ListDecisions: %s", status.error_message().c_str());
  return {response.decisions().begin(), response.decisions().end()};
}

v1::ProgramProgress DesktopE2eTest::Progress() {
  v1::GetProgressRequest request;
  request.set_program(program_);
  v1::GetProgressResponse response;
  const grpc::Status status = outcomes_->GetProgress(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("GetProgress: %s", status.error_message().c_str());
  return response.progress();
}

void DesktopE2eTest::wrongTokenShowsUnauthenticated() {
  ClientOptions options;
  options.target = Target();
  options.token = "kc_not-a-real-token";
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  QVERIFY(error != nullptr);
  QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), kUiTimeoutMs);
  QVERIFY2(error->text().contains(QLatin1String("UNAUTHENTICATED")), qPrintable(error->text()));
  auto* user = window.findChild<QLabel*>(QStringLiteral("userLabel"));
  QTRY_COMPARE_WITH_TIMEOUT(user->text(), QStringLiteral("Not signed in"), kUiTimeoutMs);
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  QCOMPARE(caseload->model()->rowCount(), 0);
  // Still alive and responsive: a refresh fails the same way.
  QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("refreshButton")),
                    Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(error->text().contains(QLatin1String("UNAUTHENTICATED")), kUiTimeoutMs);
}

void DesktopE2eTest::physiotherapistWorkflow() {
  // --- Setup through the API: a second, quiet patient whose name sorts first; the demo ---
  // --- program in approval mode; one session with two RED exercises (two proposals) and ---
  // --- a morning check-in. -----------------------------------------------------------------
  {
    v1::CreatePatientRequest request;
    request.mutable_patient()->set_display_name("Aaron Quiet");
    request.mutable_patient()->set_clinic("clinics/demo");
    request.mutable_patient()->set_time_zone("Europe/London");
    request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
    request.set_request_id("desktop-e2e-patient");
    v1::CreatePatientResponse patient;
    grpc::Status s = patients_->CreatePatient(Ctx(physio_token_).get(), request, &patient);
    QVERIFY2(s.ok(), s.error_message().c_str());
    v1::CreateProgramRequest program;
    program.mutable_program()->set_patient(patient.patient().name());
    program.set_request_id("desktop-e2e-program");
    v1::CreateProgramResponse created;
    s = programs_->CreateProgram(Ctx(physio_token_).get(), program, &created);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  {
    v1::UpdateProgramRequest request;
    request.mutable_program()->set_name(program_);
    request.mutable_program()->set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
    request.mutable_update_mask()->add_paths("approval_mode");
    request.set_reason("review every change remotely");
    request.set_request_id("desktop-e2e-approval");
    v1::UpdateProgramResponse response;
    const grpc::Status s = programs_->UpdateProgram(Ctx(physio_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
    QCOMPARE(response.program().approval_mode(), v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  }
  const v1::Program before = GetProgram();
  QVERIFY(before.prescriptions_size() >= 6);
  // The wall sit (an isometric on a ladder) and the bridge (dynamic): RED moves both.
  std::string wall_sit, bridge, quad_set;
  for (const auto& rx : before.prescriptions()) {
    if (rx.exercise() == "exercises/wall-sit-30-45") wall_sit = rx.name();
    if (rx.exercise() == "exercises/bridge") bridge = rx.name();
    if (rx.exercise() == "exercises/quad-set") quad_set = rx.name();
  }
  QVERIFY(!wall_sit.empty() && !bridge.empty() && !quad_set.empty());
  quad_set_ = quad_set;
  {
    v1::ReportSessionRequest request;
    request.set_program(program_);
    request.set_request_id("desktop-e2e-session-1");
    for (const auto& [rx, pain] : {std::pair{wall_sit, 6}, {bridge, 7}, {quad_set, 1}}) {
      auto* report = request.add_reports();
      report->set_prescription(rx);
      report->set_pain_during(pain);
    }
    v1::ReportSessionResponse response;
    const grpc::Status s = sessions_->ReportSession(Ctx(patient_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  {
    v1::ReportMorningCheckInRequest request;
    request.mutable_check_in()->set_program(program_);
    request.mutable_check_in()->set_morning_pain(3);
    request.set_request_id("desktop-e2e-checkin-1");
    v1::ReportMorningCheckInResponse response;
    const grpc::Status s =
        sessions_->ReportMorningCheckIn(Ctx(patient_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  const std::vector<v1::Decision> proposed = Decisions(v1::DECISION_STATE_PROPOSED);
  std::optional<v1::Decision> to_approve, to_reject;
  for (const auto& d : proposed) {
    if (d.prescription() == wall_sit) to_approve = d;
    if (d.prescription() == bridge) to_reject = d;
  }
  QVERIFY2(proposed.size() == 2 && to_approve && to_reject,
           qPrintable(QStringLiteral("%1 proposals").arg(proposed.size())));

  // --- The window, as the demo physiotherapist. ------------------------------------------
  ClientOptions options;
  options.target = Target();
  options.token = physio_token_;
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  auto* user = window.findChild<QLabel*>(QStringLiteral("userLabel"));
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* chart_view = window.findChild<QChartView*>(QStringLiteral("trendChart"));
  auto* prescriptions = window.findChild<QTableWidget*>(QStringLiteral("prescriptionsTable"));
  auto* decisions = window.findChild<QTableWidget*>(QStringLiteral("decisionsTable"));
  auto* alerts = window.findChild<QTableWidget*>(QStringLiteral("alertsTable"));
  auto* reason = window.findChild<QLineEdit*>(QStringLiteral("reasonEdit"));
  auto* approve = window.findChild<QPushButton*>(QStringLiteral("approveButton"));
  auto* reject = window.findChild<QPushButton*>(QStringLiteral("rejectButton"));
  auto* acknowledge = window.findChild<QPushButton*>(QStringLiteral("acknowledgeButton"));
  auto* resume = window.findChild<QPushButton*>(QStringLiteral("resumeButton"));
  auto* refresh = window.findChild<QPushButton*>(QStringLiteral("refreshButton"));
  QVERIFY(user && error && caseload && chart_view && prescriptions && decisions && alerts &&
          reason && approve && reject && acknowledge && resume && refresh);

  QTRY_VERIFY_WITH_TIMEOUT(user->text().contains(QLatin1String("Pat Physio (demo)")), kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(caseload->model()->rowCount(), 2, kUiTimeoutMs);
  // Alex has two decisions waiting: above Aaron, although Aaron sorts first by name.
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Alex Demo"));
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPending), QStringLiteral("2"));
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kState), QStringLiteral("active"));
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kMorningPain), QStringLiteral("3.0"));
  QCOMPARE(CaseloadCell(caseload, 1, CaseloadModel::kPatient), QStringLiteral("Aaron Quiet"));

  // Sortable by any column, and back to the urgency order.
  caseload->sortByColumn(CaseloadModel::kPatient, Qt::AscendingOrder);
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Aaron Quiet"));
  caseload->sortByColumn(CaseloadModel::kPending, Qt::AscendingOrder);
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Aaron Quiet"));
  QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("urgencyOrderButton")),
                    Qt::LeftButton);
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Alex Demo"));

  // --- Open the program. ------------------------------------------------------------------
  caseload->selectRow(0);
  QTRY_COMPARE_WITH_TIMEOUT(window.current_program(), program_, kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 2, kUiTimeoutMs);
  QCOMPARE(prescriptions->rowCount(), before.prescriptions_size());
  QVERIFY(RowOf(decisions, to_approve->name()) >= 0);
  QVERIFY(RowOf(decisions, to_reject->name()) >= 0);
  QVERIFY(!decisions->item(RowOf(decisions, to_approve->name()), 4)->text().isEmpty());

  // The chart holds the server's weeks: same points, series by series.
  const v1::ProgramProgress progress = Progress();
  QVERIFY(progress.weeks_size() >= 1);
  QChart* chart = chart_view->chart();
  QLineSeries* morning = SeriesNamed(chart, QStringLiteral("Morning pain (median)"));
  QLineSeries* max_pain = SeriesNamed(chart, QStringLiteral("Max pain during exercise"));
  QLineSeries* adherence = SeriesNamed(chart, QStringLiteral("Adherence %"));
  QVERIFY(morning && max_pain && adherence);
  QList<QPointF> want_morning, want_max, want_adherence;
  for (const v1::ProgressWeek& w : progress.weeks()) {
    if (w.has_morning_pain_median()) want_morning.append({1.0 * w.week(), w.morning_pain_median()});
    if (w.has_max_pain_during()) want_max.append({1.0 * w.week(), 1.0 * w.max_pain_during()});
    if (w.sessions_planned() > 0 || w.sessions_done() > 0) {
      want_adherence.append({1.0 * w.week(), 100.0 * w.adherence()});
    }
  }
  QVERIFY(!want_morning.isEmpty() && !want_max.isEmpty() && !want_adherence.isEmpty());
  QCOMPARE(morning->points(), want_morning);
  QCOMPARE(max_pain->points(), want_max);
  QCOMPARE(adherence->points(), want_adherence);
  QCOMPARE(want_max.last().y(), 7.0);  // the bridge's pain, the week's highest

  // --- Approve the wall sit's proposal. ---------------------------------------------------
  decisions->selectRow(RowOf(decisions, to_approve->name()));
  QTRY_VERIFY(approve->isEnabled());
  reason->setText(QStringLiteral("agreed: easier version for now"));
  approved_ = to_approve->name();
  approved_reason_ = "agreed: easier version for now";
  QTest::mouseClick(approve, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 1, kUiTimeoutMs);
  QCOMPARE(RowOf(decisions, to_approve->name()), -1);
  {
    std::optional<v1::Decision> after;
    for (const auto& d : Decisions(v1::DECISION_STATE_UNSPECIFIED)) {
      if (d.name() == to_approve->name()) after = d;
    }
    QVERIFY(after.has_value());
    QCOMPARE(after->state(), v1::DECISION_STATE_APPLIED);
    const v1::Program now = GetProgram();
    const v1::Prescription* rx = nullptr;
    for (const auto& p : now.prescriptions()) {
      if (p.name() == wall_sit) rx = &p;
    }
    QVERIFY(rx != nullptr);
    QCOMPARE(rx->dose().SerializeAsString(), to_approve->dose_after().SerializeAsString());
    QVERIFY(rx->dose().SerializeAsString() != to_approve->dose_before().SerializeAsString());
    QCOMPARE(rx->exercise(), to_approve->exercise_after());
  }

  // --- Reject the bridge's: without a reason the server says what is missing. ------------
  decisions->selectRow(RowOf(decisions, to_reject->name()));
  QTRY_VERIFY(reject->isEnabled());
  reason->clear();
  QTest::mouseClick(reject, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      error->isVisible() && error->text().contains(QLatin1String("INVALID_ARGUMENT")),
      kUiTimeoutMs);
  QVERIFY2(error->text().contains(QLatin1String("reason")), qPrintable(error->text()));
  QCOMPARE(Decisions(v1::DECISION_STATE_PROPOSED).size(), size_t{1});
  const QString why = QStringLiteral("the bridge is fine; pain came from the stairs");
  reason->setText(why);
  QTest::mouseClick(reject, Qt::LeftButton);
  rejected_ = to_reject->name();
  rejected_reason_ = why.toStdString();
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 0, kUiTimeoutMs);
  QVERIFY(!error->isVisible());
  {
    std::optional<v1::Decision> after;
    for (const auto& d : Decisions(v1::DECISION_STATE_UNSPECIFIED)) {
      if (d.name() == to_reject->name()) after = d;
    }
    QVERIFY(after.has_value());
    QCOMPARE(after->state(), v1::DECISION_STATE_REJECTED);
    QCOMPARE(QString::fromStdString(after->review_reason()), why);
    const v1::Program now = GetProgram();
    for (const auto& p : now.prescriptions()) {
      if (p.name() == bridge) QCOMPARE(p.exercise(), std::string("exercises/bridge"));
    }
  }

  // --- A red flag at check-in: an alert, the program paused, Alex on top. ---------------
  {
    v1::ReportMorningCheckInRequest request;
    request.mutable_check_in()->set_program(program_);
    request.mutable_check_in()->set_morning_pain(3);
    request.mutable_check_in()->add_red_flags(v1::RED_FLAG_NEW_SWELLING);
    request.set_request_id("desktop-e2e-checkin-2");
    v1::ReportMorningCheckInResponse response;
    const grpc::Status s =
        sessions_->ReportMorningCheckIn(Ctx(patient_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
    QCOMPARE(response.alerts_size(), 1);
  }
  QTest::mouseClick(refresh, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kOpenAlerts),
                            QStringLiteral("1"), kUiTimeoutMs);
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Alex Demo"));
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kState), QStringLiteral("paused"));
  QTRY_COMPARE_WITH_TIMEOUT(alerts->rowCount(), 1, kUiTimeoutMs);
  QTRY_VERIFY_WITH_TIMEOUT(resume->isEnabled(), kUiTimeoutMs);

  // --- Acknowledge it. ----------------------------------------------------------------------
  v1::ListAlertsRequest list_alerts;
  list_alerts.set_program(program_);
  v1::ListAlertsResponse listed;
  QVERIFY(alerts_->ListAlerts(Ctx(physio_token_).get(), list_alerts, &listed).ok());
  QCOMPARE(listed.alerts_size(), 1);
  const std::string alert = listed.alerts(0).name();
  QVERIFY(!listed.alerts(0).acknowledged());
  alerts->selectRow(RowOf(alerts, alert));
  QTRY_VERIFY(acknowledge->isEnabled());
  const QString note = QStringLiteral("called Alex; seeing them tomorrow");
  reason->setText(note);
  QTest::mouseClick(acknowledge, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      alerts->item(0, 4) != nullptr && alerts->item(0, 4)->text().startsWith(QLatin1String("yes")),
      kUiTimeoutMs);
  QVERIFY(alerts_->ListAlerts(Ctx(physio_token_).get(), list_alerts, &listed).ok());
  QVERIFY(listed.alerts(0).acknowledged());
  QCOMPARE(QString::fromStdString(listed.alerts(0).acknowledge_note()), note);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kOpenAlerts),
                            QStringLiteral("0"), kUiTimeoutMs);

  // --- Resume. --------------------------------------------------------------------------------
  reason->setText(QStringLiteral("reviewed: swelling settled"));
  QTest::mouseClick(resume, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kState),
                            QStringLiteral("active"), kUiTimeoutMs);
  QCOMPARE(GetProgram().state(), v1::PROGRAM_STATE_ACTIVE);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));

  // --- And pause it again by hand. --------------------------------------------------------
  auto* pause = window.findChild<QPushButton*>(QStringLiteral("pauseButton"));
  QTRY_VERIFY_WITH_TIMEOUT(pause->isEnabled() && !resume->isEnabled(), kUiTimeoutMs);
  const QString pause_reason = QStringLiteral("knee surgery next week");
  reason->setText(pause_reason);
  QTest::mouseClick(pause, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kState),
                            QStringLiteral("paused"), kUiTimeoutMs);
  QCOMPARE(GetProgram().state(), v1::PROGRAM_STATE_PAUSED);
  QVERIFY2(QString::fromStdString(GetProgram().pause_reason()).contains(pause_reason),
           GetProgram().pause_reason().c_str());
  QTRY_VERIFY_WITH_TIMEOUT(resume->isEnabled(), kUiTimeoutMs);

  // --- The window as an artifact. ------------------------------------------------------------
  const QString shot = QStringLiteral(KNEECOACH_ARTIFACT_DIR "/desktop-main-window.png");
  QFile::remove(shot);
  QVERIFY(window.grab().save(shot));
  QVERIFY(QFileInfo(shot).size() > 0);
  const QImage image(shot);
  QVERIFY(!image.isNull());
  QCOMPARE(image.size(), window.grab().size());
}

void DesktopE2eTest::overrideApprovalModeAndHistory() {
  QVERIFY2(!approved_.empty() && !rejected_.empty() && !quad_set_.empty(),
           "needs physiotherapistWorkflow first");
  const v1::Program before = GetProgram();
  QCOMPARE(before.approval_mode(), v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  // The demo program's own quad set (the wall sit, one rung down, is now a quad set too).
  const std::string quad_set = quad_set_;
  const v1::Prescription* quad = nullptr;
  for (const auto& rx : before.prescriptions()) {
    if (rx.name() == quad_set) quad = &rx;
  }
  QVERIFY(quad != nullptr);
  const v1::Dose quad_before = quad->dose();
  QVERIFY(!quad->locked());

  ClientOptions options;
  options.target = Target();
  options.token = physio_token_;
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* prescriptions = window.findChild<QTableWidget*>(QStringLiteral("prescriptionsTable"));
  auto* history = window.findChild<QTableWidget*>(QStringLiteral("historyTable"));
  auto* reason = window.findChild<QLineEdit*>(QStringLiteral("reasonEdit"));
  auto* override_dose = window.findChild<QPushButton*>(QStringLiteral("overrideDoseButton"));
  auto* sets = window.findChild<QSpinBox*>(QStringLiteral("dose.sets"));
  auto* reps = window.findChild<QSpinBox*>(QStringLiteral("dose.reps"));
  auto* lock = window.findChild<QCheckBox*>(QStringLiteral("lockCheck"));
  auto* mode = window.findChild<QComboBox*>(QStringLiteral("approvalModeCombo"));
  auto* set_mode = window.findChild<QPushButton*>(QStringLiteral("setApprovalButton"));
  QVERIFY(error && caseload && prescriptions && history && reason && override_dose && sets &&
          reps && lock && mode && set_mode);

  QTRY_COMPARE_WITH_TIMEOUT(caseload->model()->rowCount(), 2, kUiTimeoutMs);
  QCOMPARE(CaseloadCell(caseload, 0, CaseloadModel::kPatient), QStringLiteral("Alex Demo"));
  caseload->selectRow(0);
  QTRY_COMPARE_WITH_TIMEOUT(window.current_program(), program_, kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(prescriptions->rowCount(), before.prescriptions_size(), kUiTimeoutMs);
  QCOMPARE(mode->currentData().toInt(), static_cast<int>(v1::APPROVAL_MODE_CLINICIAN_APPROVAL));

  // --- The history: the workflow's approval and rejection with their reasons, newest ---
  // --- first. ------------------------------------------------------------------------------
  QTRY_VERIFY_WITH_TIMEOUT(RowOf(history, rejected_) >= 0, kUiTimeoutMs);
  const int approved_row = RowOf(history, approved_);
  const int rejected_row = RowOf(history, rejected_);
  QVERIFY(approved_row >= 0);
  const auto cell = [history](int row, int column) { return history->item(row, column)->text(); };
  QCOMPARE(cell(approved_row, 1), QStringLiteral("applied"));
  QCOMPARE(cell(approved_row, 6), QString::fromStdString(approved_reason_));
  QCOMPARE(cell(rejected_row, 1), QStringLiteral("rejected"));
  QCOMPARE(cell(rejected_row, 6), QString::fromStdString(rejected_reason_));
  QVERIFY(cell(rejected_row, 5).contains(QLatin1String("reviewed")));
  // The pause at the end of the workflow came after both reviews.
  QCOMPARE(cell(0, 2), QStringLiteral("pause"));
  QCOMPARE(cell(0, 6), QStringLiteral("knee surgery next week"));
  for (int r = 1; r < history->rowCount(); ++r) QVERIFY(cell(r - 1, 0) >= cell(r, 0));
  // No proposals in the history: they have their own table.
  for (int r = 0; r < history->rowCount(); ++r) QVERIFY(cell(r, 1) != QLatin1String("proposed"));

  // --- Override the quad set's dose: out of range first. --------------------------------
  prescriptions->selectRow(RowOf(prescriptions, quad_set));
  QTRY_VERIFY(override_dose->isEnabled());
  QCOMPARE(sets->value(), quad_before.sets());
  QCOMPARE(reps->value(), quad_before.reps());
  QVERIFY(lock->isChecked());
  sets->setValue(11);  // the server allows 0..10
  reason->setText(QStringLiteral("more volume"));
  QTest::mouseClick(override_dose, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      error->isVisible() && error->text().contains(QLatin1String("INVALID_ARGUMENT")),
      kUiTimeoutMs);
  QVERIFY2(error->text().contains(QLatin1String("prescription.dose.sets")),
           qPrintable(error->text()));
  QVERIFY(window.statusBar()->currentMessage().contains(QLatin1String("INVALID_ARGUMENT")));
  {
    const v1::Program now = GetProgram();
    for (const auto& rx : now.prescriptions()) {
      if (rx.name() != quad_set) continue;
      QCOMPARE(rx.dose().SerializeAsString(), quad_before.SerializeAsString());
      QVERIFY(!rx.locked());
    }
    for (const auto& d : Decisions(v1::DECISION_STATE_UNSPECIFIED)) {
      QVERIFY(d.kind() != v1::DECISION_KIND_CLINICIAN_OVERRIDE || d.prescription() != quad_set);
    }
  }

  // --- Now in range, with a reason. ---------------------------------------------------------
  const int new_sets = quad_before.sets() >= 4 ? 2 : 4;
  const int new_reps = quad_before.reps() + 5;
  sets->setValue(new_sets);
  reps->setValue(new_reps);
  const QString override_reason = QStringLiteral("quads need more volume before stairs");
  reason->setText(override_reason);
  QTest::mouseClick(override_dose, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      history->rowCount() > 0 && cell(0, 2) == QLatin1String("clinician override"),
      kUiTimeoutMs);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));
  QCOMPARE(cell(0, 6), override_reason);
  QCOMPARE(cell(0, 5), QStringLiteral("clinician"));
  QCOMPARE(cell(0, 3), QStringLiteral("quad-set"));
  {
    const v1::Program now = GetProgram();
    const v1::Prescription* rx = nullptr;
    for (const auto& p : now.prescriptions()) {
      if (p.name() == quad_set) rx = &p;
    }
    QVERIFY(rx != nullptr);
    QCOMPARE(rx->dose().sets(), new_sets);
    QCOMPARE(rx->dose().reps(), new_reps);
    QCOMPARE(rx->dose().hold_seconds(), quad_before.hold_seconds());  // not in the mask
    QVERIFY(rx->locked());
    const std::vector<v1::Decision> all = Decisions(v1::DECISION_STATE_UNSPECIFIED);
    QVERIFY(!all.empty());
    const v1::Decision& newest = all.front();
    QCOMPARE(newest.kind(), v1::DECISION_KIND_CLINICIAN_OVERRIDE);
    QCOMPARE(newest.state(), v1::DECISION_STATE_APPLIED);
    QCOMPARE(newest.prescription(), quad_set);
    QCOMPARE(QString::fromStdString(newest.clinician_reason()), override_reason);
    QCOMPARE(newest.dose_before().SerializeAsString(), quad_before.SerializeAsString());
    QCOMPARE(newest.dose_after().SerializeAsString(), rx->dose().SerializeAsString());
    QCOMPARE(newest.inputs().at("update_mask"), std::string("dose.sets,dose.reps,locked"));
    QCOMPARE(history->item(0, 0)->data(Qt::UserRole).toString().toStdString(), newest.name());
  }
  QTRY_VERIFY_WITH_TIMEOUT(
      prescriptions->item(RowOf(prescriptions, quad_set), 4)->text() == QLatin1String("yes"),
      kUiTimeoutMs);

  // --- Approval mode: back to automatic. A reason is required. ------------------------------
  QTRY_VERIFY(set_mode->isEnabled());
  mode->setCurrentIndex(mode->findData(static_cast<int>(v1::APPROVAL_MODE_AUTOMATIC)));
  reason->clear();
  QTest::mouseClick(set_mode, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      error->isVisible() && error->text().contains(QLatin1String("INVALID_ARGUMENT")) &&
          error->text().contains(QLatin1String("reason")),
      kUiTimeoutMs);
  QCOMPARE(GetProgram().approval_mode(), v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  const QString mode_reason = QStringLiteral("stable for three weeks: let the engine run");
  reason->setText(mode_reason);
  QTest::mouseClick(set_mode, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(GetProgram().approval_mode(), v1::APPROVAL_MODE_AUTOMATIC,
                            kUiTimeoutMs);
  QTRY_VERIFY_WITH_TIMEOUT(history->rowCount() > 0 && cell(0, 6) == mode_reason, kUiTimeoutMs);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));
  QCOMPARE(mode->currentData().toInt(), static_cast<int>(v1::APPROVAL_MODE_AUTOMATIC));

  const QString shot = QStringLiteral(KNEECOACH_ARTIFACT_DIR "/desktop-override.png");
  QFile::remove(shot);
  QVERIFY(window.grab().save(shot));
}

void DesktopE2eTest::largeCaseloadLoadsInUrgencyOrder() {
  // 12 more patients, 3 of them paused: with Alex (paused, morning pain 3) and Aaron (quiet),
  // 14 rows. Paused ones come first; the rest by name.
  std::vector<std::string> paused_names, active_names = {"Aaron Quiet"};
  for (int i = 1; i <= 12; ++i) {
    const std::string name = absl::StrFormat("Case %02d", i);
    v1::CreatePatientRequest request;
    request.mutable_patient()->set_display_name(name);
    request.mutable_patient()->set_clinic("clinics/demo");
    request.mutable_patient()->set_time_zone("Europe/London");
    request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_RIGHT);
    request.set_request_id(absl::StrFormat("desktop-e2e-case-%02d", i));
    v1::CreatePatientResponse patient;
    grpc::Status s = patients_->CreatePatient(Ctx(physio_token_).get(), request, &patient);
    QVERIFY2(s.ok(), s.error_message().c_str());
    v1::CreateProgramRequest program;
    program.mutable_program()->set_patient(patient.patient().name());
    program.set_request_id(absl::StrFormat("desktop-e2e-case-program-%02d", i));
    v1::CreateProgramResponse created;
    s = programs_->CreateProgram(Ctx(physio_token_).get(), program, &created);
    QVERIFY2(s.ok(), s.error_message().c_str());
    if (i == 4 || i == 9 || i == 11) {
      v1::PauseProgramRequest pause;
      pause.set_name(created.program().name());
      pause.set_reason("waiting for a scan");
      pause.set_request_id(absl::StrFormat("desktop-e2e-case-pause-%02d", i));
      v1::PauseProgramResponse paused;
      s = programs_->PauseProgram(Ctx(physio_token_).get(), pause, &paused);
      QVERIFY2(s.ok(), s.error_message().c_str());
      paused_names.push_back(name);
    } else {
      active_names.push_back(name);
    }
  }
  QCOMPARE(GetProgram().state(), v1::PROGRAM_STATE_PAUSED);  // Alex, from the workflow
  std::vector<std::string> want = {"Alex Demo"};
  want.insert(want.end(), paused_names.begin(), paused_names.end());
  want.insert(want.end(), active_names.begin(), active_names.end());

  ClientOptions options;
  options.target = Target();
  options.token = physio_token_;
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  QSignalSpy loaded(&window, &MainWindow::caseloadLoaded);
  QTRY_VERIFY_WITH_TIMEOUT(loaded.count() >= 1, kUiTimeoutMs);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));
  QCOMPARE(caseload->model()->rowCount(), static_cast<int>(want.size()));
  for (int r = 0; r < caseload->model()->rowCount(); ++r) {
    QCOMPARE(CaseloadCell(caseload, r, CaseloadModel::kPatient).toStdString(), want[r]);
    const bool paused = r <= static_cast<int>(paused_names.size());
    QCOMPARE(CaseloadCell(caseload, r, CaseloadModel::kState),
             paused ? QStringLiteral("paused") : QStringLiteral("active"));
  }

  // The same rows, one patient at a time: concurrency changes nothing but the wait.
  ClientOptions serial = options;
  serial.caseload_concurrency = 1;
  const auto one_by_one = Client(serial).Caseload();
  const auto concurrent = Client(options).Caseload();
  QVERIFY(one_by_one.ok() && concurrent.ok());
  QCOMPARE(concurrent.value->size(), one_by_one.value->size());
  for (size_t i = 0; i < one_by_one.value->size(); ++i) {
    const CaseloadRow& a = (*one_by_one.value)[i];
    const CaseloadRow& b = (*concurrent.value)[i];
    QCOMPARE(b.patient, a.patient);
    QCOMPARE(b.program, a.program);
    QCOMPARE(b.state, a.state);
    QCOMPARE(b.open_alerts, a.open_alerts);
    QCOMPARE(b.pending_decisions, a.pending_decisions);
    QVERIFY(b.morning_pain_median == a.morning_pain_median);
  }
}

}  // namespace kneecoach::desktop

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s SERVER_BIN [QTest options]\n", argv[0]);
    return 2;
  }
  kneecoach::desktop::g_server_bin = QString::fromLocal8Bit(argv[1]);
  std::vector<char*> args = {argv[0]};
  for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
  int qt_argc = static_cast<int>(args.size());
  QApplication app(qt_argc, args.data());
  kneecoach::desktop::DesktopE2eTest test;
  return QTest::qExec(&test, qt_argc, args.data());
}

#include "desktop_e2e_test.moc"
