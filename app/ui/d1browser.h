#pragma once

#include "d1migrationsview.h"

#include <QMap>
#include <QStringList>
#include <QWidget>

#include <memory>

class QPlainTextEdit;
class QTabWidget;
class QTreeWidget;

namespace kiln {

class D1Reader;
class SqlConsole;
class StoreLoader;
class D1TableView;

// One D1 database in a tab: its schema on the left (tables with their columns, types, keys
// and foreign keys; views; indexes; triggers; the CREATE statement of what is selected), and
// on the right a SQL console plus a tab per opened table or view. Export writes the whole
// database as SQL, the text `kiln d1 export` writes. The schema is read again when the
// console (or anyone) changes it.
class D1Browser : public QWidget {
    Q_OBJECT
public:
    // `readOnly`: wrangler's state, looked at only (tables and console read, nothing written).
    D1Browser(const QString& path, const QString& title, QWidget* parent = nullptr,
              bool readOnly = false);
    ~D1Browser() override;

    QTreeWidget* schemaTree() const { return m_tree; }
    SqlConsole* console() const { return m_console; }
    // Opens (or shows) a table's grid.
    D1TableView* openTable(const QString& table);
    void reloadSchema();
    void exportSql(const QString& file);
    QString schemaText() const;
    // Adds the Migrations tab (d1migrationsview.h); the browser alone does not know the config.
    D1MigrationsView* addMigrations(D1MigrationsView::Setup setup);
    D1MigrationsView* migrations() const { return m_migrations; }
    // Runs one schema statement (from the schema dialog) through D1Database; the outcome goes
    // to the status line and to `schemaChanged` ("" or SQLite's error).
    void runSchemaChange(const QString& sql);
    QString statusText() const;
    const QMap<QString, QStringList>& columns() const { return m_columns; }

Q_SIGNALS:
    void schemaLoaded();
    void schemaChanged(const QString& error);
    void exported(const QString& error);

private:
    QString m_path;
    bool m_readOnly;
    QTreeWidget* m_tree;
    QPlainTextEdit* m_sql;
    QTabWidget* m_tabs;
    SqlConsole* m_console;
    D1MigrationsView* m_migrations = nullptr;
    class QLabel* m_status;
    QMap<QString, QStringList> m_columns; // the last schema read: each table's columns
    QStringList m_indexes;
    std::shared_ptr<D1Reader> m_reader;
    std::unique_ptr<StoreLoader> m_loader; // destroyed first: no job outlives the browser
    quint64 m_generation = 0;
};

} // namespace kiln
