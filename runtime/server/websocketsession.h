#pragma once

#include "server/httptypes.h"

#include <QByteArray>

#include <functional>
#include <vector>

struct wslay_event_context;
class QTcpSocket;

namespace kiln {

// A message the worker sends to the client, or its close (RFC 6455 framing is wslay's).
struct WebSocketOutgoing {
    enum class Kind { Text, Binary, Close } kind = Kind::Text;
    QByteArray data; // the payload, or the close reason (UTF-8, at most 123 bytes)
    int code = 1005; // Close: 1005 sends a close frame without a status
};

// What the client sends, delivered on the server thread.
struct WebSocketSink {
    std::function<void(bool binary, QByteArray data)> message;
    // The client's close frame (clean), or the connection lost without one (code 1006, not
    // clean), or a protocol error the server closed for (1002, 1007, 1009; not clean). Once.
    std::function<void(int code, QByteArray reason, bool clean)> closed;
};

// The value of Sec-WebSocket-Accept for a request's Sec-WebSocket-Key, or a null QByteArray when
// `head` is not a WebSocket handshake the server can take (GET, Upgrade: websocket, Connection:
// upgrade, Sec-WebSocket-Version: 13, a key).
QByteArray webSocketAccept(const HttpRequestHead& head);

// One upgraded connection, on the server thread (internal to runtime/server): frames in and out
// through wslay, ping answered with pong, the close handshake, and a message limit of 32 MiB
// as workerd's. The socket stays the connection's; the session reads it when told it is
// readable and appends frames to `out`, which the connection flushes.
class WebSocketSession {
public:
    WebSocketSession(QTcpSocket* socket, QByteArray* out, QByteArray leftover, WebSocketSink sink);
    ~WebSocketSession();
    WebSocketSession(const WebSocketSession&) = delete;
    WebSocketSession& operator=(const WebSocketSession&) = delete;

    void readable();
    void send(std::vector<WebSocketOutgoing>& messages);
    // Queues the server's own close frame and sends what is queued (refused once a close is).
    void close(int code, const QByteArray& reason);
    // The TCP connection ended (or the server is going away): `closed` fires if it has not.
    void connectionLost();
    // Both close frames have passed (or a fatal error): the connection should close now.
    bool done() const { return m_done; }

    static constexpr size_t kMaxMessageBytes = 32u << 20;

private:
    friend struct WebSocketCallbacks; // wslay's callbacks, in the .cpp
    void pump();
    void queueClose(int code, const QByteArray& reason);
    void fireClosed(int code, const QByteArray& reason, bool clean);

    QTcpSocket* m_socket;
    QByteArray* m_out;
    QByteArray m_leftover;
    WebSocketSink m_sink;
    wslay_event_context* m_ctx = nullptr;
    bool m_done = false;
    bool m_closedFired = false;
};

} // namespace kiln
