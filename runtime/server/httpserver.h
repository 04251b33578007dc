#pragma once

#include "server/httpexchange.h"
#include "server/httphandler.h"

#include <QHostAddress>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <memory>

class QSocketNotifier;
class QTcpServer;

namespace kiln {

class HttpConnection;

// Outside HttpServer so it can be a default argument of HttpServer's constructor.
struct HttpServerOptions {
    qint64 maxHeaderBytes = 64 * 1024; // request line + headers; over it: 431 (414 for the URL)
    int headerTimeoutMs = 30000;       // first byte of a request to end of its head; then 408
    // While the server waits for request body bytes (not while it holds back because the
    // handler has not pulled), each window of this length must bring minBodyBytesPerWindow;
    // else 408. Stops a client that sends one byte every few seconds from holding a connection.
    int bodyWindowMs = 30000;
    qint64 minBodyBytesPerWindow = 1024;
    int keepAliveTimeoutMs = 5000;         // idle time between requests before closing
    qint64 maxBufferedBodyBytes = 1 << 20; // unpulled request body before the socket is paused
    qint64 writeHighWaterBytes = 1 << 20;  // unsent response bytes before `ready` is held back
    qint64 maxDrainBytes = 1 << 20;        // unread request body discarded to keep the connection
    int lingerMs = 2000;                   // reading after our FIN so an error reply is not reset
};

// HTTP/1.1 server on the thread that creates it (which must run a Qt event loop). Requests are
// handed to an HttpHandler as thread-safe HttpExchange objects; see runtime/server/README.md.
class HttpServer : public QObject {
    Q_OBJECT
public:
    using Options = HttpServerOptions;

    explicit HttpServer(HttpHandler* handler, Options options = {}, QObject* parent = nullptr);
    ~HttpServer() override;

    // Listens on exactly `address` (port 0: any free port). False with `error` set on failure.
    bool listen(const QHostAddress& address, quint16 port, QString* error = nullptr);
    // Stops listening and drops every connection (in-flight exchanges see onClosed).
    void close();
    bool isListening() const;
    quint16 port() const;
    QHostAddress address() const;
    int connectionCount() const { return int(m_connections.size()); }
    const Options& options() const { return m_options; }

Q_SIGNALS:
    // A request's head was parsed and is about to reach the handler.
    void exchangeStarted(quint64 id, const QByteArray& method, const QByteArray& target);
    // After every exchange, answered or not (also the server's own 4xx, with an id of its own).
    void exchangeFinished(const kiln::HttpExchangeRecord& record);

private:
    friend class HttpConnection;

    void acceptConnections();
    void sweep();
    void connectionGone(HttpConnection* connection);
    quint64 nextExchangeId() { return ++m_lastExchangeId; }

    HttpHandler* m_handler;
    Options m_options;
    QTcpServer* m_tcp; // binds and listens; accepting is done here
    QSocketNotifier* m_acceptNotifier = nullptr;
    QTimer m_sweepTimer;
    QSet<HttpConnection*> m_connections;
    std::shared_ptr<QObject> m_context; // where exchanges post their calls
    QByteArray m_readBuffer;            // shared by all connections: parsing is synchronous
    bool m_acceptFailing = false;       // warn once per run of accept errors
    quint64 m_lastExchangeId = 0;
};

} // namespace kiln
