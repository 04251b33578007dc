#include "server/httpoutput.h"

#include <QTcpSocket>

namespace kiln {

namespace {
// Payloads at least this big go to the socket on their own, shared rather than copied (Qt's
// write buffer keeps a reference to chunks of 4 KiB and more).
constexpr qsizetype kShareThreshold = 16 * 1024;
} // namespace

HttpOutput::HttpOutput(QTcpSocket* socket, qint64 highWater)
    : m_socket(socket)
    , m_highWater(highWater) {}

void HttpOutput::appendPayload(const QByteArray& data, qint64 size) {
    if (size >= kShareThreshold) {
        stage();
        m_socket->write(size == data.size() ? data : data.first(size));
        m_bytesOut += size;
    } else {
        m_out.append(data.constData(), size);
    }
}

void HttpOutput::stage() {
    if (m_out.isEmpty()) return;
    m_bytesOut += m_out.size();
    m_socket->write(m_out);
    // Qt copies small writes (keep our capacity for the next response) and shares big ones
    // (let go of them rather than detach on the next append).
    if (m_out.size() < 4096)
        m_out.resize(0);
    else
        m_out = QByteArray();
}

void HttpOutput::flush() {
    stage();
    m_socket->flush();
}

void HttpOutput::fireReady() {
    if (m_ready.empty() || m_socket->bytesToWrite() >= m_highWater) return;
    auto callbacks = std::exchange(m_ready, {});
    for (auto& cb : callbacks)
        cb();
}

} // namespace kiln
