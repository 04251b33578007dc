#include "project/jsoncparser.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cctype>

namespace kiln {

namespace {

// Deep enough for any real config; shallow enough that a hostile file cannot overflow the stack.
constexpr int kMaxDepth = 256;

QString describe(QChar c) {
    if (c.isPrint() && !c.isSpace()) return QStringLiteral("'%1'").arg(c);
    return QStringLiteral("U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')).toUpper();
}

bool isJsonSpace(QChar c) {
    return c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\n') ||
           c == QLatin1Char('\r') || c == QChar(0xFEFF);
}

} // namespace

JsoncParser::JsoncParser(const QString& text, const QString& file)
    : m_text(text) {
    m_doc.file = file;
    m_lineStarts.push_back(0);
    for (qsizetype i = 0; i < text.size(); ++i)
        if (text.at(i) == QLatin1Char('\n')) m_lineStarts.push_back(i + 1);
}

std::expected<ConfigDocument, ConfigError> JsoncParser::parse(const QString& text,
                                                              const QString& file) {
    JsoncParser p(text, file);
    if (!p.skipTrivia()) return std::unexpected(*p.m_error);
    if (p.atEnd())
        return std::unexpected(ConfigError{file, 1, 1,
                                           QStringLiteral("the file is empty; "
                                                          "expected a JSON object")});
    if (p.peek() != QLatin1Char('{')) {
        p.failUnexpected(QStringLiteral("'{' (the configuration must be a JSON object)"));
        return std::unexpected(*p.m_error);
    }
    QJsonValue root;
    if (!p.parseValue(QString(), root, 0) || !p.skipTrivia()) return std::unexpected(*p.m_error);
    if (!p.atEnd()) {
        p.fail(p.m_pos, QStringLiteral("unexpected %1 after the end of the top-level object")
                            .arg(describe(p.peek())));
        return std::unexpected(*p.m_error);
    }
    p.m_doc.root = root.toObject();
    return std::move(p.m_doc);
}

SourcePos JsoncParser::positionAt(qsizetype offset) const {
    const auto it = std::upper_bound(m_lineStarts.begin(), m_lineStarts.end(), offset);
    const auto line = static_cast<int>(it - m_lineStarts.begin());
    return SourcePos{line, static_cast<int>(offset - *(it - 1)) + 1};
}

bool JsoncParser::fail(qsizetype offset, const QString& message) {
    if (!m_error) { // keep the first, innermost error
        const SourcePos pos = positionAt(offset);
        m_error = ConfigError{m_doc.file, pos.line, pos.column, message};
    }
    return false;
}

bool JsoncParser::failUnexpected(const QString& expected) {
    if (atEnd())
        return fail(m_pos, QStringLiteral("unexpected end of file, expected %1").arg(expected));
    return fail(m_pos,
                QStringLiteral("unexpected %1, expected %2").arg(describe(peek()), expected));
}

bool JsoncParser::skipTrivia() {
    while (!atEnd()) {
        const QChar c = peek();
        if (isJsonSpace(c)) {
            ++m_pos;
        } else if (c == QLatin1Char('/') && m_pos + 1 < m_text.size() &&
                   m_text.at(m_pos + 1) == QLatin1Char('/')) {
            const qsizetype nl = m_text.indexOf(QLatin1Char('\n'), m_pos);
            m_pos = nl < 0 ? m_text.size() : nl + 1;
        } else if (c == QLatin1Char('/') && m_pos + 1 < m_text.size() &&
                   m_text.at(m_pos + 1) == QLatin1Char('*')) {
            const qsizetype end = m_text.indexOf(QLatin1String("*/"), m_pos + 2);
            if (end < 0) return fail(m_pos, QStringLiteral("unterminated /* comment"));
            m_pos = end + 2;
        } else {
            break;
        }
    }
    return true;
}

bool JsoncParser::parseValue(const QString& pointer, QJsonValue& out, int depth) {
    if (!skipTrivia()) return false;
    if (depth > kMaxDepth)
        return fail(m_pos, QStringLiteral("nesting is deeper than %1 levels").arg(kMaxDepth));
    m_doc.positions.insert(pointer, positionAt(m_pos));
    const QChar c = peek();
    if (c == QLatin1Char('{')) return parseObject(pointer, out, depth);
    if (c == QLatin1Char('[')) return parseArray(pointer, out, depth);
    if (c == QLatin1Char('"')) {
        QString s;
        if (!parseString(s)) return false;
        out = s;
        return true;
    }
    if (c == QLatin1Char('-') || c.isDigit()) return parseNumber(out);
    if (c.isLetter()) return parseLiteral(out);
    if (c == QLatin1Char('\''))
        return fail(m_pos, QStringLiteral("strings must use double quotes"));
    return failUnexpected(QStringLiteral("a value"));
}

bool JsoncParser::parseObject(const QString& pointer, QJsonValue& out, int depth) {
    QJsonObject obj;
    ++m_pos; // '{'
    for (;;) {
        if (!skipTrivia()) return false;
        if (peek() == QLatin1Char('}')) { // also accepts a trailing comma, as JSONC does
            ++m_pos;
            break;
        }
        if (peek() != QLatin1Char('"'))
            return failUnexpected(peek() == QLatin1Char(',')
                                      ? QStringLiteral("a key")
                                      : QStringLiteral("a key in double quotes or '}'"));
        QString key;
        if (!parseString(key) || !skipTrivia()) return false;
        if (peek() != QLatin1Char(':'))
            return failUnexpected(QStringLiteral("':' after the key \"%1\"").arg(key));
        ++m_pos;
        QJsonValue value;
        if (!parseValue(ConfigDocument::childPointer(pointer, key), value, depth + 1)) return false;
        obj.insert(key, value); // a repeated key wins, as in JavaScript's JSON.parse
        if (!skipTrivia()) return false;
        if (peek() == QLatin1Char(',')) {
            ++m_pos;
        } else if (peek() == QLatin1Char('}')) {
            ++m_pos;
            break;
        } else {
            return failUnexpected(QStringLiteral("',' or '}' after the value of \"%1\"").arg(key));
        }
    }
    out = obj;
    return true;
}

bool JsoncParser::parseArray(const QString& pointer, QJsonValue& out, int depth) {
    QJsonArray arr;
    ++m_pos; // '['
    for (;;) {
        if (!skipTrivia()) return false;
        if (peek() == QLatin1Char(']')) {
            ++m_pos;
            break;
        }
        if (peek() == QLatin1Char(',')) return failUnexpected(QStringLiteral("a value or ']'"));
        QJsonValue value;
        if (!parseValue(ConfigDocument::childPointer(pointer, arr.size()), value, depth + 1))
            return false;
        arr.append(value);
        if (!skipTrivia()) return false;
        if (peek() == QLatin1Char(',')) {
            ++m_pos;
        } else if (peek() == QLatin1Char(']')) {
            ++m_pos;
            break;
        } else {
            return failUnexpected(QStringLiteral("',' or ']' in the array"));
        }
    }
    out = arr;
    return true;
}

bool JsoncParser::parseString(QString& out) {
    const qsizetype start = m_pos++;
    out.clear();
    while (!atEnd()) {
        const QChar c = m_text.at(m_pos);
        if (c == QLatin1Char('"')) {
            ++m_pos;
            return true;
        }
        if (c == QLatin1Char('\n') || c == QLatin1Char('\r'))
            return fail(start, QStringLiteral("unterminated string (strings cannot span lines)"));
        if (c.unicode() < 0x20)
            return fail(
                m_pos,
                QStringLiteral("control character %1 in a string; escape it").arg(describe(c)));
        if (c != QLatin1Char('\\')) {
            out += c;
            ++m_pos;
            continue;
        }
        if (m_pos + 1 >= m_text.size()) break;
        const QChar e = m_text.at(m_pos + 1);
        switch (e.unicode()) {
        case '"':
            out += QLatin1Char('"');
            break;
        case '\\':
            out += QLatin1Char('\\');
            break;
        case '/':
            out += QLatin1Char('/');
            break;
        case 'b':
            out += QLatin1Char('\b');
            break;
        case 'f':
            out += QLatin1Char('\f');
            break;
        case 'n':
            out += QLatin1Char('\n');
            break;
        case 'r':
            out += QLatin1Char('\r');
            break;
        case 't':
            out += QLatin1Char('\t');
            break;
        case 'u': {
            const QString hex = m_text.mid(m_pos + 2, 4);
            const bool allHex = hex.size() == 4 && std::all_of(hex.begin(), hex.end(), [](QChar h) {
                                    return h.unicode() < 128 && std::isxdigit(h.unicode());
                                });
            if (!allHex)
                return fail(m_pos, QStringLiteral("\\u must be followed by four hex digits"));
            const uint code = hex.toUInt(nullptr, 16);
            // Surrogate pairs arrive as two escapes; QString stores UTF-16, so append as-is.
            out += QChar(static_cast<char16_t>(code));
            m_pos += 6;
            continue;
        }
        default:
            return fail(m_pos, QStringLiteral("invalid escape \\%1 in a string").arg(e));
        }
        m_pos += 2;
    }
    return fail(start, QStringLiteral("unterminated string"));
}

bool JsoncParser::parseNumber(QJsonValue& out) {
    const qsizetype start = m_pos;
    auto digits = [this] {
        const qsizetype from = m_pos;
        while (!atEnd() && peek().isDigit() && peek().unicode() < 128)
            ++m_pos;
        return m_pos > from;
    };
    auto bad = [&] { return fail(start, QStringLiteral("invalid number")); };
    if (peek() == QLatin1Char('-')) ++m_pos;
    if (peek() == QLatin1Char('0')) {
        ++m_pos;
        if (!atEnd() && peek().isDigit())
            return fail(start, QStringLiteral("numbers cannot have leading zeros"));
    } else if (!digits()) {
        return bad();
    }
    if (peek() == QLatin1Char('.')) {
        ++m_pos;
        if (!digits()) return bad();
    }
    if (peek() == QLatin1Char('e') || peek() == QLatin1Char('E')) {
        ++m_pos;
        if (peek() == QLatin1Char('+') || peek() == QLatin1Char('-')) ++m_pos;
        if (!digits()) return bad();
    }
    bool ok = false;
    const double d = QStringView(m_text).mid(start, m_pos - start).toDouble(&ok);
    if (!ok) return bad();
    out = d;
    return true;
}

bool JsoncParser::parseLiteral(QJsonValue& out) {
    const qsizetype start = m_pos;
    while (!atEnd() && (peek().isLetterOrNumber() || peek() == QLatin1Char('_')))
        ++m_pos;
    const QStringView word = QStringView(m_text).mid(start, m_pos - start);
    if (word == u"true")
        out = true;
    else if (word == u"false")
        out = false;
    else if (word == u"null")
        out = QJsonValue::Null;
    else
        return fail(start, QStringLiteral("unexpected '%1', expected a value (strings need "
                                          "double quotes)")
                               .arg(word));
    return true;
}

} // namespace kiln
