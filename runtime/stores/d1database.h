#pragma once

#include "stores/sqlitedb.h"

#include <QMutex>
#include <QSet>
#include <QString>
#include <QStringList>

#include <atomic>
#include <expected>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <vector>

namespace kiln {

// What D1 reports beside every result (`meta`), with D1's field names in mind.
struct D1Meta {
    double durationMs = 0;
    qint64 changes = 0;
    qint64 lastRowId = 0;
    bool changedDb = false;
    qint64 rowsRead = 0;
    qint64 rowsWritten = 0;
    qint64 sizeAfter = 0;
};

struct D1Statement {
    QString sql;
    std::vector<SqlValue> params; // bound in order: ?, ?NNN and :name all index into this
};

struct D1Result {
    QStringList columns;
    std::vector<std::vector<SqlValue>> rows;
    D1Meta meta;
};

struct D1ExecResult {
    int count = 0;
    double durationMs = 0;
};

// One D1 database: a plain SQLite file (`<persist>/d1/<database id>.sqlite`) holding the
// user's own tables, so any SQLite tool opens it. Thread-safe. Errors carry SQLite's own
// message in D1's wording ("D1_ERROR: no such table: x: SQLITE_ERROR").
class D1Database {
public:
    explicit D1Database(QString path);
    ~D1Database();
    std::expected<void, QString> open();
    const QString& path() const { return m_path; }

    // Set (from any thread) when whoever asked for a query no longer wants it: the request
    // that issued it ended. The running query then stops with SQLITE_INTERRUPT.
    using QueryCancel = std::shared_ptr<const std::atomic<bool>>;

    // Runs the statements in order. More than one (a batch) run in one transaction that
    // rolls back whole if any fails; a single one commits on its own.
    std::expected<std::vector<D1Result>, QString> run(const std::vector<D1Statement>& statements,
                                                      const QueryCancel& cancel = {});
    // Several statements separated by semicolons, each with its own result, in one
    // transaction (`kiln d1 execute --command/--file`, migrations).
    std::expected<std::vector<D1Result>, QString> runScript(const QString& sql);
    // Several statements separated by semicolons, no parameters (db.exec).
    std::expected<D1ExecResult, QString> exec(const QString& sql);
    // What `dump` writes, as `wrangler d1 export --table --no-schema --no-data` choose it.
    struct DumpOptions {
        QStringList tables; // empty: every table
        bool schema = true;
        bool data = true;
    };
    // The database as SQL text that rebuilds it (`kiln d1 export`), in wrangler's layout: each
    // table's CREATE, then its rows as INSERTs with column lists; indexes, triggers and views
    // last. A named table that does not exist is an error.
    std::expected<QString, QString> dump(const DumpOptions& options);
    std::expected<QString, QString> dump() { return dump(DumpOptions{}); }

    // Told after a call that ran a writing statement succeeds, on the caller's thread, with the
    // tables whose rows changed (empty for schema changes and WITHOUT ROWID tables, whose row
    // changes SQLite does not report). Set before use; keep it quick.
    using ChangeObserver = std::function<void(const QStringList& tables)>;
    void setChangeObserver(ChangeObserver observer) { m_observer = std::move(observer); }

    // How long one call (a statement, a batch, a script) may run before SQLite is told to stop:
    // D1's own limit on a query is 30 seconds. A runaway query then fails with
    // SQLITE_INTERRUPT instead of holding the database (and a pool thread) forever.
    static constexpr int kDefaultTimeLimitMs = 30000;
    void setTimeLimit(int ms) { m_timeLimitMs = ms; }

private:
    // run() with m_mutex held.
    std::expected<std::vector<D1Result>, QString>
    runLocked(const std::vector<D1Statement>& statements);
    static QString cancelledError();
    // Runs `run` (a *Locked call) with m_mutex held and `cancel` watched by the progress
    // handler; a call stopped by it reports why.
    template <typename Run>
    auto cancellable(const QueryCancel& cancel, Run&& run) -> decltype(run());
    std::expected<D1Result, QString> runOne(const D1Statement& statement);
    qint64 sizeBytes(bool wrote);
    // Prepared statements by SQL text, reused across calls as D1 does (a point select spent
    // more time preparing than running); cleared when it grows past a bound.
    sqlite3_stmt* prepared(const QByteArray& sql);
    std::map<QByteArray, sqlite3_stmt*> m_statements;
    std::unique_ptr<SqlStatement> m_pageCount;
    qint64 m_pageSize = 0;
    qint64 m_sizeBytes = 0;
    unsigned m_sizeVersion = ~0u; // the data version m_sizeBytes was read at

    // Change tracking for the observer; guarded by m_mutex.
    void beginCall();
    void notifyChanged();
    ChangeObserver m_observer;
    QSet<QByteArray> m_changedTables;
    QByteArray m_lastTable; // the table of the last changed row
    bool m_wrote = false;
    int m_timeLimitMs = kDefaultTimeLimitMs;
    // Steady clock; the progress handler stops the call past it. Calls without a limit
    // (dump) set it to the maximum.
    qint64 m_deadlineNs = std::numeric_limits<qint64>::max();
    const std::atomic<bool>* m_cancel = nullptr; // the current call's, if any
    bool m_cancelHit = false;                    // the progress handler stopped it for that

    QString m_path;
    QMutex m_mutex;
    SqliteDb m_db;
    QString m_openError;
};

} // namespace kiln
