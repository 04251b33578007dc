#pragma once

#include "server/httphandler.h"

#include <QDateTime>
#include <QString>

#include <functional>

namespace kiln {

// What `kiln dev` answers before a request reaches the worker: wrangler's local endpoints for
// triggering the scheduled handler (`/cdn-cgi/handler/scheduled?cron=…&time=…` and the older
// `/__scheduled?cron=…`). Everything else goes to the worker unchanged.
class DevRouter : public HttpHandler {
public:
    // `time`: the controller's scheduledTime (wrangler's `time=` in ms since the epoch), or
    // invalid for now.
    using ScheduledTrigger = std::function<void(const QString& cron, const QDateTime& time,
                                                std::function<void(bool ok)> done)>;

    DevRouter(HttpHandler* worker, ScheduledTrigger scheduled);
    void handle(std::shared_ptr<HttpExchange> exchange) override;

private:
    HttpHandler* m_worker;
    ScheduledTrigger m_scheduled;
};

} // namespace kiln
