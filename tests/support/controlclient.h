#pragma once

#include "protocol/endpoint.h"
#include "protocol/message.h"

#include <QList>
#include <QLocalSocket>
#include <QString>

#include <functional>
#include <optional>

namespace kiln::test {

// The studio's side of the control channel, for tests: one end of a socketpair whose other
// end a `kiln dev --control-fd N` child inherits. Every message received is kept in order.
class ControlClient {
public:
    ControlClient();
    ~ControlClient();

    // The descriptor to hand the child (inheritable); closed here once the child started.
    int childFd() const { return m_childFd; }
    void closeChildFd();
    // Closes our end: the child sees the channel go away.
    void close() { m_socket.abort(); }
    bool isConnected() const { return m_socket.state() == QLocalSocket::ConnectedState; }

    // Reads what has arrived (waiting up to `ms` for more).
    void poll(int ms = 0);
    // The first event named `name` after position `from` for which `match` holds (polling up
    // to `timeoutMs`); nullopt on timeout. `at`, when given, gets its position.
    std::optional<protocol::Message>
    waitForEvent(const QString& name, int timeoutMs = 30000,
                 const std::function<bool(const protocol::Message&)>& match = {},
                 qsizetype from = 0, qsizetype* at = nullptr);
    // Sends a request and waits for its response.
    std::optional<protocol::Message> call(protocol::Message request, int timeoutMs = 30000);
    // Raw bytes, for malformed-input tests.
    void writeRaw(const QByteArray& bytes);

    const QList<protocol::Message>& received() const { return m_received; }
    const QStringList& errors() const { return m_errors; } // frames this side could not read

private:
    QLocalSocket m_socket;
    int m_childFd = -1;
    protocol::Endpoint m_endpoint;
    QList<protocol::Message> m_received;
    QStringList m_errors;
};

} // namespace kiln::test
