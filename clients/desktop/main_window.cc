#include "clients/desktop/main_window.h"

#include <algorithm>
#include <cmath>

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QShortcut>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
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

// A read-only table of whole rows. Cells wrap; rows grow to their text (ShowProgram calls
// resizeRowsToContents); the last column takes the room left.
QTableWidget* MakeTable(const char* object_name, const QStringList& headers) {
  auto* table = new QTableWidget(0, static_cast<int>(headers.size()));
  table->setObjectName(QString::fromLatin1(object_name));
  table->setHorizontalHeaderLabels(headers);
  table->setSelectionBehavior(QAbstractItemView::SelectRows);
  table->setSelectionMode(QAbstractItemView::SingleSelection);
  table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table->setWordWrap(true);
  table->setTextElideMode(Qt::ElideNone);
  table->horizontalHeader()->setStretchLastSection(true);
  table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
  table->verticalHeader()->setVisible(false);
  table->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
  table->setMinimumHeight(90);
  // Wrapped rows are as high as their text at the columns' current widths.
  QObject::connect(table->horizontalHeader(), &QHeaderView::sectionResized, table,
                   [table] { table->resizeRowsToContents(); });
  return table;
}

// Sets row `row` of `table` to `cells`; column 0 holds `name` as Qt::UserRole.
void SetRow(QTableWidget* table, int row, const std::string& name, const QStringList& cells) {
  for (int c = 0; c < cells.size(); ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    item->setToolTip(cells[c]);
    if (c == 0) item->setData(Qt::UserRole, Q(name));
    table->setItem(row, c, item);
  }
}

// How each column of a table is sized: to its contents (kFit), or sharing what is left
// with the other kWide columns, their text wrapping (kWide). Nothing scrolls sideways.
enum Column { kFit, kWide };
void SetColumns(QTableWidget* table, std::initializer_list<Column> columns) {
  QHeaderView* header = table->horizontalHeader();
  header->setStretchLastSection(false);
  int c = 0;
  for (Column column : columns) {
    header->setSectionResizeMode(
        c++, column == kWide ? QHeaderView::Stretch : QHeaderView::ResizeToContents);
  }
}

// Wide enough for any value a clinician might type: the server checks the ranges and says
// which field is out of them.
constexpr int kEditorMax = 100000;

QLabel* Heading(const QString& text) { return new QLabel(QStringLiteral("<b>%1</b>").arg(text)); }

// The line under an action where its outcome is said. It keeps two lines of height
// whether empty or not, so a message never moves what is below it.
QLabel* MessageLine(const char* object_name) {
  auto* label = new QLabel;
  label->setObjectName(QString::fromLatin1(object_name));
  label->setWordWrap(true);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label->setFixedHeight(label->fontMetrics().lineSpacing() * 2 + 4);
  label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
  return label;
}

QLineEdit* ReasonEdit(const char* object_name, const QString& placeholder) {
  auto* edit = new QLineEdit;
  edit->setObjectName(QString::fromLatin1(object_name));
  edit->setPlaceholderText(placeholder);
  edit->setClearButtonEnabled(true);
  edit->setMaxLength(2000);
  edit->setMinimumWidth(160);
  return edit;
}

QPushButton* Button(const char* object_name, const QString& text, const QString& tip = {}) {
  auto* button = new QPushButton(text);
  button->setObjectName(QString::fromLatin1(object_name));
  if (!tip.isEmpty()) button->setToolTip(tip);
  return button;
}

// A short label for a Dose field.
QString DoseFieldLabel(const std::string& field) {
  static const std::map<std::string, const char*> kLabels = {
      {"sets", "Sets"},
      {"reps", "Reps"},
      {"hold_seconds", "Hold (s)"},
      {"rest_seconds", "Rest (s)"},
      {"duration_seconds", "Duration (s)"},
      {"load_kg", "Load (kg)"},
      {"max_knee_flexion_degrees", "Knee max (°)"},
      {"run_seconds", "Run (s)"},
      {"walk_seconds", "Walk (s)"},
      {"target_rpe", "Target RPE"},
      {"per_side", "Per side"},
  };
  const auto it = kLabels.find(field);
  if (it != kLabels.end()) return QString::fromUtf8(it->second);
  return Q(absl::StrReplaceAll(field, {{"_", " "}}));
}

QString OptionalInt(bool has, int value) {
  return has ? QString::number(value) : QStringLiteral("-");
}

// "1 proposal", "5 proposals".
QString Count(int n, const char* one, const char* many) {
  return QStringLiteral("%1 %2").arg(n).arg(QString::fromLatin1(n == 1 ? one : many));
}

// "AKPS", "step-downs", "global change".
QString OutcomeWord(v1::OutcomeKind kind) {
  switch (kind) {
    case v1::OUTCOME_KIND_AKPS:
      return QStringLiteral("AKPS");
    case v1::OUTCOME_KIND_STEP_DOWN_30S:
      return QStringLiteral("step-downs");
    case v1::OUTCOME_KIND_GLOBAL_RATING_OF_CHANGE:
      return QStringLiteral("global change");
    default:
      return Q(EnumWord(v1::OutcomeKind_descriptor(), kind));
  }
}

QString YesNo(bool b) { return b ? QStringLiteral("yes") : QStringLiteral("no"); }

// "+3" for a positive number, "-3" and "0" as they are.
QString Signed(int n) { return n > 0 ? QStringLiteral("+%1").arg(n) : QString::number(n); }

// A rule id that may wrap after its dots and underscores ("swap.red_painful_dynamic").
QString Breakable(const std::string& rule) {
  QString text = Q(rule);
  text.replace(QLatin1Char('.'), QStringLiteral(".\u200B"));
  text.replace(QLatin1Char('_'), QStringLiteral("_\u200B"));
  return text;
}

QString Arrows(const std::string& s) { return Q(absl::StrReplaceAll(s, {{" -> ", " → "}})); }

}  // namespace

MainWindow::MainWindow(std::shared_ptr<const Client> client, QWidget* parent)
    : QMainWindow(parent), client_(std::move(client)), async_(std::make_unique<Async>(this)) {
  BuildUi();
  Refresh();
}

MainWindow::~MainWindow() { async_.reset(); }

void MainWindow::BuildUi() {
  setWindowTitle(tr("kneecoach — physiotherapist (%1)").arg(Q(client_->options().target)));
  resize(1366, 768);

  QWidget* left = BuildCaseload();

  program_header_ = new QLabel(tr("Select a patient to see their program."));
  program_header_->setObjectName(QStringLiteral("programHeader"));
  program_header_->setWordWrap(true);
  program_header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  program_header_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  program_header_->setFixedHeight(program_header_->fontMetrics().lineSpacing() * 2 + 6);
  tabs_ = new QTabWidget;
  tabs_->setObjectName(QStringLiteral("programTabs"));
  tabs_->addTab(BuildOverview(), tr("Overview"));
  tabs_->addTab(BuildProposals(), tr("Proposals"));
  tabs_->addTab(BuildProgram(), tr("Program"));
  tabs_->addTab(BuildAlerts(), tr("Alerts"));
  tabs_->addTab(BuildHistory(), tr("History"));
  for (int i = 0; i < tabs_->count(); ++i) {
    tabs_->setTabToolTip(i, tr("Ctrl+%1").arg(i + 1));
  }
  // A hidden tab's tables were laid out at another width: fit their rows when shown.
  connect(tabs_, &QTabWidget::currentChanged, this, [this](int index) {
    for (QTableWidget* table : tabs_->widget(index)->findChildren<QTableWidget*>()) {
      table->resizeRowsToContents();
    }
  });
  auto* right = new QWidget;
  auto* right_layout = new QVBoxLayout(right);
  right_layout->setContentsMargins(4, 0, 0, 0);
  right_layout->addWidget(program_header_);
  right_layout->addWidget(tabs_, 1);

  auto* splitter = new QSplitter(Qt::Horizontal);
  splitter->setObjectName(QStringLiteral("mainSplitter"));
  splitter->addWidget(left);
  splitter->addWidget(right);
  splitter->setChildrenCollapsible(false);
  // The caseload grows with the window too, a quarter of what is added.
  splitter->setStretchFactor(0, 1);
  splitter->setStretchFactor(1, 3);
  splitter->setSizes({520, 846});

  auto* central = new QWidget;
  auto* layout = new QVBoxLayout(central);
  layout->setContentsMargins(6, 6, 6, 0);
  layout->addWidget(splitter, 1);
  setCentralWidget(central);

  // The status bar: progress, then the last load's failure (one line, the whole sentence
  // in the tooltip), the shortcuts and who is signed in. It never changes height.
  progress_label_ = new QLabel;
  progress_label_->setObjectName(QStringLiteral("progressLabel"));
  error_label_ = new QLabel;
  error_label_->setObjectName(QStringLiteral("errorLabel"));
  error_label_->setStyleSheet(QStringLiteral("QLabel { color: #a00000; font-weight: bold; }"));
  error_label_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  error_label_->setWordWrap(true);
  error_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  error_label_->hide();
  auto* keys =
      new QLabel(tr("Ctrl+N next patient · Ctrl+Return approve · Ctrl+K acknowledge · F5 refresh"));
  keys->setObjectName(QStringLiteral("shortcutsLabel"));
  keys->setStyleSheet(QStringLiteral("QLabel { color: #555; }"));
  user_label_ = new QLabel(tr("Connecting to %1…").arg(Q(client_->options().target)));
  user_label_->setObjectName(QStringLiteral("userLabel"));
  statusBar()->setSizeGripEnabled(false);
  // Two lines, shown or not: a failure's sentence fits, and nothing above moves.
  statusBar()->setFixedHeight(statusBar()->fontMetrics().lineSpacing() * 2 + 10);
  statusBar()->addWidget(progress_label_);
  statusBar()->addWidget(error_label_, 1);
  statusBar()->addPermanentWidget(keys);
  statusBar()->addPermanentWidget(user_label_);

  BuildShortcuts();
  UpdateButtons();
}

QWidget* MainWindow::BuildCaseload() {
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
  // Every number column as wide as it needs; the names take what is left (the full name
  // and id in the tooltip).
  caseload_view_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  caseload_view_->horizontalHeader()->setSectionResizeMode(CaseloadModel::kPatient,
                                                           QHeaderView::Stretch);
  caseload_view_->setWordWrap(false);
  caseload_view_->setMinimumWidth(300);
  connect(caseload_view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &MainWindow::OnCaseloadSelection);
  auto* refresh = Button("refreshButton", tr("Refresh (F5)"));
  connect(refresh, &QPushButton::clicked, this, &MainWindow::Refresh);
  // Back to the model's order after sorting by a column.
  auto* urgency = Button("urgencyOrderButton", tr("Most urgent first"));
  connect(urgency, &QPushButton::clicked, this, [this] {
    caseload_view_->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    caseload_proxy_->sort(-1);
  });
  auto* next = Button("nextPatientButton", tr("Next patient (Ctrl+N)"),
                      tr("Ctrl+Shift+N: the previous patient"));
  connect(next, &QPushButton::clicked, this, [this] { SelectNextPatient(1); });

  auto* left = new QWidget;
  auto* layout = new QVBoxLayout(left);
  layout->setContentsMargins(0, 0, 4, 0);
  layout->addWidget(Heading(tr("Caseload (most urgent first)")));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(next);
  buttons->addWidget(urgency);
  buttons->addWidget(refresh);
  buttons->addStretch();
  layout->addLayout(buttons);
  layout->addWidget(caseload_view_, 1);
  return left;
}

QWidget* MainWindow::BuildOverview() {
  // Numbers: adherence and the latest outcomes, with every outcome recorded below.
  const auto value = [](const char* name) {
    auto* label = new QLabel(QStringLiteral("-"));
    label->setObjectName(QString::fromLatin1(name));
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
  };
  adherence_week_ = value("adherenceWeekValue");
  adherence_total_ = value("adherenceTotalValue");
  akps_ = value("akpsValue");
  step_downs_ = value("stepDownValue");
  global_rating_ = value("globalRatingValue");
  morning_pain_change_ = value("morningPainChangeValue");
  auto* numbers = new QGroupBox(tr("Adherence and outcomes"));
  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->addRow(tr("This week:"), adherence_week_);
  form->addRow(tr("Whole program:"), adherence_total_);
  form->addRow(tr("AKPS (0-100):"), akps_);
  form->addRow(tr("Step-downs (30 s):"), step_downs_);
  form->addRow(tr("Global change:"), global_rating_);
  form->addRow(tr("Morning pain change:"), morning_pain_change_);
  outcomes_ = MakeTable("outcomesTable", {tr("Date"), tr("Week"), tr("Measure"), tr("Score")});
  outcomes_->horizontalHeader()->setStretchLastSection(false);
  outcomes_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  outcomes_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
  auto* numbers_layout = new QVBoxLayout(numbers);
  numbers_layout->addLayout(form);
  numbers_layout->addWidget(outcomes_, 1);
  numbers->setMinimumWidth(320);
  numbers->setMaximumWidth(440);

  chart_ = new QChart;
  chart_->setTitle(tr("Week by week"));
  chart_->legend()->setAlignment(Qt::AlignBottom);
  chart_->setMargins(QMargins(4, 4, 4, 4));
  week_axis_ = new QValueAxis;
  week_axis_->setTitleText(tr("Program week"));
  week_axis_->setLabelFormat(QStringLiteral("%d"));
  week_axis_->setTickType(QValueAxis::TicksDynamic);
  week_axis_->setTickAnchor(1);
  week_axis_->setTickInterval(1);
  pain_axis_ = new QValueAxis;
  pain_axis_->setTitleText(tr("Pain 0-10"));
  pain_axis_->setRange(0, 10);
  pain_axis_->setLabelFormat(QStringLiteral("%d"));
  pain_axis_->setTickCount(6);
  adherence_axis_ = new QValueAxis;
  adherence_axis_->setTitleText(tr("Adherence %"));
  adherence_axis_->setRange(0, 100);
  adherence_axis_->setLabelFormat(QStringLiteral("%d"));
  adherence_axis_->setTickCount(6);
  chart_->addAxis(week_axis_, Qt::AlignBottom);
  chart_->addAxis(pain_axis_, Qt::AlignLeft);
  chart_->addAxis(adherence_axis_, Qt::AlignRight);
  chart_view_ = new QChartView(chart_);
  chart_view_->setObjectName(QStringLiteral("trendChart"));
  chart_view_->setRenderHint(QPainter::Antialiasing);
  chart_view_->setMinimumSize(360, 260);

  auto* top = new QWidget;
  auto* top_layout = new QHBoxLayout(top);
  top_layout->setContentsMargins(0, 0, 0, 0);
  top_layout->addWidget(numbers);
  top_layout->addWidget(chart_view_, 1);

  sessions_ = MakeTable("sessionsTable", {tr("Date"), tr("Exercise"), tr("Dose"), tr("Pain during"),
                                          tr("Pain 1 h after"), tr("Done"), tr("Light")});
  SetColumns(sessions_, {kFit, kWide, kWide, kFit, kFit, kFit, kFit});
  check_ins_ =
      MakeTable("checkInsTable", {tr("Date"), tr("Morning pain"), tr("Test"), tr("Swelling"),
                                  tr("Locking"), tr("Giving way"), tr("Usual pain"),
                                  tr("Worst pain"), tr("Light"), tr("Red flags")});
  SetColumns(check_ins_, {kFit, kFit, kFit, kFit, kFit, kFit, kFit, kFit, kFit, kWide});

  auto* sessions_box = new QWidget;
  auto* sessions_layout = new QVBoxLayout(sessions_box);
  sessions_layout->setContentsMargins(0, 0, 0, 0);
  sessions_layout->addWidget(Heading(tr("Recent sessions, exercise by exercise (newest first)")));
  sessions_layout->addWidget(sessions_, 1);
  auto* check_ins_box = new QWidget;
  auto* check_ins_layout = new QVBoxLayout(check_ins_box);
  check_ins_layout->setContentsMargins(0, 0, 0, 0);
  check_ins_layout->addWidget(Heading(tr("Morning check-ins (newest first)")));
  check_ins_layout->addWidget(check_ins_, 1);

  auto* split = new QSplitter(Qt::Vertical);
  split->setObjectName(QStringLiteral("overviewSplitter"));
  split->setChildrenCollapsible(false);
  split->addWidget(top);
  split->addWidget(sessions_box);
  split->addWidget(check_ins_box);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 3);
  split->setStretchFactor(2, 2);

  auto* page = new QWidget;
  page->setObjectName(QStringLiteral("overviewPage"));
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(split);
  return page;
}

QWidget* MainWindow::BuildProposals() {
  decisions_ = MakeTable("decisionsTable", {tr("Proposed"), tr("Exercise"), tr("Change"),
                                            tr("Dose before → after"), tr("Rule"), tr("Reason")});
  decisions_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  SetColumns(decisions_, {kFit, kWide, kFit, kWide, kWide, kWide});
  connect(decisions_, &QTableWidget::itemSelectionChanged, this, &MainWindow::UpdateButtons);

  decision_reason_ = ReasonEdit("decisionReasonEdit", tr("Reason (required to reject)"));
  approve_ = Button("approveButton", tr("Approve selected (Ctrl+Return)"));
  reject_ = Button("rejectButton", tr("Reject selected"),
                   tr("A reason is required: type it in the box to the left."));
  approve_all_ = Button("approveAllButton", tr("Approve all"));
  reject_all_ = Button("rejectAllButton", tr("Reject all"),
                       tr("A reason is required: type it in the box to the left."));
  decision_message_ = MessageLine("decisionMessage");
  connect(approve_, &QPushButton::clicked, this, &MainWindow::OnApprove);
  connect(reject_, &QPushButton::clicked, this, &MainWindow::OnReject);
  connect(approve_all_, &QPushButton::clicked, this, &MainWindow::OnApproveAll);
  connect(reject_all_, &QPushButton::clicked, this, &MainWindow::OnRejectAll);
  connect(decision_reason_, &QLineEdit::textEdited, decision_message_, &QLabel::clear);

  auto* actions = new QGridLayout;
  actions->addWidget(decision_reason_, 0, 0);
  actions->addWidget(approve_, 0, 1);
  actions->addWidget(reject_, 0, 2);
  actions->addWidget(approve_all_, 0, 3);
  actions->addWidget(reject_all_, 0, 4);
  actions->addWidget(decision_message_, 1, 0, 1, 5);
  actions->setColumnStretch(0, 1);

  auto* page = new QWidget;
  page->setObjectName(QStringLiteral("proposalsPage"));
  auto* layout = new QVBoxLayout(page);
  auto* hint =
      new QLabel(tr("The engine's proposed changes, waiting for you. Select one, several (Ctrl or "
                    "Shift and click) or none and use the buttons below."));
  hint->setWordWrap(true);
  layout->addWidget(hint);
  layout->addWidget(decisions_, 1);
  layout->addLayout(actions);
  return page;
}

QWidget* MainWindow::BuildProgram() {
  prescriptions_ = MakeTable("prescriptionsTable", {tr("Exercise"), tr("Dose"), tr("Ladder"),
                                                    tr("Last light"), tr("Locked"), tr("Note")});
  SetColumns(prescriptions_, {kWide, kWide, kFit, kFit, kFit, kWide});
  connect(prescriptions_, &QTableWidget::itemSelectionChanged, this,
          &MainWindow::OnPrescriptionSelection);

  // The dose override: one editor per Dose field, three to a row, its reason and button
  // right under them.
  auto* dose_box = new QGroupBox(tr("Override the selected prescription's dose"));
  dose_box->setObjectName(QStringLiteral("doseBox"));
  auto* dose_grid = new QGridLayout(dose_box);
  const google::protobuf::Descriptor* dose_type = v1::Dose::descriptor();
  constexpr int kPerRow = 3;
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
        spin->setDecimals(1);
        editor = spin;
        break;
      }
      default:
        editor = new QCheckBox;
        break;
    }
    editor->setObjectName(Q("dose." + f->name()));
    dose_editors_.push_back(editor);
    auto* label = new QLabel(DoseFieldLabel(f->name()));
    label->setBuddy(editor);
    label->setToolTip(Q(f->name()));
    dose_grid->addWidget(label, i / kPerRow, (i % kPerRow) * 2);
    dose_grid->addWidget(editor, i / kPerRow, (i % kPerRow) * 2 + 1);
  }
  const int dose_rows = (dose_type->field_count() + kPerRow - 1) / kPerRow;
  lock_ = new QCheckBox(tr("Lock: the engine leaves it alone"));
  lock_->setObjectName(QStringLiteral("lockCheck"));
  dose_grid->addWidget(lock_, dose_rows, 0, 1, kPerRow * 2);
  override_reason_ = ReasonEdit("overrideReasonEdit", tr("Reason for the override (required)"));
  override_ = Button("overrideDoseButton", tr("Override dose"));
  override_message_ = MessageLine("overrideMessage");
  connect(override_, &QPushButton::clicked, this, &MainWindow::OnOverrideDose);
  connect(override_reason_, &QLineEdit::textEdited, override_message_, &QLabel::clear);
  auto* override_row = new QHBoxLayout;
  override_row->addWidget(override_reason_, 1);
  override_row->addWidget(override_);
  dose_grid->addLayout(override_row, dose_rows + 1, 0, 1, kPerRow * 2);
  dose_grid->addWidget(override_message_, dose_rows + 2, 0, 1, kPerRow * 2);

  // The program: approval mode, pause and resume, with their reason.
  auto* program_box = new QGroupBox(tr("Program"));
  program_box->setObjectName(QStringLiteral("programBox"));
  approval_mode_ = new QComboBox;
  approval_mode_->setObjectName(QStringLiteral("approvalModeCombo"));
  approval_mode_->addItem(tr("Automatic"), static_cast<int>(v1::APPROVAL_MODE_AUTOMATIC));
  approval_mode_->addItem(tr("Clinician approval"),
                          static_cast<int>(v1::APPROVAL_MODE_CLINICIAN_APPROVAL));
  approval_mode_->setToolTip(
      tr("Automatic: the engine's decisions apply at once. Clinician approval: they wait "
         "in Proposals."));
  set_approval_ = Button("setApprovalButton", tr("Set approval mode"));
  pause_ = Button("pauseButton", tr("Pause program"));
  resume_ = Button("resumeButton", tr("Resume program"));
  program_reason_ =
      ReasonEdit("programReasonEdit", tr("Reason (required to change, pause, resume)"));
  program_message_ = MessageLine("programMessage");
  connect(set_approval_, &QPushButton::clicked, this, &MainWindow::OnSetApprovalMode);
  connect(pause_, &QPushButton::clicked, this, &MainWindow::OnPause);
  connect(resume_, &QPushButton::clicked, this, &MainWindow::OnResume);
  connect(program_reason_, &QLineEdit::textEdited, program_message_, &QLabel::clear);
  auto* program_grid = new QGridLayout(program_box);
  program_grid->addWidget(approval_mode_, 0, 0);
  program_grid->addWidget(set_approval_, 0, 1);
  program_grid->addWidget(program_reason_, 1, 0, 1, 2);
  program_grid->addWidget(pause_, 2, 0);
  program_grid->addWidget(resume_, 2, 1);
  program_grid->addWidget(program_message_, 3, 0, 1, 2);
  program_grid->setRowStretch(4, 1);
  program_grid->setColumnStretch(0, 1);

  auto* bottom = new QHBoxLayout;
  bottom->addWidget(dose_box, 3);
  bottom->addWidget(program_box, 2);

  auto* page = new QWidget;
  page->setObjectName(QStringLiteral("programPage"));
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(prescriptions_, 1);
  layout->addLayout(bottom);
  return page;
}

QWidget* MainWindow::BuildAlerts() {
  alerts_ = MakeTable("alertsTable", {tr("Raised"), tr("Kind"), tr("Red flags"), tr("Message"),
                                      tr("Paused program"), tr("Acknowledged"), tr("Note")});
  SetColumns(alerts_, {kFit, kFit, kWide, kWide, kFit, kWide, kWide});
  connect(alerts_, &QTableWidget::itemSelectionChanged, this, &MainWindow::UpdateButtons);
  alert_note_ = ReasonEdit("alertNoteEdit", tr("Note recorded with the acknowledgement"));
  acknowledge_ = Button("acknowledgeButton", tr("Acknowledge alert (Ctrl+K)"));
  alert_message_ = MessageLine("alertMessage");
  connect(acknowledge_, &QPushButton::clicked, this, &MainWindow::OnAcknowledge);
  auto* row = new QHBoxLayout;
  row->addWidget(alert_note_, 1);
  row->addWidget(acknowledge_);

  auto* page = new QWidget;
  page->setObjectName(QStringLiteral("alertsPage"));
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(alerts_, 1);
  layout->addLayout(row);
  layout->addWidget(alert_message_);
  return page;
}

QWidget* MainWindow::BuildHistory() {
  history_ = MakeTable("historyTable", {tr("Made"), tr("State"), tr("Kind"), tr("Exercise"),
                                        tr("Dose"), tr("By"), tr("Reason"), tr("Rule")});
  SetColumns(history_, {kFit, kFit, kFit, kWide, kWide, kWide, kWide, kWide});
  auto* page = new QWidget;
  page->setObjectName(QStringLiteral("historyPage"));
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(Heading(tr("Decisions made (newest first)")));
  layout->addWidget(history_, 1);
  return page;
}

void MainWindow::BuildShortcuts() {
  const auto shortcut = [this](const QKeySequence& keys, auto slot) {
    auto* s = new QShortcut(keys, this);
    s->setContext(Qt::WindowShortcut);
    connect(s, &QShortcut::activated, this, slot);
  };
  shortcut(QKeySequence(Qt::CTRL | Qt::Key_N), [this] { SelectNextPatient(1); });
  shortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N), [this] { SelectNextPatient(-1); });
  shortcut(QKeySequence(Qt::Key_F5), [this] { Refresh(); });
  shortcut(QKeySequence(Qt::CTRL | Qt::Key_R), [this] { Refresh(); });
  const auto approve = [this] {
    tabs_->setCurrentIndex(kProposalsTab);
    if (approve_->isEnabled()) OnApprove();
  };
  shortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), approve);
  shortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), approve);
  shortcut(QKeySequence(Qt::CTRL | Qt::Key_K), [this] {
    tabs_->setCurrentIndex(kAlertsTab);
    // The selected alert, else the newest open one.
    if (SelectedName(alerts_).empty()) {
      for (int r = 0; r < alerts_->rowCount(); ++r) {
        const QTableWidgetItem* ack = alerts_->item(r, 5);
        if (ack != nullptr && ack->text() == tr("no")) {
          alerts_->selectRow(r);
          break;
        }
      }
    }
    if (acknowledge_->isEnabled()) OnAcknowledge();
  });
  for (int i = 0; i < tabs_->count(); ++i) {
    shortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + i)),
             [this, i] { tabs_->setCurrentIndex(i); });
  }
}

void MainWindow::SelectNextPatient(int step) {
  const int rows = caseload_proxy_->rowCount();
  if (rows == 0) return;
  const QModelIndexList selected = caseload_view_->selectionModel()->selectedRows();
  int row = selected.isEmpty() ? (step > 0 ? 0 : rows - 1) : selected.front().row() + step;
  row = std::clamp(row, 0, rows - 1);
  caseload_view_->selectRow(row);
  caseload_view_->setFocus();
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
                user_label_->setText(tr("Signed in as %1 (%2)")
                                         .arg(Q(user.display_name()),
                                              Q(EnumWord(v1::Role_descriptor(), user.role()))));
                user_label_->setToolTip(Q(user.name() + ", " + user.clinic()));
              });
  LoadCaseload();
  if (!current_program_.empty()) LoadProgram(current_program_);
}

void MainWindow::LoadCaseload() {
  progress_label_->setText(tr("Loading the caseload…"));
  async_->Run([client = client_] { return client->Caseload(); },
              [this](const Result<std::vector<CaseloadRow>>& result) {
                if (!result.ok()) {
                  progress_label_->clear();
                  ShowError(tr("Loading the caseload"), result.error);
                  emit caseloadLoaded();
                  return;
                }
                ClearError();
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
                progress_label_->setText(
                    Count(static_cast<int>(result.value->size()), "patient", "patients"));
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
  progress_label_->setText(tr("Loading the program…"));
  async_->Run([client = client_, program] { return client->Program(program); },
              [this, generation](const Result<ProgramDetail>& result) {
                if (generation != program_generation_) return;  // another program since
                progress_label_->clear();
                if (!result.ok()) {
                  ShowError(tr("Loading the program"), result.error);
                  emit programLoaded();
                  return;
                }
                ShowProgram(*result.value);
                emit programLoaded();
              });
}

void MainWindow::ShowProgram(const ProgramDetail& detail) {
  shown_ = detail.program;
  exercise_names_ = detail.exercise_names;
  const v1::Program& p = shown_;
  const ExerciseNames& names = exercise_names_;
  current_state_ = p.state();
  approval_mode_->setCurrentIndex(
      std::max(0, approval_mode_->findData(static_cast<int>(p.approval_mode()))));
  QString header =
      tr("<b>%1</b> <span style='color:#666'>(%2)</span> — phase <b>%3</b> — <b>%4</b> — "
         "approval: %5 — since %6")
          .arg(Q(detail.patient_name).toHtmlEscaped(), Q(ShortName(p.patient())),
               Q(EnumWord(v1::Phase_descriptor(), p.phase())),
               Q(EnumWord(v1::ProgramState_descriptor(), p.state())),
               Q(EnumWord(v1::ApprovalMode_descriptor(), p.approval_mode())), Q(p.start_date()));
  if (p.state() == v1::PROGRAM_STATE_PAUSED && !p.pause_reason().empty()) {
    header += tr("<br>Paused: %1").arg(Q(p.pause_reason()).toHtmlEscaped());
  }
  program_header_->setText(header);
  program_header_->setToolTip(Q(p.name()));

  ShowOverview(detail);

  // Rows change under a reload: a selection kept by row number could point at another
  // decision or alert than the one the user chose.
  for (QTableWidget* table : {prescriptions_, decisions_, history_, alerts_}) {
    table->clearSelection();
  }

  prescriptions_->setRowCount(p.prescriptions_size());
  for (int i = 0; i < p.prescriptions_size(); ++i) {
    const v1::Prescription& rx = p.prescriptions(i);
    SetRow(
        prescriptions_, i, rx.name(),
        {Q(ExerciseName(names, rx.exercise())) + (rx.suspended() ? tr(" (suspended)") : QString()),
         Q(FormatDose(rx.dose())), Q(ShortName(rx.ladder())),
         Q(EnumWord(v1::TrafficLight_descriptor(), rx.progress().last_traffic_light())),
         rx.locked() ? tr("yes") : QString(), Q(rx.clinician_note())});
    prescriptions_->item(i, 0)->setToolTip(Q(rx.exercise()));
  }

  decisions_->setRowCount(static_cast<int>(detail.proposed.size()));
  for (size_t i = 0; i < detail.proposed.size(); ++i) {
    const v1::Decision& d = detail.proposed[i];
    QString dose =
        Q(FormatDose(d.dose_before())) + QStringLiteral("\n→ ") + Q(FormatDose(d.dose_after()));
    if (d.phase_after() != v1::PHASE_UNSPECIFIED && d.phase_after() != d.phase_before()) {
      dose = tr("phase %1 → %2")
                 .arg(Q(EnumWord(v1::Phase_descriptor(), d.phase_before())),
                      Q(EnumWord(v1::Phase_descriptor(), d.phase_after())));
    }
    const std::string& reason =
        d.clinician_reason().empty() ? d.patient_reason() : d.clinician_reason();
    SetRow(decisions_, static_cast<int>(i), d.name(),
           {Q(FormatTime(d.create_time())), Arrows(DecisionExercise(d, names)),
            Q(EnumWord(v1::DecisionKind_descriptor(), d.kind())), dose, Breakable(d.rule()),
            Q(reason)});
    decisions_->item(static_cast<int>(i), 4)->setToolTip(Q(d.rule()));
  }
  tabs_->setTabText(kProposalsTab, detail.proposed.empty()
                                       ? tr("Proposals")
                                       : tr("Proposals (%1)").arg(detail.proposed.size()));

  history_->setRowCount(static_cast<int>(detail.history.size()));
  for (size_t i = 0; i < detail.history.size(); ++i) {
    const v1::Decision& d = detail.history[i];
    SetRow(
        history_, static_cast<int>(i), d.name(),
        {Q(FormatTime(d.create_time())), Q(EnumWord(v1::DecisionState_descriptor(), d.state())),
         Q(EnumWord(v1::DecisionKind_descriptor(), d.kind())), Arrows(DecisionExercise(d, names)),
         Arrows(DecisionDoses(d)), Q(DecisionWho(d)), Q(DecisionReason(d)), Breakable(d.rule())});
  }

  int open_alerts = 0;
  alerts_->setRowCount(static_cast<int>(detail.alerts.size()));
  for (size_t i = 0; i < detail.alerts.size(); ++i) {
    const v1::Alert& a = detail.alerts[i];
    QStringList flags;
    for (int flag : a.red_flags()) flags << Q(EnumWord(v1::RedFlag_descriptor(), flag));
    const QString by = a.acknowledged_by_display_name().empty()
                           ? Q(a.acknowledged_by())
                           : Q(a.acknowledged_by_display_name());
    const QString ack = a.acknowledged()
                            ? tr("yes, by %1, %2").arg(by, Q(FormatTime(a.acknowledge_time())))
                            : tr("no");
    SetRow(alerts_, static_cast<int>(i), a.name(),
           {Q(FormatTime(a.create_time())), Q(EnumWord(v1::AlertKind_descriptor(), a.kind())),
            flags.join(QStringLiteral("; ")), Q(a.message()), YesNo(a.paused_program()), ack,
            Q(a.acknowledge_note())});
    // Open alerts stand out.
    if (!a.acknowledged()) {
      ++open_alerts;
      for (int c = 0; c < alerts_->columnCount(); ++c) {
        alerts_->item(static_cast<int>(i), c)->setForeground(QBrush(QColor(180, 0, 0)));
      }
    }
  }
  tabs_->setTabText(kAlertsTab,
                    open_alerts == 0 ? tr("Alerts") : tr("Alerts (%1 open)").arg(open_alerts));
  for (QTableWidget* table : {prescriptions_, decisions_, history_, alerts_}) {
    table->resizeRowsToContents();
  }
  OnPrescriptionSelection();
}

void MainWindow::ShowOverview(const ProgramDetail& detail) {
  const OverviewNumbers n = OverviewOf(detail.progress, detail.outcomes);
  adherence_week_->setText(
      n.week == 0
          ? tr("no week yet")
          : tr("week %1: %2").arg(n.week).arg(Q(AdherenceWords(n.week_done, n.week_planned))));
  adherence_total_->setText(Q(AdherenceWords(n.total_done, n.total_planned)));
  QString akps = n.akps ? tr("%1 (%2)").arg(*n.akps).arg(Q(n.akps_date)) : tr("not recorded");
  if (n.akps_change) akps += tr(", change %1 since the first").arg(Signed(*n.akps_change));
  akps_->setText(akps);
  step_downs_->setText(n.step_downs ? tr("%1 (%2)").arg(*n.step_downs).arg(Q(n.step_downs_date))
                                    : tr("not recorded"));
  global_rating_->setText(n.global_rating
                              ? tr("%1 (%2)").arg(Signed(*n.global_rating), Q(n.global_rating_date))
                              : tr("not recorded"));
  morning_pain_change_->setText(
      n.morning_pain_change ? tr("%1%2 points since week 1")
                                  .arg(*n.morning_pain_change > 0 ? QStringLiteral("+") : QString())
                                  .arg(*n.morning_pain_change, 0, 'f', 1)
                            : tr("-"));

  outcomes_->setRowCount(static_cast<int>(detail.outcomes.size()));
  for (size_t i = 0; i < detail.outcomes.size(); ++i) {
    const v1::Outcome& o = detail.outcomes[i];
    SetRow(outcomes_, static_cast<int>(i), o.name(),
           {Q(o.local_date()), QString::number(o.program_week()), OutcomeWord(o.kind()),
            QString::number(o.value())});
  }

  std::vector<SessionLine> lines;
  for (const v1::Session& s : detail.sessions) {
    for (SessionLine& line : SessionLines(s, detail.exercise_names)) {
      lines.push_back(std::move(line));
    }
  }
  sessions_->setRowCount(static_cast<int>(lines.size()));
  for (size_t i = 0; i < lines.size(); ++i) {
    const SessionLine& l = lines[i];
    SetRow(sessions_, static_cast<int>(i), l.session,
           {Q(l.date), Q(l.exercise), Q(l.dose),
            OptionalInt(l.pain_during.has_value(), l.pain_during.value_or(0)),
            OptionalInt(l.pain_after_1h.has_value(), l.pain_after_1h.value_or(0)),
            Q(DoneWord(l.done)), Q(l.traffic_light)});
    if (l.done != Done::kDone) {
      sessions_->item(static_cast<int>(i), 5)->setForeground(QBrush(QColor(180, 90, 0)));
    }
  }

  check_ins_->setRowCount(static_cast<int>(detail.check_ins.size()));
  for (size_t i = 0; i < detail.check_ins.size(); ++i) {
    const v1::MorningCheckIn& c = detail.check_ins[i];
    SetRow(
        check_ins_, static_cast<int>(i), c.name(),
        {Q(c.local_date()), OptionalInt(c.has_morning_pain(), c.morning_pain()),
         Q(EnumWord(v1::MorningTest_descriptor(), c.test())), YesNo(c.swelling()),
         YesNo(c.locking()), YesNo(c.giving_way()), OptionalInt(c.has_usual_pain(), c.usual_pain()),
         OptionalInt(c.has_worst_pain(), c.worst_pain()),
         Q(EnumWord(v1::TrafficLight_descriptor(), c.traffic_light())), Q(RedFlagWords(c))});
    if (c.red_flags_size() > 0) {
      check_ins_->item(static_cast<int>(i), 9)->setForeground(QBrush(QColor(180, 0, 0)));
    }
  }
  for (QTableWidget* table : {sessions_, check_ins_, outcomes_}) table->resizeRowsToContents();
  ShowTrend(detail.progress);
}

void MainWindow::ShowTrend(const v1::ProgramProgress& progress) {
  const Trend trend = TrendOf(progress);
  chart_->removeAllSeries();
  const auto add = [&](const QString& name, const std::vector<TrendPoint>& points, QValueAxis* axis,
                       const QString& label_format) {
    auto* series = new QLineSeries;
    series->setName(name);
    series->setPointsVisible(true);
    // Small markers: Qt draws a point's label just above its centre.
    series->setMarkerSize(6);
    QFont font = series->pointLabelsFont();
    font.setBold(true);
    series->setPointLabelsFont(font);
    series->setPointLabelsVisible(true);
    // Leading spaces: the label is centred on the point, so its text sits to the right of
    // the marker instead of under it.
    series->setPointLabelsFormat(QStringLiteral("      ") + label_format);
    series->setPointLabelsClipping(false);
    for (const TrendPoint& p : points) series->append(p.week, p.value);
    chart_->addSeries(series);
    // The theme's colour, thicker; the labels in the same colour.
    QPen pen = series->pen();
    pen.setWidth(2);
    series->setPen(pen);
    series->setPointLabelsColor(pen.color().darker(130));
    series->attachAxis(week_axis_);
    series->attachAxis(axis);
  };
  add(tr("Morning pain (median)"), trend.morning_pain_median, pain_axis_,
      QStringLiteral("@yPoint"));
  add(tr("Max pain during exercise"), trend.max_pain_during, pain_axis_, QStringLiteral("@yPoint"));
  // Whole percents: the label reads "67%", not "66.6667".
  std::vector<TrendPoint> adherence = trend.adherence_percent;
  for (TrendPoint& p : adherence) p.value = std::round(p.value);
  add(tr("Adherence %"), adherence, adherence_axis_, QStringLiteral("@yPoint%"));
  // Half a week of room either side, so a first week's points sit inside the plot with
  // their labels, not on an axis.
  const int weeks = std::max(1, trend.weeks);
  week_axis_->setRange(0.5, weeks + 0.5);
  week_axis_->setTickInterval(std::max(1, (weeks + 11) / 12));
  double top = 100;
  for (const TrendPoint& p : adherence) top = std::max(top, p.value);
  adherence_axis_->setRange(0, std::ceil(top / 20) * 20 + (top > 100 ? 0 : 10));
  pain_axis_->setRange(0, 11);
  pain_axis_->setTickType(QValueAxis::TicksDynamic);
  pain_axis_->setTickAnchor(0);
  pain_axis_->setTickInterval(2);
  adherence_axis_->setTickType(QValueAxis::TicksDynamic);
  adherence_axis_->setTickAnchor(0);
  adherence_axis_->setTickInterval(20);
}

void MainWindow::ShowError(const QString& what, const RpcError& error) {
  const QString text = tr("%1 failed. %2").arg(what, Q(error.Sentence(client_->options().target)));
  error_label_->setText(text);
  error_label_->setToolTip(text + QStringLiteral("\n\n") + Q(error.ToString()));
  error_label_->show();
  emit errorShown(text);
}

void MainWindow::ClearError() {
  error_label_->clear();
  error_label_->setToolTip({});
  error_label_->hide();
}

void MainWindow::ShowActionMessage(QLabel* label, const QString& text, bool failure) {
  label->setStyleSheet(failure ? QStringLiteral("QLabel { color: #a00000; font-weight: bold; }")
                               : QStringLiteral("QLabel { color: #1b5e20; }"));
  label->setText(text);
  label->setToolTip(text);
  if (failure) emit errorShown(text);
}

std::string MainWindow::SelectedName(const QTableWidget* table) const {
  const std::vector<std::string> names = SelectedNames(table);
  return names.empty() ? std::string() : names.front();
}

std::vector<std::string> MainWindow::SelectedNames(const QTableWidget* table) const {
  std::vector<std::string> names;
  const QModelIndexList rows = table->selectionModel()->selectedRows();
  std::vector<int> sorted;
  for (const QModelIndex& index : rows) sorted.push_back(index.row());
  std::sort(sorted.begin(), sorted.end());
  for (int row : sorted) {
    const QTableWidgetItem* first = table->item(row, 0);
    if (first != nullptr) names.push_back(first->data(Qt::UserRole).toString().toStdString());
  }
  return names;
}

std::vector<std::string> MainWindow::AllNames(const QTableWidget* table) const {
  std::vector<std::string> names;
  for (int row = 0; row < table->rowCount(); ++row) {
    const QTableWidgetItem* first = table->item(row, 0);
    if (first != nullptr) names.push_back(first->data(Qt::UserRole).toString().toStdString());
  }
  return names;
}

void MainWindow::UpdateButtons() {
  const bool has_program = !current_program_.empty();
  const bool decision = !SelectedNames(decisions_).empty();
  const bool any_decision = decisions_->rowCount() > 0;
  approve_->setEnabled(decision);
  reject_->setEnabled(decision);
  approve_all_->setEnabled(any_decision);
  reject_all_->setEnabled(any_decision);
  approve_all_->setText(any_decision ? tr("Approve all %1").arg(decisions_->rowCount())
                                     : tr("Approve all"));
  bool open_alert = false;
  if (const auto rows = alerts_->selectionModel()->selectedRows(); !rows.isEmpty()) {
    const QTableWidgetItem* ack = alerts_->item(rows.front().row(), 5);
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
void MainWindow::Write(const QString& what, const QString& done_message, QLabel* message,
                       QLineEdit* reason, Call call) {
  progress_label_->setText(tr("%1…").arg(what));
  async_->Run(std::move(call), [this, done_message, message, reason](const Result<T>& result) {
    progress_label_->clear();
    if (!result.ok()) {
      ShowActionMessage(message, Q(result.error.Sentence(client_->options().target)), true);
      message->setToolTip(message->text() + QStringLiteral("\n\n") + Q(result.error.ToString()));
      return;
    }
    ShowActionMessage(message, done_message, false);
    reason->clear();
    LoadCaseload();
    if (!current_program_.empty()) LoadProgram(current_program_);
  });
}

void MainWindow::ReviewDecisions(bool approve, const std::vector<std::string>& decisions) {
  if (decisions.empty()) {
    ShowActionMessage(decision_message_, tr("Select a proposal first."), true);
    return;
  }
  const std::string reason = decision_reason_->text().trimmed().toStdString();
  if (!approve && reason.empty()) {
    ShowActionMessage(decision_message_,
                      tr("A reason is required to reject: type it in the box to the left of "
                         "the buttons, then press Reject again."),
                      true);
    decision_reason_->setFocus();
    return;
  }
  const int count = static_cast<int>(decisions.size());
  progress_label_->setText((approve ? tr("Approving %1…") : tr("Rejecting %1…"))
                               .arg(Count(count, "proposal", "proposals")));
  async_->Run(
      [client = client_, approve, decisions, reason] {
        return approve ? client->ApproveAll(decisions, reason)
                       : client->RejectAll(decisions, reason);
      },
      [this, approve, count](const BatchResult& result) {
        progress_label_->clear();
        const QString done = (approve ? tr("Approved %1.") : tr("Rejected %1."))
                                 .arg(Count(result.done, "proposal", "proposals"));
        if (result.failed.empty()) {
          ShowActionMessage(decision_message_, done, false);
          decision_reason_->clear();
        } else {
          QString text = result.failed.size() == static_cast<size_t>(count)
                             ? QString()
                             : done + QLatin1Char(' ');
          text += tr("%1 could not be done: ")
                      .arg(Count(static_cast<int>(result.failed.size()), "proposal", "proposals")) +
                  Q(result.failed.front().second.Sentence(client_->options().target));
          ShowActionMessage(decision_message_, text, true);
        }
        LoadCaseload();
        if (!current_program_.empty()) LoadProgram(current_program_);
      });
}

void MainWindow::OnApprove() { ReviewDecisions(true, SelectedNames(decisions_)); }
void MainWindow::OnReject() { ReviewDecisions(false, SelectedNames(decisions_)); }
void MainWindow::OnApproveAll() { ReviewDecisions(true, AllNames(decisions_)); }
void MainWindow::OnRejectAll() { ReviewDecisions(false, AllNames(decisions_)); }

void MainWindow::OnAcknowledge() {
  const std::string alert = SelectedName(alerts_);
  if (alert.empty()) return;
  Write<v1::Alert>(tr("Acknowledging the alert"), tr("Alert acknowledged."), alert_message_,
                   alert_note_,
                   [client = client_, alert, note = alert_note_->text().toStdString()] {
                     return client->Acknowledge(alert, note);
                   });
}

void MainWindow::OnPause() {
  if (current_program_.empty()) return;
  if (program_reason_->text().trimmed().isEmpty()) {
    ShowActionMessage(program_message_, tr("A reason is required to pause: type it above."), true);
    return;
  }
  Write<v1::Program>(
      tr("Pausing the program"), tr("Program paused."), program_message_, program_reason_,
      [client = client_, program = current_program_,
       reason = program_reason_->text().toStdString()] { return client->Pause(program, reason); });
}

void MainWindow::OnResume() {
  if (current_program_.empty()) return;
  if (program_reason_->text().trimmed().isEmpty()) {
    ShowActionMessage(program_message_, tr("A reason is required to resume: type it above."), true);
    return;
  }
  Write<v1::Program>(
      tr("Resuming the program"), tr("Program resumed."), program_message_, program_reason_,
      [client = client_, program = current_program_,
       reason = program_reason_->text().toStdString()] { return client->Resume(program, reason); });
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
    ShowActionMessage(override_message_, tr("Nothing to change: edit the dose first."), true);
    return;
  }
  if (override_reason_->text().trimmed().isEmpty()) {
    ShowActionMessage(override_message_,
                      tr("A reason is required to override: type it to the left of the "
                         "button."),
                      true);
    override_reason_->setFocus();
    return;
  }
  paths.push_back("locked");
  Write<v1::UpdatePrescriptionResponse>(
      tr("Overriding the dose"),
      tr("%1: dose overridden.").arg(Q(ExerciseName(exercise_names_, rx->exercise()))),
      override_message_, override_reason_,
      [client = client_, update, paths, reason = override_reason_->text().toStdString()] {
        return client->UpdatePrescription(update, paths, reason);
      });
}

void MainWindow::OnSetApprovalMode() {
  if (current_program_.empty()) return;
  if (program_reason_->text().trimmed().isEmpty()) {
    ShowActionMessage(program_message_,
                      tr("A reason is required to change the approval mode: type it above."), true);
    return;
  }
  const auto mode = static_cast<v1::ApprovalMode>(approval_mode_->currentData().toInt());
  Write<v1::Program>(tr("Setting the approval mode"), tr("Approval mode set."), program_message_,
                     program_reason_,
                     [client = client_, program = current_program_, mode,
                      reason = program_reason_->text().toStdString()] {
                       return client->SetApprovalMode(program, mode, reason);
                     });
}

}  // namespace kneecoach::desktop
