#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTreeWidget;

namespace kiln {

// A D1 database's migrations: the .sql files of its migrations folder in the order they
// run, each marked applied (named in the database's d1_migrations table, wrangler's) or
// pending; "Apply Pending" runs `kiln d1 migrations apply` (the CLI's own code, each file in
// a transaction) and shows what it said.
class D1MigrationsView : public QWidget {
    Q_OBJECT
public:
    struct Setup {
        QString databasePath;  // the state file, read for d1_migrations
        QString migrationsDir; // from the config
        QString databaseName;  // what the CLI is given
        QString projectDir;
        QString persistDir; // empty: the project's default
        QString kiln;       // the kiln executable
    };
    explicit D1MigrationsView(Setup setup, QWidget* parent = nullptr);

    void refresh();
    void applyPending();
    QTreeWidget* list() const { return m_list; }
    QString statusText() const;
    int pendingCount() const { return m_pending; }

Q_SIGNALS:
    void refreshed();
    void applied(bool ok);

private:
    Setup m_setup;
    QTreeWidget* m_list;
    QPushButton* m_apply;
    QLabel* m_status;
    int m_pending = 0;
};

} // namespace kiln
