#include "server/httpserver.h"

#include "server/httpconnection.h"

#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace kiln {

namespace {
constexpr qsizetype kReadChunk = 64 * 1024;
constexpr int kListenBacklog = 1024; // wrk opens hundreds of connections at once
constexpr int kAcceptBatch = 128;
constexpr int kAcceptRetryMs = 100;
} // namespace

HttpServer::HttpServer(HttpHandler* handler, Options options, QObject* parent)
    : QObject(parent)
    , m_handler(handler)
    , m_options(options)
    , m_tcp(new QTcpServer(this))
    , m_readBuffer(kReadChunk, Qt::Uninitialized) {
    // Exchanges post their calls to this object, so it must live on this thread and outlive
    // every exchange: they share its ownership. The last one out may be on another thread.
    m_context = std::shared_ptr<QObject>(new QObject, [](QObject* o) {
        if (o->thread() == QThread::currentThread())
            delete o;
        else
            o->deleteLater();
    });
    m_tcp->setListenBacklogSize(kListenBacklog);

    // Deadlines are checked by one coarse sweep instead of a timer per connection, which would
    // be re-armed several times per request.
    const int shortest =
        std::min({m_options.headerTimeoutMs, m_options.keepAliveTimeoutMs, m_options.lingerMs});
    m_sweepTimer.setInterval(std::clamp(shortest / 4, 20, 1000));
    m_sweepTimer.setTimerType(Qt::CoarseTimer);
    connect(&m_sweepTimer, &QTimer::timeout, this, &HttpServer::sweep);
}

HttpServer::~HttpServer() {
    close();
}

bool HttpServer::listen(const QHostAddress& address, quint16 port, QString* error) {
    if (!m_tcp->listen(address, port)) {
        if (error) *error = m_tcp->errorString();
        return false;
    }
    // QTcpServer binds and listens; accepting is ours. Qt's loop handles running out of
    // descriptors badly: it either stops accepting for good or, once its engine has recorded
    // an EAGAIN, spins on the level-triggered notifier until a descriptor frees up.
    m_tcp->pauseAccepting();
    delete m_acceptNotifier;
    m_acceptNotifier = new QSocketNotifier(m_tcp->socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_acceptNotifier, &QSocketNotifier::activated, this, &HttpServer::acceptConnections);
    return true;
}

void HttpServer::close() {
    delete std::exchange(m_acceptNotifier, nullptr);
    m_tcp->close();
    m_sweepTimer.stop();
    const auto connections = std::exchange(m_connections, {});
    for (HttpConnection* c : connections)
        c->detachFromServer();
}

bool HttpServer::isListening() const {
    return m_tcp->isListening();
}

quint16 HttpServer::port() const {
    return m_tcp->serverPort();
}

QHostAddress HttpServer::address() const {
    return m_tcp->serverAddress();
}

void HttpServer::acceptConnections() {
    const int listener = int(m_tcp->socketDescriptor());
    // Bounded per wake-up so a connection storm cannot starve established connections; the
    // notifier is level-triggered and comes back for the rest.
    for (int i = 0; i < kAcceptBatch; ++i) {
#ifdef __linux__
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        const int fd = ::accept(listener, nullptr, nullptr);
#endif
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            // Out of descriptors or memory: the client waits in the backlog. Look again
            // shortly rather than spin, as node does.
            if (!std::exchange(m_acceptFailing, true))
                qWarning("kiln::HttpServer: accept failed (%s); retrying", std::strerror(errno));
            m_acceptNotifier->setEnabled(false);
            QTimer::singleShot(kAcceptRetryMs, m_acceptNotifier,
                               [n = m_acceptNotifier] { n->setEnabled(true); });
            break;
        }
        m_acceptFailing = false;
        auto* socket = new QTcpSocket;
        if (!socket->setSocketDescriptor(fd)) {
            ::close(fd);
            delete socket;
            continue;
        }
        m_connections.insert(new HttpConnection(this, socket));
    }
    if (!m_connections.isEmpty() && !m_sweepTimer.isActive()) m_sweepTimer.start();
}

void HttpServer::sweep() {
    const qint64 now = HttpConnection::nowUs();
    const auto connections = m_connections; // a check may close (and unregister) a connection
    for (HttpConnection* c : connections)
        c->checkDeadline(now);
    if (m_connections.isEmpty()) m_sweepTimer.stop();
}

void HttpServer::connectionGone(HttpConnection* connection) {
    m_connections.remove(connection);
}

} // namespace kiln
