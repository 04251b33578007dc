#include "session/requestlog.h"

namespace kiln {

QString statusText(int status) {
    switch (status) {
    case 200:
        return QStringLiteral("OK");
    case 201:
        return QStringLiteral("Created");
    case 204:
        return QStringLiteral("No Content");
    case 301:
        return QStringLiteral("Moved Permanently");
    case 302:
        return QStringLiteral("Found");
    case 304:
        return QStringLiteral("Not Modified");
    case 400:
        return QStringLiteral("Bad Request");
    case 401:
        return QStringLiteral("Unauthorized");
    case 403:
        return QStringLiteral("Forbidden");
    case 404:
        return QStringLiteral("Not Found");
    case 405:
        return QStringLiteral("Method Not Allowed");
    case 500:
        return QStringLiteral("Internal Server Error");
    default:
        return QString();
    }
}

QString requestLogLine(const HttpExchangeRecord& record) {
    // Built by concatenation: the target may hold '%' escapes, which QString::arg would read
    // as its own placeholders.
    const QString outcome = record.cancelled ? QStringLiteral("cancelled")
                                             : QString::number(record.status) + QLatin1Char(' ') +
                                                   statusText(record.status);
    return QString::fromLatin1(record.method) + QLatin1Char(' ') +
           QString::fromLatin1(record.target) + QLatin1Char(' ') + outcome.trimmed() +
           QStringLiteral(" (") +
           QString::number(static_cast<double>(record.totalUs) / 1000.0, 'f', 0) +
           QStringLiteral("ms)");
}

} // namespace kiln
