#include "server/httpexchange.h"

#include "server/httpconnection.h"
#include "server/postbatch.h"

#include <QMetaObject>
#include <QObject>
#include <QtDebug>

namespace kiln {

HttpExchange::HttpExchange(Key, quint64 id, HttpRequestHead head, bool hasBody,
                           std::shared_ptr<QObject> context)
    : m_id(id)
    , m_head(std::move(head))
    , m_hasBody(hasBody)
    , m_webSocketAccept(webSocketAccept(m_head))
    , m_context(std::move(context))
    , m_bodyEnd(!hasBody) {}

HttpExchange::~HttpExchange() = default;

std::shared_ptr<HttpExchange> HttpExchange::create(quint64 id, HttpRequestHead head, bool hasBody,
                                                   std::shared_ptr<QObject> context) {
    return std::make_shared<HttpExchange>(Key{}, id, std::move(head), hasBody, std::move(context));
}

void HttpExchange::markTaken() {
    qint64 expected = 0;
    m_takenUs.compare_exchange_strong(expected, HttpConnection::nowUs(), std::memory_order_relaxed);
}

std::shared_ptr<HttpExchange> HttpExchange::consumerHandle() {
    // The consumer's pointer shares nothing with the server's own reference: its deleter runs
    // when the consumer's last copy goes away, which is how an abandoned exchange is noticed.
    auto self = shared_from_this();
    HttpExchange* raw = self.get();
    return std::shared_ptr<HttpExchange>(raw, [self = std::move(self)](HttpExchange*) mutable {
        self->consumerReleased();
        self.reset();
    });
}

void HttpExchange::invokeOnServerThread(std::function<void()> fn) const {
    if (PostBatch* batch = PostBatch::current()) return batch->hold(m_context.get(), std::move(fn));
    QMetaObject::invokeMethod(m_context.get(), std::move(fn), Qt::QueuedConnection);
}

void HttpExchange::post() {
    // Runs on any thread. Capturing a strong reference keeps the exchange alive until the
    // server thread has seen the call; the context object outlives every exchange using it.
    invokeOnServerThread([self = shared_from_this()] { self->processInbox(); });
}

void HttpExchange::pullBody(std::function<void(BodyChunk)> cb) {
    if (!cb) return;
    {
        QMutexLocker lock(&m_mutex);
        if (!m_pullOutstanding) {
            m_pullOutstanding = true;
            m_inbox.pull = std::move(cb);
            if (m_flushPosted) return;
            m_flushPosted = true;
            cb = nullptr;
        }
    }
    if (cb) {
        // `self` keeps the context object (the post's target) alive until the call is made.
        invokeOnServerThread([self = shared_from_this(), cb = std::move(cb)] {
            cb(BodyChunk{{}, false, QStringLiteral("pullBody() called while a pull is pending")});
        });
        return;
    }
    post();
}

void HttpExchange::respond(int status, const QByteArray& reason, const HttpHeaders& headers) {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) return;
        if (m_respondCalled || m_finishCalled) {
            qWarning("kiln::HttpExchange: respond() after the response started; ignored");
            return;
        }
        m_respondCalled = true;
        m_inbox.respond = true;
        m_inbox.status = status;
        m_inbox.reason = reason;
        m_inbox.headers = headers;
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::write(const QByteArray& data, std::function<void()> ready) {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) return;
        if (m_finishCalled) {
            qWarning("kiln::HttpExchange: write() after finish(); ignored");
            return;
        }
        if (!m_respondCalled) {
            m_respondCalled = true;
            m_inbox.respond = true;
            m_inbox.status = 200;
        }
        m_inbox.writes.push_back({data, std::move(ready)});
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::finish() {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed || m_finishCalled) return;
        m_finishCalled = true;
        if (!m_respondCalled) {
            m_respondCalled = true;
            m_inbox.respond = true;
            m_inbox.status = 200;
        }
        m_inbox.finish = true;
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::acceptWebSocket(const HttpHeaders& headers, WebSocketSink sink) {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) return;
        if (m_respondCalled || !wantsWebSocket()) {
            qWarning("kiln::HttpExchange: acceptWebSocket() after a response or without a "
                     "handshake; ignored");
            return;
        }
        m_respondCalled = m_finishCalled = m_upgraded = true; // the 101 is the whole response
        m_inbox.upgrade = true;
        m_inbox.status = 101;
        m_inbox.headers = headers;
        m_inbox.headers.append(qMakePair(QByteArray("Upgrade"), QByteArray("websocket")));
        m_inbox.headers.append(qMakePair(QByteArray("Sec-WebSocket-Accept"), m_webSocketAccept));
        m_inbox.sink = std::move(sink);
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::sendWebSocket(WebSocketOutgoing message) {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) return;
        m_inbox.webSocketOut.push_back(std::move(message));
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

bool HttpExchange::responseStarted() const {
    QMutexLocker lock(&m_mutex);
    return m_respondCalled;
}

void HttpExchange::abort() {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed) return;
        m_inbox.abort = true;
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::onClosed(std::function<void()> cb) {
    std::function<void()> previous; // destroyed unlocked: it may hold the last reference
    {
        QMutexLocker lock(&m_mutex);
        if (m_ending == Ending::Open) {
            previous = std::exchange(m_closedCb, std::move(cb));
            return;
        }
        if (m_ending == Ending::Finished) return;
    }
    if (cb) invokeOnServerThread([self = shared_from_this(), cb = std::move(cb)] { cb(); });
}

void HttpExchange::consumerReleased() {
    {
        QMutexLocker lock(&m_mutex);
        if (m_closed || (m_finishCalled && !m_upgraded)) return; // an open WebSocket closes
        m_inbox.released = true;
        if (m_flushPosted) return;
        m_flushPosted = true;
    }
    post();
}

void HttpExchange::processInbox() {
    Inbox in;
    {
        QMutexLocker lock(&m_mutex);
        m_flushPosted = false;
        std::swap(in, m_inbox);
    }
    if (in.pull) {
        m_pendingPull = std::move(in.pull);
        if (!m_pulledOnce) {
            m_pulledOnce = true;
            if (m_conn) m_conn->exchangeFirstPull();
        }
        serveBody();
    }
    if (m_conn && (in.respond || !in.writes.empty() || in.finish || in.abort || in.released ||
                   in.upgrade || !in.webSocketOut.empty()))
        m_conn->exchangeOps(in);
    serveBody();
}

void HttpExchange::setBodyEnd() {
    m_bodyEnd = true;
}

void HttpExchange::prefetchBody(qsizetype maxBytes) {
    if (!m_hasBody || !m_bodyEnd || m_body.isEmpty() || m_body.size() > maxBytes) return;
    // Shared, not moved: a consumer that pulls still gets the body (QByteArray's implicit
    // sharing is safe across threads, and m_prefetched never changes after this).
    m_prefetched = m_body;
}

void HttpExchange::setBodyError(const QString& error, bool discardBuffered) {
    if (m_bodyEnd && !discardBuffered) return; // the body already arrived in full; nothing is lost
    if (discardBuffered) {
        m_body = QByteArray();
        m_bodyEnd = false;
    }
    if (m_bodyError.isEmpty()) m_bodyError = error;
}

void HttpExchange::serveBody() {
    if (!m_pendingPull) return;
    BodyChunk chunk;
    if (!m_body.isEmpty()) {
        chunk.data = std::exchange(m_body, QByteArray());
        chunk.end = m_bodyEnd;
    } else if (m_bodyEnd) {
        chunk.end = true;
    } else if (!m_bodyError.isEmpty()) {
        chunk.error = m_bodyError;
    } else {
        return; // wait for more input
    }
    auto cb = std::exchange(m_pendingPull, nullptr);
    {
        QMutexLocker lock(&m_mutex);
        m_pullOutstanding = false;
    }
    cb(std::move(chunk));
    if (m_conn) m_conn->exchangeBodyPulled();
}

HttpExchange::Inbox HttpExchange::takeOps() {
    // A pending pull stays: its callback must still get exactly one answer.
    Inbox taken = std::exchange(m_inbox, Inbox{});
    m_inbox.pull = std::move(taken.pull);
    return taken;
}

void HttpExchange::detach() {
    // User callbacks are destroyed after unlocking: destroying one may drop the consumer's last
    // reference, whose deleter locks m_mutex again.
    Inbox dropped;
    std::function<void()> closedCb;
    {
        QMutexLocker lock(&m_mutex);
        m_closed = true;
        m_ending = Ending::Finished; // a finished exchange never reports onClosed
        closedCb = std::exchange(m_closedCb, nullptr);
        dropped = takeOps();
    }
    m_conn = nullptr;
    setBodyError(QStringLiteral("the response was finished before the body was read"), false);
    serveBody();
}

void HttpExchange::close(const QString& bodyError) {
    Inbox dropped;
    std::function<void()> closedCb;
    {
        QMutexLocker lock(&m_mutex);
        m_closed = true;
        if (m_ending == Ending::Open) {
            m_ending = Ending::Closed;
            closedCb = std::exchange(m_closedCb, nullptr);
        }
        dropped = takeOps();
    }
    m_conn = nullptr;
    setBodyError(bodyError, false);
    serveBody();
    if (closedCb) closedCb();
}

} // namespace kiln
