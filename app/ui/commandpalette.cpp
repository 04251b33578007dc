#include "commandpalette.h"

#include <QAction>
#include <QCoreApplication>
#include <QKeyEvent>
#include <QLineEdit>
#include <QListWidget>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QPointer>
#include <QVBoxLayout>

namespace kiln {

namespace {

void collect(QMenu* menu, const QString& prefix, QList<QPair<QString, QAction*>>& out) {
    for (QAction* action : menu->actions()) {
        if (action->isSeparator() || !action->isEnabled()) continue;
        QString text = action->text();
        text.remove(QLatin1Char('&'));
        if (action->menu()) {
            collect(action->menu(), prefix + text + QStringLiteral(" › "), out);
            continue;
        }
        if (!text.isEmpty()) out.append({prefix + text, action});
    }
}

} // namespace

CommandPalette::CommandPalette(QWidget* window)
    : QDialog(window)
    , m_window(window)
    , m_filter(new QLineEdit(this))
    , m_list(new QListWidget(this)) {
    setWindowTitle(tr("Commands"));
    m_filter->setPlaceholderText(tr("Type a command"));
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_filter);
    layout->addWidget(m_list, 1);
    resize(480, 360);
    connect(m_filter, &QLineEdit::textChanged, this, &CommandPalette::setFilter);
    connect(m_filter, &QLineEdit::returnPressed, this, &CommandPalette::runCurrent);
    connect(m_list, &QListWidget::itemActivated, this, [this] { runCurrent(); });
    m_filter->installEventFilter(this);
}

void CommandPalette::open() {
    refill();
    m_filter->clear();
    setFilter({});
    QDialog::open();
    m_filter->setFocus();
}

void CommandPalette::refill() {
    m_list->clear();
    auto* window = qobject_cast<QMainWindow*>(m_window);
    if (!window) return;
    QList<QPair<QString, QAction*>> commands;
    for (QAction* top : window->menuBar()->actions())
        if (top->menu()) {
            QString name = top->text();
            name.remove(QLatin1Char('&'));
            collect(top->menu(), name + QStringLiteral(" › "), commands);
        }
    for (const auto& [name, action] : commands) {
        const QString keys = action->shortcut().toString(QKeySequence::NativeText);
        auto* item =
            new QListWidgetItem(keys.isEmpty() ? name : name + QStringLiteral("    ") + keys);
        item->setData(Qt::UserRole, QVariant::fromValue(QPointer<QAction>(action)));
        m_list->addItem(item);
    }
}

void CommandPalette::setFilter(const QString& text) {
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    int first = -1;
    for (int i = 0; i < m_list->count(); ++i) {
        QListWidgetItem* item = m_list->item(i);
        bool shown = true;
        for (const QString& word : words)
            shown = shown && item->text().contains(word, Qt::CaseInsensitive);
        item->setHidden(!shown);
        if (shown && first < 0) first = i;
    }
    m_list->setCurrentRow(first);
}

bool CommandPalette::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_filter && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent*>(event)->key();
        if (key == Qt::Key_Up || key == Qt::Key_Down || key == Qt::Key_PageUp ||
            key == Qt::Key_PageDown) {
            QCoreApplication::sendEvent(m_list, event);
            return true;
        }
    }
    return QDialog::eventFilter(watched, event);
}

QString CommandPalette::currentCommand() const {
    return m_list->currentItem() ? m_list->currentItem()->text() : QString();
}

QStringList CommandPalette::shownCommands() const {
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        if (!m_list->item(i)->isHidden()) out.append(m_list->item(i)->text());
    return out;
}

bool CommandPalette::runCurrent() {
    QListWidgetItem* item = m_list->currentItem();
    if (!item || item->isHidden()) return false;
    QPointer<QAction> action = item->data(Qt::UserRole).value<QPointer<QAction>>();
    accept();
    if (!action) return false;
    action->trigger();
    return true;
}

} // namespace kiln
