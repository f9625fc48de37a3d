// The physiotherapist's window: the caseload on the left (most urgent first), the selected
// program on the right (weekly trend chart, prescriptions with a dose override editor,
// proposed decisions to approve or reject, the decision history, alerts to acknowledge,
// approval mode, pause and resume).
//
// Every call runs on a worker (Async); results come back to the UI thread, which only
// draws. Errors are shown in the error line above everything (code, message, field
// violations) and in the status bar; nothing modal, nothing fatal.
//
// Thread safety: UI thread only.
#pragma once

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
class QTableView;
class QTableWidget;
class QValueAxis;

namespace kneecoach::desktop {

class CaseloadModel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // Starts loading the signed-in user and the caseload at once.
  explicit MainWindow(std::shared_ptr<const Client> client, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Reloads the user, the caseload and the program shown.
  void Refresh();
  // The program shown on the right ("programs/{id}"), empty if none.
  const std::string& current_program() const { return current_program_; }

 signals:
  // After each load is drawn (or failed: see errorShown).
  void caseloadLoaded();
  void programLoaded();
  void errorShown(const QString& text);

 private:
  void BuildUi();
  void LoadCaseload();
  void LoadProgram(const std::string& program);
  void ShowProgram(const ProgramDetail& detail);
  void ShowTrend(const v1::ProgramProgress& progress);
  void ShowError(const QString& what, const RpcError& error);
  void ClearError();
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

  // Runs a write, then shows `done_message` and reloads, or shows the error.
  template <typename T, typename Call>
  void Write(const QString& what, Call call);

  void OnApprove();
  void OnReject();
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
  // Bumped per program load: an older load's result is dropped.
  int program_generation_ = 0;
  bool reselecting_ = false;

  CaseloadModel* caseload_model_ = nullptr;
  QSortFilterProxyModel* caseload_proxy_ = nullptr;
  QTableView* caseload_view_ = nullptr;
  QLabel* error_label_ = nullptr;
  QLabel* user_label_ = nullptr;
  QLabel* program_header_ = nullptr;
  QChartView* chart_view_ = nullptr;
  QChart* chart_ = nullptr;
  QValueAxis* week_axis_ = nullptr;
  QValueAxis* pain_axis_ = nullptr;
  QValueAxis* adherence_axis_ = nullptr;
  QTableWidget* prescriptions_ = nullptr;
  QTableWidget* decisions_ = nullptr;
  QTableWidget* alerts_ = nullptr;
  QLineEdit* reason_ = nullptr;
  QPushButton* approve_ = nullptr;
  QPushButton* reject_ = nullptr;
  QPushButton* acknowledge_ = nullptr;
  QPushButton* pause_ = nullptr;
  QPushButton* resume_ = nullptr;
  QTableWidget* history_ = nullptr;
  // One editor per Dose field (QSpinBox, QDoubleSpinBox or QCheckBox), in field order,
  // named "dose.<field>".
  std::vector<QWidget*> dose_editors_;
  QCheckBox* lock_ = nullptr;
  QPushButton* override_ = nullptr;
  QComboBox* approval_mode_ = nullptr;
  QPushButton* set_approval_ = nullptr;

  // Last: destroyed first, so no work outlives what it uses.
  std::unique_ptr<Async> async_;
};

}  // namespace kneecoach::desktop
