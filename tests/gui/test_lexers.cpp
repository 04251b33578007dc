// The editor's colours: QScintilla lexers fitted to a dark palette stay readable, and the
// lexer-based highlighter (the fallback when kate-syntax-highlighter is missing) turns text
// into coloured HTML without losing or splitting a character.

#include "editor/codeeditor.h"
#include "editor/lexerhighlighter.h"
#include "editor/lexerpalette.h"

#include <QRegularExpression>
#include <QTest>
#include <QTextDocument>

using namespace kiln;

namespace {

QPalette darkPalette() {
    QPalette palette;
    palette.setColor(QPalette::Base, QColor(0x20, 0x22, 0x26));
    palette.setColor(QPalette::Window, QColor(0x2a, 0x2c, 0x30));
    palette.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    palette.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
    return palette;
}

} // namespace

class TestLexers : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void darkPaletteGivesADarkReadableEditor();
    void lightPaletteKeepsLexerColours();
    void highlighterColoursJson();
    void highlighterKeepsEveryCharacter();
    void unknownSyntaxGivesNothing();
};

void TestLexers::darkPaletteGivesADarkReadableEditor() {
    CodeEditor editor(QStringLiteral("entry.py"));
    editor.setPalette(darkPalette());
    QsciLexer* lexer = editor.lexer();
    QVERIFY(lexer);
    const QColor paper = darkPalette().color(QPalette::Base);
    QCOMPARE(lexer->paper(QsciLexerPython::Keyword), paper);
    QCOMPARE(lexer->defaultPaper(), paper);
    // Every named style reads on the dark paper, not only the default text.
    for (int style = 0; style < 128; ++style) {
        if (lexer->description(style).isEmpty()) continue;
        const int contrast = std::abs(lexer->color(style).lightness() - paper.lightness());
        QVERIFY2(contrast >= 110, qPrintable(QStringLiteral("%1: %2 on %3")
                                                 .arg(lexer->description(style),
                                                      lexer->color(style).name(), paper.name())));
    }
}

void TestLexers::lightPaletteKeepsLexerColours() {
    QsciLexerPython reference;
    CodeEditor editor(QStringLiteral("entry.py"));
    QPalette light;
    light.setColor(QPalette::Base, Qt::white);
    light.setColor(QPalette::Text, Qt::black);
    editor.setPalette(light);
    // Keywords keep QScintilla's own navy: already readable on white.
    QCOMPARE(editor.lexer()->color(QsciLexerPython::Keyword),
             reference.color(QsciLexerPython::Keyword));
}

void TestLexers::highlighterColoursJson() {
    const QString html = LexerHighlighter::toHtml(QStringLiteral("JSON"),
                                                  QStringLiteral("{\"a\": 12, \"b\": true}"), {});
    QVERIFY(html.startsWith(QLatin1String("<pre")));
    // The key, the number and the keyword each get a colour, and not all the same one.
    const QRegularExpression span(
        QStringLiteral("<span style=\"color:(#[0-9a-f]{6})\">([^<]*)</span>"));
    QSet<QString> colours;
    QStringList pieces;
    for (const auto& match : span.globalMatch(html)) {
        colours.insert(match.captured(1));
        pieces.append(match.captured(2));
    }
    QVERIFY2(pieces.contains(QStringLiteral("12")), qPrintable(html));
    QVERIFY2(pieces.contains(QStringLiteral("true")), qPrintable(html));
    QVERIFY2(colours.size() >= 2, qPrintable(html));
}

void TestLexers::highlighterKeepsEveryCharacter() {
    const QString text =
        QStringLiteral("{\"naïve\": \"✓ <tag> & 😀\",\n \"n\": [1, 2.5e3, null]}\n");
    const QString html = LexerHighlighter::toHtml(QStringLiteral("JSON"), text, darkPalette());
    QTextDocument document;
    document.setHtml(html);
    QCOMPARE(document.toPlainText(), text.chopped(1)); // a <pre> drops its last newline
}

void TestLexers::unknownSyntaxGivesNothing() {
    QVERIFY(!LexerHighlighter::knows(QStringLiteral("Brainfuck")));
    QVERIFY(
        LexerHighlighter::toHtml(QStringLiteral("Brainfuck"), QStringLiteral("+++"), {}).isEmpty());
    QVERIFY(LexerHighlighter::knows(QStringLiteral("HTML")));
}

QTEST_MAIN(TestLexers)
#include "test_lexers.moc"
