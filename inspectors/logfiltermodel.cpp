#include "logfiltermodel.h"

#include "logmodel.h"

namespace kiln {

void LogFilterModel::setMinimumLevel(LogLevel level) {
    m_minimum = level;
    invalidateRowsFilter();
}

void LogFilterModel::setText(const QString& text) {
    m_text = text;
    invalidateRowsFilter();
}

void LogFilterModel::setSourceShown(LogSource source, bool shown) {
    const unsigned bit = 1u << unsigned(source);
    m_hiddenSources = shown ? (m_hiddenSources & ~bit) : (m_hiddenSources | bit);
    invalidateRowsFilter();
}

bool LogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (index.data(LogModel::LevelRole).toInt() < int(m_minimum)) return false;
    if (m_hiddenSources & (1u << unsigned(index.data(LogModel::SourceRole).toInt()))) return false;
    return m_text.isEmpty() ||
           index.data(LogModel::TextRole).toString().contains(m_text, Qt::CaseInsensitive);
}

} // namespace kiln
