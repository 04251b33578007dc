#pragma once

#include "stores/sqlscript.h"

#include <QWidget>

#include <memory>
#include <optional>

class QLabel;
class QTabWidget;
class QToolButton;
class QTreeWidget;

namespace kiln {

class CodeEditor;
class D1Database;
class D1Reader;
class StoreLoader;

// A SQL console on one D1 database: an editor with SQL highlighting, Format (sqlparse's
// formatter, Debian's python3-sqlparse, run out of process), run the statement under the cursor
// or the selection (Ctrl+Enter) or all (Ctrl+Shift+Enter), EXPLAIN QUERY PLAN as a tree, and
// a history per database. Each statement gets a result tab (rows, count, duration, rows
// read and written) and a line in the Summary tab; an error is marked at its line and
// column in the editor and the run stops there. Statements that only read run read-only
// (capped at kMaxRows rows); the others run through D1Database, the worker's store code.
class SqlConsole : public QWidget {
    Q_OBJECT
public:
    // `readOnly`: statements that would write are refused before they run.
    SqlConsole(const QString& path, QWidget* parent = nullptr, bool readOnly = false);
    ~SqlConsole() override;

    static constexpr int kMaxRows = 100000;

    CodeEditor* editor() const { return m_editor; }
    QTabWidget* results() const { return m_results; }
    void runCurrent(); // the selection, else the statement under the cursor
    void runAll();
    void explain();
    void format();
    QString statusText() const;
    QStringList history() const;

Q_SIGNALS:
    void finished(); // a run (or explain) ended and its results are shown
    void wrote();    // a statement changed the database

private:
    struct Outcome;
    void run(const QString& text, qsizetype offset);
    std::optional<SqlScript::Statement> statementAtCursor() const;
    void show(const std::vector<Outcome>& outcomes);
    void remember(const QString& sql);

    QString m_path;
    bool m_readOnly;
    CodeEditor* m_editor;
    QTabWidget* m_results;
    QTreeWidget* m_summary;
    QLabel* m_status;
    QToolButton* m_history;
    std::shared_ptr<D1Reader> m_reader;
    std::shared_ptr<D1Database> m_writer;
    std::unique_ptr<StoreLoader> m_loader; // destroyed first: no job outlives the console
    quint64 m_generation = 0;
};

} // namespace kiln
