#include "server/websocketsession.h"

#include <QCryptographicHash>
#include <QStringDecoder>
#include <QTcpSocket>

#include <wslay/wslay.h>

namespace kiln {

namespace {

// Whether a comma-separated header value lists `token` (case-insensitive).
bool listsToken(const QByteArray& value, const char* token) {
    for (const QByteArray& part : value.split(','))
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0) return true;
    return false;
}

bool validUtf8(const QByteArray& bytes) {
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    (void)decoder.decode(bytes);
    return !decoder.hasError();
}

} // namespace

QByteArray webSocketAccept(const HttpRequestHead& head) {
    if (head.method != "GET") return {};
    const QByteArray key = httpHeaderValue(head.headers, "sec-websocket-key").trimmed();
    if (key.isEmpty() || !listsToken(httpHeaderValue(head.headers, "upgrade"), "websocket") ||
        !listsToken(httpHeaderValue(head.headers, "connection"), "upgrade") ||
        httpHeaderValue(head.headers, "sec-websocket-version").trimmed() != "13")
        return {};
    // RFC 6455 4.2.2: the key with this GUID appended, SHA-1, base64.
    return QCryptographicHash::hash(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                    QCryptographicHash::Sha1)
        .toBase64();
}

struct WebSocketCallbacks {
    static ssize_t recv(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int, void* user) {
        auto* self = static_cast<WebSocketSession*>(user);
        qint64 n = 0;
        if (!self->m_leftover.isEmpty()) {
            n = std::min<qint64>(qint64(len), self->m_leftover.size());
            memcpy(buf, self->m_leftover.constData(), size_t(n));
            self->m_leftover.remove(0, n);
        } else {
            n = self->m_socket->read(reinterpret_cast<char*>(buf), qint64(len));
        }
        if (n <= 0) {
            wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
            return -1;
        }
        return ssize_t(n);
    }

    static ssize_t send(wslay_event_context_ptr, const uint8_t* data, size_t len, int, void* user) {
        static_cast<WebSocketSession*>(user)->m_out->append(reinterpret_cast<const char*>(data),
                                                            qsizetype(len));
        return ssize_t(len);
    }

    static void message(wslay_event_context_ptr ctx, const wslay_event_on_msg_recv_arg* arg,
                        void* user) {
        auto* self = static_cast<WebSocketSession*>(user);
        const QByteArray data(reinterpret_cast<const char*>(arg->msg), qsizetype(arg->msg_length));
        switch (arg->opcode) {
        case WSLAY_TEXT_FRAME:
            if (!validUtf8(data)) { // RFC 6455 8.1: fail the connection with 1007
                const QByteArray reason = "invalid UTF-8 in a text message";
                self->queueClose(WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, reason);
                wslay_event_shutdown_read(ctx);
                self->fireClosed(WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, reason, false);
                return;
            }
            if (self->m_sink.message) self->m_sink.message(false, data);
            return;
        case WSLAY_BINARY_FRAME:
            if (self->m_sink.message) self->m_sink.message(true, data);
            return;
        case WSLAY_CONNECTION_CLOSE: {
            // wslay queues the reply close frame itself. A close without a status reads as 1005.
            const int code = arg->status_code ? arg->status_code : 1005;
            self->fireClosed(code, data.size() > 2 ? data.mid(2) : QByteArray(), true);
            return;
        }
        default:
            return; // ping (wslay answers it) and pong
        }
    }
};

WebSocketSession::WebSocketSession(QTcpSocket* socket, QByteArray* out, QByteArray leftover,
                                   WebSocketSink sink)
    : m_socket(socket)
    , m_out(out)
    , m_leftover(std::move(leftover))
    , m_sink(std::move(sink)) {
    static const wslay_event_callbacks callbacks{
        &WebSocketCallbacks::recv,    &WebSocketCallbacks::send, nullptr, nullptr, nullptr, nullptr,
        &WebSocketCallbacks::message,
    };
    wslay_event_context_server_init(&m_ctx, &callbacks, this);
    wslay_event_config_set_max_recv_msg_length(m_ctx, kMaxMessageBytes);
}

WebSocketSession::~WebSocketSession() {
    wslay_event_context_free(m_ctx);
}

void WebSocketSession::fireClosed(int code, const QByteArray& reason, bool clean) {
    if (m_closedFired) return;
    m_closedFired = true;
    if (m_sink.closed) m_sink.closed(code, reason, clean);
}

void WebSocketSession::readable() {
    if (m_done) return;
    if (wslay_event_recv(m_ctx) != 0) {
        fireClosed(1006, {}, false);
        m_done = true;
        return;
    }
    pump();
}

void WebSocketSession::send(std::vector<WebSocketOutgoing>& messages) {
    for (const auto& m : messages) {
        if (m.kind == WebSocketOutgoing::Kind::Close) {
            queueClose(m.code, m.data);
            continue;
        }
        const wslay_event_msg msg{
            uint8_t(m.kind == WebSocketOutgoing::Kind::Text ? WSLAY_TEXT_FRAME
                                                            : WSLAY_BINARY_FRAME),
            reinterpret_cast<const uint8_t*>(m.data.constData()), size_t(m.data.size())};
        wslay_event_queue_msg(m_ctx, &msg); // refused once a close is queued, as it must be
    }
    pump();
}

void WebSocketSession::close(int code, const QByteArray& reason) {
    queueClose(code, reason);
    pump();
}

// 1005 ("no status") is sent as a close frame without a body.
void WebSocketSession::queueClose(int code, const QByteArray& reason) {
    wslay_event_queue_close(m_ctx, code == 1005 ? 0 : uint16_t(code),
                            reinterpret_cast<const uint8_t*>(reason.constData()),
                            size_t(reason.size()));
}

void WebSocketSession::pump() {
    if (wslay_event_send(m_ctx) != 0) {
        fireClosed(1006, {}, false);
        m_done = true;
        return;
    }
    // A message over the limit makes wslay queue a 1009 close and stop reading.
    if (!wslay_event_get_read_enabled(m_ctx) && !m_closedFired)
        fireClosed(WSLAY_CODE_MESSAGE_TOO_BIG, "message too big", false);
    if (!wslay_event_want_read(m_ctx) && !wslay_event_want_write(m_ctx)) m_done = true;
}

void WebSocketSession::connectionLost() {
    m_done = true;
    fireClosed(1006, {}, false);
}

} // namespace kiln
