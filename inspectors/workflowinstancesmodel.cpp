#include "workflowinstancesmodel.h"

#include "stores/workflowjson.h"

#include <QDateTime>
#include <QFont>

namespace kiln {

WorkflowInstancesModel::WorkflowInstancesModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void WorkflowInstancesModel::setInstances(std::vector<WorkflowInstance> instances, qint64 nowMs) {
    m_now = nowMs;
    const bool sameRows = instances.size() == m_rows.size() &&
                          std::equal(instances.begin(), instances.end(), m_rows.begin(),
                                     [](const auto& a, const auto& b) { return a.id == b.id; });
    if (!sameRows) {
        beginResetModel();
        m_rows = std::move(instances);
        endResetModel();
        return;
    }
    m_rows = std::move(instances);
    if (!m_rows.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void WorkflowInstancesModel::setNow(qint64 nowMs) {
    m_now = nowMs;
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0, DurationColumn), index(rowCount() - 1, DurationColumn),
                           {Qt::DisplayRole});
}

int WorkflowInstancesModel::rowOf(const QString& id) const {
    for (size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == id) return int(i);
    return -1;
}

std::map<QString, int> WorkflowInstancesModel::statusCounts() const {
    std::map<QString, int> out;
    for (const WorkflowInstance& i : m_rows)
        ++out[workflowStatusName(i.status)];
    return out;
}

int WorkflowInstancesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WorkflowInstancesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkflowInstancesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const WorkflowInstance& i = m_rows[size_t(index.row())];
    if (role == IdRole) return i.id;
    if (role == StatusRole) return workflowStatusName(i.status);
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case IdColumn:
            return i.id;
        case StatusColumn:
            return workflowStatusName(i.status);
        case CreatedColumn:
            return QDateTime::fromMSecsSinceEpoch(i.createdMs)
                .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case DurationColumn:
            if (i.startedMs <= 0) return QString();
            return workflowDurationText((i.endedMs > 0 ? i.endedMs : m_now) - i.startedMs);
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == DurationColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant WorkflowInstancesModel::headerData(int section, Qt::Orientation orientation,
                                            int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case IdColumn:
        return tr("Instance");
    case StatusColumn:
        return tr("Status");
    case CreatedColumn:
        return tr("Created");
    case DurationColumn:
        return tr("Duration");
    }
    return {};
}

} // namespace kiln
