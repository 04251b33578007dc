#pragma once

#include "protocol/loglevel.h"

#include <QString>

namespace kiln {

struct ProjectConfig;

// How the CLI talks to a person: wrangler-like prefixes, one line per event, flushed at once
// so a supervising process (the studio, a test) sees lines as they happen. Thread-safe, and
// never blocks the caller: lines are written by TerminalWriter's thread.
void terminalBanner(const ProjectConfig& project);
void terminalInfo(const QString& text);
void terminalWarning(const QString& text);
void terminalError(const QString& text);
void terminalRequest(const QString& text);
// Waits up to `ms` for queued lines to be written; before a process exits without unwinding.
void terminalFlush(int ms = 1000);
void terminalLog(LogLevel level,
                 const QString& text); // worker output: print, console.*, tracebacks

} // namespace kiln
