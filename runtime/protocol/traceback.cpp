#include "protocol/traceback.h"

#include <QDir>
#include <QRegularExpression>

namespace kiln::protocol {

namespace {

bool underDir(const QString& file, const QString& dir) {
    if (dir.isEmpty()) return false;
    const QString root = QDir::cleanPath(dir) + QLatin1Char('/');
    return QDir::cleanPath(file).startsWith(root);
}

} // namespace

ExceptionEvent parseTraceback(const QString& text, const QString& projectDir) {
    static const QRegularExpression pyFrame(
        QString::fromLatin1(R"re(^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$)re"));
    static const QRegularExpression jsFrame(
        QString::fromLatin1(R"re(^\s+at (?:(.+?) \()?(\S+?):(\d+):\d+\)?$)re"));
    static const QRegularExpression errorLine(
        QString::fromLatin1(R"re(^([A-Za-z_][\w.]*): ?(.*)$)re"));
    ExceptionEvent event;
    event.text = text;
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (const auto m = pyFrame.match(line); m.hasMatch()) {
            event.frames.push_back({m.captured(1), m.captured(2).toInt(), m.captured(3),
                                    underDir(m.captured(1), projectDir)});
            continue;
        }
        if (const auto m = jsFrame.match(line); m.hasMatch()) {
            QString file = m.captured(2);
            if (file.startsWith(QLatin1String("file://"))) file = file.mid(7);
            event.frames.push_back(
                {file, m.captured(3).toInt(), m.captured(1), underDir(file, projectDir)});
        }
    }
    // The exception line is the last line that reads "Type: message" at the left margin.
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (it->isEmpty() || it->startsWith(QLatin1Char(' '))) continue;
        if (const auto m = errorLine.match(*it);
            m.hasMatch() && m.captured(1) != QLatin1String("Traceback")) {
            event.type = m.captured(1);
            event.message = m.captured(2);
            break;
        }
    }
    if (event.type.isEmpty() && event.message.isEmpty()) {
        for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
            if (!it->trimmed().isEmpty()) {
                event.message = it->trimmed();
                break;
            }
        }
    }
    return event;
}

ConfigError tracebackLocation(const ExceptionEvent& exception) {
    ConfigError where;
    where.message = exception.type.isEmpty()
                        ? exception.message
                        : exception.type + QStringLiteral(": ") + exception.message;
    const TraceFrame* pick = exception.frames.empty() ? nullptr : &exception.frames.back();
    for (const auto& frame : exception.frames) {
        if (frame.inProject) pick = &frame; // frames run outermost first: the last one wins
    }
    if (pick) {
        where.file = pick->file;
        where.line = pick->line;
    }
    return where;
}

} // namespace kiln::protocol
