#pragma once

#include "server/httptypes.h"

#include <QByteArray>
#include <QList>

#include <memory>

namespace kiln {

class HttpExchange;

// A request's head as worker.mjs builds its Request from it: the absolute URL and the headers
// as [name, value, name, value, ...], with the CF-Connecting-IP header Cloudflare's edge adds.
// `checked`: the URL is already what `new Request(url)` would make of it (ada's href, no
// credentials), the method one `new Request` takes, the names lower-case tokens and the
// values trimmed, free of CR, LF and NUL. JS then skips the constructor's checks (a few
// microseconds of every request on the engine thread); anything else is handed over as sent,
// and the constructor checks it, failing as it always has.
struct IncomingHead {
    QByteArray url;
    QList<QByteArray> headers;
    bool checked = false;

    static IncomingHead from(const HttpRequestHead& head);
};

// An exchange on its way to the engine, its head prepared on the server's thread (Worker::handle:
// the engine thread is the one a busy worker waits on).
struct IncomingRequest {
    std::shared_ptr<HttpExchange> exchange;
    IncomingHead head;
};

} // namespace kiln
