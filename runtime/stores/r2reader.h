#pragma once

#include "stores/r2bucket.h"
#include "stores/r2listing.h"
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

// A multipart upload begun and neither completed nor aborted.
struct R2PendingUpload {
    QString uploadId;
    QByteArray key;
    qint64 createdMs = 0;
    int parts = 0;
    qint64 bytes = 0; // of the parts uploaded so far
};

struct R2ObjectPage {
    std::vector<R2ObjectInfo> objects;
    bool more = false; // another page follows: ask again with after = objects.back().key
};

// An R2 bucket folder opened read-only, for the studio's browser while `kiln dev` may be
// writing it: reads the index and the blob files, never creates, cleans or waits (a lock
// fails the call with Busy, to be repeated later). Opens on first use and again after a
// failed open. Thread-safe.
class R2Reader {
public:
    explicit R2Reader(QString bucketDir);
    // Wrangler's local state instead (miniflare's layout: the bucket's SQLite file and the
    // folder of its blobs), read the same way; it has no multipart uploads to list.
    static std::unique_ptr<R2Reader> miniflare(QString file, QString blobsDir);
    bool isMiniflare() const { return !m_blobs.isEmpty(); }
    const QString& dir() const { return m_dir; }
    std::expected<void, StoreError> open();
    // Changes when anyone else commits to the store (SqliteDb::dataVersion).
    std::expected<qint64, StoreError> dataVersion();

    // Objects after `after` (from the first when empty), starting with `prefix`, at most
    // `limit` (>= 1), in key byte order. Unfinished multipart uploads are not objects.
    std::expected<R2ObjectPage, StoreError> objects(const std::optional<QByteArray>& after,
                                                    const QByteArray& prefix, int limit);
    // Objects and folders (keys grouped at `delimiter` after `prefix`, as R2's list does)
    // from `from` (>= prefix; the prefix itself when empty), at most `limit` of both.
    std::expected<R2Listing, StoreError> list(const QByteArray& prefix, const QByteArray& delimiter,
                                              const QByteArray& from, int limit);
    std::expected<std::optional<R2ObjectInfo>, StoreError> head(const QByteArray& key);
    // Multipart uploads in progress, oldest first.
    std::expected<std::vector<R2PendingUpload>, StoreError> uploads();
    // Up to `length` bytes of the object from `offset` (both clamped to its size); empty
    // when there is no such object.
    std::expected<std::optional<QByteArray>, StoreError> read(const QByteArray& key, qint64 offset,
                                                              qint64 length);

private:
    std::expected<void, StoreError> ready();
    std::expected<std::optional<R2ObjectInfo>, StoreError> lookup(const QByteArray& key);

    QString m_dir;
    QString m_file;  // the index: <dir>/index.sqlite, or miniflare's file
    QString m_blobs; // set: miniflare's layout, blobs named by their id
    QMutex m_mutex;
    SqliteDb m_db;
};

} // namespace kiln
