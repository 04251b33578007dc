#pragma once

#include "server/httptypes.h"
#include "server/websocketsession.h"

#include <QMutex>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

class QObject;

namespace kiln {

class HttpConnection;

// One request/response pair. Thread-safe: every public method may be called from any thread.
// Calls are queued and carried out on the server's thread, in the order they were made (a
// thread with a PostBatch installed hands them over when it flushes); every callback
// (pullBody, write's `ready`, onClosed) is invoked on the server's thread.
//
// The exchange is held by std::shared_ptr. Dropping the last reference before finish() is
// treated as a handler bug: the server answers 500 (or closes the connection if the response had
// already started), so a client is never left waiting forever.
class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
    struct Key {
        explicit Key() = default;
    };

public:
    HttpExchange(Key, quint64 id, HttpRequestHead head, bool hasBody,
                 std::shared_ptr<QObject> context);
    ~HttpExchange();
    HttpExchange(const HttpExchange&) = delete;
    HttpExchange& operator=(const HttpExchange&) = delete;

    const HttpRequestHead& head() const { return m_head; }
    // Unique within the server; the id exchangeStarted/exchangeFinished report.
    quint64 id() const { return m_id; }
    // The handler took the request off its queue and started on it (any thread): what splits
    // the reported time into queued and handler time. Only the first call counts.
    void markTaken();
    // False when the request has neither a Content-Length > 0 nor a chunked body.
    bool hasBody() const { return m_hasBody; }
    // The whole request body when it had arrived with the head (a small POST usually does),
    // taken before the handler saw the exchange: the consumer can use it instead of pulling,
    // which saves a round trip to the server thread. Null otherwise (then pull).
    const QByteArray& prefetchedBody() const { return m_prefetched; }

    // Pulls the next piece of the request body; `cb` gets exactly one BodyChunk. One pull may be
    // outstanding at a time (a second one gets an error chunk). The server stops reading the
    // socket while more than ~1 MiB is buffered and not pulled. The first pull of a request with
    // `Expect: 100-continue` sends `100 Continue`.
    void pullBody(std::function<void(BodyChunk)> cb);

    // Starts the response; at most once. Content-Length, if given, is honoured and enforced;
    // otherwise the body is chunked (HTTP/1.1) or close-delimited (HTTP/1.0). Transfer-Encoding,
    // Connection and Keep-Alive are hop-by-hop and set by the server (`Connection: close` from
    // the handler is honoured). A Date header is added if absent.
    void respond(int status, const QByteArray& reason, const HttpHeaders& headers);
    // Appends body bytes (an implicit `respond(200)` if respond() was not called). `ready` is
    // called once the server's unsent buffer is below ~1 MiB, so a producer that waits for it
    // never makes the server hold more than that; it is not called once the exchange is over
    // (onClosed, or finish() while the buffer was still above the mark). Bytes beyond a declared
    // Content-Length and body bytes for HEAD, 204 and 304 are dropped.
    void write(const QByteArray& data, std::function<void()> ready = {});
    // Whether respond() (or a write() or finish() that implies it) was called.
    bool responseStarted() const;
    // Ends the response. If fewer bytes than the declared Content-Length were written, the
    // connection is closed so the client sees the truncation.
    void finish();
    // Drops the connection at once.
    void abort();

    // The request is a WebSocket handshake the server can complete (webSocketAccept).
    bool wantsWebSocket() const { return !m_webSocketAccept.isEmpty(); }
    // Answers the handshake with 101 Switching Protocols (plus `headers`, e.g. a chosen
    // Sec-WebSocket-Protocol) and carries WebSocket messages from then on: `sink` gets the
    // client's, on the server thread. Instead of respond(); only when wantsWebSocket().
    void acceptWebSocket(const HttpHeaders& headers, WebSocketSink sink);
    // After acceptWebSocket(): a message for the client, or the close (in call order).
    void sendWebSocket(WebSocketOutgoing message);
    // Called once if the exchange ends without a finished response: the client went away, the
    // request body turned out malformed (the server then answered 400 itself), or abort().
    // Registered after that moment, it is still called (on the server's thread).
    void onClosed(std::function<void()> cb);

private:
    friend class HttpConnection;

    struct PendingWrite {
        QByteArray data;
        std::function<void()> ready;
    };
    // Consumer calls not yet carried out on the server thread; guarded by m_mutex.
    struct Inbox {
        bool respond = false;
        int status = 0;
        QByteArray reason;
        HttpHeaders headers;
        std::vector<PendingWrite> writes;
        bool finish = false;
        bool abort = false;
        bool released = false; // the consumer dropped its last reference
        std::function<void(BodyChunk)> pull;
        bool upgrade = false; // acceptWebSocket(): headers and sink travel with it
        WebSocketSink sink;
        std::vector<WebSocketOutgoing> webSocketOut;
    };

    // Server-thread API used by HttpConnection.
    static std::shared_ptr<HttpExchange> create(quint64 id, HttpRequestHead head, bool hasBody,
                                                std::shared_ptr<QObject> context);
    qint64 takenUs() const { return m_takenUs.load(std::memory_order_relaxed); }
    std::shared_ptr<HttpExchange> consumerHandle();
    void attach(HttpConnection* connection) { m_conn = connection; }
    void appendBody(const char* data, qsizetype size) { m_body.append(data, size); }
    qsizetype bufferedBody() const { return m_body.size(); }
    void setBodyEnd();
    // Before dispatch: a complete body of at most `maxBytes` becomes prefetchedBody().
    void prefetchBody(qsizetype maxBytes);
    void setBodyError(const QString& error, bool discardBuffered);
    // Serves a pending pull if there is something to answer with.
    void serveBody();
    // The response finished normally: later consumer calls become no-ops.
    void detach();
    // The exchange ends without a finished response: fires onClosed.
    void close(const QString& bodyError);

    Inbox takeOps(); // with m_mutex held; leaves a pending pull in place
    void consumerReleased();
    void processInbox();
    // Posts processInbox() to the server thread; called with m_mutex unlocked.
    void post();
    void invokeOnServerThread(std::function<void()> fn) const;

    const quint64 m_id;
    std::atomic<qint64> m_takenUs{0};
    const HttpRequestHead m_head;
    const bool m_hasBody;
    const QByteArray m_webSocketAccept;
    const std::shared_ptr<QObject> m_context; // lives on the server thread; target for posts

    mutable QMutex m_mutex;
    Inbox m_inbox;
    bool m_flushPosted = false;
    bool m_respondCalled = false;
    bool m_finishCalled = false;
    bool m_upgraded = false;
    bool m_pullOutstanding = false;
    bool m_closed = false; // no more ops accepted
    enum class Ending { Open, Finished, Closed } m_ending = Ending::Open;
    std::function<void()> m_closedCb;

    // Server-thread state.
    HttpConnection* m_conn = nullptr;
    QByteArray m_body;
    QByteArray m_prefetched; // set before dispatch, read-only after
    QString m_bodyError;
    bool m_bodyEnd = false;
    bool m_pulledOnce = false;
    std::function<void(BodyChunk)> m_pendingPull;
};

} // namespace kiln
