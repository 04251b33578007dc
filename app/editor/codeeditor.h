#pragma once

#include "editor/qsci.h"

namespace kiln {

// One file's editor: QScintilla with a lexer chosen by the file name (Python, JSON/JSONC,
// TOML and .dev.vars as properties, SQL, .http), line numbers, folding, indentation guides,
// brace matching, auto-indent after ':' and error markers with their message on hover.
class CodeEditor : public QsciScintilla {
    Q_OBJECT
public:
    explicit CodeEditor(const QString& path, QWidget* parent = nullptr);

    const QString& path() const { return m_path; }
    // The file was renamed or moved: the buffer follows it (its lexer stays).
    void setPath(const QString& path) { m_path = path; }
    // An error at a 1-based line: a marker in the margin, the line underlined, the message
    // shown beside the line and as the marker's tooltip.
    void setError(int line, const QString& message);
    void clearErrors();
    int errorLine() const { return m_errorLine; }
    QString errorMessage() const { return m_errorMessage; }
    // Comments or uncomments the selected lines (or the current one) with '#'.
    void toggleComment();
    void goToLine(int line);

protected:
    bool event(QEvent* e) override;

private:
    void configure();
    QString m_path;
    int m_errorMarker = -1;
    int m_errorLine = 0;
    QString m_errorMessage;
};

} // namespace kiln
