#include "stores/d1json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace kiln {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

std::expected<SqlValue, QString> paramOf(const QJsonValue& value) {
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return SqlValue();
    case QJsonValue::Bool:
        return SqlValue(qint64(value.toBool()));
    case QJsonValue::String:
        return SqlValue(value.toString());
    case QJsonValue::Double: {
        // Qt keeps integers that fit 64 bits exact; other numbers are doubles.
        const double d = value.toDouble();
        const qint64 i = value.toInteger(std::numeric_limits<qint64>::min());
        if (i != std::numeric_limits<qint64>::min() ||
            d == double(std::numeric_limits<qint64>::min()))
            return SqlValue(i);
        return SqlValue(d);
    }
    case QJsonValue::Object: {
        const QJsonObject o = value.toObject();
        if (o.contains(QLatin1String("b64")))
            return SqlValue(
                QByteArray::fromBase64(o.value(QLatin1String("b64")).toString().toLatin1()));
        const QString f = o.value(QLatin1String("float")).toString();
        if (f == QLatin1String("inf")) return SqlValue(HUGE_VAL);
        if (f == QLatin1String("-inf")) return SqlValue(-HUGE_VAL);
        if (f == QLatin1String("nan")) return SqlValue(std::nan(""));
        break;
    }
    case QJsonValue::Array:
        break;
    }
    return std::unexpected(QStringLiteral("D1_TYPE_ERROR: a parameter of an unsupported type"));
}

class Writer {
public:
    QByteArray out;

    void raw(const char* text) { out.append(text); }
    void ch(char c) { out.append(c); }

    void number(double d) {
        if (std::isinf(d)) return raw(d > 0 ? "Infinity" : "-Infinity");
        if (std::isnan(d)) return raw("NaN");
        char buf[32];
        // Beyond 2^53 a whole number is a float on the Python side (as a JS number is):
        // scientific form keeps "4611686018427387904" from reading back as an int.
        auto [end, ec] =
            std::fabs(d) > kMaxSafeInteger
                ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific)
                : std::to_chars(buf, buf + sizeof buf, d);
        // Shortest round-trip form: an integral REAL reads back as an int, as a JS number
        // does through Pyodide.
        out.append(buf, end - buf);
    }

    void integer(qint64 i) {
        // A JS number holds integers exactly only up to 2^53: beyond, what D1 hands over
        // is the nearest double.
        if (std::fabs(double(i)) > kMaxSafeInteger) return number(double(i));
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
        out.append(buf, end - buf);
    }

    void string(QByteArrayView utf8) {
        static const char hex[] = "0123456789abcdef";
        ch('"');
        qsizetype run = 0;
        for (qsizetype i = 0; i < utf8.size(); ++i) {
            const auto c = static_cast<unsigned char>(utf8[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            out.append(utf8.data() + run, i - run);
            run = i + 1;
            if (c == '"' || c == '\\') {
                ch('\\');
                ch(char(c));
            } else {
                const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(esc, sizeof esc);
            }
        }
        out.append(utf8.data() + run, utf8.size() - run);
        ch('"');
    }

    void column(sqlite3_stmt* stmt, int i) {
        switch (sqlite3_column_type(stmt, i)) {
        case SQLITE_INTEGER:
            return integer(sqlite3_column_int64(stmt, i));
        case SQLITE_FLOAT:
            return number(sqlite3_column_double(stmt, i));
        case SQLITE_TEXT: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            return string(QByteArrayView(text, sqlite3_column_bytes(stmt, i)));
        }
        case SQLITE_BLOB: {
            const auto* bytes = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, i));
            const int size = sqlite3_column_bytes(stmt, i);
            ch('[');
            for (int b = 0; b < size; ++b) {
                if (b) ch(',');
                integer(bytes[b]);
            }
            return ch(']');
        }
        default:
            raw("null");
        }
    }

    void meta(const D1Meta& m) {
        raw(",\"meta\":{\"served_by\":\"kiln\",\"duration\":");
        number(m.durationMs);
        raw(",\"changes\":");
        integer(m.changes);
        raw(",\"last_row_id\":");
        integer(m.lastRowId);
        raw(m.changedDb ? ",\"changed_db\":true" : ",\"changed_db\":false");
        raw(",\"size_after\":");
        integer(m.sizeAfter);
        raw(",\"rows_read\":");
        integer(m.rowsRead);
        raw(",\"rows_written\":");
        integer(m.rowsWritten);
        ch('}');
    }
};

} // namespace

std::expected<std::vector<D1Statement>, QString> D1Json::parseStatements(QByteArrayView text) {
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toByteArray(), &error);
    if (!doc.isArray())
        return std::unexpected(
            QStringLiteral("D1_ERROR: malformed statements: %1").arg(error.errorString()));
    std::vector<D1Statement> statements;
    const QJsonArray list = doc.array();
    statements.reserve(size_t(list.size()));
    for (const QJsonValue& item : list) {
        const QJsonArray pair = item.toArray();
        D1Statement statement{pair.at(0).toString(), {}};
        const QJsonArray params = pair.at(1).toArray();
        statement.params.reserve(size_t(params.size()));
        for (const QJsonValue& p : params) {
            auto v = paramOf(p);
            if (!v) return std::unexpected(v.error());
            statement.params.push_back(std::move(*v));
        }
        statements.push_back(std::move(statement));
    }
    return statements;
}

void D1Json::beginResult(QByteArray& out, sqlite3_stmt* stmt) {
    Writer w{std::move(out)};
    w.raw("{\"columns\":[");
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c) w.ch(',');
        w.string(sqlite3_column_name(stmt, c));
    }
    w.raw("],\"rows\":[");
    out = std::move(w.out);
}

void D1Json::appendRow(QByteArray& out, sqlite3_stmt* stmt, bool first) {
    Writer w{std::move(out)};
    w.raw(first ? "[" : ",[");
    for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        if (c) w.ch(',');
        w.column(stmt, c);
    }
    w.ch(']');
    out = std::move(w.out);
}

void D1Json::endResult(QByteArray& out, const D1Meta* meta) {
    Writer w{std::move(out)};
    w.ch(']');
    if (meta) w.meta(*meta);
    w.ch('}');
    out = std::move(w.out);
}

} // namespace kiln
