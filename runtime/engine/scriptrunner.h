#pragma once

#include <QString>

namespace kiln {

// Runs one ES module in a fresh isolate with the Web API prelude, until its event loop has
// nothing left to do (the `kiln js FILE` command, used by the engine tests). Output goes to
// stdout/stderr. Returns 0, or 1 when the module threw or rejected.
int runScriptFile(const QString& path);

} // namespace kiln
