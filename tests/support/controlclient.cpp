#include "controlclient.h"

#include <QDeadlineTimer>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kiln::test {

ControlClient::ControlClient() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return;
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC); // ours; the child inherits only fds[1]
    m_childFd = fds[1];
    m_socket.setSocketDescriptor(fds[0]);
}

ControlClient::~ControlClient() {
    closeChildFd();
}

void ControlClient::closeChildFd() {
    if (m_childFd >= 0) ::close(m_childFd);
    m_childFd = -1;
}

void ControlClient::poll(int ms) {
    if (m_socket.bytesAvailable() == 0 && ms > 0) m_socket.waitForReadyRead(ms);
    const QByteArray bytes = m_socket.readAll();
    for (auto& item : m_endpoint.feed(bytes)) {
        if (item)
            m_received.append(*item);
        else
            m_errors.append(item.error());
    }
}

std::optional<protocol::Message>
ControlClient::waitForEvent(const QString& name, int timeoutMs,
                            const std::function<bool(const protocol::Message&)>& match,
                            qsizetype from, qsizetype* at) {
    QDeadlineTimer deadline(timeoutMs);
    qsizetype next = from;
    for (;;) {
        for (; next < m_received.size(); ++next) {
            const auto& m = m_received.at(next);
            if (m.type == protocol::MessageType::Event && m.name == name && (!match || match(m))) {
                if (at) *at = next;
                return m;
            }
        }
        if (deadline.hasExpired() || (!isConnected() && m_socket.bytesAvailable() == 0))
            return std::nullopt;
        poll(50);
    }
}

std::optional<protocol::Message> ControlClient::call(protocol::Message request, int timeoutMs) {
    m_socket.write(m_endpoint.encode(request));
    m_socket.flush();
    QDeadlineTimer deadline(timeoutMs);
    qsizetype next = 0;
    for (;;) {
        for (; next < m_received.size(); ++next) {
            const auto& m = m_received.at(next);
            if (m.type == protocol::MessageType::Response && m.requestSeq == request.seq) return m;
        }
        if (deadline.hasExpired() || (!isConnected() && m_socket.bytesAvailable() == 0))
            return std::nullopt;
        poll(50);
    }
}

void ControlClient::writeRaw(const QByteArray& bytes) {
    m_socket.write(bytes);
    m_socket.flush();
}

} // namespace kiln::test
