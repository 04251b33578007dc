#pragma once

#include "stores/storeerror.h"

#include <QByteArray>
#include <QString>

#include <expected>
#include <optional>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kiln {

// A value as SQLite stores it: NULL, INTEGER, REAL, TEXT (UTF-8) or BLOB.
using SqlValue = std::variant<std::monostate, qint64, double, QString, QByteArray>;

// One SQLite connection with the durability settings every Kiln store uses: WAL, fsync on
// every commit (synchronous=FULL), a busy timeout so `kiln kv ...` and a running `kiln dev`
// can share a file. Not thread-safe: each store serialises access to its connection.
//
// ReadOnly is for looking at a store another process (`kiln dev`) may be writing: it never
// creates, converts or migrates anything, and it has no busy timeout, so a lock held
// elsewhere fails the call at once with StoreError::Code::Busy instead of blocking the
// caller's (GUI) thread. In WAL mode readers are not blocked by a writer's transaction;
// SQLite may create the -wal/-shm files beside a WAL database it reads (it needs them).
class SqliteDb {
public:
    enum class OpenMode { ReadWrite, ReadOnly };

    SqliteDb() = default;
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    // ReadWrite creates the file (and its folder) if needed. ReadOnly fails with Missing
    // ("no such store file: PATH") when there is no file, and reads the schema once so that
    // a file that is not a database, or is locked, is reported here.
    std::expected<void, StoreError> open(const QString& path, OpenMode mode = OpenMode::ReadWrite);
    void close();
    bool isOpen() const { return m_db != nullptr; }
    sqlite3* handle() const { return m_db; }
    const QString& path() const { return m_path; }

    // Runs one or more statements without results.
    std::expected<void, QString> exec(const char* sql);
    // The text SQLite gives for the connection's last error.
    QString lastError() const;
    // The connection's last error, classified; the message is prefixed with the path.
    StoreError lastStoreError() const;
    // PRAGMA data_version: changes whenever another connection (this process or another)
    // commits to the file, so a browser can poll it cheaply to learn that it should re-read.
    std::expected<qint64, StoreError> dataVersion();
    // Busy for SQLITE_BUSY/SQLITE_LOCKED, Corrupt for SQLITE_CORRUPT/SQLITE_NOTADB, ...
    static StoreError::Code classify(int sqliteCode);

private:
    sqlite3* m_db = nullptr;
    QString m_path;
};

// A column of a stepped statement as a SqlValue.
SqlValue sqlColumnValue(sqlite3_stmt* stmt, int column);
// `name` as a quoted SQL identifier ("a""b"), for table names that cannot be bound.
QString sqlQuoteIdentifier(const QString& name);

// A prepared statement; reset and rebound for each use.
class SqlStatement {
public:
    SqlStatement(SqliteDb& db, const char* sql);
    ~SqlStatement();
    SqlStatement(const SqlStatement&) = delete;
    SqlStatement& operator=(const SqlStatement&) = delete;

    bool ok() const { return m_stmt != nullptr; }
    void bind(int index, const SqlValue& value); // 1-based
    // SQLITE_ROW -> true, SQLITE_DONE -> false, errors -> unexpected with SQLite's message.
    std::expected<bool, QString> step();
    void reset();

    qint64 integer(int column) const;
    bool isNull(int column) const;
    QByteArray blob(int column) const;
    QString text(int column) const;
    SqlValue value(int column) const;
    int columnCount() const;
    QString columnName(int column) const;
    // True when the statement cannot change the database (sqlite3_stmt_readonly).
    bool readOnly() const;

private:
    SqliteDb& m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

// Resets a statement that is kept for reuse when the scope ends: one left stepping would
// hold its read transaction open (and its bindings).
class SqlResetLater {
public:
    explicit SqlResetLater(SqlStatement& statement)
        : m_statement(statement) {}
    ~SqlResetLater() { m_statement.reset(); }
    SqlResetLater(const SqlResetLater&) = delete;
    SqlResetLater& operator=(const SqlResetLater&) = delete;

private:
    SqlStatement& m_statement;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
class SqlTransaction {
public:
    explicit SqlTransaction(SqliteDb& db);
    ~SqlTransaction();
    std::expected<void, QString> begin();
    std::expected<void, QString> commit();

private:
    SqliteDb& m_db;
    bool m_open = false;
};

} // namespace kiln
