#pragma once

#include <QDialog>

class QLineEdit;
class QListWidget;

namespace kiln {

// Ctrl+Shift+P: every menu action by name, filtered as you type; Enter runs the chosen one.
// Built from the window's menus each time it opens, so it never lists a stale action.
class CommandPalette : public QDialog {
    Q_OBJECT
public:
    explicit CommandPalette(QWidget* window);
    // Fills the list from the window's menu bar and shows the palette.
    void open() override;
    void setFilter(const QString& text);
    QStringList shownCommands() const;
    QString currentCommand() const;
    // Runs the highlighted command (Enter does the same).
    bool runCurrent();

protected:
    // Up and Down in the filter move through the list, so the hands stay on the keys.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void refill();
    QWidget* m_window;
    QLineEdit* m_filter;
    QListWidget* m_list;
};

} // namespace kiln
