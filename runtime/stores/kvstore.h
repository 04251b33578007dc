#pragma once

#include "stores/sqlitedb.h"

#include <QByteArray>
#include <QMutex>
#include <QString>

#include <expected>
#include <memory>
#include <optional>
#include <vector>

namespace kiln {

// A KV failure as Cloudflare reports it: an HTTP-like status and its message. The binding
// turns it into "KV <OP> failed: <status> <message>", the text workerd's errors carry.
struct KvError {
    int status = 500;
    QString message;
};

struct KvEntry {
    QByteArray value;
    std::optional<qint64> expiration; // seconds since the epoch
    QByteArray metadata;              // JSON text; empty when none was stored
};

struct KvKeyInfo {
    QByteArray name;
    std::optional<qint64> expiration;
    QByteArray metadata;
};

struct KvListResult {
    std::vector<KvKeyInfo> keys;
    bool complete = true;
    QByteArray cursor; // opaque; empty when complete
};

// One KV namespace in one SQLite file (`<persist>/kv/<namespace id>.sqlite`): keys as BLOBs,
// so listing is ordered by key bytes as on Cloudflare. Thread-safe (one connection behind a
// mutex); every write is one fsynced transaction. Expired keys are invisible at once and
// deleted when the store next opens. Times are passed in (seconds) so tests can move them.
class KvStore {
public:
    static constexpr int kMaxKeyBytes = 512;
    static constexpr qsizetype kMaxValueBytes = 25 * 1024 * 1024;
    static constexpr int kMaxMetadataBytes = 1024;
    static constexpr int kMinTtlSeconds = 60;
    static constexpr int kMaxListLimit = 1000;

    explicit KvStore(QString path);
    std::expected<void, QString> open();
    const QString& path() const { return m_path; }

    std::expected<std::optional<KvEntry>, KvError> get(const QByteArray& key, qint64 now);
    // `expiration` is absolute; the binding turns expirationTtl into one.
    std::expected<void, KvError> put(const QByteArray& key, const QByteArray& value,
                                     std::optional<qint64> expiration, const QByteArray& metadata,
                                     qint64 now);
    std::expected<void, KvError> remove(const QByteArray& key);
    std::expected<KvListResult, KvError> list(const QByteArray& prefix, int limit,
                                              const QByteArray& cursor, qint64 now);

    static std::optional<KvError> checkKey(const QByteArray& key);

private:
    std::expected<void, KvError> ready();

    QString m_path;
    QMutex m_mutex;
    SqliteDb m_db;
    std::unique_ptr<SqlStatement> m_get; // after m_db: finalized before it closes
    QString m_openError;
};

} // namespace kiln
