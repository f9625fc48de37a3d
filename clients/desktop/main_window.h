// The physiotherapist's window. Left: the caseload (most urgent first). Right, for the
// selected patient: a header line and five tabs:
//   Overview  - adherence, outcomes (AKPS and its change, step-downs, global rating of
//               change), the weekly trend chart, recent sessions exercise by exercise (dose,
//               pain during and one hour after, done / partly / not done) and morning
//               check-ins with every answer and red flag;
//   Proposals - the engine's proposed decisions, wrapped in full, approved or rejected one,
//               a selection or all at once, with the reason box beside the buttons;
//   Program   - prescriptions (library names) with the dose override editor, and the
//               approval mode, pause and resume;
//   Alerts    - alerts with who acknowledged them and their note;
//   History   - decisions made, credited to the physiotherapist by name.
// The two sides are a QSplitter; every table scrolls inside its own pane, so the window
// works from 1366x768 up.
//
// Every call runs on a worker (Async); results come back to the UI thread, which only
// draws. A failed load shows one sentence in the status bar (errorLabel); a failed action
// shows its sentence in the message line right under that action's reason box. Both
// places keep their size, so no message moves the layout. Nothing modal, nothing fatal.
//
// Keyboard: Ctrl+N / Ctrl+Shift+N next / previous patient, Ctrl+Return approve the
// selected proposals, Ctrl+K acknowledge the selected (else newest open) alert, Ctrl+1..5
// the tabs, F5 refresh; the buttons and the status bar show them.
//
// Thread safety: UI thread only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <QMainWindow>

#include "clients/desktop/async.h"
#include "clients/desktop/client.h"

class QChart;
class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTableWidget;
class QValueAxis;

namespace kneecoach::desktop {

class CaseloadModel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // The tabs of the patient side, in order.
  enum Tab { kOverviewTab, kProposalsTab, kProgramTab, kAlertsTab, kHistoryTab };

  // Starts loading the signed-in user and the caseload at once.
  explicit MainWindow(std::shared_ptr<const Client> client, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Reloads the user, the caseload and the program shown.
  void Refresh();
  // The program shown on the right ("programs/{id}"), empty if none.
  const std::string& current_program() const { return current_program_; }
  // Selects the next (or, with `step` -1, the previous) patient of the caseload.
  void SelectNextPatient(int step = 1);

 signals:
  // After each load is drawn (or failed: see errorShown).
  void caseloadLoaded();
  void programLoaded();
  // A sentence shown for a failure, in the status bar or beside an action.
  void errorShown(const QString& text);

 private:
  void BuildUi();
  QWidget* BuildCaseload();
  QWidget* BuildOverview();
  QWidget* BuildProposals();
  QWidget* BuildProgram();
  QWidget* BuildAlerts();
  QWidget* BuildHistory();
  void BuildShortcuts();

  void LoadCaseload();
  void LoadProgram(const std::string& program);
  void ShowProgram(const ProgramDetail& detail);
  void ShowOverview(const ProgramDetail& detail);
  void ShowTrend(const v1::ProgramProgress& progress);
  // A failed load: its sentence in the status bar.
  void ShowError(const QString& what, const RpcError& error);
  void ClearError();
  // `text` in an action's message line: red for a failure, green otherwise.
  void ShowActionMessage(QLabel* label, const QString& text, bool failure);
  void UpdateButtons();
  void OnCaseloadSelection();
  // Fills the dose editor from the selected prescription.
  void OnPrescriptionSelection();
  // The selected prescription of the program shown; nullptr if none.
  const v1::Prescription* SelectedPrescription() const;
  // The dose in the editor.
  v1::Dose EditedDose() const;
  // The resource name held by the selected row of `table` (Qt::UserRole of column 0).
  std::string SelectedName(const QTableWidget* table) const;
  // The resource names of every selected row of `table`, top to bottom.
  std::vector<std::string> SelectedNames(const QTableWidget* table) const;
  // Every row's resource name, top to bottom.
  std::vector<std::string> AllNames(const QTableWidget* table) const;

  // Runs a write, then shows `done_message` in `message`, clears `reason` and reloads; or
  // shows the error's sentence in `message`.
  template <typename T, typename Call>
  void Write(const QString& what, const QString& done_message, QLabel* message, QLineEdit* reason,
             Call call);
  // Approves or rejects `decisions` one by one with the proposals' reason.
  void ReviewDecisions(bool approve, const std::vector<std::string>& decisions);

  void OnApprove();
  void OnReject();
  void OnApproveAll();
  void OnRejectAll();
  void OnAcknowledge();
  void OnPause();
  void OnResume();
  void OnOverrideDose();
  void OnSetApprovalMode();

  std::shared_ptr<const Client> client_;
  std::string current_program_;
  v1::ProgramState current_state_ = v1::PROGRAM_STATE_UNSPECIFIED;
  // The program shown, as last loaded.
  v1::Program shown_;
  // The library's exercise names, as last loaded.
  std::map<std::string, std::string> exercise_names_;
  // Bumped per program load: an older load's result is dropped.
  int program_generation_ = 0;
  bool reselecting_ = false;

  CaseloadModel* caseload_model_ = nullptr;
  QSortFilterProxyModel* caseload_proxy_ = nullptr;
  QTableView* caseload_view_ = nullptr;
  QLabel* error_label_ = nullptr;
  QLabel* progress_label_ = nullptr;
  QLabel* user_label_ = nullptr;
  QLabel* program_header_ = nullptr;
  QTabWidget* tabs_ = nullptr;

  // Overview.
  QLabel* adherence_week_ = nullptr;
  QLabel* adherence_total_ = nullptr;
  QLabel* akps_ = nullptr;
  QLabel* step_downs_ = nullptr;
  QLabel* global_rating_ = nullptr;
  QLabel* morning_pain_change_ = nullptr;
  QTableWidget* outcomes_ = nullptr;
  QTableWidget* sessions_ = nullptr;
  QTableWidget* check_ins_ = nullptr;
  QChartView* chart_view_ = nullptr;
  QChart* chart_ = nullptr;
  QValueAxis* week_axis_ = nullptr;
  QValueAxis* pain_axis_ = nullptr;
  QValueAxis* adherence_axis_ = nullptr;

  // Proposals.
  QTableWidget* decisions_ = nullptr;
  QLineEdit* decision_reason_ = nullptr;
  QPushButton* approve_ = nullptr;
  QPushButton* reject_ = nullptr;
  QPushButton* approve_all_ = nullptr;
  QPushButton* reject_all_ = nullptr;
  QLabel* decision_message_ = nullptr;

  // Program.
  QTableWidget* prescriptions_ = nullptr;
  // One editor per Dose field (QSpinBox, QDoubleSpinBox or QCheckBox), in field order,
  // named "dose.<field>".
  std::vector<QWidget*> dose_editors_;
  QCheckBox* lock_ = nullptr;
  QLineEdit* override_reason_ = nullptr;
  QPushButton* override_ = nullptr;
  QLabel* override_message_ = nullptr;
  QComboBox* approval_mode_ = nullptr;
  QPushButton* set_approval_ = nullptr;
  QPushButton* pause_ = nullptr;
  QPushButton* resume_ = nullptr;
  QLineEdit* program_reason_ = nullptr;
  QLabel* program_message_ = nullptr;

  // Alerts.
  QTableWidget* alerts_ = nullptr;
  QLineEdit* alert_note_ = nullptr;
  QPushButton* acknowledge_ = nullptr;
  QLabel* alert_message_ = nullptr;

  // History.
  QTableWidget* history_ = nullptr;

  // Last: destroyed first, so no work outlives what it uses.
  std::unique_ptr<Async> async_;
};

}  // namespace kneecoach::desktop
