#include "codeeditor.h"

#include "editor/httplexer.h"
#include "editor/lexerpalette.h"

#include <QFileInfo>
#include <QFontDatabase>
#include <QHelpEvent>
#include <QRegularExpression>
#include <QToolTip>

namespace kiln {

namespace {

QsciLexer* lexerFor(const QString& path, QObject* parent) {
    const QFileInfo info(path);
    const QString suffix = info.suffix().toLower();
    const QString name = info.fileName().toLower();
    if (suffix == QLatin1String("py") || suffix == QLatin1String("pyi")) {
        auto* lexer = new QsciLexerPython(parent);
        lexer->setIndentationWarning(QsciLexerPython::Inconsistent);
        return lexer;
    }
    if (suffix == QLatin1String("json") || suffix == QLatin1String("jsonc"))
        return new QsciLexerJSON(parent);
    if (suffix == QLatin1String("sql")) return new QsciLexerSQL(parent);
    if (suffix == QLatin1String("http") || suffix == QLatin1String("rest"))
        return new HttpLexer(parent);
    // TOML, .dev.vars and .env are key = value files: the properties lexer colours them.
    if (suffix == QLatin1String("toml") || name == QLatin1String(".dev.vars") ||
        name.startsWith(QLatin1String(".env")) || suffix == QLatin1String("ini"))
        return new QsciLexerProperties(parent);
    return nullptr;
}

} // namespace

CodeEditor::CodeEditor(const QString& path, QWidget* parent)
    : QsciScintilla(parent)
    , m_path(path) {
    configure();
}

void CodeEditor::configure() {
    setUtf8(true);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    setFont(mono);
    if (QsciLexer* lexer = lexerFor(m_path, this)) {
        lexer->setDefaultFont(mono);
        lexer->setFont(mono);
        setLexer(lexer);
    }
    setMarginType(0, NumberMargin);
    setMarginLineNumbers(0, true);
    setMarginWidth(0, QStringLiteral("00000"));
    setMarginsFont(mono);
    setFolding(BoxedTreeFoldStyle, 2);
    setIndentationGuides(true);
    setIndentationsUseTabs(false);
    setIndentationWidth(4);
    setTabWidth(4);
    setAutoIndent(true);
    setBraceMatching(SloppyBraceMatch);
    setCaretLineVisible(true);
    setEolMode(EolUnix);
    LexerPalette::apply(lexer(), this, palette()); // the system theme, dark ones included
    m_errorMarker = markerDefine(Circle, 1);
    setMarkerBackgroundColor(QColor(0xd0, 0x30, 0x30), m_errorMarker);
    setMarginMarkerMask(1, 1 << m_errorMarker);
    setMarginWidth(1, 14);
    setMarginSensitivity(1, true);
    indicatorDefine(SquiggleIndicator, 0);
    setIndicatorForegroundColor(QColor(0xd0, 0x30, 0x30), 0);
    // Python: a new block starts after ':' one level deeper, as every Python editor does.
    connect(this, &QsciScintilla::SCN_CHARADDED, this, [this](int ch) {
        if (ch != '\n' || !m_path.endsWith(QLatin1String(".py"))) return;
        int line = 0, index = 0;
        getCursorPosition(&line, &index);
        if (line == 0) return;
        const QString previous = text(line - 1).trimmed();
        if (previous.endsWith(QLatin1Char(':')) && !previous.startsWith(QLatin1Char('#'))) {
            const int indent = indentation(line - 1) + indentationWidth();
            setIndentation(line, indent);
            setCursorPosition(line, indent);
        }
    });
}

void CodeEditor::setError(int line, const QString& message) {
    clearErrors();
    if (line < 1) return;
    m_errorLine = line;
    m_errorMessage = message;
    markerAdd(line - 1, m_errorMarker);
    const int length = lineLength(line - 1);
    fillIndicatorRange(line - 1, 0, line - 1, std::max(0, length - 1), 0);
    annotate(line - 1, message, 0);
    setAnnotationDisplay(AnnotationBoxed);
}

void CodeEditor::clearErrors() {
    markerDeleteAll(m_errorMarker);
    clearIndicatorRange(0, 0, std::max(0, lines() - 1), 0, 0);
    clearAnnotations();
    m_errorLine = 0;
    m_errorMessage.clear();
}

void CodeEditor::toggleComment() {
    int lineFrom = 0, indexFrom = 0, lineTo = 0, indexTo = 0;
    if (hasSelectedText()) {
        getSelection(&lineFrom, &indexFrom, &lineTo, &indexTo);
        if (indexTo == 0 && lineTo > lineFrom) --lineTo;
    } else {
        getCursorPosition(&lineFrom, &indexFrom);
        lineTo = lineFrom;
    }
    bool allCommented = true;
    for (int l = lineFrom; l <= lineTo; ++l) {
        const QString t = text(l).trimmed();
        if (!t.isEmpty() && !t.startsWith(QLatin1Char('#'))) allCommented = false;
    }
    beginUndoAction();
    for (int l = lineFrom; l <= lineTo; ++l) {
        const QString t = text(l);
        static const QRegularExpression firstNonSpace(QStringLiteral("\\S"));
        const int at = int(t.indexOf(firstNonSpace));
        if (at < 0) continue;
        if (allCommented) {
            const int width = t.mid(at).startsWith(QLatin1String("# ")) ? 2 : 1;
            setSelection(l, at, l, at + width);
            removeSelectedText();
        } else {
            insertAt(QStringLiteral("# "), l, at);
        }
    }
    endUndoAction();
}

void CodeEditor::goToLine(int line) {
    const int l = std::clamp(line, 1, std::max(1, lines())) - 1;
    setCursorPosition(l, 0);
    ensureLineVisible(l);
    setFocus();
}

bool CodeEditor::event(QEvent* e) {
    if (e->type() == QEvent::ToolTip && m_errorLine > 0) {
        auto* help = static_cast<QHelpEvent*>(e);
        const int margin = marginWidth(0) + marginWidth(1);
        const long pos = SendScintilla(SCI_POSITIONFROMPOINT, help->pos().x(), help->pos().y());
        const int line = int(SendScintilla(SCI_LINEFROMPOSITION, pos)) + 1;
        if (line == m_errorLine || help->pos().x() < margin) {
            QToolTip::showText(help->globalPos(), m_errorMessage, this);
            return true;
        }
    }
    if (e->type() == QEvent::PaletteChange) LexerPalette::apply(lexer(), this, palette());
    return QsciScintilla::event(e);
}

} // namespace kiln
