#pragma once

#include <QWidget>

class QLabel;

namespace kiln {

// What the editor area shows for a folder that is not a Worker project yet: it says so and
// offers to make it one (MainWindow creates the config and opens the project again).
class NoConfigPage : public QWidget {
    Q_OBJECT
public:
    explicit NoConfigPage(QWidget* parent = nullptr);
    void setFolder(const QString& dir);

Q_SIGNALS:
    void createRequested(const QString& dir);

private:
    QLabel* m_text;
    QString m_dir;
};

} // namespace kiln
