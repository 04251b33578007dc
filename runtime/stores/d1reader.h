#pragma once

#include "stores/d1tablequery.h"
#include "stores/sqlitedb.h"
#include "stores/storeerror.h"

#include <QMutex>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>
#include <vector>

namespace kiln {

struct D1TableInfo {
    QString name;
    QString type; // "table", "view", "virtual" or "shadow" (PRAGMA table_list)
    bool withoutRowid = false;
    std::optional<qint64> rowCount; // only when asked for: counting reads the whole table
};

// One row of PRAGMA table_info.
struct D1ColumnInfo {
    int cid = 0;
    QString name;
    QString type; // as declared; may be empty
    bool notNull = false;
    std::optional<QString> defaultValue; // SQL text of the default
    int primaryKey = 0;                  // 1-based position in the primary key, 0 if not in it
};

// Where a page of rows starts. Tables with a rowid are paged by it, so a page never repeats
// or skips a row however the table changes meanwhile; the others by LIMIT/OFFSET.
struct D1RowCursor {
    std::optional<qint64> afterRowid; // rows with a larger rowid (all when empty)
    qint64 offset = 0;                // rows skipped, when paging by offset
};

struct D1RowPage {
    QStringList columns;
    std::vector<std::vector<SqlValue>> rows;
    std::vector<qint64> rowids; // one per row; empty when paging by offset
    // The table has no usable rowid (WITHOUT ROWID, a view, or every rowid name taken by a
    // column): pages come from LIMIT/OFFSET, which a concurrent write can shift.
    bool byOffset = false;
    bool more = false;
    D1RowCursor next; // where the following page starts
};

struct D1QueryResult {
    QStringList columns;
    std::vector<std::vector<SqlValue>> rows;
    bool truncated = false; // more rows than the limit: the rest were not read
    qint64 rowsRead = 0;    // rows returned plus rows scanned, as D1's meta counts them
};

// A D1 database file opened read-only, for the studio's browser while `kiln dev` may be
// writing it: never creates, converts or waits (a lock fails the call with Busy, to be
// repeated later). Opens on first use and again after a failed open. Thread-safe.
class D1Reader {
public:
    explicit D1Reader(QString path);
    const QString& path() const { return m_path; }
    std::expected<void, StoreError> open();
    // Changes when anyone else commits to the store (SqliteDb::dataVersion).
    std::expected<qint64, StoreError> dataVersion();

    // The user's tables and views by name, SQLite's own (sqlite_*) left out.
    std::expected<std::vector<D1TableInfo>, StoreError> tables(bool withRowCounts = false);
    std::expected<std::vector<D1ColumnInfo>, StoreError> columns(const QString& table);
    // At most `limit` (>= 1) rows of a table or view from `from`.
    std::expected<D1RowPage, StoreError> rows(const QString& table, const D1RowCursor& from,
                                              int limit);
    // A page of a table or view sorted and filtered (d1tablequery.h), paged by OFFSET, with
    // the rowid of each row when there is one (what an edit names the row by), and the
    // number of matching rows when `withCount`.
    std::expected<D1TablePage, StoreError> select(const D1TableQuery& query, bool withCount);
    // Tables, views, indexes and triggers (SQLite's own and D1's internal ones left out).
    std::expected<std::vector<D1SchemaEntry>, StoreError> schema();
    std::expected<std::vector<D1ForeignKey>, StoreError> foreignKeys(const QString& table);
    // Prepares one statement (nothing runs) to learn whether it only reads rows, or where
    // SQLite finds it wrong. Errors about the SQL are in the result; StoreError is for the file.
    std::expected<D1SqlCheck, StoreError> check(const QString& sql);
    // One statement that only reads and returns rows (SELECT, a reading PRAGMA, EXPLAIN):
    // anything else is refused before it runs. At most maxRows rows are read.
    std::expected<D1QueryResult, StoreError> query(const QString& sql, int maxRows);

private:
    std::expected<void, StoreError> ready();
    std::expected<std::optional<D1TableInfo>, StoreError> findTable(const QString& table);
    std::expected<QString, StoreError> rowidName(const QString& table);

    QString m_path;
    QMutex m_mutex;
    SqliteDb m_db;
};

} // namespace kiln
