// End to end: starts the real kneecoach-server (argv[1]) on 127.0.0.1:0 with a temporary
// database and the demo clinic, then drives the real MainWindow with QTest (offscreen)
// as the demo physiotherapist, and checks every effect through direct gRPC calls.
//
// Also: the layout at 1366x768 and 1920x1080 (no two visible widgets overlap; screenshots
// in the build directory), the overview against the API, approve-all, duplicate names,
// and a TLS server with a CA made by openssl at test time (the window and the CLI).
//
//   desktop_e2e_test SERVER_BIN CLI_BIN [QTest options]        (ctest: e2e_desktop)
#include <QAbstractButton>
#include <QAbstractSpinBox>
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
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QValueAxis>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "clients/common/client_common.h"
#include "clients/common/stubs.h"
#include "clients/desktop/caseload_model.h"
#include "clients/desktop/client.h"
#include "clients/desktop/main_window.h"
#include "clients/desktop/model.h"
#include "clients/desktop/options.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace kneecoach::desktop {
namespace {

constexpr int kUiTimeoutMs = 20000;
QString g_server_bin;
QString g_cli_bin;

// A call context with a deadline and the bearer token.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  clients::PrepareCall(context.get(), token, absl::Seconds(10));
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

// A control the overlap check looks at as one box (it does not look inside it).
bool IsControl(const QWidget* w) {
  return qobject_cast<const QAbstractButton*>(w) != nullptr ||
         qobject_cast<const QLabel*>(w) != nullptr ||
         qobject_cast<const QLineEdit*>(w) != nullptr ||
         qobject_cast<const QAbstractSpinBox*>(w) != nullptr ||
         qobject_cast<const QComboBox*>(w) != nullptr ||
         qobject_cast<const QAbstractScrollArea*>(w) != nullptr ||
         qobject_cast<const QTabBar*>(w) != nullptr;
}

void CollectControls(QWidget* parent, QList<QWidget*>& out) {
  for (QObject* child : parent->children()) {
    auto* w = qobject_cast<QWidget*>(child);
    if (w == nullptr || w->isWindow() || !w->isVisible()) continue;
    if (IsControl(w)) {
      out.append(w);
    } else {
      CollectControls(w, out);
    }
  }
}

QString Describe(const QWidget* w, const QRect& r) {
  QString text;
  if (const auto* label = qobject_cast<const QLabel*>(w)) text = label->text().left(30);
  if (const auto* button = qobject_cast<const QAbstractButton*>(w)) text = button->text();
  return QStringLiteral("%1 '%2' \"%3\" at %4,%5 %6x%7")
      .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName(), text)
      .arg(r.x())
      .arg(r.y())
      .arg(r.width())
      .arg(r.height());
}

// What is wrong with the layout of `window` as shown: controls overlapping one another,
// reaching outside the window, or squeezed below the size they need to be read.
QStringList LayoutProblems(QMainWindow* window) {
  QList<QWidget*> controls;
  CollectControls(window, controls);
  QStringList problems;
  std::vector<QRect> rects;
  for (QWidget* w : controls) {
    const QRect r(w->mapTo(window, QPoint(0, 0)), w->size());
    rects.push_back(r);
    if (!window->rect().contains(r)) problems << QStringLiteral("outside: ") + Describe(w, r);
    const bool field =
        qobject_cast<QLineEdit*>(w) != nullptr || qobject_cast<QAbstractSpinBox*>(w) != nullptr ||
        qobject_cast<QAbstractButton*>(w) != nullptr || qobject_cast<QComboBox*>(w) != nullptr;
    if (field && (w->width() < w->minimumSizeHint().width() ||
                  w->height() < w->minimumSizeHint().height())) {
      problems << QStringLiteral("squeezed below %1x%2: ")
                          .arg(w->minimumSizeHint().width())
                          .arg(w->minimumSizeHint().height()) +
                      Describe(w, r);
    }
  }
  for (int i = 0; i < controls.size(); ++i) {
    for (int j = i + 1; j < controls.size(); ++j) {
      if (rects[i].intersects(rects[j])) {
        problems << QStringLiteral("overlap: %1 and %2")
                        .arg(Describe(controls[i], rects[i]), Describe(controls[j], rects[j]));
      }
    }
  }
  if (controls.size() < 10) problems << QStringLiteral("only %1 controls").arg(controls.size());
  return problems;
}

// Selects the caseload row whose patient cell starts with `name`; false if none.
bool SelectPatient(QTableView* caseload, const QString& name) {
  for (int r = 0; r < caseload->model()->rowCount(); ++r) {
    if (caseload->model()->index(r, CaseloadModel::kPatient).data().toString().startsWith(name)) {
      caseload->selectRow(r);
      return true;
    }
  }
  return false;
}

// Runs `program` with `args`; its output, or a failure naming it.
QString Run(const QString& program, const QStringList& args, bool* ok) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(program, args);
  *ok = p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
  return QString::fromUtf8(p.readAll());
}

// A real server: started with `args` plus --listen=127.0.0.1:0, --db in `dir` and the demo
// clinic; its port and demo credentials read back.
struct Server {
  QProcess process;
  int port = 0;
  std::string physio_token, patient_token, program;

  QString Start(const QString& dir, const QStringList& args) {
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(g_server_bin, QStringList{QStringLiteral("--listen=127.0.0.1:0"),
                                            QStringLiteral("--db=%1/kc.db").arg(dir),
                                            QStringLiteral("--data_dir=" KNEECOACH_TEST_DATA_DIR),
                                            QStringLiteral("--seed_demo")} +
                                    args);
    if (!process.waitForStarted(10000)) return process.errorString();
    QString log;
    const QRegularExpression listening(QStringLiteral("listening on 127\\.0\\.0\\.1:(\\d+)"));
    QElapsedTimer timer;
    timer.start();
    while (port == 0 && timer.elapsed() < 30000) {
      process.waitForReadyRead(200);
      log += QString::fromUtf8(process.readAll());
      if (auto m = listening.match(log); m.hasMatch()) port = m.captured(1).toInt();
      if (process.state() != QProcess::Running) return "server exited:\n" + log;
    }
    if (port == 0) return "no 'listening on' in the server log:\n" + log;
    // Written whole after the server listens: wait for its last line.
    const QString path = dir + QStringLiteral("/demo-credentials");
    const auto read_all = [&path] {
      QFile file(path);
      return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    };
    timer.restart();
    while (!read_all().contains(QLatin1String("\nprogram ")) && timer.elapsed() < 10000) {
      QTest::qWait(50);
    }
    for (const QString& line : read_all().split(QLatin1Char('\n'))) {
      const QStringList words = line.split(QLatin1Char(' '));
      if (words.size() != 2) continue;
      if (words[0] == QLatin1String("physio")) physio_token = words[1].toStdString();
      if (words[0] == QLatin1String("patient")) patient_token = words[1].toStdString();
      if (words[0] == QLatin1String("program")) program = words[1].toStdString();
    }
    if (physio_token.empty() || patient_token.empty() || program.empty()) {
      return QStringLiteral("no demo credentials in ") + path;
    }
    return {};
  }

  void Stop() {
    if (process.state() == QProcess::NotRunning) return;
    process.terminate();
    if (!process.waitForFinished(10000)) process.kill();
    process.waitForFinished(5000);
  }
};

}  // namespace

class DesktopE2eTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void cleanupTestCase();
  void wrongTokenSaysSignedOut();
  void unreachableServerSaysSo();
  void physiotherapistWorkflow();
  // After physiotherapistWorkflow: its approved and rejected decisions are in the history.
  void overrideApprovalModeAndHistory();
  // Adds patients the earlier tests do not expect.
  void largeCaseloadLoadsInUrgencyOrder();
  void overviewMatchesApi();
  void approveAllOfFiveAppliesFive();
  // After overviewMatchesApi: its patient fills the panes.
  void layoutAt1366x768And1920x1080();
  void duplicateNamesToldApart();
  void tlsWithTestCa();

 private:
  v1::Program GetProgram(const std::string& program = {});
  std::vector<v1::Decision> Decisions(v1::DecisionState state, const std::string& program = {});
  v1::ProgramProgress Progress(const std::string& program = {});
  // A new patient of the demo physiotherapist, with a program; returns the program's name.
  std::string NewPatientWithProgram(const std::string& display_name, const std::string& key,
                                    std::string* patient = nullptr);
  std::string Target() const { return "127.0.0.1:" + std::to_string(port_); }
  QString CaseloadCell(QTableView* view, int row, int column) const {
    return view->model()->index(row, column).data().toString();
  }
  ClientOptions PhysioOptions() const {
    ClientOptions options;
    options.target = Target();
    options.token = physio_token_;
    return options;
  }

  QTemporaryDir dir_;
  Server server_;
  int port_ = 0;
  std::string physio_token_;
  std::string physio_name_;  // the demo physiotherapist's display name
  std::string patient_token_;
  std::string program_;
  // Left by physiotherapistWorkflow for the history.
  std::string approved_, approved_reason_, rejected_, rejected_reason_, quad_set_;
  // Left by overviewMatchesApi for the layout test.
  QString overview_patient_;
  std::shared_ptr<grpc::Channel> channel_;
  // One stub per service over channel_, made in initTestCase.
  std::unique_ptr<clients::Stubs> stubs_;
};

void DesktopE2eTest::initTestCase() {
  QVERIFY(dir_.isValid());
  QVERIFY2(QFileInfo(g_server_bin).isExecutable(), qPrintable(g_server_bin));
  const QString started = server_.Start(dir_.path(), {});
  QVERIFY2(started.isEmpty(), qPrintable(started));
  port_ = server_.port;
  physio_token_ = server_.physio_token;
  patient_token_ = server_.patient_token;
  program_ = server_.program;

  channel_ = grpc::CreateChannel(Target(), grpc::InsecureChannelCredentials());
  stubs_ = std::make_unique<clients::Stubs>(channel_);
  v1::GetCurrentUserResponse me;
  QVERIFY(stubs_->access->GetCurrentUser(Ctx(physio_token_).get(), {}, &me).ok());
  physio_name_ = me.user().display_name();
  QVERIFY(!physio_name_.empty());
}

void DesktopE2eTest::cleanupTestCase() { server_.Stop(); }

v1::Program DesktopE2eTest::GetProgram(const std::string& program) {
  v1::GetProgramRequest request;
  request.set_name(program.empty() ? program_ : program);
  v1::GetProgramResponse response;
  const grpc::Status status =
      stubs_->programs->GetProgram(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("GetProgram: %s", status.error_message().c_str());
  return response.program();
}

std::vector<v1::Decision> DesktopE2eTest::Decisions(v1::DecisionState state,
                                                    const std::string& program) {
  v1::ListDecisionsRequest request;
  request.set_program(program.empty() ? program_ : program);
  request.set_state(state);
  request.set_page_size(200);
  v1::ListDecisionsResponse response;
  const grpc::Status status =
      stubs_->programs->ListDecisions(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("ListDecisions: %s", status.error_message().c_str());
  return {response.decisions().begin(), response.decisions().end()};
}

v1::ProgramProgress DesktopE2eTest::Progress(const std::string& program) {
  v1::GetProgressRequest request;
  request.set_program(program.empty() ? program_ : program);
  v1::GetProgressResponse response;
  const grpc::Status status =
      stubs_->outcomes->GetProgress(Ctx(physio_token_).get(), request, &response);
  if (!status.ok()) qWarning("GetProgress: %s", status.error_message().c_str());
  return response.progress();
}

std::string DesktopE2eTest::NewPatientWithProgram(const std::string& display_name,
                                                  const std::string& key,
                                                  std::string* patient_name) {
  v1::CreatePatientRequest request;
  request.mutable_patient()->set_display_name(display_name);
  request.mutable_patient()->set_clinic("clinics/demo");
  request.mutable_patient()->set_time_zone("Europe/London");
  request.mutable_patient()->add_affected_sides(v1::KNEE_SIDE_LEFT);
  request.set_request_id("desktop-e2e-patient-" + key);
  v1::CreatePatientResponse patient;
  grpc::Status s = stubs_->patients->CreatePatient(Ctx(physio_token_).get(), request, &patient);
  if (!s.ok()) qWarning("CreatePatient: %s", s.error_message().c_str());
  if (patient_name != nullptr) *patient_name = patient.patient().name();
  v1::CreateProgramRequest program;
  program.mutable_program()->set_patient(patient.patient().name());
  program.set_request_id("desktop-e2e-program-" + key);
  v1::CreateProgramResponse created;
  s = stubs_->programs->CreateProgram(Ctx(physio_token_).get(), program, &created);
  if (!s.ok()) qWarning("CreateProgram: %s", s.error_message().c_str());
  return created.program().name();
}

void DesktopE2eTest::wrongTokenSaysSignedOut() {
  ClientOptions options;
  options.target = Target();
  options.token = "kc_not-a-real-token";
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  QVERIFY(error != nullptr);
  QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), kUiTimeoutMs);
  QVERIFY2(error->text().contains(QLatin1String("You are signed out")), qPrintable(error->text()));
  QVERIFY2(!error->text().contains(QLatin1String("UNAUTHENTICATED")), qPrintable(error->text()));
  auto* user = window.findChild<QLabel*>(QStringLiteral("userLabel"));
  QTRY_COMPARE_WITH_TIMEOUT(user->text(), QStringLiteral("Not signed in"), kUiTimeoutMs);
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  QCOMPARE(caseload->model()->rowCount(), 0);
  // The message sits in the status bar: the panes do not move when it appears.
  QVERIFY(window.statusBar()->isAncestorOf(error));
  // Still alive and responsive: a refresh fails the same way.
  error->clear();
  QTest::mouseClick(window.findChild<QPushButton*>(QStringLiteral("refreshButton")),
                    Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(error->text().contains(QLatin1String("signed out")), kUiTimeoutMs);
}

void DesktopE2eTest::unreachableServerSaysSo() {
  // A port nothing listens on: bound, then closed.
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.token = physio_token_;
  options.timeout = std::chrono::milliseconds(3000);
  MainWindow window(std::make_shared<const Client>(options));
  window.show();
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), kUiTimeoutMs);
  QVERIFY2(error->text().contains(QLatin1String("The server at 127.0.0.1:1 cannot be reached")),
           qPrintable(error->text()));
  QVERIFY2(!error->text().contains(QLatin1String("UNAVAILABLE")), qPrintable(error->text()));
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
    grpc::Status s = stubs_->patients->CreatePatient(Ctx(physio_token_).get(), request, &patient);
    QVERIFY2(s.ok(), s.error_message().c_str());
    v1::CreateProgramRequest program;
    program.mutable_program()->set_patient(patient.patient().name());
    program.set_request_id("desktop-e2e-program");
    v1::CreateProgramResponse created;
    s = stubs_->programs->CreateProgram(Ctx(physio_token_).get(), program, &created);
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
    const grpc::Status s =
        stubs_->programs->UpdateProgram(Ctx(physio_token_).get(), request, &response);
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
    const grpc::Status s =
        stubs_->sessions->ReportSession(Ctx(patient_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  {
    v1::ReportMorningCheckInRequest request;
    request.mutable_check_in()->set_program(program_);
    request.mutable_check_in()->set_morning_pain(3);
    request.set_request_id("desktop-e2e-checkin-1");
    v1::ReportMorningCheckInResponse response;
    const grpc::Status s =
        stubs_->sessions->ReportMorningCheckIn(Ctx(patient_token_).get(), request, &response);
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
  auto* reason = window.findChild<QLineEdit*>(QStringLiteral("decisionReasonEdit"));
  auto* note_edit = window.findChild<QLineEdit*>(QStringLiteral("alertNoteEdit"));
  auto* program_reason = window.findChild<QLineEdit*>(QStringLiteral("programReasonEdit"));
  auto* decision_message = window.findChild<QLabel*>(QStringLiteral("decisionMessage"));
  auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("programTabs"));
  QVERIFY(tabs != nullptr);
  auto* approve = window.findChild<QPushButton*>(QStringLiteral("approveButton"));
  auto* reject = window.findChild<QPushButton*>(QStringLiteral("rejectButton"));
  auto* acknowledge = window.findChild<QPushButton*>(QStringLiteral("acknowledgeButton"));
  auto* resume = window.findChild<QPushButton*>(QStringLiteral("resumeButton"));
  auto* refresh = window.findChild<QPushButton*>(QStringLiteral("refreshButton"));
  QVERIFY(user && error && caseload && chart_view && prescriptions && decisions && alerts &&
          reason && approve && reject && acknowledge && resume && refresh && note_edit &&
          program_reason && decision_message);

  QTRY_VERIFY_WITH_TIMEOUT(user->text().contains(QString::fromStdString(physio_name_)),
                           kUiTimeoutMs);
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
  QVERIFY(!decisions->item(RowOf(decisions, to_approve->name()), 5)->text().isEmpty());
  // The library's names, not slugs.
  QCOMPARE(decisions->item(RowOf(decisions, to_approve->name()), 1)
               ->text()
               .section(QStringLiteral(" → "), 0, 0),
           prescriptions->item(RowOf(prescriptions, wall_sit), 0)->text());
  QVERIFY(!prescriptions->item(RowOf(prescriptions, wall_sit), 0)
               ->text()
               .contains(QLatin1String("wall-sit-30-45")));

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
      want_adherence.append({1.0 * w.week(), std::round(100.0 * w.adherence())});
    }
  }
  QVERIFY(!want_morning.isEmpty() && !want_max.isEmpty() && !want_adherence.isEmpty());
  QCOMPARE(morning->points(), want_morning);
  QCOMPARE(max_pain->points(), want_max);
  QCOMPARE(adherence->points(), want_adherence);
  QCOMPARE(want_max.last().y(), 7.0);  // the bridge's pain, the week's highest

  // --- Approve the wall sit's proposal. ---------------------------------------------------
  tabs->setCurrentIndex(MainWindow::kProposalsTab);
  decisions->selectRow(RowOf(decisions, to_approve->name()));
  QTRY_VERIFY(approve->isEnabled());
  reason->setText(QStringLiteral("agreed: easier version for now"));
  approved_ = to_approve->name();
  approved_reason_ = "agreed: easier version for now";
  // By keyboard: Ctrl+Return approves the selection.
  window.activateWindow();
  QVERIFY(QTest::qWaitForWindowActive(&window));
  QTest::keyClick(&window, Qt::Key_Return, Qt::ControlModifier);
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

  // --- Reject the bridge's: without a reason, the sentence beside the action. -----------
  decisions->selectRow(RowOf(decisions, to_reject->name()));
  QTRY_VERIFY(reject->isEnabled());
  reason->clear();
  const QRect table_before = decisions->geometry();
  QTest::mouseClick(reject, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(
      decision_message->text().contains(QLatin1String("A reason is required to reject")),
      kUiTimeoutMs);
  QVERIFY(decision_message->isVisible());
  QVERIFY2(!decision_message->text().contains(QLatin1String("INVALID_ARGUMENT")),
           qPrintable(decision_message->text()));
  {
    // Right under the reason box and the Reject button, within the same pane; nothing moved.
    const QRect message(decision_message->mapTo(&window, QPoint(0, 0)), decision_message->size());
    const QRect button(reject->mapTo(&window, QPoint(0, 0)), reject->size());
    const QRect box(reason->mapTo(&window, QPoint(0, 0)), reason->size());
    QVERIFY(message.top() >= button.bottom() && message.top() - button.bottom() < 30);
    QVERIFY(message.left() <= box.left() && message.right() >= button.right());
    QCOMPARE(decisions->geometry(), table_before);
  }
  QCOMPARE(Decisions(v1::DECISION_STATE_PROPOSED).size(), size_t{1});
  const QString why = QStringLiteral("the bridge is fine; pain came from the stairs");
  reason->setText(why);
  QTest::mouseClick(reject, Qt::LeftButton);
  rejected_ = to_reject->name();
  rejected_reason_ = why.toStdString();
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 0, kUiTimeoutMs);
  QVERIFY(!error->isVisible());
  QCOMPARE(decision_message->text(), QStringLiteral("Rejected 1 proposal."));
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
        stubs_->sessions->ReportMorningCheckIn(Ctx(patient_token_).get(), request, &response);
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
  QVERIFY(stubs_->alerts->ListAlerts(Ctx(physio_token_).get(), list_alerts, &listed).ok());
  QCOMPARE(listed.alerts_size(), 1);
  const std::string alert = listed.alerts(0).name();
  QVERIFY(!listed.alerts(0).acknowledged());
  // By keyboard, from another tab and with nothing selected: Ctrl+K opens the alerts and
  // acknowledges the newest open one, with the note typed beside the button.
  tabs->setCurrentIndex(MainWindow::kOverviewTab);
  QVERIFY(alerts->selectionModel()->selectedRows().isEmpty());
  QVERIFY(!acknowledge->isEnabled());
  const QString note = QStringLiteral("called Alex; seeing them tomorrow");
  note_edit->setText(note);
  QVERIFY(QTest::qWaitForWindowActive(&window));
  QTest::keyClick(&window, Qt::Key_K, Qt::ControlModifier);
  QCOMPARE(tabs->currentIndex(), static_cast<int>(MainWindow::kAlertsTab));
  QCOMPARE(RowOf(alerts, alert), alerts->selectionModel()->selectedRows().value(0).row());
  QTRY_VERIFY_WITH_TIMEOUT(
      alerts->item(0, 5) != nullptr && alerts->item(0, 5)->text().startsWith(QLatin1String("yes")),
      kUiTimeoutMs);
  // Credited by name, with the note.
  QVERIFY2(alerts->item(0, 5)->text().contains(QString::fromStdString(physio_name_)),
           qPrintable(alerts->item(0, 5)->text()));
  QCOMPARE(alerts->item(0, 6)->text(), note);
  QCOMPARE(alerts->item(0, 2)->text(), QStringLiteral("new swelling"));
  QVERIFY(stubs_->alerts->ListAlerts(Ctx(physio_token_).get(), list_alerts, &listed).ok());
  QVERIFY(listed.alerts(0).acknowledged());
  QCOMPARE(QString::fromStdString(listed.alerts(0).acknowledge_note()), note);
  QCOMPARE(listed.alerts(0).acknowledged_by_display_name(), physio_name_);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kOpenAlerts),
                            QStringLiteral("0"), kUiTimeoutMs);

  // --- Resume. --------------------------------------------------------------------------------
  tabs->setCurrentIndex(MainWindow::kProgramTab);
  program_reason->setText(QStringLiteral("reviewed: swelling settled"));
  QTest::mouseClick(resume, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(CaseloadCell(caseload, 0, CaseloadModel::kState),
                            QStringLiteral("active"), kUiTimeoutMs);
  QCOMPARE(GetProgram().state(), v1::PROGRAM_STATE_ACTIVE);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));

  // --- And pause it again by hand. --------------------------------------------------------
  auto* pause = window.findChild<QPushButton*>(QStringLiteral("pauseButton"));
  QTRY_VERIFY_WITH_TIMEOUT(pause->isEnabled() && !resume->isEnabled(), kUiTimeoutMs);
  const QString pause_reason = QStringLiteral("knee surgery next week");
  program_reason->setText(pause_reason);
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
  auto* reason = window.findChild<QLineEdit*>(QStringLiteral("overrideReasonEdit"));
  auto* program_reason = window.findChild<QLineEdit*>(QStringLiteral("programReasonEdit"));
  auto* override_message = window.findChild<QLabel*>(QStringLiteral("overrideMessage"));
  auto* program_message = window.findChild<QLabel*>(QStringLiteral("programMessage"));
  auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("programTabs"));
  auto* override_dose = window.findChild<QPushButton*>(QStringLiteral("overrideDoseButton"));
  auto* sets = window.findChild<QSpinBox*>(QStringLiteral("dose.sets"));
  auto* reps = window.findChild<QSpinBox*>(QStringLiteral("dose.reps"));
  auto* lock = window.findChild<QCheckBox*>(QStringLiteral("lockCheck"));
  auto* mode = window.findChild<QComboBox*>(QStringLiteral("approvalModeCombo"));
  auto* set_mode = window.findChild<QPushButton*>(QStringLiteral("setApprovalButton"));
  QVERIFY(program_reason && override_message && program_message && tabs);
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
  // Credited to the physiotherapist by name.
  QVERIFY2(
      cell(rejected_row, 5)
          .startsWith(
              QStringLiteral("engine, rejected by %1").arg(QString::fromStdString(physio_name_))),
      qPrintable(cell(rejected_row, 5)));
  QVERIFY2(
      cell(approved_row, 5)
          .startsWith(
              QStringLiteral("engine, approved by %1").arg(QString::fromStdString(physio_name_))),
      qPrintable(cell(approved_row, 5)));
  QCOMPARE(cell(0, 5), QString::fromStdString(physio_name_));  // the pause
  // The pause at the end of the workflow came after both reviews.
  QCOMPARE(cell(0, 2), QStringLiteral("pause"));
  QCOMPARE(cell(0, 6), QStringLiteral("knee surgery next week"));
  for (int r = 1; r < history->rowCount(); ++r) QVERIFY(cell(r - 1, 0) >= cell(r, 0));
  // No proposals in the history: they have their own table.
  for (int r = 0; r < history->rowCount(); ++r) QVERIFY(cell(r, 1) != QLatin1String("proposed"));

  // --- Override the quad set's dose: out of range first. --------------------------------
  tabs->setCurrentIndex(MainWindow::kProgramTab);
  prescriptions->selectRow(RowOf(prescriptions, quad_set));
  QTRY_VERIFY(override_dose->isEnabled());
  QCOMPARE(sets->value(), quad_before.sets());
  QCOMPARE(reps->value(), quad_before.reps());
  QVERIFY(lock->isChecked());
  sets->setValue(11);  // the server allows 0..10
  reason->setText(QStringLiteral("more volume"));
  QTest::mouseClick(override_dose, Qt::LeftButton);
  // The server's range check, as a sentence naming the field, beside the override button.
  QTRY_VERIFY_WITH_TIMEOUT(!override_message->text().isEmpty(), kUiTimeoutMs);
  QCOMPARE(override_message->text(),
           QStringLiteral("Sets (prescription.dose.sets) is 11, outside the allowed 0 to 10."));
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
      history->rowCount() > 0 && cell(0, 2) == QLatin1String("clinician override"), kUiTimeoutMs);
  QVERIFY2(!error->isVisible(), qPrintable(error->text()));
  QCOMPARE(cell(0, 6), override_reason);
  QCOMPARE(cell(0, 5), QString::fromStdString(physio_name_));
  QCOMPARE(cell(0, 3), prescriptions->item(RowOf(prescriptions, quad_set), 0)->text());
  QVERIFY(cell(0, 3) != QLatin1String("quad-set"));
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
    QCOMPARE(newest.reviewer_display_name(), physio_name_);
    QCOMPARE(history->item(0, 0)->data(Qt::UserRole).toString().toStdString(), newest.name());
  }
  QTRY_VERIFY_WITH_TIMEOUT(
      prescriptions->item(RowOf(prescriptions, quad_set), 4)->text() == QLatin1String("yes"),
      kUiTimeoutMs);

  // --- Approval mode: back to automatic. A reason is required. ------------------------------
  QTRY_VERIFY(set_mode->isEnabled());
  mode->setCurrentIndex(mode->findData(static_cast<int>(v1::APPROVAL_MODE_AUTOMATIC)));
  program_reason->clear();
  QTest::mouseClick(set_mode, Qt::LeftButton);
  QTRY_VERIFY_WITH_TIMEOUT(program_message->text().contains(QLatin1String("A reason is required")),
                           kUiTimeoutMs);
  QCOMPARE(GetProgram().approval_mode(), v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
  const QString mode_reason = QStringLiteral("stable for three weeks: let the engine run");
  program_reason->setText(mode_reason);
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
    grpc::Status s = stubs_->patients->CreatePatient(Ctx(physio_token_).get(), request, &patient);
    QVERIFY2(s.ok(), s.error_message().c_str());
    v1::CreateProgramRequest program;
    program.mutable_program()->set_patient(patient.patient().name());
    program.set_request_id(absl::StrFormat("desktop-e2e-case-program-%02d", i));
    v1::CreateProgramResponse created;
    s = stubs_->programs->CreateProgram(Ctx(physio_token_).get(), program, &created);
    QVERIFY2(s.ok(), s.error_message().c_str());
    if (i == 4 || i == 9 || i == 11) {
      v1::PauseProgramRequest pause;
      pause.set_name(created.program().name());
      pause.set_reason("waiting for a scan");
      pause.set_request_id(absl::StrFormat("desktop-e2e-case-pause-%02d", i));
      v1::PauseProgramResponse paused;
      s = stubs_->programs->PauseProgram(Ctx(physio_token_).get(), pause, &paused);
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

void DesktopE2eTest::overviewMatchesApi() {
  // --- A patient with a known history, made through the API: one session (one exercise ---
  // --- done in full, one partly, the rest not reported), a check-in with every answer and ---
  // --- a red flag, two AKPS scores, a step-down count and a global rating of change. ------
  const std::string program = NewPatientWithProgram("Olive Overview", "overview");
  QVERIFY(!program.empty());
  overview_patient_ = QStringLiteral("Olive Overview");
  const v1::Program before = GetProgram(program);
  QVERIFY(before.prescriptions_size() >= 3);
  // The first prescription with more than one set: reported with one set fewer.
  const v1::Prescription* full = &before.prescriptions(0);
  const v1::Prescription* partly = nullptr;
  for (const auto& rx : before.prescriptions()) {
    if (partly == nullptr && rx.name() != full->name() && rx.dose().sets() >= 2) partly = &rx;
  }
  QVERIFY(partly != nullptr);
  {
    v1::ReportSessionRequest request;
    request.set_program(program);
    request.set_request_id("desktop-e2e-overview-session");
    auto* a = request.add_reports();
    a->set_prescription(full->name());
    a->set_pain_during(2);
    a->set_pain_after_1h(3);
    auto* b = request.add_reports();
    b->set_prescription(partly->name());
    b->set_sets_done(partly->dose().sets() - 1);
    b->set_pain_during(4);
    v1::ReportSessionResponse response;
    const grpc::Status s =
        stubs_->sessions->ReportSession(Ctx(physio_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  {
    v1::ReportMorningCheckInRequest request;
    v1::MorningCheckIn* c = request.mutable_check_in();
    c->set_program(program);
    c->set_morning_pain(2);
    c->set_test(v1::MORNING_TEST_STAIRS_DOWN);
    c->set_swelling(true);
    c->set_usual_pain(3);
    c->set_worst_pain(5);
    c->add_red_flags(v1::RED_FLAG_GIVING_WAY);
    request.set_request_id("desktop-e2e-overview-checkin");
    v1::ReportMorningCheckInResponse response;
    const grpc::Status s =
        stubs_->sessions->ReportMorningCheckIn(Ctx(physio_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  const auto record = [&](v1::OutcomeKind kind, int value_or_choice, const std::string& key) {
    v1::RecordOutcomeRequest request;
    request.mutable_outcome()->set_program(program);
    request.mutable_outcome()->set_kind(kind);
    if (kind == v1::OUTCOME_KIND_AKPS) {
      for (int i = 0; i < 13; ++i) request.mutable_outcome()->add_akps_choices(value_or_choice);
    } else {
      request.mutable_outcome()->set_value(value_or_choice);
    }
    request.set_request_id("desktop-e2e-overview-" + key);
    v1::RecordOutcomeResponse response;
    return stubs_->outcomes->RecordOutcome(Ctx(physio_token_).get(), request, &response);
  };
  for (const auto& [kind, value, key] : {std::tuple{v1::OUTCOME_KIND_AKPS, 0, "akps-1"},
                                         {v1::OUTCOME_KIND_AKPS, 1, "akps-2"},
                                         {v1::OUTCOME_KIND_STEP_DOWN_30S, 14, "step"},
                                         {v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE, 3, "groc"}}) {
    const grpc::Status s = record(kind, value, key);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }

  // --- What the API says. ------------------------------------------------------------------
  v1::ListSessionsRequest list_sessions;
  list_sessions.set_program(program);
  v1::ListSessionsResponse sessions;
  QVERIFY(stubs_->sessions->ListSessions(Ctx(physio_token_).get(), list_sessions, &sessions).ok());
  QCOMPARE(sessions.sessions_size(), 1);
  const v1::Session& session = sessions.sessions(0);
  QCOMPARE(session.reports_size(), 2);
  v1::ListMorningCheckInsRequest list_check_ins;
  list_check_ins.set_program(program);
  v1::ListMorningCheckInsResponse check_ins;
  QVERIFY(
      stubs_->sessions->ListMorningCheckIns(Ctx(physio_token_).get(), list_check_ins, &check_ins)
          .ok());
  QCOMPARE(check_ins.check_ins_size(), 1);
  v1::ListOutcomesRequest list_outcomes;
  list_outcomes.set_program(program);
  v1::ListOutcomesResponse outcomes;
  QVERIFY(stubs_->outcomes->ListOutcomes(Ctx(physio_token_).get(), list_outcomes, &outcomes).ok());
  QCOMPARE(outcomes.outcomes_size(), 4);
  const v1::ProgramProgress progress = Progress(program);
  QVERIFY(progress.weeks_size() >= 1);
  QVERIFY(progress.has_akps_change());
  std::optional<int> akps, step_downs, groc;
  for (const v1::Outcome& o : outcomes.outcomes()) {  // newest first
    if (o.kind() == v1::OUTCOME_KIND_AKPS && !akps) akps = o.value();
    if (o.kind() == v1::OUTCOME_KIND_STEP_DOWN_30S && !step_downs) step_downs = o.value();
    if (o.kind() == v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE && !groc) groc = o.value();
  }
  QVERIFY(akps && step_downs && groc);
  std::map<std::string, std::string> names;
  {
    v1::ListExercisesRequest request;
    request.set_page_size(200);
    v1::ListExercisesResponse response;
    QVERIFY(stubs_->library->ListExercises(Ctx(physio_token_).get(), request, &response).ok());
    for (const auto& e : response.exercises()) names[e.name()] = e.display_name();
  }

  // --- What the window shows. -------------------------------------------------------------
  MainWindow window(std::make_shared<const Client>(PhysioOptions()));
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* sessions_table = window.findChild<QTableWidget*>(QStringLiteral("sessionsTable"));
  auto* check_ins_table = window.findChild<QTableWidget*>(QStringLiteral("checkInsTable"));
  auto* outcomes_table = window.findChild<QTableWidget*>(QStringLiteral("outcomesTable"));
  auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("programTabs"));
  const auto value = [&window](const char* name) {
    auto* label = window.findChild<QLabel*>(QString::fromLatin1(name));
    return label == nullptr ? QStringLiteral("<no %1>").arg(QString::fromLatin1(name))
                            : label->text();
  };
  QVERIFY(caseload && sessions_table && check_ins_table && outcomes_table && tabs);
  QCOMPARE(tabs->currentIndex(), static_cast<int>(MainWindow::kOverviewTab));
  QTRY_VERIFY_WITH_TIMEOUT(SelectPatient(caseload, overview_patient_), kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(window.current_program(), program, kUiTimeoutMs);
  QTRY_VERIFY_WITH_TIMEOUT(check_ins_table->rowCount() == 1, kUiTimeoutMs);

  // Sessions: one line per prescribed exercise; the two reported with their pain.
  int not_done = 0;
  for (const auto& item : session.items()) {
    bool reported = false;
    for (const auto& r : session.reports()) reported |= r.prescription() == item.prescription();
    if (!reported && !item.optional()) ++not_done;
  }
  QCOMPARE(sessions_table->rowCount(), session.reports_size() + not_done);
  const auto cell = [](QTableWidget* t, int r, int c) { return t->item(r, c)->text(); };
  for (int i = 0; i < session.reports_size(); ++i) {
    const v1::ExerciseReport& r = session.reports(i);
    QCOMPARE(cell(sessions_table, i, 0), QString::fromStdString(session.local_date()));
    QCOMPARE(cell(sessions_table, i, 1), QString::fromStdString(names.at(r.exercise())));
    QCOMPARE(cell(sessions_table, i, 2),
             QString::fromStdString(clients::FormatDose(r.prescribed_dose())));
    QCOMPARE(cell(sessions_table, i, 3), QString::number(r.pain_during()));
    QCOMPARE(cell(sessions_table, i, 4),
             r.has_pain_after_1h() ? QString::number(r.pain_after_1h()) : QStringLiteral("-"));
    QCOMPARE(cell(sessions_table, i, 5),
             r.prescription() == full->name() ? QStringLiteral("done") : QStringLiteral("partly"));
  }
  for (int i = session.reports_size(); i < sessions_table->rowCount(); ++i) {
    QCOMPARE(cell(sessions_table, i, 5), QStringLiteral("not done"));
  }

  // The check-in: every answer and the red flag.
  const v1::MorningCheckIn& c = check_ins.check_ins(0);
  QCOMPARE(cell(check_ins_table, 0, 0), QString::fromStdString(c.local_date()));
  QCOMPARE(cell(check_ins_table, 0, 1), QString::number(c.morning_pain()));
  QCOMPARE(cell(check_ins_table, 0, 2), QStringLiteral("stairs down"));
  QCOMPARE(cell(check_ins_table, 0, 3), QStringLiteral("yes"));  // swelling
  QCOMPARE(cell(check_ins_table, 0, 4), QStringLiteral("no"));   // locking
  QCOMPARE(cell(check_ins_table, 0, 6), QString::number(c.usual_pain()));
  QCOMPARE(cell(check_ins_table, 0, 7), QString::number(c.worst_pain()));
  QCOMPARE(cell(check_ins_table, 0, 9), QStringLiteral("giving way"));

  // Outcomes: the latest of each with the AKPS change; every one listed.
  QVERIFY2(value("akpsValue").startsWith(QString::number(*akps) + QLatin1Char(' ')),
           qPrintable(value("akpsValue")));
  QVERIFY2(value("akpsValue")
               .contains(QStringLiteral("change %1%2")
                             .arg(progress.akps_change() > 0 ? "+" : "")
                             .arg(progress.akps_change())),
           qPrintable(value("akpsValue")));
  QVERIFY(value("stepDownValue").startsWith(QString::number(*step_downs) + QLatin1Char(' ')));
  QVERIFY(value("globalRatingValue").startsWith(QStringLiteral("+%1 ").arg(*groc)));
  QCOMPARE(outcomes_table->rowCount(), outcomes.outcomes_size());
  for (int i = 0; i < outcomes.outcomes_size(); ++i) {
    QCOMPARE(cell(outcomes_table, i, 3), QString::number(outcomes.outcomes(i).value()));
  }

  // Adherence: the latest week and the whole program, as GetProgress counts them.
  const v1::ProgressWeek& week = progress.weeks(progress.weeks_size() - 1);
  int done = 0, planned = 0;
  for (const auto& w : progress.weeks()) done += w.sessions_done(), planned += w.sessions_planned();
  QVERIFY2(value("adherenceWeekValue")
               .contains(QStringLiteral("week %1: %2 of %3 sessions")
                             .arg(week.week())
                             .arg(week.sessions_done())
                             .arg(week.sessions_planned())),
           qPrintable(value("adherenceWeekValue")));
  QVERIFY2(value("adherenceTotalValue")
               .startsWith(QStringLiteral("%1 of %2 sessions").arg(done).arg(planned)),
           qPrintable(value("adherenceTotalValue")));

  // The chart in week 1: the points inside the plot, not on an axis, with their labels.
  auto* chart_view = window.findChild<QChartView*>(QStringLiteral("trendChart"));
  QLineSeries* max_pain =
      SeriesNamed(chart_view->chart(), QStringLiteral("Max pain during exercise"));
  QVERIFY(max_pain != nullptr && max_pain->count() == 1);
  QCOMPARE(max_pain->at(0).y(), 4.0);
  QVERIFY(max_pain->pointLabelsVisible());
  auto* week_axis = qobject_cast<QValueAxis*>(chart_view->chart()->axes(Qt::Horizontal).front());
  QVERIFY(week_axis->min() < 1 && week_axis->max() > 1);
}

void DesktopE2eTest::approveAllOfFiveAppliesFive() {
  const std::string program = NewPatientWithProgram("Fiona Five", "five");
  {
    v1::UpdateProgramRequest request;
    request.mutable_program()->set_name(program);
    request.mutable_program()->set_approval_mode(v1::APPROVAL_MODE_CLINICIAN_APPROVAL);
    request.mutable_update_mask()->add_paths("approval_mode");
    request.set_reason("review every change");
    request.set_request_id("desktop-e2e-five-approval");
    v1::UpdateProgramResponse response;
    const grpc::Status s =
        stubs_->programs->UpdateProgram(Ctx(physio_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  // Five exercises reported painful: five proposals.
  const v1::Program before = GetProgram(program);
  QVERIFY(before.prescriptions_size() >= 5);
  {
    v1::ReportSessionRequest request;
    request.set_program(program);
    request.set_request_id("desktop-e2e-five-session");
    for (int i = 0; i < 5; ++i) {
      auto* report = request.add_reports();
      report->set_prescription(before.prescriptions(i).name());
      report->set_pain_during(6);
    }
    v1::ReportSessionResponse response;
    const grpc::Status s =
        stubs_->sessions->ReportSession(Ctx(physio_token_).get(), request, &response);
    QVERIFY2(s.ok(), s.error_message().c_str());
  }
  const std::vector<v1::Decision> proposed = Decisions(v1::DECISION_STATE_PROPOSED, program);
  QCOMPARE(proposed.size(), size_t{5});

  MainWindow window(std::make_shared<const Client>(PhysioOptions()));
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* decisions = window.findChild<QTableWidget*>(QStringLiteral("decisionsTable"));
  auto* approve_all = window.findChild<QPushButton*>(QStringLiteral("approveAllButton"));
  auto* message = window.findChild<QLabel*>(QStringLiteral("decisionMessage"));
  auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("programTabs"));
  QVERIFY(caseload && decisions && approve_all && message && tabs);
  QTRY_VERIFY_WITH_TIMEOUT(SelectPatient(caseload, QStringLiteral("Fiona Five")), kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 5, kUiTimeoutMs);
  tabs->setCurrentIndex(MainWindow::kProposalsTab);
  QCOMPARE(tabs->tabText(MainWindow::kProposalsTab), QStringLiteral("Proposals (5)"));
  // Readable in full: the reason wraps inside its column, the doses before and after.
  for (int r = 0; r < 5; ++r) {
    QVERIFY(decisions->item(r, 3)->text().contains(QStringLiteral("→")));
    QVERIFY(!decisions->item(r, 4)->text().isEmpty());
  }
  QVERIFY(decisions->wordWrap());
  const int reason_right = decisions->columnViewportPosition(5) + decisions->columnWidth(5);
  QVERIFY2(
      reason_right <= decisions->viewport()->width() + 1,
      qPrintable(QStringLiteral("%1 > %2").arg(reason_right).arg(decisions->viewport()->width())));
  QVERIFY(approve_all->isEnabled());
  QCOMPARE(approve_all->text(), QStringLiteral("Approve all 5"));
  {
    window.resize(1366, 768);
    QApplication::processEvents();
    const QStringList problems = LayoutProblems(&window);
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    const QString shot =
        QStringLiteral(KNEECOACH_ARTIFACT_DIR "/desktop-1366x768-proposals-five.png");
    QFile::remove(shot);
    QVERIFY(window.grab().save(shot));
  }
  QTest::mouseClick(approve_all, Qt::LeftButton);
  QTRY_COMPARE_WITH_TIMEOUT(message->text(), QStringLiteral("Approved 5 proposals."), kUiTimeoutMs);
  QTRY_COMPARE_WITH_TIMEOUT(decisions->rowCount(), 0, kUiTimeoutMs);
  QCOMPARE(Decisions(v1::DECISION_STATE_PROPOSED, program).size(), size_t{0});
  int applied = 0;
  for (const auto& d : Decisions(v1::DECISION_STATE_APPLIED, program)) {
    for (const auto& p : proposed) {
      if (p.name() != d.name()) continue;
      ++applied;
      QCOMPARE(d.reviewer_display_name(), physio_name_);
    }
  }
  QCOMPARE(applied, 5);
}

void DesktopE2eTest::layoutAt1366x768And1920x1080() {
  QVERIFY2(!overview_patient_.isEmpty(), "needs overviewMatchesApi first");
  MainWindow window(std::make_shared<const Client>(PhysioOptions()));
  window.show();
  QVERIFY(QTest::qWaitForWindowExposed(&window));
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  auto* tabs = window.findChild<QTabWidget*>(QStringLiteral("programTabs"));
  auto* sessions_table = window.findChild<QTableWidget*>(QStringLiteral("sessionsTable"));
  QTRY_VERIFY_WITH_TIMEOUT(SelectPatient(caseload, overview_patient_), kUiTimeoutMs);
  QTRY_VERIFY_WITH_TIMEOUT(sessions_table->rowCount() > 0, kUiTimeoutMs);
  // A failure shown meanwhile: the status bar holds it.
  auto* error = window.findChild<QLabel*>(QStringLiteral("errorLabel"));
  const QRect tabs_before(tabs->mapTo(&window, QPoint(0, 0)), tabs->size());
  error->setText(
      QStringLiteral("A long sentence about a failure that must not move anything, "
                     "however long it gets, because it sits in the status bar."));
  error->show();
  QApplication::processEvents();
  QCOMPARE(QRect(tabs->mapTo(&window, QPoint(0, 0)), tabs->size()), tabs_before);

  const char* tab_names[] = {"overview", "proposals", "program", "alerts", "history"};
  for (const QSize size : {QSize(1366, 768), QSize(1920, 1080)}) {
    window.resize(size);
    QApplication::processEvents();
    QTest::qWait(100);
    QCOMPARE(window.size(), size);  // the window's minimum fits
    for (int t = 0; t < tabs->count(); ++t) {
      tabs->setCurrentIndex(t);
      QApplication::processEvents();
      QTest::qWait(50);
      const QStringList problems = LayoutProblems(&window);
      QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1x%2, %3 tab:\n")
                                                  .arg(size.width())
                                                  .arg(size.height())
                                                  .arg(QString::fromLatin1(tab_names[t])) +
                                              problems.join(QLatin1Char('\n'))));
      {
        const QString shot = QStringLiteral(KNEECOACH_ARTIFACT_DIR "/desktop-%1x%2-%3.png")
                                 .arg(size.width())
                                 .arg(size.height())
                                 .arg(QString::fromLatin1(tab_names[t]));
        QFile::remove(shot);
        QVERIFY(window.grab().save(shot));
        QCOMPARE(QImage(shot).size(), size);
      }
    }
    // The chart keeps room for its axis titles: at least 260 px high.
    tabs->setCurrentIndex(MainWindow::kOverviewTab);
    QApplication::processEvents();
    QVERIFY(window.findChild<QChartView*>(QStringLiteral("trendChart"))->height() >= 260);
  }
}

void DesktopE2eTest::duplicateNamesToldApart() {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    std::string patient;
    NewPatientWithProgram("Sam Runner", "sam-" + std::to_string(i), &patient);
    QVERIFY(!patient.empty());
    ids.push_back(patient.substr(patient.rfind('/') + 1));
  }
  MainWindow window(std::make_shared<const Client>(PhysioOptions()));
  window.show();
  auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
  QSignalSpy loaded(&window, &MainWindow::caseloadLoaded);
  QTRY_VERIFY_WITH_TIMEOUT(loaded.count() >= 1, kUiTimeoutMs);
  QStringList sams;
  for (int r = 0; r < caseload->model()->rowCount(); ++r) {
    const QString cell = CaseloadCell(caseload, r, CaseloadModel::kPatient);
    if (cell.startsWith(QLatin1String("Sam Runner"))) sams << cell;
    // A name nobody shares stays plain.
    if (cell.startsWith(QLatin1String("Fiona Five"))) QCOMPARE(cell, QStringLiteral("Fiona Five"));
  }
  QCOMPARE(sams.size(), 3);
  // Ctrl+N walks the caseload: the first patient, then the next.
  window.activateWindow();
  QVERIFY(QTest::qWaitForWindowActive(&window));
  QTest::keyClick(&window, Qt::Key_N, Qt::ControlModifier);
  QTRY_COMPARE(caseload->selectionModel()->selectedRows().value(0).row(), 0);
  QTest::keyClick(&window, Qt::Key_N, Qt::ControlModifier);
  QTRY_COMPARE(caseload->selectionModel()->selectedRows().value(0).row(), 1);
  QTest::keyClick(&window, Qt::Key_N, Qt::ControlModifier | Qt::ShiftModifier);
  QTRY_COMPARE(caseload->selectionModel()->selectedRows().value(0).row(), 0);
  for (const std::string& id : ids) {
    QCOMPARE(
        sams.filter(QStringLiteral("Sam Runner (id %1)").arg(QString::fromStdString(id))).size(),
        1);
  }
}

void DesktopE2eTest::tlsWithTestCa() {
  // --- A CA and a server certificate for 127.0.0.1, made now; a second CA trusts nothing. --
  QTemporaryDir tls;
  QVERIFY(tls.isValid());
  const QString d = tls.path();
  bool ok = false;
  QString out;
  const auto openssl = [&](const QStringList& args) {
    out = Run(QStringLiteral("openssl"), args, &ok);
    return ok;
  };
  QFile ext(d + "/ext.cnf");
  QVERIFY(ext.open(QIODevice::WriteOnly));
  ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  ext.close();
  for (const QString& ca : {QStringLiteral("ca"), QStringLiteral("other-ca")}) {
    QVERIFY2(
        openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/" + ca + ".key",
                 "-out", d + "/" + ca + ".pem", "-days", "2", "-subj", "/CN=kneecoach test " + ca}),
        qPrintable(out));
  }
  QVERIFY2(openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out",
                    d + "/server.csr", "-subj", "/CN=127.0.0.1"}),
           qPrintable(out));
  QVERIFY2(openssl({"x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.pem", "-CAkey",
                    d + "/ca.key", "-CAcreateserial", "-out", d + "/server.pem", "-days", "2",
                    "-extfile", d + "/ext.cnf"}),
           qPrintable(out));

  Server server;
  const QString started =
      server.Start(d, {"--tls_cert=" + d + "/server.pem", "--tls_key=" + d + "/server.key"});
  QVERIFY2(started.isEmpty(), qPrintable(started));
  const std::string target = "127.0.0.1:" + std::to_string(server.port);

  // --- The window's options: --tls_ca reads the CA. ----------------------------------------
  auto options = ParseOptions({QStringLiteral("kneecoach-desktop"),
                               QStringLiteral("--server=%1").arg(QString::fromStdString(target)),
                               QStringLiteral("--tls_ca=%1/ca.pem").arg(d)});
  QVERIFY(options.ok());
  QVERIFY(options->tls_ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  options->token = server.physio_token;
  options->timeout = std::chrono::milliseconds(5000);
  QVERIFY(!ParseOptions(
               {QStringLiteral("kneecoach-desktop"), QStringLiteral("--tls_ca=%1/ext.cnf").arg(d)})
               .ok());

  // Trusting the CA: signed in, the caseload loads.
  {
    MainWindow window(std::make_shared<const Client>(*options));
    window.show();
    auto* user = window.findChild<QLabel*>(QStringLiteral("userLabel"));
    auto* caseload = window.findChild<QTableView*>(QStringLiteral("caseloadTable"));
    QTRY_VERIFY_WITH_TIMEOUT(user->text().startsWith(QLatin1String("Signed in as")), kUiTimeoutMs);
    QTRY_VERIFY_WITH_TIMEOUT(caseload->model()->rowCount() >= 1, kUiTimeoutMs);
  }
  // Plaintext, or another CA: refused, in a sentence.
  for (const bool other_ca : {false, true}) {
    ClientOptions wrong = *options;
    wrong.tls_ca_pem.clear();
    if (other_ca) {
      QFile pem(d + "/other-ca.pem");
      QVERIFY(pem.open(QIODevice::ReadOnly));
      wrong.tls_ca_pem = pem.readAll().toStdString();
    }
    const auto me = Client(wrong).CurrentUser();
    QVERIFY(!me.ok());
    QVERIFY2(me.error.code == grpc::StatusCode::UNAVAILABLE, me.error.ToString().c_str());
    QVERIFY(QString::fromStdString(me.error.Sentence(target)).contains(QLatin1String("--tls_ca")));
  }

  // --- The CLI: --tls_ca too. ----------------------------------------------------------------
  out = Run(g_cli_bin,
            {QStringLiteral("--server=%1").arg(QString::fromStdString(target)),
             QStringLiteral("--tls_ca=%1/ca.pem").arg(d),
             QStringLiteral("--token=%1").arg(QString::fromStdString(server.physio_token)),
             QStringLiteral("whoami")},
            &ok);
  QVERIFY2(ok && out.contains(QString::fromStdString(physio_name_)), qPrintable(out));
  out = Run(g_cli_bin,
            {QStringLiteral("--server=%1").arg(QString::fromStdString(target)),
             QStringLiteral("--token=%1").arg(QString::fromStdString(server.physio_token)),
             QStringLiteral("--timeout=3"), QStringLiteral("whoami")},
            &ok);
  QVERIFY2(!ok, qPrintable(out));
  server.Stop();
}

}  // namespace kneecoach::desktop

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SERVER_BIN CLI_BIN [QTest options]\n", argv[0]);
    return 2;
  }
  kneecoach::desktop::g_server_bin = QString::fromLocal8Bit(argv[1]);
  kneecoach::desktop::g_cli_bin = QString::fromLocal8Bit(argv[2]);
  std::vector<char*> args = {argv[0]};
  for (int i = 3; i < argc; ++i) args.push_back(argv[i]);
  int qt_argc = static_cast<int>(args.size());
  QApplication app(qt_argc, args.data());
  kneecoach::desktop::DesktopE2eTest test;
  return QTest::qExec(&test, qt_argc, args.data());
}

#include "desktop_e2e_test.moc"
