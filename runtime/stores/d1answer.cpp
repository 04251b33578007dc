#include "stores/d1answer.h"

#include <QSet>

#include <charconv>
#include <cmath>

namespace kiln {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0; // Number.MAX_SAFE_INTEGER

// A key JS orders before the others in an object: a canonical array index ("0", "17", not
// "007" or "-1"), below 2^32 - 1.
bool isArrayIndex(const QString& name) {
    if (name.isEmpty() || name.size() > 10) return false;
    if (name.size() > 1 && name.front() == QLatin1Char('0')) return false;
    quint64 value = 0;
    for (const QChar c : name) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9')) return false;
        value = value * 10 + quint64(c.unicode() - '0');
    }
    return value < 4294967295ULL;
}

// Whether objects keyed by `columns` keep their keys, in column order, as JSON.stringify
// writes them from d1database.mjs's objectOf.
bool plainKeys(const QStringList& columns) {
    QSet<QString> seen;
    for (const QString& name : columns) {
        if (name == QLatin1String("__proto__")) return false;
        if (columns.size() > 1 && isArrayIndex(name)) return false;
        if (seen.contains(name)) return false;
        seen.insert(name);
    }
    return true;
}

class Writer {
public:
    QByteArray out;

    // A JS number as JSON that Python reads back as to_py gives it: a safe integer as an int,
    // any other finite number as a float. False for what plainJson refuses.
    bool number(double d) {
        if (!std::isfinite(d)) return false;
        char buf[32];
        std::to_chars_result r;
        if (std::trunc(d) == d) {
            if (std::fabs(d) > kMaxSafeInteger) return false;
            r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(d)); // -0 as 0
        } else {
            r = std::to_chars(buf, buf + sizeof buf, d); // shortest round trip: has '.' or 'e'
        }
        out.append(buf, r.ptr - buf);
        return true;
    }

    bool integer(qint64 i) {
        if (i > qint64(kMaxSafeInteger) || i < -qint64(kMaxSafeInteger)) return false;
        char buf[24];
        const auto r = std::to_chars(buf, buf + sizeof buf, i);
        out.append(buf, r.ptr - buf);
        return true;
    }

    // As JSON.stringify escapes; false for a lone surrogate (plainJson leaves those to to_py).
    bool string(const QString& text) {
        static const char hex[] = "0123456789abcdef";
        out.append('"');
        const QChar* begin = text.constData();
        const QChar* run = begin;
        const QChar* end = begin + text.size();
        for (const QChar* p = begin; p != end; ++p) {
            const char16_t c = p->unicode();
            if (c >= 0x20 && c != '"' && c != '\\' && !QChar::isSurrogate(c)) continue;
            if (QChar::isHighSurrogate(c) && p + 1 != end &&
                QChar::isLowSurrogate(p[1].unicode())) {
                ++p;
                continue;
            }
            if (QChar::isSurrogate(c)) return false;
            out.append(QStringView(run, p).toUtf8());
            run = p + 1;
            const char* shortForm = c == '"'    ? "\\\""
                                    : c == '\\' ? "\\\\"
                                    : c == '\n' ? "\\n"
                                    : c == '\r' ? "\\r"
                                    : c == '\t' ? "\\t"
                                    : c == '\b' ? "\\b"
                                    : c == '\f' ? "\\f"
                                                : nullptr;
            if (shortForm) {
                out.append(shortForm);
            } else {
                const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                out.append(esc, sizeof esc);
            }
        }
        out.append(QStringView(run, end).toUtf8());
        out.append('"');
        return true;
    }

    bool value(const SqlValue& v) {
        if (const auto* i = std::get_if<qint64>(&v)) return integer(*i);
        if (const auto* d = std::get_if<double>(&v)) return number(*d);
        if (const auto* s = std::get_if<QString>(&v)) return string(*s);
        if (const auto* b = std::get_if<QByteArray>(&v)) { // D1 hands BLOBs over as byte arrays
            out.append('[');
            for (qsizetype i = 0; i < b->size(); ++i) {
                if (i) out.append(',');
                integer(static_cast<unsigned char>(b->at(i)));
            }
            out.append(']');
            return true;
        }
        out.append("null");
        return true;
    }

    bool object(const QStringList& columns, const std::vector<SqlValue>& row) {
        out.append('{');
        for (qsizetype i = 0; i < columns.size(); ++i) {
            if (i) out.append(',');
            if (!string(columns[i])) return false;
            out.append(':');
            if (!value(row[size_t(i)])) return false;
        }
        out.append('}');
        return true;
    }

    bool array(const std::vector<SqlValue>& row) {
        out.append('[');
        for (size_t i = 0; i < row.size(); ++i) {
            if (i) out.append(',');
            if (!value(row[i])) return false;
        }
        out.append(']');
        return true;
    }

    // d1database.mjs's metaOf, field for field.
    bool meta(const D1Meta& m) {
        out.append("{\"served_by\":\"kiln\",\"duration\":");
        bool ok = number(m.durationMs);
        out.append(",\"changes\":");
        ok = ok && integer(m.changes);
        out.append(",\"last_row_id\":");
        ok = ok && integer(m.lastRowId);
        out.append(m.changedDb ? ",\"changed_db\":true,\"size_after\":"
                               : ",\"changed_db\":false,\"size_after\":");
        ok = ok && integer(m.sizeAfter);
        out.append(",\"rows_read\":");
        ok = ok && integer(m.rowsRead);
        out.append(",\"rows_written\":");
        ok = ok && integer(m.rowsWritten);
        out.append('}');
        return ok;
    }
};

} // namespace

std::optional<QByteArray> D1Answer::encode(const D1Result& result, Shape shape) {
    Writer w;
    w.out.reserve(64);
    w.out.append('j');
    if (shape == Shape::First && result.rows.empty()) {
        w.out.append("null");
        return w.out;
    }
    if (shape != Shape::Raw && !plainKeys(result.columns)) return std::nullopt;
    bool ok = true;
    switch (shape) {
    case Shape::First:
        ok = w.object(result.columns, result.rows.front());
        break;
    case Shape::All:
        w.out.append("{\"success\":true,\"results\":[");
        for (size_t i = 0; ok && i < result.rows.size(); ++i) {
            if (i) w.out.append(',');
            ok = w.object(result.columns, result.rows[i]);
        }
        w.out.append("],\"meta\":");
        ok = ok && w.meta(result.meta);
        w.out.append('}');
        break;
    case Shape::Raw:
        w.out.append('[');
        for (size_t i = 0; ok && i < result.rows.size(); ++i) {
            if (i) w.out.append(',');
            ok = w.array(result.rows[i]);
        }
        w.out.append(']');
        break;
    }
    if (!ok) return std::nullopt;
    return w.out;
}

} // namespace kiln
