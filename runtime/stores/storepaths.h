#pragma once

#include <QString>

namespace kiln {

// `<persist>/<kind>/<id>.sqlite` (ARCHITECTURE §5). The id comes from the user's config, so
// it is made into a single safe file name: no separators, never "." or "..".
// `<persist>/<kind>/<id>` for stores that are a folder (an R2 bucket).
inline QString storeDir(const QString& persistDir, const QString& kind, QString id)
{
    id.replace(QLatin1Char('/'), QLatin1Char('_')).replace(QLatin1Char('\\'), QLatin1Char('_')).replace(QChar(0), QLatin1Char('_'));
    if (id.isEmpty() || id == QLatin1String(".") || id == QLatin1String(".."))
        id.prepend(QLatin1Char('_'));
    return persistDir + QLatin1Char('/') + kind + QLatin1Char('/') + id;
}

inline QString storeFile(const QString& persistDir, const QString& kind, const QString& id)
{
    return storeDir(persistDir, kind, id) + QStringLiteral(".sqlite");
}

} // namespace kiln
