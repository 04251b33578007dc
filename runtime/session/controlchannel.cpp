#include "session/controlchannel.h"

#include "protocol/events.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QLocalSocket>
#include <QThread>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

namespace kiln {

ControlChannel::ControlChannel(QObject* parent)
    : QObject(parent) {}

ControlChannel::~ControlChannel() = default;

std::expected<void, QString> ControlChannel::open(const QString& address) {
    m_socket = new QLocalSocket(this);
    if (address.startsWith(QLatin1String("fd:"))) {
        bool ok = false;
        const int fd = address.mid(3).toInt(&ok);
        struct stat info {};
        if (!ok || fd < 0 || ::fstat(fd, &info) != 0)
            return std::unexpected(QStringLiteral("--control-fd %1 is not an open file descriptor")
                                       .arg(address.mid(3)));
        if (!S_ISSOCK(info.st_mode))
            return std::unexpected(
                QStringLiteral(
                    "--control-fd %1 is not a socket (a connected Unix stream socket is needed)")
                    .arg(fd));
        ::fcntl(fd, F_SETFD, FD_CLOEXEC); // the worker's own children must not hold it open
        if (!m_socket->setSocketDescriptor(fd, QLocalSocket::ConnectedState, QIODevice::ReadWrite))
            return std::unexpected(
                QStringLiteral("--control-fd %1: %2").arg(fd).arg(m_socket->errorString()));
    } else if (address.startsWith(QLatin1String("unix:"))) {
        m_socket->connectToServer(address.mid(5), QIODevice::ReadWrite);
        if (!m_socket->waitForConnected(5000))
            return std::unexpected(
                QStringLiteral("--control %1: %2").arg(address, m_socket->errorString()));
    } else {
        return std::unexpected(
            QStringLiteral("--control must be unix:PATH, not \"%1\"").arg(address));
    }
    connect(m_socket, &QLocalSocket::readyRead, this, &ControlChannel::read);
    connect(m_socket, &QLocalSocket::disconnected, this, &ControlChannel::closed);
    return {};
}

bool ControlChannel::isOpen() const {
    return m_socket && m_socket->state() == QLocalSocket::ConnectedState;
}

void ControlChannel::send(protocol::Message message) {
    if (QThread::currentThread() == thread()) {
        write(message);
        return;
    }
    QMetaObject::invokeMethod(
        this, [this, message = std::move(message)]() mutable { write(message); },
        Qt::QueuedConnection);
}

void ControlChannel::respond(const protocol::Message& request, bool success, const QString& error,
                             QJsonObject body) {
    send(protocol::Message::response(request, success, error, std::move(body)));
}

void ControlChannel::flush() {
    QCoreApplication::sendPostedEvents(this); // messages queued from other threads
    // While the client keeps taking bytes, keep writing (a backlog of log events may stand
    // before a `stop` command's response); give up after a second without progress.
    QDeadlineTimer deadline(10000);
    while (isOpen() && m_socket->bytesToWrite() > 0 && !deadline.hasExpired())
        if (!m_socket->waitForBytesWritten(1000)) break;
}

void ControlChannel::write(protocol::Message& message) {
    if (!isOpen()) return;
    // A client that stops reading must not make the host hoard its log: past the mark, log
    // events are dropped (and counted, and said once the client catches up); everything
    // else still goes out.
    const bool log = message.type == protocol::MessageType::Event &&
                     message.name == QLatin1String(protocol::LogEvent::kName);
    if (log && m_socket->bytesToWrite() > kMaxUnsentBytes) {
        ++m_droppedLogs;
        return;
    }
    if (m_droppedLogs > 0 && m_socket->bytesToWrite() < kMaxUnsentBytes / 2) {
        protocol::LogEvent notice{LogLevel::Warn, LogSource::Kiln,
                                  QStringLiteral("%1 log events were dropped: the control client "
                                                 "was not reading")
                                      .arg(std::exchange(m_droppedLogs, 0)),
                                  double(QDateTime::currentMSecsSinceEpoch())};
        auto event = protocol::makeEvent(notice);
        m_socket->write(m_endpoint.encode(event));
    }
    m_socket->write(m_endpoint.encode(message));
}

void ControlChannel::read() {
    const QByteArray bytes = m_socket->readAll();
    for (auto& item : m_endpoint.feed(bytes)) {
        if (!item) {
            auto error = protocol::makeEvent(protocol::ErrorEvent{item.error()});
            write(error);
            continue;
        }
        if (item->type != protocol::MessageType::Request) {
            auto error = protocol::makeEvent(protocol::ErrorEvent{
                QStringLiteral("only requests are accepted from the client, not a %1")
                    .arg(item->type == protocol::MessageType::Event ? QStringLiteral("event")
                                                                    : QStringLiteral("response"))});
            write(error);
            continue;
        }
        Q_EMIT request(*item);
    }
}

} // namespace kiln
