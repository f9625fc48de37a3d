// The caseload as a Qt table model: one row per patient (CaseloadRow), in the urgency
// order the rows are given in; Qt::UserRole holds a sortable value per column, so a
// QSortFilterProxyModel with sortRole UserRole sorts numbers as numbers.
//
// Thread safety: UI thread only, like every Qt model.
#pragma once

#include <vector>

#include <QAbstractTableModel>

#include "clients/desktop/client.h"

namespace kneecoach::desktop {

class CaseloadModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    kPatient,
    kPhase,
    kState,
    kOpenAlerts,
    kAdherence,
    kMorningPain,
    kPending,
    kColumnCount
  };
  // Qt::UserRole: sort key. kProgramRole: the row's program name.
  static constexpr int kProgramRole = Qt::UserRole + 1;

  using QAbstractTableModel::QAbstractTableModel;

  void SetRows(std::vector<CaseloadRow> rows);
  const std::vector<CaseloadRow>& rows() const { return rows_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

 private:
  std::vector<CaseloadRow> rows_;
};

}  // namespace kneecoach::desktop
