#include "protocol/endpoint.h"

namespace kiln::protocol {

QByteArray Endpoint::encode(Message& message) {
    message.seq = m_nextSeq++;
    return frame(encodeMessage(message));
}

std::vector<std::expected<Message, QString>> Endpoint::feed(QByteArrayView bytes) {
    m_reader.append(bytes);
    std::vector<std::expected<Message, QString>> out;
    while (std::optional<std::expected<QByteArray, QString>> body = m_reader.next()) {
        if (body->has_value())
            out.push_back(decodeMessage(**body));
        else
            out.push_back(std::unexpected(std::move(body->error())));
    }
    return out;
}

} // namespace kiln::protocol
