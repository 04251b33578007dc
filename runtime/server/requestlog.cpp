#include "server/requestlog.h"

#include "server/httpresponsewriter.h"

namespace kiln {

QString requestLogLine(const HttpExchangeRecord& record) {
    // Built by concatenation: the target may hold '%' escapes, which QString::arg would read
    // as its own placeholders. Control bytes are shown escaped so a target cannot forge lines.
    QString target;
    const QByteArray shown = record.target.left(kMaxLoggedTarget);
    for (const char c : shown) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            target += QStringLiteral("\\x%1").arg(u, 2, 16, QLatin1Char('0'));
        else
            target += QLatin1Char(c);
    }
    if (record.target.size() > kMaxLoggedTarget)
        target += QStringLiteral("… (%1 bytes)").arg(record.target.size());
    QString outcome = QStringLiteral("cancelled");
    if (!record.cancelled) {
        outcome = QString::number(record.status);
        if (const char* phrase = HttpResponseWriter::reasonPhrase(record.status); *phrase)
            outcome += QLatin1Char(' ') + QLatin1String(phrase);
    }
    return QString::fromLatin1(record.method) + QLatin1Char(' ') + target + QLatin1Char(' ') +
           outcome + QStringLiteral(" (") +
           QString::number(static_cast<double>(record.totalUs) / 1000.0, 'f', 0) +
           QStringLiteral("ms)");
}

} // namespace kiln
