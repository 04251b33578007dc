#pragma once

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace kiln {

class CodeEditor;

// Find and replace in the current editor (Ctrl+F, Ctrl+H): plain text or a regular
// expression, case-sensitive or not; Enter finds the next match, Escape closes the bar.
class FindBar : public QWidget {
    Q_OBJECT
public:
    explicit FindBar(QWidget* parent = nullptr);

    void setEditor(CodeEditor* editor) { m_editor = editor; }
    void open(bool replace);
    void setPattern(const QString& text, bool regex, bool caseSensitive);
    void setReplacement(const QString& text);
    bool findNext();
    bool replaceCurrent();
    int replaceAll();
    QString message() const;

protected:
    void keyPressEvent(QKeyEvent* event) override;

private:
    CodeEditor* m_editor = nullptr;
    QLineEdit* m_find;
    QLineEdit* m_replace;
    QCheckBox* m_regex;
    QCheckBox* m_case;
    QLabel* m_message;
    QWidget* m_replaceRow;
};

} // namespace kiln
