#include "protocol/jsonfields.h"

#include <QJsonValue>

#include <limits>

namespace kiln::protocol::detail {

namespace {

enum class IntegerCheck { Ok, NotNumber, NotWhole };

IntegerCheck checkInteger(const QJsonValue& value, qint64* out) {
    if (!value.isDouble()) return IntegerCheck::NotNumber;
    // toInteger() gives the default for a fraction or a value outside qint64; two different
    // defaults tell that apart from a value that happens to equal one of them.
    const qint64 a = value.toInteger(0);
    if (a != value.toInteger(1)) return IntegerCheck::NotWhole;
    *out = a;
    return IntegerCheck::Ok;
}

} // namespace

std::expected<qint64, QString> integerField(const QJsonObject& object, QLatin1String key) {
    const QJsonValue value = object.value(key);
    if (value.isUndefined()) return std::unexpected(QStringLiteral("\"%1\" is missing").arg(key));
    qint64 n = 0;
    if (checkInteger(value, &n) != IntegerCheck::Ok)
        return std::unexpected(QStringLiteral("\"%1\" must be an integer").arg(key));
    return n;
}

void FieldReader::fail(const QString& message) {
    if (m_error.isEmpty()) m_error = m_context + QLatin1String(": ") + message;
}

void FieldReader::fail(const char* key, const QString& what) {
    fail(QLatin1Char('"') + QLatin1String(key) + QLatin1String("\" ") + what);
}

void FieldReader::absorb(const FieldReader& inner) {
    if (m_error.isEmpty()) m_error = inner.m_error;
}

QJsonValue FieldReader::take(const char* key, Presence presence) {
    const QJsonValue value = m_object.value(QLatin1String(key));
    if (value.isUndefined() && presence == Required) fail(key, QStringLiteral("is missing"));
    return value;
}

QString FieldReader::string(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined()) return {};
    if (!value.isString()) {
        fail(key, QStringLiteral("must be a string"));
        return {};
    }
    return value.toString();
}

qint64 FieldReader::integer(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined()) return 0;
    qint64 n = 0;
    switch (checkInteger(value, &n)) {
    case IntegerCheck::Ok:
        return n;
    case IntegerCheck::NotNumber:
        fail(key, QStringLiteral("must be a number"));
        break;
    case IntegerCheck::NotWhole:
        fail(key, QStringLiteral("must be a whole number"));
        break;
    }
    return 0;
}

int FieldReader::int32(const char* key, Presence presence) {
    const qint64 n = integer(key, presence);
    if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
        fail(key, QStringLiteral("is out of range"));
        return 0;
    }
    return static_cast<int>(n);
}

double FieldReader::number(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined()) return 0;
    if (!value.isDouble()) {
        fail(key, QStringLiteral("must be a number"));
        return 0;
    }
    return value.toDouble();
}

bool FieldReader::boolean(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined()) return false;
    if (!value.isBool()) {
        fail(key, QStringLiteral("must be a boolean"));
        return false;
    }
    return value.toBool();
}

QStringList FieldReader::stringList(const char* key, Presence presence) {
    const std::optional<QJsonArray> items = array(key, presence);
    if (!items) return {};
    QStringList out;
    out.reserve(items->size());
    for (const QJsonValue& item : *items) {
        if (!item.isString()) {
            fail(key, QStringLiteral("must be an array of strings"));
            return {};
        }
        out.append(item.toString());
    }
    return out;
}

std::optional<QJsonObject> FieldReader::object(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined() || (value.isNull() && presence == Optional)) return std::nullopt;
    if (!value.isObject()) {
        fail(key, QStringLiteral("must be an object"));
        return std::nullopt;
    }
    return value.toObject();
}

std::optional<QJsonArray> FieldReader::array(const char* key, Presence presence) {
    const QJsonValue value = take(key, presence);
    if (value.isUndefined() || (value.isNull() && presence == Optional)) return std::nullopt;
    if (!value.isArray()) {
        fail(key, QStringLiteral("must be an array"));
        return std::nullopt;
    }
    return value.toArray();
}

} // namespace kiln::protocol::detail
