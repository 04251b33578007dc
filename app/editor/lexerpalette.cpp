#include "editor/lexerpalette.h"

#include "editor/qsci.h"

namespace kiln {

bool LexerPalette::isDark(const QPalette& palette) {
    return palette.color(QPalette::Base).lightness() < 128;
}

QColor LexerPalette::readable(const QColor& colour, const QColor& paper) {
    const bool darkPaper = paper.lightness() < 128;
    const int lightness = colour.lightness();
    // 110 of 255 apart reads well both ways, even pure blue (lightness 127) on dark paper.
    if (std::abs(lightness - paper.lightness()) >= 110) return colour;
    const int mirrored = darkPaper ? std::max(255 - lightness, paper.lightness() + 120)
                                   : std::min(255 - lightness, paper.lightness() - 120);
    return QColor::fromHsl(colour.hslHue(), colour.hslSaturation(), std::clamp(mirrored, 0, 255),
                           colour.alpha());
}

void LexerPalette::apply(QsciLexer* lexer, QsciScintilla* editor, const QPalette& palette) {
    const QColor paper = palette.color(QPalette::Base);
    const QColor text = palette.color(QPalette::Text);
    if (lexer) {
        // Which styles a lexer uses is not listed; every named one is (the names are how
        // QScintilla says a style exists), 0..127 covers all the lexers in the design.
        const QColor lexerDefault = lexer->defaultColor();
        for (int style = 0; style < 128; ++style) {
            if (lexer->description(style).isEmpty()) continue;
            const QColor colour = lexer->color(style);
            lexer->setPaper(paper, style);
            lexer->setColor(colour == lexerDefault || colour == Qt::black ? text
                                                                          : readable(colour, paper),
                            style);
        }
        lexer->setDefaultPaper(paper);
        lexer->setDefaultColor(text);
    }
    if (!editor) return;
    editor->setPaper(paper);
    editor->setColor(text);
    editor->setMarginsBackgroundColor(palette.color(QPalette::Window));
    editor->setMarginsForegroundColor(palette.color(QPalette::PlaceholderText));
    editor->setFoldMarginColors(palette.color(QPalette::Window), palette.color(QPalette::Window));
    editor->setCaretForegroundColor(text);
    editor->setCaretLineBackgroundColor(isDark(palette) ? paper.lighter(130) : paper.darker(106));
    editor->setSelectionBackgroundColor(palette.color(QPalette::Highlight));
    editor->setSelectionForegroundColor(palette.color(QPalette::HighlightedText));
    editor->setIndentationGuidesForegroundColor(palette.color(QPalette::Mid));
    editor->setIndentationGuidesBackgroundColor(paper);
}

} // namespace kiln
