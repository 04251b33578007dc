#include "server/httpconnection.h"

#include "server/httpserver.h"

#include <QTcpSocket>
#include <QtDebug>

#include <chrono>

#include <sys/socket.h>

namespace kiln {

namespace {
// Qt's own buffer in front of the kernel's: small, so a paused connection pushes back on the
// client through TCP instead of piling up in memory.
constexpr qint64 kSocketReadBuffer = 256 * 1024;
constexpr qint64 kWriteStallMs = 30000;
// Input discarded while closing before giving up on a graceful close (bounds CPU, not memory).
constexpr qint64 kMaxDiscardBytes = 64 << 20;
// A request body that arrived whole with its head, up to this size, is handed to the handler
// with the exchange (HttpExchange::prefetchedBody) instead of through pulls.
constexpr qsizetype kPrefetchBodyBytes = 64 * 1024;
} // namespace

qint64 HttpConnection::nowUs() {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

HttpConnection::HttpConnection(HttpServer* server, QTcpSocket* socket)
    : QObject(server)
    , m_server(server)
    , m_options(server->m_options)
    , m_socket(socket)
    , m_parser(this, server->m_options.maxHeaderBytes)
    , m_output(socket, server->m_options.writeHighWaterBytes) {
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->setReadBufferSize(kSocketReadBuffer);
    m_peer = m_socket->peerAddress().toString();
    m_localPort = m_socket->localPort();
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::disconnected, this,
            [this] { teardown(QStringLiteral("the client closed the connection"), false); });
    setDeadline(Deadline::Fresh, m_options.headerTimeoutMs);
}

HttpConnection::~HttpConnection() {
    if (m_exchange)
        std::exchange(m_exchange, nullptr)->close(QStringLiteral("the server shut down"));
}

void HttpConnection::setDeadline(Deadline kind, qint64 ms) {
    m_deadlineKind = kind;
    m_deadline = kind == Deadline::None ? 0 : nowUs() + ms * 1000;
}

void HttpConnection::checkDeadline(qint64 now) {
    if (!m_deadline || now < m_deadline) return;
    switch (m_deadlineKind) {
    case Deadline::None:
        break;
    case Deadline::Fresh:
    case Deadline::KeepAlive:
        closeGracefully(); // idle: nothing to answer
        break;
    case Deadline::Head:
        failRequest(408, "the request head did not arrive within " +
                             QByteArray::number(m_options.headerTimeoutMs) + " ms");
        break;
    case Deadline::Body:
        if (m_windowBodyBytes >= m_options.minBodyBytesPerWindow) {
            m_windowBodyBytes = 0;
            setDeadline(Deadline::Body, m_options.bodyWindowMs);
        } else {
            bodyStalled();
        }
        break;
    case Deadline::Write:
    case Deadline::Linger:
        closeNow(QStringLiteral("timed out"));
        break;
    }
}

// --- input -------------------------------------------------------------------------------

void HttpConnection::onReadyRead() {
    if (m_phase == Phase::WebSocket) {
        m_session->readable();
        webSocketProgress();
    } else if (m_phase == Phase::Closing)
        discardInput();
    else
        pumpInput();
}

bool HttpConnection::wantsInput() const {
    if (m_phase == Phase::Head) return true;
    if (m_phase != Phase::Exchange || m_messageComplete || m_bodyFailed) return false;
    return m_draining || !m_exchange || m_exchange->bufferedBody() < m_options.maxBufferedBodyBytes;
}

void HttpConnection::pumpInput() {
    if (m_phase == Phase::Dead) return;
    if (m_pumping) { // re-entered from a callback: let the outer loop look again
        m_pumpAgain = true;
        return;
    }
    m_pumping = true;
    QByteArray& buffer = m_server->m_readBuffer;
    do {
        m_pumpAgain = false;
        while (wantsInput()) {
            if (!m_leftover.isEmpty()) {
                const QByteArray chunk = std::exchange(m_leftover, QByteArray());
                feed(chunk.constData(), chunk.size());
                continue;
            }
            const qint64 n = m_socket->read(buffer.data(), buffer.size());
            if (n <= 0) break;
            feed(buffer.constData(), n);
        }
    } while (m_pumpAgain && m_phase != Phase::Dead);
    m_pumping = false;
    updateBodyDeadline();
}

// The body clock runs only while the server waits on the client for body bytes.
void HttpConnection::updateBodyDeadline() {
    const bool waiting = m_phase == Phase::Exchange && !m_messageComplete && !m_bodyFailed &&
                         !m_draining && m_exchange && wantsInput();
    if (waiting && m_deadlineKind != Deadline::Body) {
        m_windowBodyBytes = 0;
        setDeadline(Deadline::Body, m_options.bodyWindowMs);
    } else if (!waiting && m_deadlineKind == Deadline::Body) {
        setDeadline(Deadline::None, 0);
    }
}

void HttpConnection::bodyStalled() {
    setDeadline(Deadline::None, 0);
    m_bodyFailed = true;
    m_keepAlive = false;
    const QByteArray reason = "the request body stopped arriving (" +
                              QByteArray::number(m_windowBodyBytes) + " bytes in the last " +
                              QByteArray::number(m_options.bodyWindowMs) + " ms)";
    if (!m_writer.started()) {
        std::exchange(m_exchange, nullptr)->close(QString::fromLatin1(reason));
        failRequest(408, reason);
        return;
    }
    m_exchange->setBodyError(QString::fromLatin1(reason), false);
    m_exchange->serveBody();
    maybeCompleteExchange();
}

void HttpConnection::feed(const char* data, qsizetype size) {
    const HttpRequestParser::Result r = m_parser.execute(data, size);
    m_bytesIn += r.consumed;
    if (r.status == HttpRequestParser::Status::Error) {
        parseFailed(r.httpStatus, r.reason);
        return;
    }
    if (r.status == HttpRequestParser::Status::Paused && r.consumed < size)
        m_leftover = QByteArray(data + r.consumed, size - r.consumed);
    if (m_dispatchPending) {
        // After execute() returned: no llhttp frame is on the stack while user code runs.
        m_dispatchPending = false;
        m_exchange->prefetchBody(kPrefetchBodyBytes);
        m_server->m_handler->handle(m_exchange->consumerHandle());
    }
    if (m_draining && m_drained > m_options.maxDrainBytes) m_keepAlive = false;
    if (m_exchange) m_exchange->serveBody();
    maybeCompleteExchange();
}

void HttpConnection::parseFailed(int status, const QByteArray& reason) {
    if (m_phase == Phase::Head || m_dispatchPending) {
        // The handler never saw this request.
        m_dispatchPending = false;
        if (m_exchange) std::exchange(m_exchange, nullptr)->detach();
        failRequest(status, reason);
        return;
    }
    m_bodyFailed = true;
    m_keepAlive = false;
    const QString why = QStringLiteral("malformed request body: ") + QString::fromLatin1(reason);
    if (!m_writer.started()) {
        // Nothing sensible can come of this request: answer 400 on the handler's behalf.
        std::exchange(m_exchange, nullptr)->close(why);
        failRequest(status, reason);
        return;
    }
    // The response is under way: let it end, then close (maybeCompleteExchange sees !keepAlive).
    m_exchange->setBodyError(why, false);
    m_exchange->serveBody();
    maybeCompleteExchange();
}

void HttpConnection::parserMessageBegin() {
    m_requestStartUs = nowUs();
    if (m_deadlineKind == Deadline::Fresh)
        m_deadlineKind = Deadline::Head; // counted from accept: a slow first byte is no excuse
    else
        setDeadline(Deadline::Head, m_options.headerTimeoutMs);
}

void HttpConnection::parserHead(HttpRequestHead&& head, const HttpRequestInfo& info) {
    setDeadline(Deadline::None, 0);
    head.peerAddress = m_peer;
    head.localPort = m_localPort;
    m_logMethod = head.method;
    m_logTarget = head.target;
    m_info = info;
    m_exchangeId = m_server->nextExchangeId();
    m_dispatchUs = nowUs();
    Q_EMIT m_server->exchangeStarted(m_exchangeId, head.method, head.target);
    m_exchange =
        HttpExchange::create(m_exchangeId, std::move(head), info.hasBody, m_server->m_context);
    m_exchange->attach(this);
    m_phase = Phase::Exchange;
    m_dispatchPending = true;
}

void HttpConnection::parserBody(const char* data, qsizetype size) {
    m_bodySeen = true;
    m_windowBodyBytes += size;
    if (m_draining)
        m_drained += size;
    else if (m_exchange)
        m_exchange->appendBody(data, size);
}

void HttpConnection::parserMessageComplete() {
    m_messageComplete = true;
    if (m_exchange && !m_draining) m_exchange->setBodyEnd();
}

void HttpConnection::discardInput() {
    m_discarded += m_socket->skip(m_socket->bytesAvailable());
    if (m_discarded > kMaxDiscardBytes) closeNow(QStringLiteral("too much input while closing"));
}

// --- output ------------------------------------------------------------------------------

void HttpConnection::exchangeFirstPull() {
    if (m_phase != Phase::Exchange || !m_info.expectContinue || m_continueSent || m_bodySeen ||
        m_messageComplete || m_writer.started()) {
        return;
    }
    m_continueSent = true;
    m_output.buffer().append("HTTP/1.1 100 Continue\r\n\r\n");
    m_output.flush();
}

void HttpConnection::exchangeBodyPulled() {
    if (m_phase == Phase::Exchange) pumpInput();
}

bool HttpConnection::canKeepAlive() const {
    if (!m_info.keepAlive || !m_keepAlive || m_bodyFailed) return false;
    // Without 100 Continue the client may or may not send the body: the next request could not
    // be found reliably, so this response ends the connection (RFC 9110 10.1.1).
    return m_messageComplete || !m_info.expectContinue || m_continueSent || m_bodySeen;
}

void HttpConnection::exchangeOps(HttpExchange::Inbox& ops) {
    if (m_phase == Phase::WebSocket) return webSocketOps(ops);
    if (m_phase != Phase::Exchange || !m_exchange || m_writer.finished()) return;
    if (ops.abort) {
        closeNow(QStringLiteral("the exchange was aborted"));
        return;
    }
    if (ops.upgrade && !m_writer.started()) return startWebSocket(ops);
    if (ops.respond && !m_writer.started()) {
        qint64 hint = -1;
        if (ops.finish) { // the whole body is known: send a Content-Length, not chunks
            hint = 0;
            for (const auto& w : ops.writes)
                hint += w.data.size();
        }
        startResponse(ops.status, ops.reason, ops.headers, hint);
    }
    for (auto& w : ops.writes) {
        writeBody(w.data);
        if (w.ready) m_output.addReady(std::move(w.ready));
    }
    if (ops.finish)
        finishResponse();
    else if (ops.released)
        abandon();
    if (m_phase != Phase::Exchange) return;
    m_output.flush(); // may tear the connection down
    if (m_phase != Phase::Exchange) return;
    m_output.fireReady();
    if (m_writer.finished()) m_output.dropReady(); // the exchange is over: no one waits any more
    maybeCompleteExchange();
    if (m_phase == Phase::Exchange && m_draining)
        pumpInput(); // reading may have been paused while the body waited for the handler
}

void HttpConnection::startResponse(int status, const QByteArray& reason, const HttpHeaders& headers,
                                   qint64 lengthHint) {
    const HttpResponseWriter::Request request{m_info.headRequest, m_info.http10, canKeepAlive()};
    m_writer.begin(m_output.buffer(), status, reason, headers, request, lengthHint);
    if (!m_writer.keepAlive()) m_keepAlive = false;
}

void HttpConnection::writeBody(const QByteArray& data) {
    const qint64 n = m_writer.admit(data.size());
    if (n <= 0) return;
    m_writer.appendChunkHeader(m_output.buffer(), n);
    m_output.appendPayload(data, n);
    m_writer.appendChunkTrailer(m_output.buffer());
}

void HttpConnection::finishResponse() {
    if (!m_writer.finish(m_output.buffer()))
        m_keepAlive = false; // short of the declared Content-Length: only a close tells
    m_responseEndUs = nowUs();
    if (!m_messageComplete && m_keepAlive) {
        const qint64 remaining = m_parser.remainingBodyBytes();
        if (remaining > m_options.maxDrainBytes) {
            m_keepAlive = false;
        } else {
            // Read and discard the rest of the body so the connection can carry another request.
            m_draining = true;
            m_exchange->setBodyError(
                QStringLiteral("the response was finished before the body was read"), true);
        }
    }
}

void HttpConnection::abandon() {
    qWarning("kiln::HttpServer: the handler dropped %s %s without finishing the response",
             m_logMethod.constData(), m_logTarget.left(200).constData());
    if (!m_writer.started()) {
        static const QByteArray body = QByteArrayLiteral(
            "Internal Server Error: the handler dropped the request without responding\n");
        startResponse(500, {}, {{"Content-Type", "text/plain; charset=utf-8"}}, body.size());
        writeBody(body);
        finishResponse();
        return;
    }
    // A started response cannot be ended honestly: close so the client sees it truncated.
    m_keepAlive = false;
    m_responseEndUs = nowUs();
    report(m_writer.status());
    std::exchange(m_exchange, nullptr)->detach();
    closeGracefully();
}

void HttpConnection::maybeCompleteExchange() {
    if (m_phase != Phase::Exchange || !m_writer.finished()) return;
    if (m_messageComplete || !m_keepAlive) completeExchange();
}

void HttpConnection::completeExchange() {
    report(m_writer.status());
    std::exchange(m_exchange, nullptr)->detach();
    if (!m_keepAlive) {
        closeGracefully();
        return;
    }
    m_phase = Phase::Head;
    m_writer.reset();
    m_info = HttpRequestInfo();
    m_messageComplete = m_draining = m_bodySeen = m_continueSent = false;
    m_drained = m_bytesIn = m_responseEndUs = 0;
    m_output.resetCount();
    m_parser.resume();
    setDeadline(Deadline::KeepAlive, m_options.keepAliveTimeoutMs);
    pumpInput(); // the next pipelined request may already be here
}

void HttpConnection::failRequest(int status, const QByteArray& reason) {
    if (m_phase == Phase::Head) {
        m_logMethod = m_parser.method();
        m_logTarget = m_parser.target();
    }
    m_keepAlive = false;
    HttpResponseWriter::appendErrorResponse(m_output.buffer(), status, reason);
    m_responseEndUs = nowUs();
    report(status);
    closeGracefully();
}

void HttpConnection::report(int status, bool cancelled) {
    const quint64 id = std::exchange(m_exchangeId, 0);
    if (!m_server) return;
    HttpExchangeRecord record;
    record.id = id ? id : m_server->nextExchangeId();
    record.method = m_logMethod;
    record.target = m_logTarget;
    record.status = status;
    record.cancelled = cancelled;
    const qint64 end = m_responseEndUs ? m_responseEndUs : nowUs();
    record.totalUs = m_requestStartUs ? end - m_requestStartUs : 0;
    const qint64 taken = m_exchange ? m_exchange->takenUs() : 0;
    if (id && taken) {
        record.queuedUs = taken - m_dispatchUs;
        record.handlerUs = end - taken;
    } else if (id) {
        record.queuedUs = end - m_dispatchUs;
    }
    record.bytesIn = m_bytesIn;
    record.bytesOut = m_output.bytesOut();
    Q_EMIT m_server->exchangeFinished(record);
}

void HttpConnection::onBytesWritten() {
    if (m_phase == Phase::Closing) {
        if (m_socket->bytesToWrite() == 0)
            startLinger();
        else if (!m_writeShut)
            setDeadline(Deadline::Write, kWriteStallMs);
        return;
    }
    m_output.fireReady();
}

// --- WebSocket ---------------------------------------------------------------------------

// The 101 goes out as the exchange's whole response (logged as such); from then on the socket
// carries frames. Pipelined bytes after the handshake are the client's first frames.
void HttpConnection::startWebSocket(HttpExchange::Inbox& ops) {
    QByteArray& out = m_output.buffer();
    HttpResponseWriter::appendSwitchingProtocols(out, ops.headers);
    m_responseEndUs = nowUs();
    report(101);
    m_phase = Phase::WebSocket;
    setDeadline(Deadline::None, 0);
    m_session = std::make_unique<WebSocketSession>(m_socket, &out, std::exchange(m_leftover, {}),
                                                   std::move(ops.sink));
    if (!ops.webSocketOut.empty()) m_session->send(ops.webSocketOut);
    m_session->readable();
    webSocketProgress();
}

void HttpConnection::webSocketOps(HttpExchange::Inbox& ops) {
    if (ops.abort) {
        closeNow(QStringLiteral("the WebSocket was aborted"));
        return;
    }
    if (!ops.webSocketOut.empty()) m_session->send(ops.webSocketOut);
    if (ops.released) // nobody on the worker's side any more
        m_session->close(1011, "the worker's WebSocket went away");
    webSocketProgress();
}

// Sends what the session framed; once both close frames have passed, closes the connection
// (the server closes TCP first, RFC 6455 7.1.1).
void HttpConnection::webSocketProgress() {
    if (m_phase != Phase::WebSocket) return;
    m_output.flush(); // may tear the connection down
    if (m_phase != Phase::WebSocket || !m_session->done()) return;
    if (m_exchange) std::exchange(m_exchange, nullptr)->detach();
    closeGracefully();
}

// --- closing -----------------------------------------------------------------------------

void HttpConnection::closeGracefully() {
    if (m_phase == Phase::Closing || m_phase == Phase::Dead) return;
    m_phase = Phase::Closing;
    m_output.dropReady();
    m_leftover.clear();
    m_output.flush();
    if (m_phase == Phase::Dead) return;
    if (m_socket->bytesToWrite() == 0)
        startLinger();
    else
        setDeadline(Deadline::Write, kWriteStallMs);
}

void HttpConnection::startLinger() {
    if (m_writeShut) return;
    m_writeShut = true;
    // Half-close and keep reading for a moment: closing with unread input would make the kernel
    // send RST, which can destroy the response (e.g. a 431) before the client has read it.
    ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
    setDeadline(Deadline::Linger, m_options.lingerMs);
    discardInput();
}

void HttpConnection::closeNow(const QString& why) {
    teardown(why, true);
}

void HttpConnection::detachFromServer() {
    m_server = nullptr;
    if (m_phase == Phase::WebSocket) { // best effort: the client learns why, not just EOF
        m_session->close(1001, "kiln is shutting down");
        m_output.flush();
        m_socket->flush();
    }
    teardown(QStringLiteral("the server shut down"), true);
}

void HttpConnection::teardown(const QString& why, bool abortSocket) {
    if (m_phase == Phase::Dead) return;
    m_phase = Phase::Dead;
    m_deadline = 0;
    m_output.dropReady();
    if (m_session) m_session->connectionLost(); // the worker's socket sees 1006
    if (m_exchange && m_session) {
        std::exchange(m_exchange, nullptr)->detach(); // its 101 was reported
    } else if (m_exchange) {
        report(m_writer.started() ? m_writer.status() : 0, !m_writer.bodyComplete());
        const auto exchange = std::exchange(m_exchange, nullptr);
        if (m_writer.finished())
            exchange->detach(); // only the unread body was left: not the handler's concern
        else
            exchange->close(why);
    }
    if (m_server) m_server->connectionGone(this);
    if (abortSocket) m_socket->abort();
    deleteLater();
}

} // namespace kiln
