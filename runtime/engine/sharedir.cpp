#include "engine/sharedir.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace kiln {

QString shareDir() {
    const QString fromEnv = qEnvironmentVariable("KILN_SHARE_DIR");
    if (!fromEnv.isEmpty()) return QDir(fromEnv).absolutePath();
    QString exeDir = QCoreApplication::applicationDirPath();
    if (exeDir.isEmpty()) exeDir = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalPath();
    return QDir::cleanPath(exeDir + QStringLiteral("/../share/kiln"));
}

} // namespace kiln
