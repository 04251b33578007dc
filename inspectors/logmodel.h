#pragma once

#include "protocol/events.h"
#include "protocol/loglevel.h"

#include <QAbstractListModel>
#include <QDateTime>

#include <deque>

namespace kiln {

// One line of the log console: what the runtime said (a `log` event), or what the studio
// itself says about the runtime (it stopped, it restarted). A traceback keeps its frames so
// the view can link each one in the project to its file and line.
struct LogEntry {
    QDateTime time;
    LogLevel level = LogLevel::Log;
    LogSource source = LogSource::Kiln;
    QString text;
    std::vector<protocol::TraceFrame> frames; // those in the project, outermost first
};

// The log console's lines in a ring buffer: past `capacity` the oldest go, so a worker that
// prints for hours costs bounded memory and the view stays smooth. GUI thread only.
class LogModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        LevelRole = Qt::UserRole + 1, // LogLevel as int
        SourceRole,                   // LogSource as int
        TimeRole,                     // QDateTime
        TextRole,                     // the text alone (DisplayRole adds time and source)
        FramesRole,                   // QVariantList of {file, line, function} in the project
    };
    explicit LogModel(QObject* parent = nullptr, int capacity = 100000);

    // Appends a line; `projectDir` picks which traceback frames become links.
    void append(LogEntry entry);
    void append(LogLevel level, LogSource source, const QString& text,
                const QString& projectDir = {});
    void clear();
    int capacity() const { return m_capacity; }
    const LogEntry& entry(int row) const { return m_entries[size_t(row)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

private:
    std::deque<LogEntry> m_entries;
    int m_capacity;
};

} // namespace kiln
