#include "clients/desktop/caseload_model.h"

#include <QBrush>
#include <QColor>
#include <QString>

#include "clients/desktop/model.h"

namespace kneecoach::desktop {

void CaseloadModel::SetRows(std::vector<CaseloadRow> rows) {
  beginResetModel();
  rows_ = std::move(rows);
  endResetModel();
}

int CaseloadModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int CaseloadModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant CaseloadModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= static_cast<int>(rows_.size())) return {};
  const CaseloadRow& r = rows_[static_cast<size_t>(index.row())];
  if (role == kProgramRole) return QString::fromStdString(r.program);
  if (role == Qt::ForegroundRole) {
    if (index.column() == kOpenAlerts && r.open_alerts > 0) return QBrush(QColor(180, 0, 0));
    if (index.column() == kState && r.state == v1::PROGRAM_STATE_PAUSED) {
      return QBrush(QColor(180, 90, 0));
    }
    return {};
  }
  if (role == Qt::ToolTipRole && index.column() == kPatient) {
    return QString::fromStdString(r.patient_name + " (" + r.patient + ")");
  }
  if (role == Qt::ToolTipRole && index.column() == kState && !r.pause_reason.empty()) {
    return QString::fromStdString(r.pause_reason);
  }
  const bool display = role == Qt::DisplayRole;
  const bool sort = role == Qt::UserRole;
  if (!display && !sort) return {};
  switch (index.column()) {
    case kPatient:
      return QString::fromStdString(PatientLabel(r));
    case kPhase:
      if (sort) return static_cast<int>(r.phase);
      return QString::fromStdString(EnumWord(v1::Phase_descriptor(), r.phase));
    case kState:
      if (sort) return r.state == v1::PROGRAM_STATE_PAUSED ? 0 : 1;
      if (r.program.empty()) return QStringLiteral("no program");
      return QString::fromStdString(EnumWord(v1::ProgramState_descriptor(), r.state));
    case kOpenAlerts:
      return r.open_alerts;
    case kAdherence:
      if (sort) return r.adherence.value_or(-1.0);
      if (!r.adherence) return QStringLiteral("-");
      return QStringLiteral("%1%").arg(static_cast<int>(*r.adherence * 100.0 + 0.5));
    case kMorningPain:
      if (sort) return r.morning_pain_median.value_or(-1.0);
      if (!r.morning_pain_median) return QStringLiteral("-");
      return QString::number(*r.morning_pain_median, 'f', 1);
    case kPending:
      return r.pending_decisions;
    default:
      return {};
  }
}

QVariant CaseloadModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case kAdherence:
        return tr("Adherence: session days done / planned in the program's latest week");
      case kMorningPain:
        return tr("Median morning pain (0-10) of the latest week's check-ins");
      case kPending:
        return tr("Decisions the engine proposed, waiting for your approval");
      case kOpenAlerts:
        return tr("Alerts not yet acknowledged");
      default:
        return {};
    }
  }
  if (role != Qt::DisplayRole) return {};
  switch (section) {
    case kPatient:
      return tr("Patient");
    case kPhase:
      return tr("Phase");
    case kState:
      return tr("State");
    case kOpenAlerts:
      return tr("Alerts");
    case kAdherence:
      return tr("Adh.");
    case kMorningPain:
      return tr("AM pain");
    case kPending:
      return tr("Pending");
    default:
      return {};
  }
}

}  // namespace kneecoach::desktop
