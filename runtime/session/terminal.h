#pragma once

#include "protocol/loglevel.h"

#include <QString>

namespace kiln {

struct ProjectConfig;

// How the CLI talks to a person: wrangler-like prefixes, one line per event, flushed at once
// so a supervising process (the studio, a test) sees lines as they happen. Thread-safe.
void terminalBanner(const ProjectConfig& project);
void terminalInfo(const QString& text);
void terminalWarning(const QString& text);
void terminalError(const QString& text);
void terminalRequest(const QString& text);
void terminalLog(LogLevel level,
                 const QString& text); // worker output: print, console.*, tracebacks

} // namespace kiln
