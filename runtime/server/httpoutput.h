#pragma once

#include <QByteArray>

#include <functional>
#include <vector>

class QTcpSocket;

namespace kiln {

// The sending side of one connection (internal). Small pieces (heads, chunk framing, small
// bodies) are gathered in one buffer so a response usually leaves in one send(); big payloads
// are handed to the socket as implicitly shared QByteArrays instead of being copied. Producers'
// `ready` callbacks are held until the socket's unsent bytes drop below the high-water mark.
class HttpOutput {
public:
    HttpOutput(QTcpSocket* socket, qint64 highWater);

    QByteArray& buffer() { return m_out; } // append small bytes here
    void appendPayload(const QByteArray& data, qint64 size);
    // Hands everything to the socket and tries to send it now. May emit the socket's
    // disconnected() synchronously.
    void flush();
    void addReady(std::function<void()> cb) { m_ready.push_back(std::move(cb)); }
    // Runs the held callbacks if the socket has room again.
    void fireReady();
    void dropReady() { m_ready.clear(); }
    // Bytes produced since the last resetCount(), sent or not.
    qint64 bytesOut() const { return m_bytesOut + m_out.size(); }
    void resetCount() { m_bytesOut = 0; }

private:
    void stage();

    QTcpSocket* m_socket;
    qint64 m_highWater;
    QByteArray m_out;
    qint64 m_bytesOut = 0;
    std::vector<std::function<void()>> m_ready;
};

} // namespace kiln
