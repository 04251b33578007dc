#include "server/devrouter.h"

#include "server/httpexchange.h"

#include <QUrl>
#include <QUrlQuery>

namespace kiln {

DevRouter::DevRouter(HttpHandler* worker, ScheduledTrigger scheduled)
    : m_worker(worker)
    , m_scheduled(std::move(scheduled)) {}

void DevRouter::handle(std::shared_ptr<HttpExchange> exchange) {
    const QUrl url(QString::fromLatin1(exchange->head().target));
    const QString path = url.path();
    if (path != QLatin1String("/cdn-cgi/handler/scheduled") &&
        path != QLatin1String("/__scheduled"))
        return m_worker->handle(std::move(exchange));
    // wrangler's default cron when none is given is "* * * * *".
    // Form-style query: "+" is a space, as URLSearchParams reads it ("0+3+*+*+*").
    QUrlQuery query(url.query(QUrl::FullyEncoded).replace(QLatin1Char('+'), QLatin1String("%20")));
    QString cron = query.queryItemValue(QStringLiteral("cron"), QUrl::FullyDecoded);
    if (cron.isEmpty()) cron = QStringLiteral("* * * * *");
    // wrangler's `time=` (ms since the epoch) sets the controller's scheduledTime; a value
    // that is not a number is ignored, as there.
    bool isNumber = false;
    const qint64 ms = query.queryItemValue(QStringLiteral("time")).toLongLong(&isNumber);
    const QDateTime time = isNumber ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC) : QDateTime();
    m_scheduled(cron, time, [exchange](bool ok) {
        exchange->respond(ok ? 200 : 500, ok ? "OK" : "Internal Server Error",
                          {{"content-type", "text/plain;charset=UTF-8"}});
        exchange->write(ok ? QByteArray("Ran scheduled event")
                           : QByteArray("Scheduled event failed (see the log)"));
        exchange->finish();
    });
}

} // namespace kiln
