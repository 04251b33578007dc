#pragma once

#include "stores/workflowtypes.h"

#include <QAbstractTableModel>

#include <map>
#include <vector>

namespace kiln {

// A workflow's instances for the studio's workflow pane, newest first: id, status, created,
// duration (still growing for one that runs). Filled from WorkflowSnapshot values; an update
// with the same instances in the same order changes cells in place, so the view keeps its
// selection while a run goes on.
class WorkflowInstancesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { IdColumn, StatusColumn, CreatedColumn, DurationColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, StatusRole };

    explicit WorkflowInstancesModel(QObject* parent = nullptr);

    void setInstances(std::vector<WorkflowInstance> instances, qint64 nowMs);
    // Durations of unfinished instances end at `nowMs`.
    void setNow(qint64 nowMs);
    const WorkflowInstance& instance(int row) const { return m_rows[size_t(row)]; }
    int rowOf(const QString& id) const;
    // How many instances have each status (by Cloudflare's status name).
    std::map<QString, int> statusCounts() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<WorkflowInstance> m_rows;
    qint64 m_now = 0;
};

} // namespace kiln
