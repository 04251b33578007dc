#include "logmodel.h"

#include "protocol/traceback.h"

#include <QColor>
#include <QVariantMap>

namespace kiln {

LogModel::LogModel(QObject* parent, int capacity)
    : QAbstractListModel(parent)
    , m_capacity(std::max(1, capacity)) {}

void LogModel::append(LogLevel level, LogSource source, const QString& text,
                      const QString& projectDir) {
    LogEntry entry{QDateTime::currentDateTime(), level, source, text, {}};
    if (!projectDir.isEmpty() && text.contains(QLatin1String("File \""))) {
        for (auto& frame : protocol::parseTraceback(text, projectDir).frames)
            if (frame.inProject) entry.frames.push_back(std::move(frame));
    }
    append(std::move(entry));
}

void LogModel::append(LogEntry entry) {
    if (int(m_entries.size()) >= m_capacity) {
        beginRemoveRows({}, 0, 0);
        m_entries.pop_front();
        endRemoveRows();
    }
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.push_back(std::move(entry));
    endInsertRows();
}

void LogModel::clear() {
    beginResetModel();
    m_entries.clear();
    endResetModel();
}

int LogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant LogModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LogEntry& e = m_entries[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole: // time and source before the text, the source padded to a column
        return e.time.toString(QStringLiteral("HH:mm:ss.zzz")) + QStringLiteral("  ") +
               logSourceName(e.source).leftJustified(8) + e.text;
    case Qt::ToolTipRole:
        return e.frames.empty() ? QVariant()
                                : QVariant(tr("Double-click to open %1:%2")
                                               .arg(e.frames.back().file)
                                               .arg(e.frames.back().line));
    case Qt::ForegroundRole: // readable on light and dark palettes alike
        if (e.level == LogLevel::Error) return QColor(0xe0, 0x40, 0x40);
        if (e.level == LogLevel::Warn) return QColor(0xd0, 0x80, 0x20);
        return {};
    case LevelRole:
        return int(e.level);
    case SourceRole:
        return int(e.source);
    case TimeRole:
        return e.time;
    case TextRole:
        return e.text;
    case FramesRole: {
        QVariantList frames;
        for (const auto& f : e.frames)
            frames.append(QVariantMap{{QStringLiteral("file"), f.file},
                                      {QStringLiteral("line"), f.line},
                                      {QStringLiteral("function"), f.function}});
        return frames;
    }
    default:
        return {};
    }
}

} // namespace kiln
