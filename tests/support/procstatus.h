#pragma once

#include <QHash>
#include <QString>
#include <QtGlobal>

namespace kiln::test {

// A "<field>: N kB" line of /proc/<pid>/status (pid 0: this process), in KiB; -1 if absent.
// "VmRSS" is resident memory now, "VmHWM" its peak.
qint64 procStatusKiB(const char* field, qint64 pid = 0);

// Resident KiB of each file mapped into process `pid` (all its mappings of the file summed),
// from /proc/<pid>/smaps; anonymous memory is left out.
QHash<QString, qint64> residentFileKiB(qint64 pid);

} // namespace kiln::test
