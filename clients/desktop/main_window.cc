#include "clients/desktop/main_window.h"

#include <algorithm>

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QValueAxis>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "clients/desktop/caseload_model.h"
#include "clients/desktop/model.h"

namespace kneecoach::desktop {
namespace {

QString Q(const std::string& s) { return QString::fromStdString(s); }

QTableWidget* MakeTable(const char* object_name, const QStringList& headers) {
  auto* table = new QTableWidget(0, static_cast<int>(headers.size()));
  table->setObjectName(QString::fromLatin1(object_name));
  table->setHorizontalHeaderLabels(headers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setSelectionMode(QAbstractItemView::SingleSelection);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->horizontalHeader()->setStretchLastSection(true);
  table->verticalHeader()->setVisible(false);
  return table;
}

// Sets row `row` of `table` to `cells`; column 0 holds `name` as Qt::UserRole.
void SetRow(QTableWidget* table, int row, const std::string& name, const QStringList& cells) {
  for (int c = 0; c < cells.size(); ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    if (c == 0) item->setData(Qt::UserRole, Q(name));
    table->setItem(row, c, item);
  }
}

// Wide enough for any value a clinician might type: the server checks the ranges and says
// which field is out of them.
constexpr int kEditorMax = 100000;

QLabel* Heading(const QString& text) {
  auto* label = new QLabel(QStringLiteral("<b>%1</b>").arg(text));
  return label;
}

}  // namespace

MainWindow::MainWindow(std::shared_ptr<const Client> client, QWidget* parent)
    : QMainWindow(parent), client_(std::move(client)), async_(std::make_unique<Async>(this)) {
  BuildUi();
  Refresh();
}

MainWindow::~MainWindow() { async_.reset(); }

void MainWindow::BuildUi() {
  setWindowTitle(tr("kneecoach — physiotherapist (%1)").arg(Q(client_->options().target)));
  resize(1500, 1000);

  error_label_ = new QLabel;
  error_label_->setObjectName(QStringLiteral("errorLabel"));
  error_label_->setStyleSheet(
      QStringLiteral("QLabel { color: #8b0000; background: #fde8e8; padding: 6px; }"));
  error_label_->setWordWrap(true);
  error_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_label_->hide();

  // Left: the caseload.
  caseload_model_ = new CaseloadModel(this);
  caseload_proxy_ = new QSortFilterProxyModel(this);
  caseload_proxy_->setSourceModel(caseload_model_);
  caseload_proxy_->setSortRole(Qt::UserRole);
  caseload_view_ = new QTableView;
  caseload_view_->setObjectName(QStringLiteral("caseloadTable"));
  caseload_view_->setModel(caseload_proxy_);
  caseload_view_->setSortingEnabled(true);
  // No column sort until the user asks: the model's urgency order stands.
  caseload_view_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  caseload_proxy_->sort(-1);
  caseload_view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  caseload_view_->setSelectionMode(QAbstractItemView::SingleSelection);
  caseload_view_->verticalHeader()->setVisible(false);
  caseload_view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  connect(caseload_view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &MainWindow::OnCaseloadSelection);
  auto* refresh = new QPushButton(tr("Refresh"));
  refresh->setObjectName(QStringLiteral("refreshButton"));
  connect(refresh, &QPushButton::clicked, this, &MainWindow::Refresh);
  // Back to the model's order after sorting by a column.
  auto* urgency = new QPushButton(tr("Most urgent first"));
  urgency->setObjectName(QStringLiteral("urgencyOrderButton"));
  connect(urgency, &QPushButton::clicked, this, [this] {
    caseload_view_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    caseload_proxy_->sort(-1);
  });
  auto* left = new QWidget;
  auto* left_layout = new QVBoxLayout(left);
  auto* left_top = new QHBoxLayout;
  left_top->addWidget(Heading(tr("Caseload (most urgent first)")));
  left_top->addStretch();
  left_top->addWidget(urgency);
  left_top->addWidget(refresh);
  left_layout->addLayout(left_top);
  left_layout->addWidget(caseload_view_);

  // Right: the program.
  program_header_ = new QLabel(tr("Select a patient to see their program."));
  program_header_->setObjectName(QStringLiteral("programHeader"));
  program_header_->setWordWrap(true);
  pause_ = new QPushButton(tr("Pause program"));
  pause_->setObjectName(QStringLiteral("pauseButton"));
  resume_ = new QPushButton(tr("Resume program"));
  resume_->setObjectName(QStringLiteral("resumeButton"));
  connect(pause_, &QPushButton::clicked, this, &MainWindow::OnPause);
  connect(resume_, &QPushButton::clicked, this, &MainWindow::OnResume);
  approval_mode_ = new QComboBox;
  approval_mode_->setObjectName(QStringLiteral("approvalModeCombo"));
  approval_mode_->addItem(tr("Automatic"), static_cast<int>(v1::APPROVAL_MODE_AUTOMATIC));
  approval_mode_->addItem(tr("Clinician approval"),
                          static_cast<int>(v1::APPROVAL_MODE_CLINICIAN_APPROVAL));
  approval_mode_->setToolTip(
      tr("Automatic: the engine's decisions apply at once. Clinician approval: they wait "
         "for you below."));
  set_approval_ = new QPushButton(tr("Set approval mode"));
  set_approval_->setObjectName(QStringLiteral("setApprovalButton"));
  connect(set_approval_, &QPushButton::clicked, this, &MainWindow::OnSetApprovalMode);

  chart_ = new QChart;
  chart_->setTitle(tr("Weekly trend"));
  week_axis_ = new QValueAxis;
  week_axis_->setTitleText(tr("Program week"));
  week_axis_->setLabelFormat(QStringLiteral("%d"));
  pain_axis_ = new QValueAxis;
  pain_axis_->setTitleText(tr("Pain (0-10)"));
  pain_axis_->setRange(0, 10);
  adherence_axis_ = new QValueAxis;
  adherence_axis_->setTitleText(tr("Adherence %"));
  adherence_axis_->setRange(0, 100);
  chart_->addAxis(week_axis_, Qt::AlignBottom);
  chart_->addAxis(pain_axis_, Qt::AlignLeft);
  chart_->addAxis(adherence_axis_, Qt::AlignRight);
  chart_view_ = new QChartView(chart_);
  chart_view_->setObjectName(QStringLiteral("trendChart"));
  chart_view_->setRenderHint(QPainter::Antialiasing);
  chart_view_->setMinimumHeight(240);

  prescriptions_ = MakeTable("prescriptionsTable", {tr("Exercise"), tr("Dose"), tr("Ladder"),
                                                    tr("Last light"), tr("Locked"), tr("Note")});
  decisions_ = MakeTable("decisionsTable", {tr("Proposed"), tr("Kind"), tr("Exercise"), tr("Dose"),
                                            tr("Reason"), tr("Rule")});
  alerts_ = MakeTable("alertsTable", {tr("Raised"), tr("Kind"), tr("Message"), tr("Paused program"),
                                      tr("Acknowledged")});
  history_ = MakeTable("historyTable", {tr("Made"), tr("State"), tr("Kind"), tr("Exercise"),
                                       tr("Dose"), tr("By"), tr("Reason"), tr("Rule")});
  connect(prescriptions_, &QTableWidget::itemSelectionChanged, this,
          &MainWindow::OnPrescriptionSelection);
  connect(decisions_, &QTableWidget::itemSelectionChanged, this, &MainWindow::UpdateButtons);
  connect(alerts_, &QTableWidget::itemSelectionChanged, this, &MainWindow::UpdateButtons);

  reason_ = new QLineEdit;
  reason_->setObjectName(QStringLiteral("reasonEdit"));
  reason_->setPlaceholderText(
      tr("Reason or note (required to reject, override, change approval, pause and resume; "
         "recorded with approvals and acknowledgements)"));
  approve_ = new QPushButton(tr("Approve"));
  approve_->setObjectName(QStringLiteral("approveButton"));
  reject_ = new QPushButton(tr("Reject"));
  reject_->setObjectName(QStringLiteral("rejectButton"));
  acknowledge_ = new QPushButton(tr("Acknowledge alert"));
  acknowledge_->setObjectName(QStringLiteral("acknowledgeButton"));
  connect(approve_, &QPushButton::clicked, this, &MainWindow::OnApprove);
  connect(reject_, &QPushButton::clicked, this, &MainWindow::OnReject);
  connect(acknowledge_, &QPushButton::clicked, this, &MainWindow::OnAcknowledge);

  // The dose override: one editor per Dose field, two to a row.
  auto* dose_box = new QGroupBox(tr("Override the selected prescription's dose"));
  auto* dose_grid = new QGridLayout(dose_box);
  const google::protobuf::Descriptor* dose_type = v1::Dose::descriptor();
  for (int i = 0; i < dose_type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = dose_type->field(i);
    QWidget* editor = nullptr;
    switch (f->cpp_type()) {
      case google::protobuf::FieldDescriptor::CPPTYPE_INT32: {
        auto* spin = new QSpinBox;
        spin->setRange(0, kEditorMax);
        editor = spin;
        break;
      }
      case google::protobuf::FieldDescriptor::CPPTYPE_DOUBLE: {
        auto* spin = new QDoubleSpinBox;
        spin->setRange(0, kEditorMax);
        spin->setDecimals(2);
        editor = spin;
        break;
      }
      default:
        editor = new QCheckBox;
        break;
    }
    editor->setObjectName(Q("dose." + f->name()));
    dose_editors_.push_back(editor);
    dose_grid->addWidget(new QLabel(Q(absl::StrReplaceAll(f->name(), {{"_", " "}}))), i / 2,
                         (i % 2) * 2);
    dose_grid->addWidget(editor, i / 2, (i % 2) * 2 + 1);
  }
  const int dose_rows = (dose_type->field_count() + 1) / 2;
  lock_ = new QCheckBox(tr("Lock: the engine leaves it alone"));
  lock_->setObjectName(QStringLiteral("lockCheck"));
  dose_grid->addWidget(lock_, dose_rows, 0, 1, 4);
  override_ = new QPushButton(tr("Override dose (reason required)"));
  override_->setObjectName(QStringLiteral("overrideDoseButton"));
  connect(override_, &QPushButton::clicked, this, &MainWindow::OnOverrideDose);
  dose_grid->addWidget(override_, dose_rows + 1, 0, 1, 4);

  auto* right = new QWidget;
  auto* right_layout = new QVBoxLayout(right);
  auto* header_row = new QHBoxLayout;
  header_row->addWidget(program_header_, 1);
  header_row->addWidget(approval_mode_);
  header_row->addWidget(set_approval_);
  header_row->addWidget(pause_);
  header_row->addWidget(resume_);
  right_layout->addLayout(header_row);
  right_layout->addWidget(chart_view_, 2);
  right_layout->addWidget(Heading(tr("Prescriptions")));
  auto* prescriptions_row = new QHBoxLayout;
  prescriptions_row->addWidget(prescriptions_, 1);
  prescriptions_row->addWidget(dose_box);
  right_layout->addLayout(prescriptions_row, 2);
  right_layout->addWidget(Heading(tr("Proposed decisions (waiting for you)")));
  right_layout->addWidget(decisions_, 1);
  auto* reason_row = new QHBoxLayout;
  reason_row->addWidget(reason_, 1);
  reason_row->addWidget(approve_);
  reason_row->addWidget(reject_);
  right_layout->addLayout(reason_row);
  right_layout->addWidget(Heading(tr("Decision history (newest first)")));
  history_->setMinimumHeight(120);
  right_layout->addWidget(history_, 1);
  right_layout->addWidget(Heading(tr("Alerts")));
  right_layout->addWidget(alerts_, 1);
  auto* ack_row = new QHBoxLayout;
  ack_row->addStretch();
  ack_row->addWidget(acknowledge_);
  right_layout->addLayout(ack_row);

  auto* splitter = new QSplitter(Qt::Horizontal);
  splitter->addWidget(left);
  splitter->addWidget(right);
  splitter->setStretchFactor(0, 1);
  splitter->setStretchFactor(1, 2);
  splitter->setSizes({450, 1050});

  auto* central = new QWidget;
  auto* layout = new QVBoxLayout(central);
  layout->addWidget(error_label_);
  layout->addWidget(splitter, 1);
  setCentralWidget(central);

  user_label_ = new QLabel(tr("Connecting to %1…").arg(Q(client_->options().target)));
  user_label_->setObjectName(QStringLiteral("userLabel"));
  statusBar()->addPermanentWidget(user_label_);
  UpdateButtons();
}

void MainWindow::Refresh() {
  async_->Run([client = client_] { return client->CurrentUser(); },
              [this](const Result<v1::User>& result) {
                if (!result.ok()) {
                  user_label_->setText(tr("Not signed in"));
                  ShowError(tr("Signing in"), result.error);
                  return;
                }
                const v1::User& user = *result.value;
                user_label_->setText(tr("Signed in as %1 (%2, %3)")
                                         .arg(Q(user.display_name()),
                                              Q(EnumWord(v1::Role_descriptor(), user.role())),
                                              Q(user.clinic())));
              });
  LoadCaseload();
  if (!current_program_.empty()) LoadProgram(current_program_);
}

void MainWindow::LoadCaseload() {
  statusBar()->showMessage(tr("Loading the caseload…"));
  async_->Run([client = client_] { return client->Caseload(); },
              [this](const Result<std::vector<CaseloadRow>>& result) {
                if (!result.ok()) {
                  ShowError(tr("Loading the caseload"), result.error);
                  emit caseloadLoaded();
                  return;
                }
                reselecting_ = true;
                caseload_model_->SetRows(*result.value);
                // Keep the program shown selected in the new rows.
                for (int row = 0; row < caseload_proxy_->rowCount(); ++row) {
                  const QModelIndex index = caseload_proxy_->index(row, 0);
                  if (index.data(CaseloadModel::kProgramRole).toString() == Q(current_program_)) {
                    caseload_view_->selectRow(row);
                  }
                }
                reselecting_ = false;
                statusBar()->showMessage(tr("%n patient(s) in the caseload", nullptr,
                                            static_cast<int>(result.value->size())),
                                         5000);
                emit caseloadLoaded();
              });
}

void MainWindow::OnCaseloadSelection() {
  if (reselecting_) return;
  const QModelIndexList rows = caseload_view_->selectionModel()->selectedRows();
  if (rows.isEmpty()) return;
  const std::string program =
      rows.front().data(CaseloadModel::kProgramRole).toString().toStdString();
  if (program.empty()) {
    program_header_->setText(tr("%1 has no program.").arg(rows.front().data().toString()));
    return;
  }
  LoadProgram(program);
}

void MainWindow::LoadProgram(const std::string& program) {
  current_program_ = program;
  const int generation = ++program_generation_;
  statusBar()->showMessage(tr("Loading %1…").arg(Q(program)));
  async_->Run([client = client_, program] { return client->Program(program); },
              [this, generation](const Result<ProgramDetail>& result) {
                if (generation != program_generation_) return;  // another program since
                if (!result.ok()) {
                  ShowError(tr("Loading the program"), result.error);
                  emit programLoaded();
                  return;
                }
                ShowProgram(*result.value);
                statusBar()->clearMessage();
                emit programLoaded();
              });
}

void MainWindow::ShowProgram(const ProgramDetail& detail) {
  shown_ = detail.program;
  const v1::Program& p = shown_;
  current_state_ = p.state();
  approval_mode_->setCurrentIndex(std::max(0, approval_mode_->findData(
                                                  static_cast<int>(p.approval_mode()))));
  QString header =
      tr("<b>%1</b> — %2 — phase <b>%3</b> — <b>%4</b> — approval: %5 — since %6")
          .arg(Q(detail.patient_name), Q(p.name()), Q(EnumWord(v1::Phase_descriptor(), p.phase())),
               Q(EnumWord(v1::ProgramState_descriptor(), p.state())),
               Q(EnumWord(v1::ApprovalMode_descriptor(), p.approval_mode())), Q(p.start_date()));
  if (p.state() == v1::PROGRAM_STATE_PAUSED && !p.pause_reason().empty()) {
    header += tr("<br>Paused: %1").arg(Q(p.pause_reason()).toHtmlEscaped());
  }
  program_header_->setText(header);

  ShowTrend(detail.progress);

  // Rows change under a reload: a selection kept by row number could point at another
  // decision or alert than the one the user chose.
  for (QTableWidget* table : {prescriptions_, decisions_, history_, alerts_}) {
    table->clearSelection();
  }

  prescriptions_->setRowCount(p.prescriptions_size());
  for (int i = 0; i < p.prescriptions_size(); ++i) {
    const v1::Prescription& rx = p.prescriptions(i);
    SetRow(prescriptions_, i, rx.name(),
           {Q(ShortName(rx.exercise())) + (rx.suspended() ? tr(" (suspended)") : QString()),
            Q(FormatDose(rx.dose())), Q(ShortName(rx.ladder())),
            Q(EnumWord(v1::TrafficLight_descriptor(), rx.progress().last_traffic_light())),
            rx.locked() ? tr("yes") : QString(), Q(rx.clinician_note())});
  }

  decisions_->setRowCount(static_cast<int>(detail.proposed.size()));
  for (size_t i = 0; i < detail.proposed.size(); ++i) {
    const v1::Decision& d = detail.proposed[i];
    QString exercise = Q(ShortName(d.exercise_before()));
    if (!d.exercise_after().empty() && d.exercise_after() != d.exercise_before()) {
      exercise += QStringLiteral(" → ") + Q(ShortName(d.exercise_after()));
    }
    const QString dose =
        Q(FormatDose(d.dose_before())) + QStringLiteral(" → ") + Q(FormatDose(d.dose_after()));
    const std::string& reason =
        d.clinician_reason().empty() ? d.patient_reason() : d.clinician_reason();
    SetRow(decisions_, static_cast<int>(i), d.name(),
           {Q(FormatTime(d.create_time())), Q(EnumWord(v1::DecisionKind_descriptor(), d.kind())),
            exercise, dose, Q(reason), Q(d.rule())});
  }

  history_->setRowCount(static_cast<int>(detail.history.size()));
  for (size_t i = 0; i < detail.history.size(); ++i) {
    const v1::Decision& d = detail.history[i];
    SetRow(history_, static_cast<int>(i), d.name(),
           {Q(FormatTime(d.create_time())), Q(EnumWord(v1::DecisionState_descriptor(), d.state())),
            Q(EnumWord(v1::DecisionKind_descriptor(), d.kind())), Q(DecisionExercise(d)),
            Q(DecisionDoses(d)), Q(DecisionWho(d)), Q(DecisionReason(d)), Q(d.rule())});
  }

  alerts_->setRowCount(static_cast<int>(detail.alerts.size()));
  for (size_t i = 0; i < detail.alerts.size(); ++i) {
    const v1::Alert& a = detail.alerts[i];
    QString ack =
        a.acknowledged()
            ? tr("yes, %1 by %2").arg(Q(FormatTime(a.acknowledge_time())), Q(a.acknowledged_by()))
            : tr("no");
    SetRow(alerts_, static_cast<int>(i), a.name(),
           {Q(FormatTime(a.create_time())), Q(EnumWord(v1::AlertKind_descriptor(), a.kind())),
            Q(a.message()), a.paused_program() ? tr("yes") : tr("no"), ack});
    // Open alerts stand out.
    if (!a.acknowledged()) {
      for (int c = 0; c < alerts_->columnCount(); ++c) {
        alerts_->item(static_cast<int>(i), c)->setForeground(QBrush(QColor(180, 0, 0)));
      }
    }
  }
  for (QTableWidget* table : {prescriptions_, decisions_, history_, alerts_}) {
    table->resizeColumnsToContents();
  }
  OnPrescriptionSelection();
}

void MainWindow::ShowTrend(const v1::ProgramProgress& progress) {
  const Trend trend = TrendOf(progress);
  chart_->removeAllSeries();
  const auto add = [&](const QString& name, const std::vector<TrendPoint>& points,
                       QValueAxis* axis) {
    auto* series = new QLineSeries;
    series->setName(name);
    series->setPointsVisible(true);
    for (const TrendPoint& p : points) series->append(p.week, p.value);
    chart_->addSeries(series);
    series->attachAxis(week_axis_);
    series->attachAxis(axis);
  };
  add(tr("Morning pain (median)"), trend.morning_pain_median, pain_axis_);
  add(tr("Max pain during exercise"), trend.max_pain_during, pain_axis_);
  add(tr("Adherence %"), trend.adherence_percent, adherence_axis_);
  week_axis_->setRange(1, std::max(2, trend.weeks));
  week_axis_->setTickCount(std::min(std::max(2, trend.weeks), 13));
  double top = 100;
  for (const TrendPoint& p : trend.adherence_percent) top = std::max(top, p.value);
  adherence_axis_->setRange(0, top);
}

void MainWindow::ShowError(const QString& what, const RpcError& error) {
  const QString text = tr("%1 failed: %2").arg(what, Q(error.ToString()));
  error_label_->setText(text);
  error_label_->show();
  statusBar()->showMessage(tr("%1 failed: %2").arg(what, Q(error.CodeName())), 10000);
  emit errorShown(text);
}

void MainWindow::ClearError() {
  error_label_->clear();
  error_label_->hide();
}

std::string MainWindow::SelectedName(const QTableWidget* table) const {
  const QList<QTableWidgetItem*> selected = table->selectedItems();
  if (selected.isEmpty()) return {};
  const QTableWidgetItem* first = table->item(selected.front()->row(), 0);
  return first == nullptr ? std::string() : first->data(Qt::UserRole).toString().toStdString();
}

void MainWindow::UpdateButtons() {
  const bool has_program = !current_program_.empty();
  const bool decision = !SelectedName(decisions_).empty();
  approve_->setEnabled(decision);
  reject_->setEnabled(decision);
  bool open_alert = false;
  if (const auto selected = alerts_->selectedItems(); !selected.isEmpty()) {
    const QTableWidgetItem* ack = alerts_->item(selected.front()->row(), 4);
    open_alert = ack != nullptr && ack->text() == tr("no");
  }
  acknowledge_->setEnabled(open_alert);
  override_->setEnabled(SelectedPrescription() != nullptr);
  approval_mode_->setEnabled(has_program);
  set_approval_->setEnabled(has_program);
  pause_->setEnabled(has_program && current_state_ == v1::PROGRAM_STATE_ACTIVE);
  resume_->setEnabled(has_program && current_state_ == v1::PROGRAM_STATE_PAUSED);
}

template <typename T, typename Call>
void MainWindow::Write(const QString& what, Call call) {
  statusBar()->showMessage(tr("%1…").arg(what));
  async_->Run(std::move(call), [this, what](const Result<T>& result) {
    if (!result.ok()) {
      ShowError(what, result.error);
      return;
    }
    ClearError();
    reason_->clear();
    statusBar()->showMessage(tr("%1: done").arg(what), 10000);
    LoadCaseload();
    if (!current_program_.empty()) LoadProgram(current_program_);
  });
}

void MainWindow::OnApprove() {
  const std::string decision = SelectedName(decisions_);
  if (decision.empty()) return;
  Write<v1::Decision>(tr("Approving %1").arg(Q(ShortName(decision))),
                      [client = client_, decision, reason = reason_->text().toStdString()] {
                        return client->Approve(decision, reason);
                      });
}

void MainWindow::OnReject() {
  const std::string decision = SelectedName(decisions_);
  if (decision.empty()) return;
  // An empty reason goes to the server too: it says what is missing (INVALID_ARGUMENT).
  Write<v1::Decision>(tr("Rejecting %1").arg(Q(ShortName(decision))),
                      [client = client_, decision, reason = reason_->text().toStdString()] {
                        return client->Reject(decision, reason);
                      });
}

void MainWindow::OnAcknowledge() {
  const std::string alert = SelectedName(alerts_);
  if (alert.empty()) return;
  Write<v1::Alert>(tr("Acknowledging %1").arg(Q(ShortName(alert))),
                   [client = client_, alert, note = reason_->text().toStdString()] {
                     return client->Acknowledge(alert, note);
                   });
}

void MainWindow::OnPause() {
  if (current_program_.empty()) return;
  Write<v1::Program>(
      tr("Pausing %1").arg(Q(current_program_)),
      [client = client_, program = current_program_, reason = reason_->text().toStdString()] {
        return client->Pause(program, reason);
      });
}

void MainWindow::OnResume() {
  if (current_program_.empty()) return;
  Write<v1::Program>(
      tr("Resuming %1").arg(Q(current_program_)),
      [client = client_, program = current_program_, reason = reason_->text().toStdString()] {
        return client->Resume(program, reason);
      });
}

const v1::Prescription* MainWindow::SelectedPrescription() const {
  const std::string name = SelectedName(prescriptions_);
  if (name.empty() || shown_.name() != current_program_) return nullptr;
  for (const v1::Prescription& rx : shown_.prescriptions()) {
    if (rx.name() == name) return &rx;
  }
  return nullptr;
}

void MainWindow::OnPrescriptionSelection() {
  const v1::Prescription* rx = SelectedPrescription();
  const v1::Dose dose = rx != nullptr ? rx->dose() : v1::Dose();
  const google::protobuf::Reflection* r = v1::Dose::GetReflection();
  for (QWidget* editor : dose_editors_) {
    const google::protobuf::FieldDescriptor* f =
        v1::Dose::descriptor()->FindFieldByName(editor->objectName().mid(5).toStdString());
    if (auto* spin = qobject_cast<QSpinBox*>(editor)) spin->setValue(r->GetInt32(dose, f));
    if (auto* spin = qobject_cast<QDoubleSpinBox*>(editor)) spin->setValue(r->GetDouble(dose, f));
    if (auto* check = qobject_cast<QCheckBox*>(editor)) check->setChecked(r->GetBool(dose, f));
    editor->setEnabled(rx != nullptr);
  }
  // An override is locked unless the clinician says otherwise (as the server does when the
  // request leaves `locked` out).
  lock_->setChecked(true);
  lock_->setEnabled(rx != nullptr);
  UpdateButtons();
}

v1::Dose MainWindow::EditedDose() const {
  v1::Dose dose;
  const google::protobuf::Reflection* r = v1::Dose::GetReflection();
  for (QWidget* editor : dose_editors_) {
    const google::protobuf::FieldDescriptor* f =
        v1::Dose::descriptor()->FindFieldByName(editor->objectName().mid(5).toStdString());
    if (auto* spin = qobject_cast<QSpinBox*>(editor)) r->SetInt32(&dose, f, spin->value());
    if (auto* spin = qobject_cast<QDoubleSpinBox*>(editor)) r->SetDouble(&dose, f, spin->value());
    if (auto* check = qobject_cast<QCheckBox*>(editor)) r->SetBool(&dose, f, check->isChecked());
  }
  return dose;
}

void MainWindow::OnOverrideDose() {
  const v1::Prescription* rx = SelectedPrescription();
  if (rx == nullptr) return;
  v1::Prescription update;
  update.set_name(rx->name());
  *update.mutable_dose() = EditedDose();
  update.set_locked(lock_->isChecked());
  std::vector<std::string> paths = DoseMaskPaths(rx->dose(), update.dose());
  if (paths.empty() && lock_->isChecked() == rx->locked()) {
    statusBar()->showMessage(tr("Nothing to change: edit the dose first"), 10000);
    return;
  }
  paths.push_back("locked");
  // An empty reason goes to the server too: it says what is missing.
  Write<v1::UpdatePrescriptionResponse>(
      tr("Overriding %1").arg(Q(ShortName(rx->exercise()))),
      [client = client_, update, paths, reason = reason_->text().toStdString()] {
        return client->UpdatePrescription(update, paths, reason);
      });
}

void MainWindow::OnSetApprovalMode() {
  if (current_program_.empty()) return;
  const auto mode = static_cast<v1::ApprovalMode>(approval_mode_->currentData().toInt());
  Write<v1::Program>(
      tr("Setting approval mode of %1").arg(Q(current_program_)),
      [client = client_, program = current_program_, mode,
       reason = reason_->text().toStdString()] {
        return client->SetApprovalMode(program, mode, reason);
      });
}

}  // namespace kneecoach::desktop
