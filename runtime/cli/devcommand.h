#pragma once

#include <QStringList>

namespace kiln {

// `kiln dev [PATH] [--port N] [--ip ADDR] [--persist-to DIR] [--env NAME]`: wrangler's flags
// and defaults. Serves until SIGINT/SIGTERM; returns the process exit code.
int runDevCommand(const QStringList& args);

} // namespace kiln
