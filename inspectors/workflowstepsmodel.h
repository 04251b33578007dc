#pragma once

#include "workflowsnapshot.h"

#include <QAbstractTableModel>

namespace kiln {

// The steps of the instances the timeline shows, one row per step, grouped by instance in
// the order the instances were chosen (several instances compare on one time axis). Columns
// name the step; the bars come from timelineSegments() of step(row). An update keeping the
// same steps changes cells in place (a running step's attempts and end move on).
class WorkflowStepsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        InstanceColumn,
        TypeColumn,
        StateColumn,
        AttemptsColumn,
        DurationColumn,
        ColumnCount
    };
    enum Role { KeyRole = Qt::UserRole + 1, InstanceRole };

    explicit WorkflowStepsModel(QObject* parent = nullptr);

    void setSteps(const QStringList& instanceIds,
                  const std::map<QString, std::vector<WorkflowStep>>& steps, qint64 nowMs);
    void setNow(qint64 nowMs) { m_now = nowMs; }
    const WorkflowStep& step(int row) const { return m_rows[size_t(row)].step; }
    const QString& instanceOf(int row) const { return m_rows[size_t(row)].instance; }
    const QStringList& instances() const { return m_instances; }
    // The span every bar lies in: the earliest start to the latest end (`now` for what runs).
    std::pair<qint64, qint64> timeRange() const;
    bool anyRunning() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    struct Row {
        QString instance;
        WorkflowStep step;
    };
    std::vector<Row> m_rows;
    QStringList m_instances;
    qint64 m_now = 0;
};

} // namespace kiln
