#include "protocol/message.h"

#include "protocol/jsonfields.h"

#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <utility>

namespace kiln::protocol {

namespace {

QLatin1String typeName(MessageType type) {
    switch (type) {
    case MessageType::Request:
        return QLatin1String("request");
    case MessageType::Response:
        return QLatin1String("response");
    case MessageType::Event:
        break;
    }
    return QLatin1String("event");
}

// The key holding the message's name and the one holding its payload, per type (DAP's).
QLatin1String nameKey(MessageType type) {
    return type == MessageType::Event ? QLatin1String("event") : QLatin1String("command");
}

QLatin1String bodyKey(MessageType type) {
    return type == MessageType::Request ? QLatin1String("arguments") : QLatin1String("body");
}

} // namespace

Message Message::event(const QString& name, QJsonObject body) {
    Message m;
    m.type = MessageType::Event;
    m.name = name;
    m.body = std::move(body);
    return m;
}

Message Message::request(const QString& command, QJsonObject arguments) {
    Message m;
    m.type = MessageType::Request;
    m.name = command;
    m.body = std::move(arguments);
    return m;
}

Message Message::response(const Message& request, bool success, const QString& message,
                          QJsonObject body) {
    Message m;
    m.type = MessageType::Response;
    m.name = request.name;
    m.requestSeq = request.seq;
    m.success = success;
    m.message = message;
    m.body = std::move(body);
    return m;
}

QByteArray encodeMessage(const Message& message) {
    QJsonObject o;
    o.insert(QLatin1String("seq"), message.seq);
    o.insert(QLatin1String("type"), typeName(message.type));
    o.insert(nameKey(message.type), message.name);
    // Always written, even empty: a reader in another language then finds the key it expects.
    o.insert(bodyKey(message.type), message.body);
    if (message.type == MessageType::Response) {
        o.insert(QLatin1String("request_seq"), message.requestSeq);
        o.insert(QLatin1String("success"), message.success);
        if (!message.message.isEmpty()) o.insert(QLatin1String("message"), message.message);
    }
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

std::expected<Message, QString> decodeMessage(const QByteArray& json) {
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return std::unexpected(QStringLiteral("invalid JSON at offset %1: %2")
                                   .arg(parseError.offset)
                                   .arg(parseError.errorString()));
    }
    if (!doc.isObject()) return std::unexpected(QStringLiteral("message is not a JSON object"));
    const QJsonObject o = doc.object();

    Message m;
    const auto seq = detail::integerField(o, QLatin1String("seq"));
    if (!seq) return std::unexpected(seq.error());
    m.seq = *seq;

    const QJsonValue type = o.value(QLatin1String("type"));
    if (type == QLatin1String("request"))
        m.type = MessageType::Request;
    else if (type == QLatin1String("response"))
        m.type = MessageType::Response;
    else if (type == QLatin1String("event"))
        m.type = MessageType::Event;
    else if (type.isUndefined())
        return std::unexpected(QStringLiteral("\"type\" is missing"));
    else
        return std::unexpected(
            QStringLiteral("\"type\" must be \"request\", \"response\" or \"event\""));

    const QLatin1String nk = nameKey(m.type);
    const QJsonValue name = o.value(nk);
    if (name.isUndefined()) return std::unexpected(QStringLiteral("\"%1\" is missing").arg(nk));
    if (!name.isString() || name.toString().isEmpty())
        return std::unexpected(QStringLiteral("\"%1\" must be a non-empty string").arg(nk));
    m.name = name.toString();

    const QLatin1String bk = bodyKey(m.type);
    const QJsonValue body = o.value(bk);
    if (!body.isUndefined()) {
        if (!body.isObject())
            return std::unexpected(QStringLiteral("\"%1\" must be an object").arg(bk));
        m.body = body.toObject();
    }

    if (m.type == MessageType::Response) {
        const auto requestSeq = detail::integerField(o, QLatin1String("request_seq"));
        if (!requestSeq) return std::unexpected(requestSeq.error());
        m.requestSeq = *requestSeq;

        const QJsonValue success = o.value(QLatin1String("success"));
        if (success.isUndefined()) return std::unexpected(QStringLiteral("\"success\" is missing"));
        if (!success.isBool())
            return std::unexpected(QStringLiteral("\"success\" must be a boolean"));
        m.success = success.toBool();

        const QJsonValue text = o.value(QLatin1String("message"));
        if (!text.isUndefined()) {
            if (!text.isString())
                return std::unexpected(QStringLiteral("\"message\" must be a string"));
            m.message = text.toString();
        }
    }
    return m;
}

} // namespace kiln::protocol
