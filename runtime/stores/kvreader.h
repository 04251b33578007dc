#pragma once

#include "stores/kvstore.h"
#include "stores/sqlitedb.h"
#include "stores/storeerror.h"

#include <QByteArray>
#include <QMutex>
#include <QString>

#include <expected>
#include <memory>
#include <optional>
#include <vector>

namespace kiln {

// One key as a data browser shows it.
struct KvKeyRow {
    QByteArray name;
    std::optional<qint64> expiration; // seconds since the epoch
    QByteArray metadata;              // JSON text; empty when none was stored
    qint64 valueBytes = 0;
};

struct KvKeyPage {
    std::vector<KvKeyRow> keys;
    bool more = false; // another page follows: ask again with after = keys.back().name
};

// A KV namespace file opened read-only, for the studio's browser while `kiln dev` may be
// writing it. Unlike KvStore it never creates the file, never deletes expired keys (they
// are only left out) and never waits for a lock: a call that meets one fails with
// StoreError::Code::Busy and may be repeated later. Opens on first use (and again after a
// failed open), so a browser can keep asking until the store exists. Thread-safe.
class KvReader {
public:
    explicit KvReader(QString path);
    // Wrangler's local state instead (miniflare's layout: the namespace's SQLite file and the
    // folder of its value blobs), read the same way.
    static std::unique_ptr<KvReader> miniflare(QString file, QString blobsDir);
    bool isMiniflare() const { return !m_blobs.isEmpty(); }
    const QString& path() const { return m_path; }
    std::expected<void, StoreError> open();
    // Changes when anyone else commits to the store (SqliteDb::dataVersion).
    std::expected<qint64, StoreError> dataVersion();

    // Keys after `after` (from the first when empty), starting with `prefix`, at most `limit`
    // (>= 1), in key byte order, keys expired at `now` (seconds) left out; when `contains`
    // is not empty, only keys holding those bytes somewhere.
    std::expected<KvKeyPage, StoreError> keys(const std::optional<QByteArray>& after,
                                              const QByteArray& prefix, int limit, qint64 now,
                                              const QByteArray& contains = {});
    // One key's value; empty when there is none or it expired at `now`.
    std::expected<std::optional<KvEntry>, StoreError> value(const QByteArray& key, qint64 now);

private:
    std::expected<void, StoreError> ready();

    QString m_path;
    QString m_blobs; // set: miniflare's layout
    QMutex m_mutex;
    SqliteDb m_db;
};

} // namespace kiln
