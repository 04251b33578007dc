#include "server/httpserver.h"

#include "server/httpconnection.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>

namespace kiln {

namespace {
constexpr qsizetype kReadChunk = 64 * 1024;
constexpr int kListenBacklog = 1024; // wrk opens hundreds of connections at once
} // namespace

HttpServer::HttpServer(HttpHandler* handler, Options options, QObject* parent)
    : QObject(parent)
    , m_handler(handler)
    , m_options(options)
    , m_tcp(new QTcpServer(this))
    , m_readBuffer(kReadChunk, Qt::Uninitialized)
{
    // Exchanges post their calls to this object, so it must live on this thread and outlive
    // every exchange: they share its ownership. The last one out may be on another thread.
    m_context = std::shared_ptr<QObject>(new QObject, [](QObject* o) {
        if (o->thread() == QThread::currentThread())
            delete o;
        else
            o->deleteLater();
    });
    m_tcp->setListenBacklogSize(kListenBacklog);
    m_tcp->setMaxPendingConnections(kListenBacklog);
    connect(m_tcp, &QTcpServer::newConnection, this, &HttpServer::acceptConnections);

    // Deadlines are checked by one coarse sweep instead of a timer per connection, which would
    // be re-armed several times per request.
    const int shortest = std::min({m_options.headerTimeoutMs, m_options.keepAliveTimeoutMs,
                                   m_options.lingerMs});
    m_sweepTimer.setInterval(std::clamp(shortest / 4, 20, 1000));
    m_sweepTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_sweepTimer, &QTimer::timeout, this, &HttpServer::sweep);
}

HttpServer::~HttpServer()
{
    close();
}

bool HttpServer::listen(const QHostAddress& address, quint16 port, QString* error)
{
    if (m_tcp->listen(address, port))
        return true;
    if (error)
        *error = m_tcp->errorString();
    return false;
}

void HttpServer::close()
{
    m_tcp->close();
    m_sweepTimer.stop();
    const auto connections = std::exchange(m_connections, {});
    for (HttpConnection* c : connections)
        c->detachFromServer();
}

bool HttpServer::isListening() const
{
    return m_tcp->isListening();
}

quint16 HttpServer::port() const
{
    return m_tcp->serverPort();
}

QHostAddress HttpServer::address() const
{
    return m_tcp->serverAddress();
}

void HttpServer::acceptConnections()
{
    while (QTcpSocket* socket = m_tcp->nextPendingConnection())
        m_connections.insert(new HttpConnection(this, socket));
    if (!m_connections.isEmpty() && !m_sweepTimer.isActive())
        m_sweepTimer.start();
}

void HttpServer::sweep()
{
    const qint64 now = HttpConnection::nowUs();
    const auto connections = m_connections; // a check may close (and unregister) a connection
    for (HttpConnection* c : connections)
        c->checkDeadline(now);
    if (m_connections.isEmpty())
        m_sweepTimer.stop();
}

void HttpServer::connectionGone(HttpConnection* connection)
{
    m_connections.remove(connection);
}

} // namespace kiln
