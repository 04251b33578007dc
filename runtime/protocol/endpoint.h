#pragma once

#include "protocol/framereader.h"
#include "protocol/message.h"

#include <QByteArray>

#include <expected>
#include <vector>

namespace kiln::protocol {

// One side of a control connection, transport-free: numbers outgoing messages and frames
// them; turns incoming bytes into messages. The host's channel and the studio's client both
// wrap one around their socket. Not thread-safe.
class Endpoint {
public:
    explicit Endpoint(qsizetype maxFrameBytes = kMaxFrameBytes)
        : m_reader(maxFrameBytes) {}

    // Assigns the next seq (1, 2, ...) to `message` and returns the framed bytes to write.
    QByteArray encode(Message& message);
    // Everything that `bytes` completes: messages, or errors describing a frame or body that
    // could not be read (the stream carries on after each).
    std::vector<std::expected<Message, QString>> feed(QByteArrayView bytes);

private:
    FrameReader m_reader;
    qint64 m_nextSeq = 1;
};

} // namespace kiln::protocol
