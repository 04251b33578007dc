#pragma once

#include "project/configdocument.h"

#include <QJsonValue>
#include <QString>

#include <expected>
#include <optional>
#include <vector>

namespace kiln {

// JSON with comments, as wrangler reads wrangler.json and wrangler.jsonc: // and /* */
// comments and trailing commas in objects and arrays, nothing else beyond strict JSON.
// QJsonDocument cannot be used because it neither accepts comments nor reports line/column,
// and every value's position is needed to point later validation errors at the right line.
class JsoncParser {
public:
    // Parses text whose top level must be an object. file is only used in errors.
    static std::expected<ConfigDocument, ConfigError> parse(const QString& text,
                                                            const QString& file);

private:
    JsoncParser(const QString& text, const QString& file);

    bool parseValue(const QString& pointer, QJsonValue& out, int depth);
    bool parseObject(const QString& pointer, QJsonValue& out, int depth);
    bool parseArray(const QString& pointer, QJsonValue& out, int depth);
    bool parseString(QString& out);
    bool parseNumber(QJsonValue& out);
    bool parseLiteral(QJsonValue& out);
    bool skipTrivia(); // whitespace and comments; false on an unterminated /* comment

    bool atEnd() const { return m_pos >= m_text.size(); }
    QChar peek() const { return atEnd() ? QChar() : m_text.at(m_pos); }
    bool fail(qsizetype offset, const QString& message);
    bool failUnexpected(const QString& expected);
    SourcePos positionAt(qsizetype offset) const;

    const QString& m_text;
    qsizetype m_pos = 0;
    std::vector<qsizetype> m_lineStarts;
    ConfigDocument m_doc;
    std::optional<ConfigError> m_error;
};

} // namespace kiln
