#pragma once

#include "protocol/endpoint.h"
#include "protocol/message.h"

#include <QObject>
#include <QString>

#include <expected>

class QLocalSocket;

namespace kiln {

// The host's end of the control channel (docs/protocol.md): a connected Unix stream socket,
// inherited as a file descriptor (`--control-fd N`) or reached by path (`--control unix:PATH`,
// where the client listens). Lives on the thread that creates it; send() may be called from
// any thread. Says `hello` first. Frames that cannot be read are answered with an `error`
// event; requests arrive through `request`.
class ControlChannel : public QObject {
    Q_OBJECT
public:
    explicit ControlChannel(QObject* parent = nullptr);
    ~ControlChannel() override;

    // "fd:N" or "unix:PATH". Fails with a message naming the cause.
    std::expected<void, QString> open(const QString& address);
    bool isOpen() const;

    // Thread-safe. Messages keep their order per calling thread.
    void send(protocol::Message message);
    void respond(const protocol::Message& request, bool success, const QString& error = {},
                 QJsonObject body = {});
    // Own thread: writes out what is queued while the client takes it (up to 10 s).
    void flush();

Q_SIGNALS:
    void request(const kiln::protocol::Message& request);
    // The peer closed the connection or it failed.
    void closed();

private:
    void read();
    void write(protocol::Message& message);

    static constexpr qint64 kMaxUnsentBytes = 16 * 1024 * 1024;

    QLocalSocket* m_socket = nullptr;
    qint64 m_droppedLogs = 0;
    protocol::Endpoint m_endpoint;
};

} // namespace kiln
