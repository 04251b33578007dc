#include "findbar.h"

#include "editor/codeeditor.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>

namespace kiln {

FindBar::FindBar(QWidget* parent)
    : QWidget(parent)
    , m_find(new QLineEdit(this))
    , m_replace(new QLineEdit(this))
    , m_regex(new QCheckBox(tr("Regex"), this))
    , m_case(new QCheckBox(tr("Match case"), this))
    , m_message(new QLabel(this))
    , m_replaceRow(new QWidget(this)) {
    m_find->setPlaceholderText(tr("Find"));
    m_replace->setPlaceholderText(tr("Replace with"));
    auto* next = new QPushButton(tr("Next"), this);
    auto* replace = new QPushButton(tr("Replace"), m_replaceRow);
    auto* all = new QPushButton(tr("Replace All"), m_replaceRow);
    connect(m_find, &QLineEdit::returnPressed, this, &FindBar::findNext);
    connect(next, &QPushButton::clicked, this, &FindBar::findNext);
    connect(replace, &QPushButton::clicked, this, &FindBar::replaceCurrent);
    connect(all, &QPushButton::clicked, this, &FindBar::replaceAll);
    auto* replaceLayout = new QHBoxLayout(m_replaceRow);
    replaceLayout->setContentsMargins(0, 0, 0, 0);
    replaceLayout->addWidget(m_replace, 1);
    replaceLayout->addWidget(replace);
    replaceLayout->addWidget(all);
    auto* layout = new QGridLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(m_find, 0, 0);
    layout->addWidget(next, 0, 1);
    layout->addWidget(m_regex, 0, 2);
    layout->addWidget(m_case, 0, 3);
    layout->addWidget(m_message, 0, 4);
    layout->addWidget(m_replaceRow, 1, 0, 1, 2);
    layout->setColumnStretch(0, 1);
    hide();
}

void FindBar::open(bool replace) {
    m_replaceRow->setVisible(replace);
    show();
    if (m_editor && m_editor->hasSelectedText() &&
        !m_editor->selectedText().contains(QLatin1Char('\n')))
        m_find->setText(m_editor->selectedText());
    m_find->setFocus();
    m_find->selectAll();
}

void FindBar::setPattern(const QString& text, bool regex, bool caseSensitive) {
    m_find->setText(text);
    m_regex->setChecked(regex);
    m_case->setChecked(caseSensitive);
}

void FindBar::setReplacement(const QString& text) {
    m_replace->setText(text);
}

QString FindBar::message() const {
    return m_message->text();
}

bool FindBar::findNext() {
    if (!m_editor || m_find->text().isEmpty()) return false;
    if (m_regex->isChecked() && !QRegularExpression(m_find->text()).isValid()) {
        m_message->setText(tr("Not a valid regular expression"));
        return false;
    }
    // QScintilla's regex mode is C++11 ECMAScript syntax; wrapping around at the end.
    const bool found =
        m_editor->findFirst(m_find->text(), m_regex->isChecked(), m_case->isChecked(), false, true,
                            true, -1, -1, true, false, m_regex->isChecked());
    m_message->setText(found ? QString() : tr("Not found"));
    return found;
}

bool FindBar::replaceCurrent() {
    if (!m_editor || m_editor->isReadOnly()) return false;
    if (!m_editor->hasSelectedText() && !findNext()) return false;
    m_editor->replace(m_replace->text());
    findNext();
    return true;
}

int FindBar::replaceAll() {
    if (!m_editor || m_editor->isReadOnly() || m_find->text().isEmpty()) return 0;
    int count = 0;
    m_editor->beginUndoAction();
    m_editor->setCursorPosition(0, 0);
    // Not wrapping, so each match is visited once even when the replacement matches again.
    bool found = m_editor->findFirst(m_find->text(), m_regex->isChecked(), m_case->isChecked(),
                                     false, false, true, 0, 0, false, false, m_regex->isChecked());
    while (found && count < 1000000) {
        m_editor->replace(m_replace->text());
        ++count;
        found = m_editor->findNext();
    }
    m_editor->endUndoAction();
    m_message->setText(tr("%n replaced", nullptr, count));
    return count;
}

void FindBar::keyPressEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Escape) {
        hide();
        if (m_editor) m_editor->setFocus();
        return;
    }
    QWidget::keyPressEvent(event);
}

} // namespace kiln
