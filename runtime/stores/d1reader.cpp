#include "stores/d1reader.h"

#include <sqlite3.h>

#include <algorithm>
#include <memory>

namespace kiln {

namespace {

StoreError refused(const QString& why) {
    return StoreError{StoreError::Code::Other, why};
}

// SQLite's table list, its own tables (sqlite_schema, sqlite_sequence, ...) left out.
constexpr char kTables[] = "SELECT name, type, wr FROM pragma_table_list"
                           " WHERE schema = 'main' AND substr(name, 1, 7) <> 'sqlite_'";

bool sameName(const QString& a, const char* b) {
    // SQLite folds only ASCII letters when it matches names.
    return a.compare(QLatin1String(b), Qt::CaseInsensitive) == 0;
}

} // namespace

D1Reader::D1Reader(QString path)
    : m_path(std::move(path)) {}

std::expected<void, StoreError> D1Reader::open() {
    QMutexLocker lock(&m_mutex);
    return ready();
}

std::expected<qint64, StoreError> D1Reader::dataVersion() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    return m_db.dataVersion();
}

std::expected<void, StoreError> D1Reader::ready() {
    if (m_db.isOpen()) return {};
    return m_db.open(m_path, SqliteDb::OpenMode::ReadOnly);
}

std::expected<std::vector<D1TableInfo>, StoreError> D1Reader::tables(bool withRowCounts) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    std::vector<D1TableInfo> out;
    {
        SqlStatement q(m_db, (QByteArray(kTables) + " ORDER BY name").constData());
        if (!q.ok()) return std::unexpected(m_db.lastStoreError());
        for (;;) {
            auto row = q.step();
            if (!row) return std::unexpected(m_db.lastStoreError());
            if (!*row) break;
            out.push_back({q.text(0), q.text(1), q.integer(2) != 0, std::nullopt});
        }
    }
    if (!withRowCounts) return out;
    for (auto& table : out) {
        SqlStatement count(
            m_db, ("SELECT count(*) FROM " + sqlQuoteIdentifier(table.name)).toUtf8().constData());
        if (count.ok()) {
            if (auto row = count.step(); row && *row) {
                table.rowCount = count.integer(0);
                continue;
            }
        }
        // A view over a table that is gone cannot be counted; the others still can. A lock
        // is another matter: the whole answer would be stale, so the caller retries.
        if (const StoreError error = m_db.lastStoreError(); error.isBusy())
            return std::unexpected(error);
    }
    return out;
}

std::expected<std::optional<D1TableInfo>, StoreError> D1Reader::findTable(const QString& table) {
    SqlStatement q(m_db, (QByteArray(kTables) + " AND name = ?1 COLLATE NOCASE").constData());
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, table);
    auto row = q.step();
    if (!row) return std::unexpected(m_db.lastStoreError());
    if (!*row) return std::optional<D1TableInfo>();
    return std::optional<D1TableInfo>(
        D1TableInfo{q.text(0), q.text(1), q.integer(2) != 0, std::nullopt});
}

std::expected<std::vector<D1ColumnInfo>, StoreError> D1Reader::columns(const QString& table) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    // The table-valued form of PRAGMA table_info takes the name as a parameter: no quoting.
    SqlStatement q(
        m_db, "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)");
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, table);
    std::vector<D1ColumnInfo> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        out.push_back({static_cast<int>(q.integer(0)), q.text(1), q.text(2), q.integer(3) != 0,
                       q.isNull(4) ? std::nullopt : std::optional<QString>(q.text(4)),
                       static_cast<int>(q.integer(5))});
    }
    if (out.empty())
        return std::unexpected(refused(QStringLiteral("no such table: %1").arg(table)));
    return out;
}

std::expected<QString, StoreError> D1Reader::rowidName(const QString& table) {
    SqlStatement q(m_db, "SELECT name FROM pragma_table_info(?1)");
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, table);
    QStringList names;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        names << q.text(0);
    }
    // A column may be called rowid; SQLite then still answers to the other two names.
    for (const char* candidate : {"rowid", "_rowid_", "oid"})
        if (std::none_of(names.begin(), names.end(),
                         [&](const QString& n) { return sameName(n, candidate); }))
            return QString::fromLatin1(candidate);
    return QString();
}

std::expected<D1RowPage, StoreError> D1Reader::rows(const QString& table, const D1RowCursor& from,
                                                    int limit) {
    if (auto bad = badPageLimit(limit)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    auto info = findTable(table);
    if (!info) return std::unexpected(info.error());
    if (!*info) return std::unexpected(refused(QStringLiteral("no such table: %1").arg(table)));
    QString rowid;
    if ((*info)->type != QLatin1String("view") && !(*info)->withoutRowid) {
        auto name = rowidName((*info)->name);
        if (!name) return std::unexpected(name.error());
        rowid = *name;
    }
    D1RowPage page;
    page.byOffset = rowid.isEmpty();
    const QString quoted = sqlQuoteIdentifier((*info)->name);
    QString sql;
    if (page.byOffset)
        sql = QStringLiteral("SELECT * FROM %1 LIMIT ?1 OFFSET ?2").arg(quoted);
    else if (from.afterRowid)
        sql = QStringLiteral("SELECT %2, * FROM %1 WHERE %2 > ?2 ORDER BY %2 LIMIT ?1")
                  .arg(quoted, rowid);
    else
        sql = QStringLiteral("SELECT %2, * FROM %1 ORDER BY %2 LIMIT ?1").arg(quoted, rowid);
    SqlStatement q(m_db, sql.toUtf8().constData());
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, qint64(limit) + 1); // one more than asked: tells whether another page follows
    if (page.byOffset)
        q.bind(2, std::max<qint64>(0, from.offset));
    else if (from.afterRowid)
        q.bind(2, *from.afterRowid);
    const int first = page.byOffset ? 0 : 1;
    for (int i = first; i < q.columnCount(); ++i)
        page.columns << q.columnName(i);
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        if (static_cast<int>(page.rows.size()) == limit) {
            page.more = true;
            break;
        }
        std::vector<SqlValue> values;
        values.reserve(static_cast<size_t>(q.columnCount() - first));
        for (int i = first; i < q.columnCount(); ++i)
            values.push_back(q.value(i));
        page.rows.push_back(std::move(values));
        if (!page.byOffset) page.rowids.push_back(q.integer(0));
    }
    if (page.byOffset)
        page.next.offset = std::max<qint64>(0, from.offset) + static_cast<qint64>(page.rows.size());
    else
        page.next.afterRowid =
            page.rowids.empty() ? from.afterRowid : std::optional<qint64>(page.rowids.back());
    return page;
}

std::expected<D1TablePage, StoreError> D1Reader::select(const D1TableQuery& query, bool withCount) {
    if (auto bad = badPageLimit(query.limit)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    auto info = findTable(query.table);
    if (!info) return std::unexpected(info.error());
    if (!*info)
        return std::unexpected(refused(QStringLiteral("no such table: %1").arg(query.table)));
    D1TablePage page;
    if ((*info)->type != QLatin1String("view") && !(*info)->withoutRowid) {
        auto name = rowidName((*info)->name);
        if (!name) return std::unexpected(name.error());
        page.rowidName = *name;
    }
    // Columns are checked by name: SQLite would take an unknown "quoted" name for a string
    // and sort or filter by a constant without a word.
    {
        SqlStatement names(m_db,
                           "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2 COLLATE NOCASE");
        if (!names.ok()) return std::unexpected(m_db.lastStoreError());
        std::vector<QString> asked;
        if (query.sortColumn) asked.push_back(*query.sortColumn);
        for (const D1ColumnFilter& filter : query.filters)
            asked.push_back(filter.column);
        for (const QString& column : asked) {
            names.reset();
            names.bind(1, (*info)->name);
            names.bind(2, column);
            auto row = names.step();
            if (!row) return std::unexpected(m_db.lastStoreError());
            if (!*row)
                return std::unexpected(refused(QStringLiteral("no such column: %1").arg(column)));
        }
    }
    D1TableQuery named = query;
    named.table = (*info)->name;
    const D1TableSql sql(named, page.rowidName);
    const auto bindFilters = [&](SqlStatement& q) {
        int at = 1;
        for (const SqlValue& value : sql.params())
            q.bind(at++, value);
        return at;
    };
    if (withCount) {
        SqlStatement count(m_db, sql.count().toUtf8().constData());
        if (!count.ok()) return std::unexpected(m_db.lastStoreError());
        bindFilters(count);
        auto row = count.step();
        if (!row || !*row) return std::unexpected(m_db.lastStoreError());
        page.count = count.integer(0);
    }
    SqlStatement q(m_db, sql.select().toUtf8().constData());
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    const int at = bindFilters(q);
    q.bind(at, qint64(query.limit));
    q.bind(at + 1, std::max<qint64>(0, query.offset));
    const int first = page.rowidName.isEmpty() ? 0 : 1;
    for (int i = first; i < q.columnCount(); ++i)
        page.columns << q.columnName(i);
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        std::vector<SqlValue> values;
        values.reserve(static_cast<size_t>(q.columnCount() - first));
        for (int i = first; i < q.columnCount(); ++i)
            values.push_back(q.value(i));
        page.rows.push_back(std::move(values));
        if (first) page.rowids.push_back(q.integer(0));
    }
    return page;
}

std::expected<std::vector<D1SchemaEntry>, StoreError> D1Reader::schema() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    // D1 keeps its own bookkeeping in _cf_ tables; Cloudflare's console hides them too.
    SqlStatement q(m_db, "SELECT type, name, tbl_name, sql FROM sqlite_schema"
                         " WHERE substr(name, 1, 7) <> 'sqlite_' AND substr(name, 1, 4) <> '_cf_'"
                         " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1"
                         " WHEN 'index' THEN 2 ELSE 3 END, name");
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    std::vector<D1SchemaEntry> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        out.push_back({q.text(0), q.text(1), q.text(2), q.isNull(3) ? QString() : q.text(3)});
    }
    return out;
}

std::expected<std::vector<D1ForeignKey>, StoreError> D1Reader::foreignKeys(const QString& table) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)"
                         " ORDER BY id, seq");
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, table);
    std::vector<D1ForeignKey> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        out.push_back({q.text(0), q.text(1), q.isNull(2) ? QString() : q.text(2)});
    }
    return out;
}

std::expected<D1SqlCheck, StoreError> D1Reader::check(const QString& sql) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    const QByteArray text = sql.toUtf8();
    sqlite3_stmt* raw = nullptr;
    D1SqlCheck result;
    if (sqlite3_prepare_v2(m_db.handle(), text.constData(), static_cast<int>(text.size()), &raw,
                           nullptr) != SQLITE_OK) {
        const StoreError error = m_db.lastStoreError();
        if (error.isBusy() || error.code == StoreError::Code::Corrupt)
            return std::unexpected(error);
        result.error = QString::fromUtf8(sqlite3_errmsg(m_db.handle()));
        // sqlite3_error_offset counts UTF-8 bytes; the caller counts characters.
        if (const int at = sqlite3_error_offset(m_db.handle()); at >= 0)
            result.errorAt = QString::fromUtf8(text.left(at)).size();
        return result;
    }
    result.readsRows = raw && sqlite3_stmt_readonly(raw) && sqlite3_column_count(raw) > 0;
    sqlite3_finalize(raw);
    return result;
}

std::expected<D1QueryResult, StoreError> D1Reader::query(const QString& sql, int maxRows) {
    if (auto bad = badPageLimit(maxRows, "the row limit")) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    using Statement = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;
    const QByteArray text = sql.toUtf8();
    const char* tail = nullptr;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(m_db.handle(), text.constData(), static_cast<int>(text.size()), &raw,
                           &tail) != SQLITE_OK)
        return std::unexpected(m_db.lastStoreError());
    const Statement stmt(raw, &sqlite3_finalize);
    if (!stmt) return std::unexpected(refused(QStringLiteral("no SQL statement to run")));
    // Only spaces and comments may follow: a second statement would not be checked below.
    sqlite3_stmt* next = nullptr;
    const int rest =
        sqlite3_prepare_v2(m_db.handle(), tail,
                           static_cast<int>(text.constData() + text.size() - tail), &next, nullptr);
    sqlite3_finalize(next);
    if (rest != SQLITE_OK || next)
        return std::unexpected(refused(QStringLiteral("only one statement can be run here")));
    // Statements that return no rows are refused too: BEGIN and ATTACH count as read-only,
    // and a transaction left open here would pin an old snapshot of the database.
    if (!sqlite3_stmt_readonly(stmt.get()) || sqlite3_column_count(stmt.get()) == 0)
        return std::unexpected(
            refused(QStringLiteral("only a statement that reads rows (SELECT) can be run here")));
    D1QueryResult result;
    const int columns = sqlite3_column_count(stmt.get());
    for (int i = 0; i < columns; ++i)
        result.columns << QString::fromUtf8(sqlite3_column_name(stmt.get(), i));
    for (;;) {
        const int rc = sqlite3_step(stmt.get());
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return std::unexpected(m_db.lastStoreError());
        if (static_cast<int>(result.rows.size()) == maxRows) {
            result.truncated = true;
            break;
        }
        std::vector<SqlValue> row;
        row.reserve(static_cast<size_t>(columns));
        for (int i = 0; i < columns; ++i)
            row.push_back(sqlColumnValue(stmt.get(), i));
        result.rows.push_back(std::move(row));
    }
    result.rowsRead = qint64(result.rows.size()) +
                      sqlite3_stmt_status(stmt.get(), SQLITE_STMTSTATUS_FULLSCAN_STEP, 0);
    return result;
}

} // namespace kiln
