#pragma once

#include <QStringList>

namespace kiln {

// `kiln profile [DIR]`: where a cold start goes, and whether it would pass on Cloudflare.
// Starts fresh `kiln dev` processes N times per mode (no code cache; code cache) and prints
// per phase the median and spread, the Python import tree (-X importtime), and deploy checks
// against Cloudflare's limits; `--json` for tools, `--trace FILE` in Chrome's trace-event
// format (Perfetto, speedscope).
int runProfileCommand(const QStringList& args);

} // namespace kiln
