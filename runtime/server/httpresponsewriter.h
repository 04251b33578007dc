#pragma once

#include "server/httptypes.h"

namespace kiln {

// Frames one response at a time into a byte buffer: status line and headers in a single
// append, then body bytes as identity (Content-Length), chunked or close-delimited. It never
// emits both Content-Length and chunked and never a body for HEAD, 1xx, 204 or 304. No I/O.
class HttpResponseWriter {
public:
    struct Request {
        bool head = false;
        bool http10 = false;
        bool keepAlive = true; // what the client and the server's state allow
    };

    void reset() { *this = HttpResponseWriter(); }
    // Appends the head to `out`. `lengthHint` >= 0 is the exact body size when the handler has
    // already finished, so Content-Length replaces chunking for small responses.
    void begin(QByteArray& out, int status, const QByteArray& reason, const HttpHeaders& headers,
               const Request& request, qint64 lengthHint);
    // How many of `size` body bytes may be sent (0 for bodiless responses; capped at a
    // declared Content-Length). Counts them as sent.
    qint64 admit(qint64 size);
    void appendChunkHeader(QByteArray& out, qint64 size) const;
    void appendChunkTrailer(QByteArray& out) const;
    // Ends the body. False if fewer bytes than the declared Content-Length were sent: the
    // connection must then be closed so the client notices.
    bool finish(QByteArray& out);

    bool started() const { return m_started; }
    bool finished() const { return m_finished; }
    // Everything a client needs has been sent: finished, or a declared Content-Length (or no
    // body at all) fully written even if finish() has not come yet.
    bool bodyComplete() const {
        return m_finished || (m_started && m_framing == Framing::Length && m_sent >= m_length) ||
               (m_started && m_framing == Framing::NoBody);
    }
    bool keepAlive() const { return m_keepAlive; }
    int status() const { return m_status; }

    // A complete server-generated response (4xx/5xx) with a short text body; closes.
    static void appendErrorResponse(QByteArray& out, int status, const QByteArray& detail);
    static const char* reasonPhrase(int status);
    // The head of a 101 answering a WebSocket handshake: the handler's headers (Upgrade and
    // Sec-WebSocket-Accept among them), checked as begin() checks them, no framing.
    static void appendSwitchingProtocols(QByteArray& out, const HttpHeaders& headers);
    // IMF-fixdate of the current second, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static void appendDate(QByteArray& out);

private:
    enum class Framing : quint8 { NoBody, Length, Chunked, UntilClose };
    Framing m_framing = Framing::NoBody;
    qint64 m_length = 0;
    qint64 m_sent = 0;
    int m_status = 0;
    bool m_started = false;
    bool m_finished = false;
    bool m_keepAlive = true;
    bool m_warnedOverflow = false;
};

} // namespace kiln
