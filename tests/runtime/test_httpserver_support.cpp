// Client, handler and helpers of test_httpserver; see test_httpserver.h.
#include "test_httpserver.h"

#include "procstatus.h"
#include "server/postbatch.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QTimer>
#include <QUrlQuery>

using kiln::BodyChunk;
using kiln::HttpExchange;

namespace testutil {

bool spinUntil(const std::function<bool()>& pred, int timeoutMs) {
    QElapsedTimer elapsed;
    elapsed.start();
    QTimer tick; // wakes the loop so `pred` is looked at even when no event arrives
    tick.start(2);
    while (!pred()) {
        if (elapsed.elapsed() > timeoutMs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

qint64 rssKiB() {
    return kiln::test::procStatusKiB("VmRSS");
}

quint64 fnv1a(quint64 hash, const char* data, qsizetype size) {
    for (qsizetype i = 0; i < size; ++i) {
        hash ^= uchar(data[i]);
        hash *= 1099511628211ULL;
    }
    return hash;
}

int Response::headerCount(const char* lowerName) const {
    int n = 0;
    for (const auto& h : headers)
        n += kiln::httpNameEquals(h.first, lowerName) ? 1 : 0;
    return n;
}

// --- Client ------------------------------------------------------------------------------

Client::Client(quint16 port, bool autoRead) {
    if (autoRead) {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                         [this] { buffer += socket.readAll(); });
    }
    QObject::connect(&socket, &QTcpSocket::disconnected, &socket, [this, autoRead] {
        if (autoRead && socket.isOpen()) buffer += socket.readAll();
        m_closed = true;
    });
    socket.connectToHost(QHostAddress::LocalHost, port);
}

bool Client::connected() {
    return spinUntil([this] { return socket.state() == QAbstractSocket::ConnectedState; });
}

void Client::send(const QByteArray& bytes) {
    socket.write(bytes);
    socket.flush();
}

std::optional<Response> Client::read(bool headRequest, int timeoutMs) {
    std::optional<Response> r;
    spinUntil([&] { return (r = parse(headRequest)).has_value(); }, timeoutMs);
    return r;
}

bool Client::waitClosed(int timeoutMs) {
    return spinUntil([this] { return m_closed; }, timeoutMs);
}

std::optional<Response> Client::parse(bool headRequest) {
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0) return std::nullopt;
    Response r;
    const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
    if (statusLine.value(0) != "HTTP/1.1")
        return Response{}; // status 0: fails every test looking at it
    r.status = statusLine.value(1).toInt();
    r.reason = lines.value(0).trimmed().mid(statusLine.value(0).size() + 5);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        r.headers.append({line.left(colon), line.mid(colon + 1).trimmed()});
    }
    qsizetype pos = headEnd + 4;
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304 || headRequest;
    if (bodiless) {
        r.complete = true;
    } else if (r.header("transfer-encoding").toLower().contains("chunked")) {
        for (;;) {
            const qsizetype eol = buffer.indexOf("\r\n", pos);
            if (eol < 0) break;
            bool ok = false;
            const qint64 size = buffer.mid(pos, eol - pos).split(';').value(0).toLongLong(&ok, 16);
            if (!ok) return Response{};
            if (size == 0) {
                const qsizetype end = buffer.indexOf("\r\n\r\n", eol);
                if (buffer.mid(eol, 4) == "\r\n\r\n" || end >= 0) {
                    pos = (buffer.mid(eol, 4) == "\r\n\r\n" ? eol : end) + 4;
                    r.complete = true;
                }
                break;
            }
            if (buffer.size() < eol + 2 + size + 2) break;
            r.body += buffer.mid(eol + 2, size);
            pos = eol + 2 + size + 2;
        }
        if (!r.complete && !m_closed) return std::nullopt;
        if (!r.complete) pos = buffer.size();
    } else if (!r.header("content-length").isNull()) {
        const qint64 length = r.header("content-length").toLongLong();
        if (buffer.size() - pos < length && !m_closed) return std::nullopt;
        r.body = buffer.mid(pos, length);
        r.complete = r.body.size() == length;
        pos += r.body.size();
    } else {
        if (!m_closed) return std::nullopt; // close-delimited
        r.body = buffer.mid(pos);
        r.complete = true;
        pos = buffer.size();
    }
    buffer.remove(0, pos);
    return r;
}

// --- TestHandler -------------------------------------------------------------------------

namespace {
// Pulls a body piece by piece on the worker thread.
struct Puller : std::enable_shared_from_this<Puller> {
    TestHandler* handler;
    std::shared_ptr<HttpExchange> ex;
    int delayMs = 0;
    bool keep = false;
    QByteArray body;
    qint64 count = 0;
    quint64 hash = kFnvSeed;
    std::function<void(const QByteArray&, qint64, quint64, const QString&)> done;
    QObject* worker = nullptr;

    void next() {
        ex->pullBody([self = shared_from_this()](BodyChunk chunk) {
            self->handler->onServerThread();
            self->handler->toWorker([self, chunk = std::move(chunk)] { self->take(chunk); });
        });
    }
    void take(const BodyChunk& chunk) {
        handler->onWorkerThread();
        count += chunk.data.size();
        handler->bodyBytes += chunk.data.size();
        if (chunk.data.size() > handler->maxChunk) handler->maxChunk = chunk.data.size();
        hash = fnv1a(hash, chunk.data.constData(), chunk.data.size());
        if (keep) body += chunk.data;
        if (!chunk.error.isEmpty() || chunk.end) {
            done(body, count, hash, chunk.error);
            return;
        }
        if (delayMs > 0)
            QTimer::singleShot(delayMs, worker, [self = shared_from_this()] { self->next(); });
        else
            next();
    }
};
} // namespace

TestHandler::TestHandler()
    : m_worker(new QObject)
    , m_serverThread(QThread::currentThread()) {
    for (int i = 0; i < 4096 + 1; ++i) // 251 * 4097 bytes: any offset plus 1 MiB fits
        for (int b = 0; b < 251; ++b)
            m_pattern.append(char(b));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

TestHandler::~TestHandler() {
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker] { delete w; }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void TestHandler::reset() {
    wrongThread = 0;
    dispatched = 0;
    inFlight = 0;
    overlapped = 0;
    bodyBytes = 0;
    maxChunk = 0;
    streamProduced = 0;
    closedFired = false;
    bodyError = false;
}

void TestHandler::onServerThread() {
    if (QThread::currentThread() != m_serverThread) ++wrongThread;
}

void TestHandler::onWorkerThread() {
    if (QThread::currentThread() != &m_thread) ++wrongThread;
}

void TestHandler::toWorker(std::function<void()> fn) {
    QMetaObject::invokeMethod(m_worker, std::move(fn), Qt::QueuedConnection);
}

void TestHandler::handle(std::shared_ptr<HttpExchange> exchange) {
    onServerThread();
    ++dispatched;
    if (inFlight++ > 0) ++overlapped;
    toWorker([this, exchange] { route(exchange); });
}

void TestHandler::finish(const std::shared_ptr<HttpExchange>& ex) {
    --inFlight;
    ex->finish();
}

void TestHandler::pullAll(
    const std::shared_ptr<HttpExchange>& ex, int delayMs,
    std::function<void(const QByteArray&, qint64, quint64, const QString&)> done, bool keep) {
    auto p = std::make_shared<Puller>();
    p->handler = this;
    p->ex = ex;
    p->delayMs = delayMs;
    p->keep = keep;
    p->done = std::move(done);
    p->worker = m_worker;
    p->next();
}

void TestHandler::stream(const std::shared_ptr<HttpExchange>& ex, qint64 total, qint64 offset) {
    if (offset >= total) {
        finish(ex);
        return;
    }
    const qint64 n = qMin<qint64>(256 * 1024, total - offset);
    streamProduced += n;
    ex->write(m_pattern.mid(offset % 251, n), [this, ex, total, next = offset + n] {
        onServerThread();
        toWorker([this, ex, total, next] { stream(ex, total, next); });
    });
}

void TestHandler::route(const std::shared_ptr<HttpExchange>& ex) {
    onWorkerThread();
    const QByteArray target = ex->head().target;
    const qsizetype q = target.indexOf('?');
    const QByteArray path = q < 0 ? target : target.left(q);
    const QUrlQuery query(q < 0 ? QString() : QString::fromLatin1(target.mid(q + 1)));
    const auto hello = [this, ex] {
        ex->respond(200, "OK", {{"Content-Type", "text/plain"}});
        ex->write("hello " + ex->head().method + " " + ex->head().target);
        finish(ex);
    };

    if (path == "/hello") {
        hello();
    } else if (path == "/batched") {
        // As the engine thread does: the response waits in the thread's batch until it flushes
        // (here when the batch goes out of scope, 300 ms later).
        kiln::PostBatch batch;
        hello();
        QThread::msleep(300);
    } else if (path == "/batched-idle") {
        // ... unless the thread has nothing else ready: then they go at once.
        kiln::PostBatch batch;
        batch.setWorthHolding([] { return false; });
        hello();
        QThread::msleep(1000);
    } else if (path == "/fixed") {
        ex->respond(200, "OK", {{"Content-Length", "11"}});
        ex->write("fixed body!");
        finish(ex);
    } else if (path == "/chunked") {
        // The head goes out before finish() is called, so the body must be chunked.
        ex->respond(200, {}, {{"X-Mode", "chunked"}});
        ex->write("part1-", [this, ex] {
            onServerThread();
            toWorker([this, ex] {
                ex->write("part2");
                finish(ex);
            });
        });
    } else if (path == "/echo") {
        pullAll(
            ex, 0,
            [this, ex](const QByteArray& body, qint64 n, quint64, const QString& err) {
                if (!err.isEmpty()) {
                    lastBodyError = err;
                    bodyError = true;
                    --inFlight;
                    return;
                }
                ex->respond(200, "OK", {{"X-Body-Length", QByteArray::number(n)}});
                ex->write(body);
                finish(ex);
            },
            true);
    } else if (path == "/count") {
        const int delay = query.queryItemValue(QStringLiteral("delay")).toInt();
        pullAll(
            ex, delay,
            [this, ex](const QByteArray&, qint64 n, quint64 h, const QString& err) {
                ex->respond(err.isEmpty() ? 200 : 500, {}, {});
                ex->write("count=" + QByteArray::number(n) + " fnv=" + QByteArray::number(h, 16));
                finish(ex);
            },
            false);
    } else if (path == "/stream") {
        const qint64 total = query.queryItemValue(QStringLiteral("bytes")).toLongLong();
        const bool chunked = query.queryItemValue(QStringLiteral("chunked")) == u"1";
        kiln::HttpHeaders headers;
        if (!chunked) headers.append({"Content-Length", QByteArray::number(total)});
        ex->respond(200, "OK", headers);
        stream(ex, total, 0);
    } else if (path == "/nocontent") {
        ex->respond(204, {}, {{"X-Test", "1"}});
        ex->write("must not be sent");
        finish(ex);
    } else if (path == "/ignore-body") {
        ex->respond(200, "OK", {{"Content-Length", "7"}});
        ex->write("ignored");
        finish(ex);
    } else if (path == "/short") {
        ex->respond(200, "OK", {{"Content-Length", "10"}});
        ex->write("12345");
        finish(ex);
    } else if (path == "/over") {
        ex->respond(200, "OK", {{"Content-Length", "3"}});
        ex->write("abcdef");
        finish(ex);
    } else if (path == "/slow") {
        const int ms = query.queryItemValue(QStringLiteral("ms")).toInt();
        QTimer::singleShot(ms, m_worker, hello);
    } else if (path == "/close") {
        ex->respond(200, "OK", {{"Connection", "close"}, {"Content-Length", "3"}});
        ex->write("bye");
        finish(ex);
    } else if (path == "/wait-close") {
        ex->onClosed([this] {
            onServerThread();
            toWorker([this] { closedFired = true; });
        });
        pullAll(
            ex, 0,
            [this, ex](const QByteArray&, qint64, quint64, const QString& err) {
                if (!err.isEmpty()) {
                    lastBodyError = err;
                    bodyError = true;
                    return;
                }
                ex->respond(200, "OK", {});
                finish(ex);
            },
            false);
    } else if (path == "/wait") {
        // Never answers; keeps the exchange alive through its onClosed callback.
        ex->onClosed([this, ex] {
            onServerThread();
            toWorker([this] { closedFired = true; });
        });
    } else if (path == "/self-ref") {
        // The onClosed callback holds the last reference once `ex` goes out of scope here.
        ex->onClosed([ex] {});
        ex->respond(200, "OK", {});
        ex->write("self");
        finish(ex);
    } else if (path == "/drop") {
        --inFlight; // the last reference goes away with this lambda
    } else if (path == "/abort") {
        --inFlight;
        ex->abort();
    } else {
        ex->respond(404, {}, {{"Content-Length", "0"}});
        finish(ex);
    }
}

} // namespace testutil
