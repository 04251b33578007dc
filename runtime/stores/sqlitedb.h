#pragma once

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
class SqliteDb {
public:
    SqliteDb() = default;
    ~SqliteDb();
    SqliteDb(const SqliteDb&) = delete;
    SqliteDb& operator=(const SqliteDb&) = delete;

    // Creates the file (and its folder) if needed.
    std::expected<void, QString> open(const QString& path);
    bool isOpen() const { return m_db != nullptr; }
    sqlite3* handle() const { return m_db; }
    const QString& path() const { return m_path; }

    // Runs one or more statements without results.
    std::expected<void, QString> exec(const char* sql);
    // The text SQLite gives for the connection's last error.
    QString lastError() const;

private:
    sqlite3* m_db = nullptr;
    QString m_path;
};

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

private:
    SqliteDb& m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

// Resets a statement that is kept for reuse when the scope ends: one left stepping would
// hold its read transaction open (and its bindings).
class SqlResetLater {
public:
    explicit SqlResetLater(SqlStatement& statement) : m_statement(statement) {}
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
