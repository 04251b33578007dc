#include "project/tomlreader.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>

#include <toml++/toml.h>

#include <string_view>

namespace kiln {

namespace {

QString fromStd(std::string_view s) {
    return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size()));
}

SourcePos toPos(const toml::source_position& p) {
    return SourcePos{static_cast<int>(p.line), static_cast<int>(p.column)};
}

QString twoDigits(int v) {
    return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0'));
}

// TOML dates and times have no JSON equivalent; wrangler (via its TOML parser) hands them to
// the Worker as strings in RFC 3339 form, so do the same.
QString dateString(const toml::date& d) {
    return QStringLiteral("%1-%2-%3")
        .arg(d.year, 4, 10, QLatin1Char('0'))
        .arg(twoDigits(d.month), twoDigits(d.day));
}

QString timeString(const toml::time& t) {
    QString s = twoDigits(t.hour) + QLatin1Char(':') + twoDigits(t.minute) + QLatin1Char(':') +
                twoDigits(t.second);
    if (t.nanosecond != 0) s += QStringLiteral(".%1").arg(t.nanosecond, 9, 10, QLatin1Char('0'));
    return s;
}

QString dateTimeString(const toml::date_time& dt) {
    QString s = dateString(dt.date) + QLatin1Char('T') + timeString(dt.time);
    if (dt.offset) {
        const int minutes = dt.offset->minutes;
        if (minutes == 0) {
            s += QLatin1Char('Z');
        } else {
            const int a = minutes < 0 ? -minutes : minutes;
            s += (minutes < 0 ? QLatin1Char('-') : QLatin1Char('+')) + twoDigits(a / 60) +
                 QLatin1Char(':') + twoDigits(a % 60);
        }
    }
    return s;
}

class Converter {
public:
    explicit Converter(ConfigDocument& doc)
        : m_doc(doc) {}

    QJsonValue convert(const toml::node& node, const QString& pointer) {
        // Implicitly created tables ([env.staging.vars] creates env and env.staging) have no
        // position; leave them out so errors fall back to the nearest ancestor that has one.
        if (node.source().begin.line > 0)
            m_doc.positions.insert(pointer, toPos(node.source().begin));
        if (const auto* table = node.as_table()) {
            QJsonObject obj;
            for (const auto& [key, child] : *table) {
                const QString name = fromStd(key.str());
                obj.insert(name, convert(child, ConfigDocument::childPointer(pointer, name)));
            }
            return obj;
        }
        if (const auto* array = node.as_array()) {
            QJsonArray arr;
            for (const auto& child : *array)
                arr.append(convert(child, ConfigDocument::childPointer(pointer, arr.size())));
            return arr;
        }
        if (const auto* v = node.as_string()) return fromStd(v->get());
        if (const auto* v = node.as_integer()) return static_cast<qint64>(v->get());
        if (const auto* v = node.as_floating_point()) return v->get();
        if (const auto* v = node.as_boolean()) return v->get();
        if (const auto* v = node.as_date()) return dateString(v->get());
        if (const auto* v = node.as_time()) return timeString(v->get());
        if (const auto* v = node.as_date_time()) return dateTimeString(v->get());
        return QJsonValue::Null;
    }

private:
    ConfigDocument& m_doc;
};

} // namespace

std::expected<ConfigDocument, ConfigError> TomlReader::parse(const QByteArray& utf8,
                                                             const QString& file) {
    ConfigDocument doc;
    doc.file = file;
    try {
        const std::string_view text(utf8.constData(), static_cast<size_t>(utf8.size()));
        const toml::table table = toml::parse(text, file.toStdString());
        Converter converter(doc);
        doc.root = converter.convert(table, QString()).toObject();
        // The root table's own position is meaningless (it has no header); a missing top-level
        // key is best reported at the start of the file.
        doc.positions.insert(QString(), SourcePos{1, 1});
    } catch (const toml::parse_error& err) {
        const SourcePos pos = toPos(err.source().begin);
        return std::unexpected(ConfigError{file, pos.line, pos.column, fromStd(err.description())});
    }
    return doc;
}

} // namespace kiln
