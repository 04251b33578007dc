#include "workflowstepsmodel.h"

#include "stores/workflowjson.h"

namespace kiln {

WorkflowStepsModel::WorkflowStepsModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void WorkflowStepsModel::setSteps(const QStringList& instanceIds,
                                  const std::map<QString, std::vector<WorkflowStep>>& steps,
                                  qint64 nowMs) {
    m_now = nowMs;
    std::vector<Row> rows;
    for (const QString& id : instanceIds) {
        const auto it = steps.find(id);
        if (it == steps.end()) continue;
        for (const WorkflowStep& s : it->second)
            rows.push_back({id, s});
    }
    const bool sameRows =
        rows.size() == m_rows.size() &&
        std::equal(rows.begin(), rows.end(), m_rows.begin(), [](const Row& a, const Row& b) {
            return a.instance == b.instance && a.step.key == b.step.key;
        });
    m_instances = instanceIds;
    if (!sameRows) {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
        return;
    }
    m_rows = std::move(rows);
    if (!m_rows.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

std::pair<qint64, qint64> WorkflowStepsModel::timeRange() const {
    qint64 lo = 0, hi = 0;
    for (const Row& r : m_rows) {
        for (const TimelineSegment& s : timelineSegments(r.step, m_now)) {
            if (s.start > 0 && (lo == 0 || s.start < lo)) lo = s.start;
            hi = std::max(hi, s.end);
        }
    }
    return {lo, std::max(hi, lo)};
}

bool WorkflowStepsModel::anyRunning() const {
    return std::any_of(m_rows.begin(), m_rows.end(), [](const Row& r) {
        return r.step.state == QLatin1String("running") || r.step.state == QLatin1String("waiting");
    });
}

int WorkflowStepsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WorkflowStepsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant WorkflowStepsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const Row& r = m_rows[size_t(index.row())];
    const WorkflowStep& s = r.step;
    if (role == KeyRole) return s.key;
    if (role == InstanceRole) return r.instance;
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    switch (index.column()) {
    case NameColumn:
        return s.count > 1 ? QStringLiteral("%1 (%2)").arg(s.name).arg(s.count) : s.name;
    case InstanceColumn:
        return r.instance;
    case TypeColumn:
        return workflowStepKindName(s.kind);
    case StateColumn:
        return s.state;
    case AttemptsColumn:
        return s.kind == WorkflowStepKind::Do ? QVariant(int(s.attempts.size())) : QVariant();
    case DurationColumn:
        if (s.startedMs <= 0) return QString();
        return workflowDurationText((s.endedMs > 0 ? s.endedMs : m_now) - s.startedMs);
    }
    return {};
}

QVariant WorkflowStepsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn:
        return tr("Step");
    case InstanceColumn:
        return tr("Instance");
    case TypeColumn:
        return tr("Type");
    case StateColumn:
        return tr("State");
    case AttemptsColumn:
        return tr("Attempts");
    case DurationColumn:
        return tr("Duration");
    }
    return {};
}

} // namespace kiln
