#pragma once

// Private to runtime/protocol: checked reads of JSON fields, shared by the envelope, the events
// and the commands so every error reads the same way: `requestFinished: "status" must be a
// number`.

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>

namespace kiln::protocol::detail {

// A whole number in `object[key]` (JSON has only doubles; 2.5 is refused, not truncated).
std::expected<qint64, QString> integerField(const QJsonObject& object, QLatin1String key);

// Reads the fields of one event body or command's arguments. Each read returns a default on
// failure and keeps the first error, so a fromBody reads every field in a row and checks once.
class FieldReader {
public:
    enum Presence { Required, Optional };

    // `context` starts every error: the message name, or e.g. "exception.frames[2]".
    FieldReader(const QString& context, const QJsonObject& object)
        : m_context(context)
        , m_object(object) {}
    FieldReader(const char* context, const QJsonObject& object)
        : FieldReader(QString::fromLatin1(context), object) {}

    QString string(const char* key, Presence presence = Required);
    qint64 integer(const char* key, Presence presence = Required);
    int int32(const char* key, Presence presence = Required);
    double number(const char* key, Presence presence = Required);
    bool boolean(const char* key, Presence presence = Required);
    QStringList stringList(const char* key, Presence presence = Required);
    // Absent (or null, when Optional) gives nullopt without an error.
    std::optional<QJsonObject> object(const char* key, Presence presence = Required);
    std::optional<QJsonArray> array(const char* key, Presence presence = Required);

    // For values checked by the caller (enum names, nested objects).
    void fail(const QString& message);
    void fail(const char* key, const QString& what);
    // Keeps the error of a reader of a nested object, whose context already names the path.
    void absorb(const FieldReader& inner);

    bool ok() const { return m_error.isEmpty(); }
    const QString& error() const { return m_error; }
    std::unexpected<QString> failure() const { return std::unexpected(m_error); }

private:
    // The value at key, or undefined after recording "missing" when it is Required.
    QJsonValue take(const char* key, Presence presence);

    QString m_context;
    QJsonObject m_object; // a shared copy: callers may pass a temporary
    QString m_error;
};

} // namespace kiln::protocol::detail
