#pragma once

#include <QPalette>
#include <QString>

namespace kiln {

// Coloured HTML for a piece of text, by QScintilla's lexers: the fallback for response
// bodies when Debian's kate-syntax-highlighter is not installed (ARCHITECTURE.md §6). The
// text is lexed in a hidden editor and each run of one style becomes a coloured span, with
// the colours fitted to `palette` (LexerPalette). Synchronous: callers keep the text small
// (the composer hands it at most 128 KB).
class LexerHighlighter {
public:
    // Kate syntax names, as SyntaxPreview::syntaxFor gives them: JSON, HTML, CSS, JavaScript,
    // XML, Python, Markdown, YAML, TOML, SQL.
    static bool knows(const QString& syntax);
    // Empty for a syntax it does not know.
    static QString toHtml(const QString& syntax, const QString& text, const QPalette& palette);
};

} // namespace kiln
