#include "httplexer.h"

#include <QRegularExpression>

namespace kiln {

HttpLexer::HttpLexer(QObject* parent)
    : QsciLexerCustom(parent) {}

QString HttpLexer::description(int style) const {
    static const char* names[] = {"Default", "Separator", "Comment",     "Name",       "Variable",
                                  "Method",  "URL",       "Header name", "Placeholder"};
    return style >= 0 && style <= Placeholder ? QString::fromLatin1(names[style]) : QString();
}

QColor HttpLexer::defaultColor(int style) const {
    switch (style) {
    case Separator:
        return QColor(0x64, 0x4a, 0x9b);
    case Comment:
        return QColor(0x80, 0x80, 0x80);
    case Name:
        return QColor(0x00, 0x6e, 0x28);
    case Variable:
        return QColor(0xb0, 0x80, 0x00);
    case Method:
        return QColor(0x00, 0x57, 0xae);
    case Url:
        return QColor(0x1f, 0x1c, 0x1b);
    case HeaderName:
        return QColor(0x8a, 0x3b, 0x00);
    case Placeholder:
        return QColor(0xbf, 0x03, 0x03);
    default:
        return QsciLexerCustom::defaultColor(style);
    }
}

QFont HttpLexer::defaultFont(int style) const {
    QFont font = QsciLexerCustom::defaultFont(style);
    font.setBold(style == Separator || style == Method);
    font.setItalic(style == Comment);
    return font;
}

void HttpLexer::styleText(int, int) {
    QsciScintilla* ed = editor();
    if (!ed) return;
    static const QRegularExpression placeholder(QStringLiteral(R"(\{\{[^}]*\}\})"));
    static const QRegularExpression requestLine(QStringLiteral(R"(^([A-Z]+)(\s+)(.*)$)"));
    const QByteArray all = ed->text().toUtf8();
    startStyling(0);
    enum class Part { Between, Headers, Body } part = Part::Between;
    qsizetype at = 0;
    while (at < all.size()) {
        qsizetype end = all.indexOf('\n', at);
        if (end < 0) end = all.size();
        const QString line = QString::fromUtf8(all.mid(at, end - at));
        const qsizetype lineBytes = end - at + (end < all.size() ? 1 : 0);
        // Styles by character span within the line, in bytes (what Scintilla counts).
        QList<QPair<qsizetype, int>> spans; // (length in bytes, style)
        auto bytes = [&](const QString& piece) { return piece.toUtf8().size(); };
        const QString trimmed = line.trimmed();
        if (line.startsWith(QLatin1String("###"))) {
            part = Part::Between;
            spans.append({lineBytes, Separator});
        } else if (part != Part::Body && (trimmed.startsWith(QLatin1Char('#')) ||
                                          trimmed.startsWith(QLatin1String("//")))) {
            spans.append({lineBytes, trimmed.contains(QLatin1String("@name")) ? Name : Comment});
        } else if (part == Part::Between && trimmed.startsWith(QLatin1Char('@'))) {
            spans.append({lineBytes, Variable});
        } else if (part == Part::Between && !trimmed.isEmpty()) {
            const auto m = requestLine.match(line);
            if (m.hasMatch()) {
                spans.append({bytes(m.captured(1)), Method});
                spans.append({bytes(m.captured(2)), Default});
                spans.append({lineBytes - bytes(m.captured(1)) - bytes(m.captured(2)), Url});
            } else {
                spans.append({lineBytes, Url}); // a bare URL is a GET
            }
            part = Part::Headers;
        } else if (part == Part::Headers && !trimmed.isEmpty() &&
                   line.indexOf(QLatin1Char(':')) > 0) {
            const qsizetype colon = line.indexOf(QLatin1Char(':'));
            spans.append({bytes(line.left(colon)), HeaderName});
            spans.append({lineBytes - bytes(line.left(colon)), Default});
        } else {
            if (part == Part::Headers && trimmed.isEmpty()) part = Part::Body;
            spans.append({lineBytes, Default});
        }
        // {{placeholders}} stand out wherever they are, over the line's own style.
        qsizetype offset = 0;
        QList<QPair<qsizetype, int>> styled;
        auto it = placeholder.globalMatch(line);
        QList<std::pair<qsizetype, qsizetype>> holes; // byte ranges of placeholders
        while (it.hasNext()) {
            const auto m = it.next();
            holes.append({bytes(line.left(m.capturedStart())), bytes(m.captured(0))});
        }
        for (const auto& [length, style] : spans) {
            qsizetype done = 0;
            while (done < length) {
                const qsizetype pos = offset + done;
                qsizetype run = length - done;
                int s = style;
                for (const auto& [holeAt, holeLength] : holes) {
                    if (pos >= holeAt && pos < holeAt + holeLength) {
                        run = std::min(run, holeAt + holeLength - pos);
                        s = Placeholder;
                        break;
                    }
                    if (holeAt > pos) run = std::min(run, holeAt - pos);
                }
                styled.append({run, s});
                done += run;
            }
            offset += length;
        }
        for (const auto& [length, style] : styled)
            setStyling(int(length), style);
        at += lineBytes;
    }
}

} // namespace kiln
