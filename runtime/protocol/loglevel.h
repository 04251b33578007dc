#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace kiln {

// One scale for every log line Kiln produces or passes on: console.* levels as workerd has
// them, in increasing severity. `None` is only a threshold ("show nothing"), never a line's level.
enum class LogLevel { Debug, Log, Info, Warn, Error, None };

// Where a log line came from: Kiln's request log, Python's print/stdout/stderr, JS console.*,
// or Kiln itself (reloads, limits, warnings).
enum class LogSource { Request, Print, Console, Kiln };

// Lower-case names as used on the command line and in protocol messages ("warn", "print").
QString logLevelName(LogLevel level);
std::optional<LogLevel> parseLogLevel(QStringView name);
QString logSourceName(LogSource source);
std::optional<LogSource> parseLogSource(QStringView name);

} // namespace kiln
