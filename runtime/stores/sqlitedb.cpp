#include "stores/sqlitedb.h"

#include <QDir>
#include <QFileInfo>

#include <sqlite3.h>

namespace kiln {

SqliteDb::~SqliteDb() {
    close();
}

void SqliteDb::close() {
    if (m_db) sqlite3_close_v2(m_db);
    m_db = nullptr;
}

std::expected<void, StoreError> SqliteDb::open(const QString& path, OpenMode mode) {
    close();
    m_path = path;
    const bool readOnly = mode == OpenMode::ReadOnly;
    // Checked here because SQLITE_OPEN_READONLY on a missing file only says "unable to open
    // database file"; a browser wants to tell "not created yet" from "broken".
    if (readOnly && !QFileInfo(path).isFile())
        return std::unexpected(StoreError{StoreError::Code::Missing,
                                          QStringLiteral("no such store file: %1").arg(path)});
    if (!readOnly) QDir().mkpath(QFileInfo(path).absolutePath());
    const int flags =
        (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
        SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &m_db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const QString why =
            m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
        close();
        return std::unexpected(
            StoreError{classify(rc), QStringLiteral("%1: cannot open: %2").arg(path, why)});
    }
    if (readOnly) {
        // No waiting (see the class comment), and nothing written: the journal mode and the
        // schema are whatever the writer made them. Reading the schema now reports a file
        // that is not a database, or a lock, at open rather than at the first query.
        sqlite3_busy_timeout(m_db, 0);
        if (auto r = exec("SELECT 1 FROM sqlite_schema LIMIT 1"); !r) {
            const StoreError error = lastStoreError();
            close();
            return std::unexpected(error);
        }
        return {};
    }
    sqlite3_busy_timeout(m_db, 10000);
    // WAL: readers never block the writer. synchronous=FULL: every commit is fsynced, so a
    // write acknowledged to the worker survives a kill -9 or a power cut.
    if (auto r = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        !r)
        return std::unexpected(StoreError{classify(sqlite3_errcode(m_db)),
                                          QStringLiteral("%1: %2").arg(path, r.error())});
    return {};
}

StoreError::Code SqliteDb::classify(int sqliteCode) {
    switch (sqliteCode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return StoreError::Code::Busy;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return StoreError::Code::Corrupt;
    default:
        return StoreError::Code::Other;
    }
}

std::expected<qint64, StoreError> SqliteDb::dataVersion() {
    SqlStatement q(*this, "PRAGMA data_version");
    if (!q.ok()) return std::unexpected(lastStoreError());
    auto row = q.step();
    if (!row || !*row) return std::unexpected(lastStoreError());
    return q.integer(0);
}

StoreError SqliteDb::lastStoreError() const {
    if (!m_db)
        return StoreError{StoreError::Code::Other, QStringLiteral("%1: not open").arg(m_path)};
    return StoreError{classify(sqlite3_extended_errcode(m_db)),
                      QStringLiteral("%1: %2").arg(m_path, lastError())};
}

std::expected<void, QString> SqliteDb::exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const QString why = QString::fromUtf8(error ? error : sqlite3_errmsg(m_db));
        sqlite3_free(error);
        return std::unexpected(why);
    }
    return {};
}

QString SqliteDb::lastError() const {
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("database not open");
}

SqlValue sqlColumnValue(sqlite3_stmt* stmt, int column) {
    switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER:
        return SqlValue(static_cast<qint64>(sqlite3_column_int64(stmt, column)));
    case SQLITE_FLOAT:
        return SqlValue(sqlite3_column_double(stmt, column));
    case SQLITE_TEXT:
        return SqlValue(
            QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(stmt, column)),
                              sqlite3_column_bytes(stmt, column)));
    case SQLITE_BLOB:
        return SqlValue(QByteArray(static_cast<const char*>(sqlite3_column_blob(stmt, column)),
                                   sqlite3_column_bytes(stmt, column)));
    default:
        return SqlValue();
    }
}

QString sqlQuoteIdentifier(const QString& name) {
    return QLatin1Char('"') + QString(name).replace(QLatin1Char('"'), QLatin1String("\"\"")) +
           QLatin1Char('"');
}

SqlStatement::SqlStatement(SqliteDb& db, const char* sql)
    : m_db(db) {
    sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
}

SqlStatement::~SqlStatement() {
    sqlite3_finalize(m_stmt);
}

void SqlStatement::bind(int index, const SqlValue& value) {
    if (std::holds_alternative<std::monostate>(value)) {
        sqlite3_bind_null(m_stmt, index);
    } else if (const auto* i = std::get_if<qint64>(&value)) {
        sqlite3_bind_int64(m_stmt, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
        sqlite3_bind_double(m_stmt, index, *d);
    } else if (const auto* s = std::get_if<QString>(&value)) {
        const QByteArray utf8 = s->toUtf8();
        sqlite3_bind_text64(m_stmt, index, utf8.constData(),
                            static_cast<sqlite3_uint64>(utf8.size()), SQLITE_TRANSIENT,
                            SQLITE_UTF8);
    } else {
        const QByteArray& b = std::get<QByteArray>(value);
        // A zero-length BLOB, not NULL, for empty bytes.
        sqlite3_bind_blob64(m_stmt, index, b.isEmpty() ? "" : b.constData(),
                            static_cast<sqlite3_uint64>(b.size()), SQLITE_TRANSIENT);
    }
}

std::expected<bool, QString> SqlStatement::step() {
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(m_db.lastError());
}

void SqlStatement::reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

qint64 SqlStatement::integer(int column) const {
    return sqlite3_column_int64(m_stmt, column);
}

bool SqlStatement::isNull(int column) const {
    return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

QByteArray SqlStatement::blob(int column) const {
    const void* data = sqlite3_column_blob(m_stmt, column);
    return QByteArray(static_cast<const char*>(data), sqlite3_column_bytes(m_stmt, column));
}

QString SqlStatement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

SqlValue SqlStatement::value(int column) const {
    return sqlColumnValue(m_stmt, column);
}

int SqlStatement::columnCount() const {
    return sqlite3_column_count(m_stmt);
}

QString SqlStatement::columnName(int column) const {
    return QString::fromUtf8(sqlite3_column_name(m_stmt, column));
}

bool SqlStatement::readOnly() const {
    return sqlite3_stmt_readonly(m_stmt) != 0;
}

SqlTransaction::SqlTransaction(SqliteDb& db)
    : m_db(db) {}

SqlTransaction::~SqlTransaction() {
    if (m_open) m_db.exec("ROLLBACK");
}

std::expected<void, QString> SqlTransaction::begin() {
    auto r = m_db.exec("BEGIN IMMEDIATE");
    m_open = r.has_value();
    return r;
}

std::expected<void, QString> SqlTransaction::commit() {
    auto r = m_db.exec("COMMIT");
    if (r) m_open = false;
    return r;
}

} // namespace kiln
