#pragma once

#include <QLocale>
#include <QObject>
#include <QString>

namespace kiln {

// A byte count as the browsers show it: "512 B", "1.6 kB", "25.0 MB" (QLocale's own words
// read "1 bytes" for small counts).
inline QString sizeText(qint64 bytes) {
    if (bytes < 1024) return QObject::tr("%1 B").arg(bytes);
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

} // namespace kiln
