#include "stores/d1database.h"

#include <QElapsedTimer>

#include <chrono>

#include <sqlite3.h>

namespace kiln {

namespace {

qint64 steadyNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

QString d1Error(sqlite3* db) {
    const int code = sqlite3_extended_errcode(db) & 0xff;
    const char* name = code == SQLITE_CONSTRAINT  ? "SQLITE_CONSTRAINT"
                       : code == SQLITE_BUSY      ? "SQLITE_BUSY"
                       : code == SQLITE_TOOBIG    ? "SQLITE_TOOBIG"
                       : code == SQLITE_RANGE     ? "SQLITE_RANGE"
                       : code == SQLITE_MISMATCH  ? "SQLITE_MISMATCH"
                       : code == SQLITE_AUTH      ? "SQLITE_AUTH"
                       : code == SQLITE_INTERRUPT ? "SQLITE_INTERRUPT"
                                                  : "SQLITE_ERROR";
    const QString message =
        code == SQLITE_INTERRUPT
            ? QStringLiteral("the query ran past the time limit (D1 stops a query after 30 "
                             "seconds) and was interrupted")
            : QString::fromUtf8(sqlite3_errmsg(db));
    return QStringLiteral("D1_ERROR: %1: %2").arg(message, QLatin1String(name));
}

void bindValue(sqlite3_stmt* stmt, int index, const SqlValue& value) {
    if (const auto* i = std::get_if<qint64>(&value)) {
        sqlite3_bind_int64(stmt, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
        sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<QString>(&value)) {
        const QByteArray utf8 = s->toUtf8();
        sqlite3_bind_text64(stmt, index, utf8.constData(), static_cast<sqlite3_uint64>(utf8.size()),
                            SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<QByteArray>(&value)) {
        sqlite3_bind_blob64(stmt, index, b->isEmpty() ? "" : b->constData(),
                            static_cast<sqlite3_uint64>(b->size()), SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(stmt, index);
    }
}

// SQL text for a value, as sqlite3's .dump writes it.
QString literal(const SqlValue& value) {
    if (const auto* i = std::get_if<qint64>(&value)) return QString::number(*i);
    if (const auto* d = std::get_if<double>(&value)) return QString::number(*d, 'g', 17);
    if (const auto* s = std::get_if<QString>(&value))
        return QLatin1Char('\'') + QString(*s).replace(QLatin1Char('\''), QLatin1String("''")) +
               QLatin1Char('\'');
    if (const auto* b = std::get_if<QByteArray>(&value))
        return QStringLiteral("X'") + QString::fromLatin1(b->toHex()) + QLatin1Char('\'');
    return QStringLiteral("NULL");
}

} // namespace

D1Database::D1Database(QString path)
    : m_path(std::move(path)) {}

D1Database::~D1Database() {
    for (auto& [sql, stmt] : m_statements)
        sqlite3_finalize(stmt);
    m_pageCount.reset();
}

sqlite3_stmt* D1Database::prepared(const QByteArray& sql) {
    if (auto it = m_statements.find(sql); it != m_statements.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(m_db.handle(), sql.constData(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK ||
        !stmt)
        return stmt;
    if (m_statements.size() >= 128) {
        for (auto& [text, old] : m_statements)
            sqlite3_finalize(old);
        m_statements.clear();
    }
    m_statements.emplace(sql, stmt);
    return stmt;
}

std::expected<void, QString> D1Database::open() {
    QMutexLocker lock(&m_mutex);
    if (m_db.isOpen()) return {};
    auto r = m_db.open(m_path);
    if (!r) {
        m_openError = r.error().message;
        return std::unexpected(m_openError);
    }
    // A D1 database is one file: statements that open another (ATTACH, and VACUUM INTO, which
    // SQLite runs as an ATTACH) are refused as Cloudflare's D1 refuses ATTACH, so worker code
    // cannot read or write files on the host. Extensions stay off.
    sqlite3_db_config(m_db.handle(), SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    sqlite3_set_authorizer(
        m_db.handle(),
        [](void*, int action, const char*, const char*, const char*, const char*) {
            return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
        },
        nullptr);
    // Every 10k virtual-machine steps (well under a millisecond), the clock and the caller's
    // cancel flag are checked.
    sqlite3_progress_handler(
        m_db.handle(), 10000,
        [](void* self) {
            auto* db = static_cast<D1Database*>(self);
            if (db->m_cancel && db->m_cancel->load(std::memory_order_relaxed)) {
                db->m_cancelHit = true;
                return 1;
            }
            return steadyNs() > db->m_deadlineNs ? 1 : 0;
        },
        this);
    sqlite3_update_hook(
        m_db.handle(),
        [](void* self, int, const char*, const char* table, sqlite3_int64) {
            // Called for every changed row: a run of rows in one table costs a strcmp each.
            auto* db = static_cast<D1Database*>(self);
            if (db->m_lastTable == table) return;
            db->m_lastTable = table;
            if (db->m_changedTables.size() < 64) db->m_changedTables.insert(db->m_lastTable);
        },
        this);
    return {};
}

void D1Database::beginCall() {
    m_cancelHit = false;
    m_deadlineNs = steadyNs() + qint64(m_timeLimitMs) * 1000000;
    m_changedTables.clear();
    m_lastTable.clear();
    m_wrote = false;
}

void D1Database::notifyChanged() {
    if (!m_observer || (!m_wrote && m_changedTables.isEmpty())) return;
    QStringList tables;
    for (const QByteArray& table : std::as_const(m_changedTables))
        tables << QString::fromUtf8(table);
    tables.sort();
    m_observer(tables);
}

qint64 D1Database::sizeBytes(bool wrote) {
    // PRAGMA page_count is a read transaction of its own (file locks: syscalls that cost
    // more than a point select). The pager's data version moves with every change, ours or
    // another connection's, and was refreshed by the statement that just ran; a write
    // inside a transaction moves it only at commit, so writes always count pages.
    unsigned version = 0;
    const bool versioned = sqlite3_file_control(m_db.handle(), "main", SQLITE_FCNTL_DATA_VERSION,
                                                &version) == SQLITE_OK;
    if (!wrote && versioned && m_pageCount && version == m_sizeVersion) return m_sizeBytes;
    if (!m_pageCount) {
        SqlStatement size(m_db, "PRAGMA page_size");
        m_pageSize = size.step().value_or(false) ? size.integer(0) : 4096;
        m_pageCount = std::make_unique<SqlStatement>(m_db, "PRAGMA page_count");
    }
    m_pageCount->reset();
    const qint64 pages = m_pageCount->step().value_or(false) ? m_pageCount->integer(0) : 0;
    m_pageCount->reset();
    m_sizeBytes = pages * m_pageSize;
    m_sizeVersion = versioned ? version : ~0u;
    return m_sizeBytes;
}

std::expected<D1Result, QString> D1Database::runOne(const D1Statement& statement) {
    QElapsedTimer timer;
    timer.start();
    sqlite3* db = m_db.handle();
    const QByteArray sql = statement.sql.toUtf8();
    sqlite3_stmt* stmt = prepared(sql);
    if (!stmt) {
        if (sqlite3_errcode(db) != SQLITE_OK) return std::unexpected(d1Error(db));
        return std::unexpected(QStringLiteral("D1_ERROR: No SQL statements detected."));
    }
    // Cached statements are reset here, not finalized: whatever happens below.
    struct Reset {
        sqlite3_stmt* s;
        ~Reset() {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    } resetLater{stmt};
    const int wanted = sqlite3_bind_parameter_count(stmt);
    if (static_cast<int>(statement.params.size()) > wanted && wanted >= 0 &&
        !statement.params.empty())
        return std::unexpected(QStringLiteral(
            "D1_ERROR: Wrong number of parameter bindings for SQL query.: SQLITE_RANGE"));
    for (int i = 0; i < static_cast<int>(statement.params.size()); ++i)
        bindValue(stmt, i + 1, statement.params[static_cast<size_t>(i)]);
    D1Result result;
    const int columns = sqlite3_column_count(stmt);
    for (int i = 0; i < columns; ++i)
        result.columns << QString::fromUtf8(sqlite3_column_name(stmt, i));
    const qint64 totalBefore = sqlite3_total_changes64(db);
    qint64 rows = 0;
    for (;; ++rows) {
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return std::unexpected(d1Error(db));
        std::vector<SqlValue> row;
        row.reserve(size_t(columns));
        for (int i = 0; i < columns; ++i)
            row.push_back(sqlColumnValue(stmt, i));
        result.rows.push_back(std::move(row));
    }
    const bool readOnly = sqlite3_stmt_readonly(stmt);
    m_wrote = m_wrote || !readOnly;
    const qint64 scanned = sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
    const qint64 written = sqlite3_total_changes64(db) - totalBefore;
    result.meta.changes = readOnly ? 0 : sqlite3_changes64(db);
    result.meta.lastRowId = sqlite3_last_insert_rowid(db);
    result.meta.changedDb = !readOnly && written > 0;
    result.meta.rowsWritten = written;
    result.meta.rowsRead = rows + scanned;
    result.meta.sizeAfter = sizeBytes(!readOnly);
    result.meta.durationMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    return result;
}

template <typename Run>
auto D1Database::cancellable(const QueryCancel& cancel, Run&& run) -> decltype(run()) {
    QMutexLocker lock(&m_mutex);
    m_cancel = cancel.get();
    auto r = run();
    m_cancel = nullptr;
    if (!r && m_cancelHit) return std::unexpected(cancelledError());
    return r;
}

std::expected<std::vector<D1Result>, QString>
D1Database::run(const std::vector<D1Statement>& statements, const QueryCancel& cancel) {
    return cancellable(cancel, [&] { return runLocked(statements); });
}

std::expected<std::vector<D1Result>, QString>
D1Database::runLocked(const std::vector<D1Statement>& statements) {
    if (!m_db.isOpen())
        return std::unexpected(m_openError.isEmpty() ? QStringLiteral("D1_ERROR: database not open")
                                                     : m_openError);
    beginCall();
    std::vector<D1Result> results;
    SqlTransaction transaction(m_db);
    const bool batch = statements.size() > 1;
    if (batch) {
        if (auto r = transaction.begin(); !r)
            return std::unexpected(QStringLiteral("D1_ERROR: %1").arg(r.error()));
    }
    for (const auto& statement : statements) {
        auto one = runOne(statement);
        if (!one) return std::unexpected(one.error()); // the transaction rolls back
        results.push_back(std::move(*one));
    }
    if (batch) {
        if (auto r = transaction.commit(); !r)
            return std::unexpected(QStringLiteral("D1_ERROR: %1").arg(r.error()));
    }
    notifyChanged();
    return results;
}

QString D1Database::cancelledError() {
    return QStringLiteral("D1_ERROR: the query was stopped because the request that issued it "
                          "ended (its client went away): SQLITE_INTERRUPT");
}

std::expected<std::vector<D1Result>, QString> D1Database::runScript(const QString& sql) {
    QMutexLocker lock(&m_mutex);
    if (!m_db.isOpen()) return std::unexpected(m_openError);
    beginCall();
    SqlTransaction transaction(m_db);
    if (auto r = transaction.begin(); !r)
        return std::unexpected(QStringLiteral("D1_ERROR: %1").arg(r.error()));
    std::vector<D1Result> results;
    const QByteArray text = sql.toUtf8();
    const char* tail = text.constData();
    const char* end = text.constData() + text.size();
    while (tail < end) {
        // Each statement is found by preparing it against the database as it is by then, so
        // a CREATE TABLE earlier in the script is visible to the statements after it.
        sqlite3_stmt* probe = nullptr;
        const char* start = tail;
        if (sqlite3_prepare_v2(m_db.handle(), start, static_cast<int>(end - start), &probe,
                               &tail) != SQLITE_OK)
            return std::unexpected(d1Error(m_db.handle()));
        if (!probe) continue;
        sqlite3_finalize(probe);
        auto one = runOne(D1Statement{
            QString::fromUtf8(start, static_cast<qsizetype>(tail - start)).trimmed(), {}});
        if (!one) return std::unexpected(one.error());
        results.push_back(std::move(*one));
    }
    if (auto r = transaction.commit(); !r)
        return std::unexpected(QStringLiteral("D1_ERROR: %1").arg(r.error()));
    notifyChanged();
    return results;
}

std::expected<D1ExecResult, QString> D1Database::exec(const QString& sql) {
    QMutexLocker lock(&m_mutex);
    if (!m_db.isOpen())
        return std::unexpected(m_openError.isEmpty() ? QStringLiteral("D1_ERROR: database not open")
                                                     : m_openError);
    beginCall();
    QElapsedTimer timer;
    timer.start();
    const QByteArray text = sql.toUtf8();
    const char* tail = text.constData();
    const char* end = text.constData() + text.size();
    D1ExecResult result;
    sqlite3* db = m_db.handle();
    // "Error in line N: <statement>: <SQLite's message>", N counted from the statement's
    // first character, as D1 reports it.
    auto failure = [&](const char* start, const char* stop) {
        while (start < stop && QChar::isSpace(static_cast<unsigned char>(*start)))
            ++start;
        const auto line =
            QByteArray(text.constData(), static_cast<qsizetype>(start - text.constData()))
                .count('\n') +
            1;
        const QString statement =
            QString::fromUtf8(start, static_cast<qsizetype>(std::max(stop, start) - start))
                .trimmed();
        return std::unexpected(QStringLiteral("D1_EXEC_ERROR: Error in line %1: %2: %3")
                                   .arg(line)
                                   .arg(statement, QString::fromUtf8(sqlite3_errmsg(db))));
    };
    while (tail < end) {
        sqlite3_stmt* stmt = nullptr;
        const char* start = tail;
        if (sqlite3_prepare_v2(db, start, static_cast<int>(end - start), &stmt, &tail) !=
            SQLITE_OK) {
            const char* stop =
                static_cast<const char*>(memchr(start, ';', static_cast<size_t>(end - start)));
            return failure(start, stop ? stop + 1 : end);
        }
        if (!stmt) continue; // whitespace or a comment
        m_wrote = m_wrote || !sqlite3_stmt_readonly(stmt);
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) return failure(start, tail);
        ++result.count;
    }
    result.durationMs = static_cast<double>(timer.nsecsElapsed()) / 1e6;
    notifyChanged();
    return result;
}

std::expected<QString, QString> D1Database::dump(const DumpOptions& options) {
    QMutexLocker lock(&m_mutex);
    if (!m_db.isOpen()) return std::unexpected(m_openError);
    m_deadlineNs = std::numeric_limits<qint64>::max(); // an export of any size runs to the end
    QString out = QStringLiteral("PRAGMA defer_foreign_keys=TRUE;\n");
    SqlStatement tables(m_db, "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name "
                              "NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY rowid");
    QStringList seen;
    while (tables.step().value_or(false)) {
        const QString name = tables.text(0);
        if (!options.tables.isEmpty() && !options.tables.contains(name)) continue;
        seen << name;
        if (options.schema) out += tables.text(1) + QStringLiteral(";\n");
        if (!options.data) continue;
        const QByteArray query = ("SELECT * FROM " + sqlQuoteIdentifier(name)).toUtf8();
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(m_db.handle(), query.constData(), -1, &stmt, nullptr) != SQLITE_OK)
            return std::unexpected(d1Error(m_db.handle()));
        QStringList columns;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i)
            columns << sqlQuoteIdentifier(QString::fromUtf8(sqlite3_column_name(stmt, i)));
        // Built by concatenation: names and values may hold '%', which arg() would read.
        const QString head = QStringLiteral("INSERT INTO ") + sqlQuoteIdentifier(name) +
                             QStringLiteral(" (") + columns.join(QLatin1Char(',')) +
                             QStringLiteral(") VALUES(");
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            QStringList values;
            for (int i = 0; i < sqlite3_column_count(stmt); ++i)
                values << literal(sqlColumnValue(stmt, i));
            out += head + values.join(QLatin1Char(',')) + QStringLiteral(");\n");
        }
        sqlite3_finalize(stmt);
    }
    for (const QString& name : options.tables)
        if (!seen.contains(name))
            return std::unexpected(QStringLiteral("no table named \"%1\" to export").arg(name));
    const bool whole = options.tables.isEmpty();
    // AUTOINCREMENT counters, so ids keep counting up after an import, as sqlite3's .dump does.
    SqlStatement hasSequence(m_db, "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'");
    if (whole && options.data && hasSequence.step().value_or(false)) {
        out += QStringLiteral("DELETE FROM sqlite_sequence;\n");
        SqlStatement sequence(m_db, "SELECT name, seq FROM sqlite_sequence");
        while (sequence.step().value_or(false))
            out += QStringLiteral("INSERT INTO sqlite_sequence VALUES(") +
                   literal(SqlValue(sequence.text(0))) + QLatin1Char(',') +
                   QString::number(sequence.integer(1)) + QStringLiteral(");\n");
    }
    if (options.schema) {
        SqlStatement rest(m_db, "SELECT sql, tbl_name FROM sqlite_schema WHERE type IN ('index', "
                                "'trigger', 'view') AND sql IS NOT NULL ORDER BY rowid");
        while (rest.step().value_or(false))
            if (whole || seen.contains(rest.text(1))) out += rest.text(0) + QStringLiteral(";\n");
    }
    return out;
}

} // namespace kiln
