#pragma once

#include "protocol/loglevel.h"

#include <QSortFilterProxyModel>

namespace kiln {

// The log console's filter: lines at or above a level, from the chosen sources, containing a
// text (case-insensitive). Over LogModel.
class LogFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setMinimumLevel(LogLevel level);
    LogLevel minimumLevel() const { return m_minimum; }
    void setText(const QString& text);
    void setSourceShown(LogSource source, bool shown);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    LogLevel m_minimum = LogLevel::Debug;
    QString m_text;
    unsigned m_hiddenSources = 0; // bit per LogSource
};

} // namespace kiln
