#include "editor/lexerhighlighter.h"

#include "editor/lexerpalette.h"
#include "editor/qsci.h"

#include <memory>

namespace kiln {

namespace {

std::unique_ptr<QsciLexer> lexerFor(const QString& syntax) {
    if (syntax == QLatin1String("JSON")) return std::make_unique<QsciLexerJSON>();
    if (syntax == QLatin1String("HTML")) return std::make_unique<QsciLexerHTML>();
    if (syntax == QLatin1String("CSS")) return std::make_unique<QsciLexerCSS>();
    if (syntax == QLatin1String("JavaScript")) return std::make_unique<QsciLexerJavaScript>();
    if (syntax == QLatin1String("XML")) return std::make_unique<QsciLexerXML>();
    if (syntax == QLatin1String("Python")) return std::make_unique<QsciLexerPython>();
    if (syntax == QLatin1String("Markdown")) return std::make_unique<QsciLexerMarkdown>();
    if (syntax == QLatin1String("YAML")) return std::make_unique<QsciLexerYAML>();
    if (syntax == QLatin1String("TOML")) return std::make_unique<QsciLexerProperties>();
    if (syntax == QLatin1String("SQL")) return std::make_unique<QsciLexerSQL>();
    return nullptr;
}

} // namespace

bool LexerHighlighter::knows(const QString& syntax) {
    return lexerFor(syntax) != nullptr;
}

QString LexerHighlighter::toHtml(const QString& syntax, const QString& text,
                                 const QPalette& palette) {
    std::unique_ptr<QsciLexer> lexer = lexerFor(syntax);
    if (!lexer) return {};
    LexerPalette::apply(lexer.get(), nullptr, palette);
    QsciScintilla editor; // never shown: Scintilla does the lexing, as in a visible editor
    editor.setUtf8(true);
    editor.setLexer(lexer.get());
    const QByteArray bytes = text.toUtf8();
    editor.setText(text);
    editor.SendScintilla(QsciScintillaBase::SCI_COLOURISE, 0L, long(-1));

    QString html = QStringLiteral("<pre style=\"margin:0\">");
    qsizetype runStart = 0;
    int runStyle = -1;
    const auto flush = [&](qsizetype end) {
        if (end <= runStart) return;
        const QString piece =
            QString::fromUtf8(bytes.mid(runStart, end - runStart)).toHtmlEscaped();
        const QColor colour = runStyle >= 0 ? lexer->color(runStyle) : QColor();
        if (colour.isValid() && colour != palette.color(QPalette::Text))
            html += QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour.name(), piece);
        else
            html += piece;
    };
    for (qsizetype i = 0; i < bytes.size(); ++i) {
        const int style = int(
            editor.SendScintilla(QsciScintillaBase::SCI_GETSTYLEAT, static_cast<unsigned long>(i)));
        if (style == runStyle) continue;
        // A UTF-8 sequence is styled as one: a run never splits one (continuation bytes
        // share the lead byte's style).
        flush(i);
        runStart = i;
        runStyle = style;
    }
    flush(bytes.size());
    editor.setLexer(nullptr);
    return html + QStringLiteral("</pre>");
}

} // namespace kiln
