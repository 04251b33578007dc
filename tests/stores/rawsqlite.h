#pragma once

// What another process or tool does to a store file, for the read-only store tests: a plain
// SQLite connection, and a lock released later on another thread.

#include <QFile>
#include <QString>

#include <chrono>
#include <functional>
#include <thread>

#include <sqlite3.h>

namespace kiln::test {

class RawSqlite {
public:
    explicit RawSqlite(const QString& path,
                       int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
        if (sqlite3_open_v2(QFile::encodeName(path).constData(), &m_db, flags, nullptr) !=
            SQLITE_OK)
            close();
    }
    ~RawSqlite() { close(); }
    RawSqlite(const RawSqlite&) = delete;
    RawSqlite& operator=(const RawSqlite&) = delete;

    bool ok() const { return m_db != nullptr; }
    void close() {
        sqlite3_close_v2(m_db);
        m_db = nullptr;
    }
    bool exec(const char* sql) {
        return m_db && sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    QString error() const {
        return m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QStringLiteral("not open");
    }
    // The first column of the first row as text; "<error: ...>" when the statement fails.
    QString scalar(const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        if (!m_db || sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK)
            return QStringLiteral("<error: %1>").arg(error());
        QString out;
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            out = QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
        else if (rc != SQLITE_DONE)
            out = QStringLiteral("<error: %1>").arg(error());
        sqlite3_finalize(stmt);
        return out;
    }

private:
    sqlite3* m_db = nullptr;
};

// Runs `release` on another thread after `delay`. A reader that waited for a lock instead of
// failing at once would then succeed: a Busy answer before the release shows it did not
// wait, without timing anything.
class LateRelease {
public:
    LateRelease(std::chrono::milliseconds delay, std::function<void()> release)
        : m_thread([delay, release = std::move(release)] {
            std::this_thread::sleep_for(delay);
            release();
        }) {}
    ~LateRelease() { wait(); }
    void wait() {
        if (m_thread.joinable()) m_thread.join();
    }

private:
    std::thread m_thread;
};

} // namespace kiln::test
