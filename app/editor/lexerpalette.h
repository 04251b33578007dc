#pragma once

#include <QColor>
#include <QPalette>

class QsciLexer;
class QsciScintilla;

namespace kiln {

// QScintilla's lexers carry colours chosen for black text on white paper. This fits them to
// the widget's palette, so a dark system theme gets a dark editor with readable colours: the
// paper and default text come from the palette, and a style colour too close to the paper
// has its lightness mirrored (keeping its hue), as editors with one colour scheme do.
class LexerPalette {
public:
    static bool isDark(const QPalette& palette);
    // `colour` made readable on `paper`: unchanged when it already contrasts enough.
    static QColor readable(const QColor& colour, const QColor& paper);
    // The lexer's styles (and the editor's margins, caret line, selection) on `palette`.
    // `editor` may be null for a lexer used only to colour text.
    static void apply(QsciLexer* lexer, QsciScintilla* editor, const QPalette& palette);
};

} // namespace kiln
