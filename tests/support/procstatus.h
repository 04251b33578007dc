#pragma once

#include <QtGlobal>

namespace kiln::test {

// A "<field>: N kB" line of /proc/<pid>/status (pid 0: this process), in KiB; -1 if absent.
// "VmRSS" is resident memory now, "VmHWM" its peak.
qint64 procStatusKiB(const char* field, qint64 pid = 0);

} // namespace kiln::test
