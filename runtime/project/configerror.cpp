#include "project/configerror.h"

namespace kiln {

QString ConfigError::toString() const {
    QString out = file;
    if (line > 0) {
        out += QLatin1Char(':') + QString::number(line);
        if (column > 0) out += QLatin1Char(':') + QString::number(column);
    }
    if (!out.isEmpty()) out += QLatin1String(": ");
    return out + message;
}

} // namespace kiln
