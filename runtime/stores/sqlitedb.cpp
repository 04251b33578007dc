#include "stores/sqlitedb.h"

#include <QDir>
#include <QFileInfo>

#include <sqlite3.h>

namespace kiln {

SqliteDb::~SqliteDb()
{
    if (m_db)
        sqlite3_close_v2(m_db);
}

std::expected<void, QString> SqliteDb::open(const QString& path)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    m_path = path;
    const int rc = sqlite3_open_v2(QFile::encodeName(path).constData(), &m_db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const QString why = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        return std::unexpected(QStringLiteral("%1: cannot open: %2").arg(path, why));
    }
    sqlite3_busy_timeout(m_db, 10000);
    // WAL: readers never block the writer. synchronous=FULL: every commit is fsynced, so a
    // write acknowledged to the worker survives a kill -9 or a power cut.
    if (auto r = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r)
        return std::unexpected(QStringLiteral("%1: %2").arg(path, r.error()));
    return {};
}

std::expected<void, QString> SqliteDb::exec(const char* sql)
{
    char* error = nullptr;
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const QString why = QString::fromUtf8(error ? error : sqlite3_errmsg(m_db));
        sqlite3_free(error);
        return std::unexpected(why);
    }
    return {};
}

QString SqliteDb::lastError() const
{
    return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("database not open");
}

SqlStatement::SqlStatement(SqliteDb& db, const char* sql) : m_db(db)
{
    sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &m_stmt, nullptr);
}

SqlStatement::~SqlStatement() { sqlite3_finalize(m_stmt); }

void SqlStatement::bind(int index, const SqlValue& value)
{
    if (std::holds_alternative<std::monostate>(value)) {
        sqlite3_bind_null(m_stmt, index);
    } else if (const auto* i = std::get_if<qint64>(&value)) {
        sqlite3_bind_int64(m_stmt, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
        sqlite3_bind_double(m_stmt, index, *d);
    } else if (const auto* s = std::get_if<QString>(&value)) {
        const QByteArray utf8 = s->toUtf8();
        sqlite3_bind_text64(m_stmt, index, utf8.constData(), static_cast<sqlite3_uint64>(utf8.size()), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
        const QByteArray& b = std::get<QByteArray>(value);
        // A zero-length BLOB, not NULL, for empty bytes.
        sqlite3_bind_blob64(m_stmt, index, b.isEmpty() ? "" : b.constData(), static_cast<sqlite3_uint64>(b.size()), SQLITE_TRANSIENT);
    }
}

std::expected<bool, QString> SqlStatement::step()
{
    const int rc = sqlite3_step(m_stmt);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return std::unexpected(m_db.lastError());
}

void SqlStatement::reset()
{
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
}

qint64 SqlStatement::integer(int column) const { return sqlite3_column_int64(m_stmt, column); }

bool SqlStatement::isNull(int column) const { return sqlite3_column_type(m_stmt, column) == SQLITE_NULL; }

QByteArray SqlStatement::blob(int column) const
{
    const void* data = sqlite3_column_blob(m_stmt, column);
    return QByteArray(static_cast<const char*>(data), sqlite3_column_bytes(m_stmt, column));
}

QString SqlStatement::text(int column) const
{
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, column));
    return QString::fromUtf8(data, sqlite3_column_bytes(m_stmt, column));
}

SqlTransaction::SqlTransaction(SqliteDb& db) : m_db(db) {}

SqlTransaction::~SqlTransaction()
{
    if (m_open)
        m_db.exec("ROLLBACK");
}

std::expected<void, QString> SqlTransaction::begin()
{
    auto r = m_db.exec("BEGIN IMMEDIATE");
    m_open = r.has_value();
    return r;
}

std::expected<void, QString> SqlTransaction::commit()
{
    auto r = m_db.exec("COMMIT");
    if (r)
        m_open = false;
    return r;
}

} // namespace kiln
