#include "project/dotenv.h"

#include <QFile>

namespace kiln {

namespace {

bool isBlank(QChar c) {
    return c == QLatin1Char(' ') || c == QLatin1Char('\t');
}

bool isKeyChar(QChar c) {
    // dotenv's key pattern is [\w.-]+
    return c.unicode() < 128 && (c.isLetterOrNumber() || c == QLatin1Char('_') ||
                                 c == QLatin1Char('.') || c == QLatin1Char('-'));
}

class DotenvParser {
public:
    DotenvParser(const QString& text, const QString& file)
        : m_text(text)
        , m_file(file) {
        // dotenv normalises line endings first; so do we, so columns and quotes behave alike.
        m_text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
        m_text.replace(QLatin1Char('\r'), QLatin1Char('\n'));
        if (m_text.startsWith(QChar(0xFEFF))) m_text.remove(0, 1);
    }

    std::expected<QMap<QString, QString>, ConfigError> run() {
        while (m_pos < m_text.size()) {
            if (!parseLine()) return std::unexpected(m_error);
        }
        return m_values;
    }

private:
    bool atEol() const { return m_pos >= m_text.size() || m_text.at(m_pos) == QLatin1Char('\n'); }
    QChar peek() const { return m_pos < m_text.size() ? m_text.at(m_pos) : QChar(); }
    void skipBlanks() {
        while (m_pos < m_text.size() && isBlank(m_text.at(m_pos)))
            ++m_pos;
    }
    void skipToNextLine() {
        while (!atEol())
            ++m_pos;
        if (m_pos < m_text.size()) {
            ++m_pos;
            ++m_line;
            m_lineStart = m_pos;
        }
    }
    bool fail(qsizetype offset, const QString& message) {
        m_error = ConfigError{m_file, m_line, static_cast<int>(offset - m_lineStart) + 1, message};
        return false;
    }

    bool parseLine() {
        skipBlanks();
        if (atEol() || peek() == QLatin1Char('#')) {
            skipToNextLine();
            return true;
        }
        if (QStringView(m_text).mid(m_pos).startsWith(u"export") && m_pos + 6 < m_text.size() &&
            isBlank(m_text.at(m_pos + 6))) {
            m_pos += 6;
            skipBlanks();
        }
        const qsizetype keyStart = m_pos;
        while (!atEol() && isKeyChar(peek()))
            ++m_pos;
        const QString key = m_text.mid(keyStart, m_pos - keyStart);
        if (key.isEmpty())
            return fail(m_pos, QStringLiteral("expected KEY=value (a name of letters, digits, "
                                              "'_', '.' or '-')"));
        skipBlanks();
        if (peek() == QLatin1Char('=')) {
            ++m_pos;
        } else if (peek() == QLatin1Char(':') && m_pos + 1 < m_text.size() &&
                   isBlank(m_text.at(m_pos + 1))) {
            ++m_pos;
        } else {
            return fail(m_pos,
                        atEol()
                            ? QStringLiteral("expected '=' after %1").arg(key)
                            : QStringLiteral("expected '=' after %1, found '%2'").arg(key, peek()));
        }
        skipBlanks();
        QString value;
        const QChar q = peek();
        if (q == QLatin1Char('"') || q == QLatin1Char('\'') || q == QLatin1Char('`')) {
            if (!parseQuoted(key, value)) return false;
        } else {
            const qsizetype start = m_pos;
            while (!atEol() && peek() != QLatin1Char('#'))
                ++m_pos;
            value = m_text.mid(start, m_pos - start).trimmed();
        }
        m_values.insert(key, value);
        skipToNextLine();
        return true;
    }

    bool parseQuoted(const QString& key, QString& value) {
        const QChar q = peek();
        const qsizetype open = m_pos;
        const int openLine = m_line;
        const qsizetype openLineStart = m_lineStart;
        qsizetype i = m_pos + 1;
        // As in dotenv's pattern, a backslash before the quote character does not close it.
        while (i < m_text.size() && m_text.at(i) != q) {
            if (m_text.at(i) == QLatin1Char('\\') && i + 1 < m_text.size() && m_text.at(i + 1) == q)
                ++i;
            ++i;
        }
        if (i >= m_text.size()) {
            m_line = openLine;
            m_lineStart = openLineStart;
            return fail(open, QStringLiteral("unterminated %1-quoted value for %2")
                                  .arg(q == QLatin1Char('"')    ? QStringLiteral("double")
                                       : q == QLatin1Char('\'') ? QStringLiteral("single")
                                                                : QStringLiteral("backtick"),
                                       key));
        }
        value = m_text.mid(open + 1, i - open - 1);
        for (qsizetype k = open + 1; k < i;
             ++k) { // keep line numbers right after a multi-line value
            if (m_text.at(k) == QLatin1Char('\n')) {
                ++m_line;
                m_lineStart = k + 1;
            }
        }
        m_pos = i + 1;
        if (q == QLatin1Char('"')) {
            value.replace(QLatin1String("\\n"), QLatin1String("\n"));
            value.replace(QLatin1String("\\r"), QLatin1String("\r"));
        }
        skipBlanks();
        if (!atEol() && peek() != QLatin1Char('#'))
            return fail(m_pos,
                        QStringLiteral("unexpected text after the closing quote of %1").arg(key));
        return true;
    }

    QString m_text;
    QString m_file;
    qsizetype m_pos = 0;
    qsizetype m_lineStart = 0;
    int m_line = 1;
    QMap<QString, QString> m_values;
    ConfigError m_error;
};

} // namespace

std::expected<QMap<QString, QString>, ConfigError> parseDotenvText(const QString& text,
                                                                   const QString& file) {
    return DotenvParser(text, file).run();
}

std::expected<QMap<QString, QString>, ConfigError> parseDotenv(const QString& file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return std::unexpected(
            ConfigError{file, 0, 0, QStringLiteral("cannot read: %1").arg(f.errorString())});
    return parseDotenvText(QString::fromUtf8(f.readAll()), file);
}

} // namespace kiln
