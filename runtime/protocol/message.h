#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <expected>

namespace kiln::protocol {

// The control channel's version. The host announces it in its first message (the `hello`
// event); a client that speaks another version disconnects, and a request naming another
// version in `initialize` is refused. Bumped for any change an older peer would misread.
constexpr int kVersion = 1;

enum class MessageType { Request, Response, Event };

// One message, shaped as the Debug Adapter Protocol's ProtocolMessage so a debugger can share
// the channel later: {"seq", "type": "request"|"response"|"event", "command"|"event",
// "arguments"|"body", "request_seq", "success", "message"}.
struct Message {
    MessageType type = MessageType::Event;
    qint64 seq = 0;
    QString name;          // the command (request, response) or the event
    QJsonObject body;      // request: arguments; response and event: body
    qint64 requestSeq = 0; // response: the request it answers
    bool success = true;   // response
    QString message;       // response: why it failed

    static Message event(const QString& name, QJsonObject body = {});
    static Message request(const QString& command, QJsonObject arguments = {});
    static Message response(const Message& request, bool success, const QString& message = {},
                            QJsonObject body = {});
};

// Compact JSON text of one message (no framing).
QByteArray encodeMessage(const Message& message);
// Parses and checks the envelope; the error says what is wrong ("not a JSON object", ...).
std::expected<Message, QString> decodeMessage(const QByteArray& json);

} // namespace kiln::protocol
