#include "stores/r2reader.h"

#include "stores/keyrange.h"
#include "stores/r2schema.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace kiln {

R2Reader::R2Reader(QString bucketDir)
    : m_dir(std::move(bucketDir))
    , m_file(r2sql::indexFile(m_dir)) {}

std::unique_ptr<R2Reader> R2Reader::miniflare(QString file, QString blobsDir) {
    auto reader = std::make_unique<R2Reader>(QFileInfo(blobsDir).absolutePath());
    reader->m_file = std::move(file);
    reader->m_blobs = std::move(blobsDir);
    return reader;
}

std::expected<void, StoreError> R2Reader::open() {
    QMutexLocker lock(&m_mutex);
    return ready();
}

std::expected<qint64, StoreError> R2Reader::dataVersion() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    return m_db.dataVersion();
}

std::expected<void, StoreError> R2Reader::ready() {
    if (m_db.isOpen()) return {};
    return m_db.open(m_file, SqliteDb::OpenMode::ReadOnly);
}

std::expected<R2ObjectPage, StoreError> R2Reader::objects(const std::optional<QByteArray>& after,
                                                          const QByteArray& prefix, int limit) {
    if (auto bad = badPageLimit(limit)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    // key + NUL is the smallest key after key in byte order.
    QByteArray lower = prefix;
    if (after && *after + QByteArray(1, '\0') > lower) lower = *after + QByteArray(1, '\0');
    const QByteArray end = prefixEnd(prefix);
    SqlStatement q(m_db, isMiniflare() ? r2sql::kMiniflareListFrom : r2sql::kListFrom);
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, lower);
    q.bind(2, end.isEmpty() ? SqlValue() : SqlValue(end));
    q.bind(3, qint64(limit) + 1); // one more than asked: tells whether another page follows
    R2ObjectPage page;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        if (static_cast<int>(page.objects.size()) == limit) {
            page.more = true;
            break;
        }
        page.objects.push_back(r2sql::objectInfo(q));
    }
    return page;
}

std::expected<R2Listing, StoreError> R2Reader::list(const QByteArray& prefix,
                                                    const QByteArray& delimiter,
                                                    const QByteArray& from, int limit) {
    if (auto bad = badPageLimit(limit)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    auto walked = R2Listing::walk(m_db, prefix, delimiter, std::max(prefix, from), limit,
                                  isMiniflare() ? r2sql::kMiniflareListFrom : r2sql::kListFrom);
    if (!walked) return std::unexpected(m_db.lastStoreError());
    return std::move(*walked);
}

std::expected<std::vector<R2PendingUpload>, StoreError> R2Reader::uploads() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    if (isMiniflare()) return std::vector<R2PendingUpload>();
    SqlStatement q(m_db, "SELECT u.upload_id, u.key, u.created, count(p.part_number),"
                         " coalesce(sum(p.size), 0) FROM multipart_uploads u"
                         " LEFT JOIN multipart_parts p ON p.upload_id = u.upload_id"
                         " GROUP BY u.upload_id ORDER BY u.created, u.upload_id");
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    std::vector<R2PendingUpload> out;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        out.push_back({q.text(0), q.blob(1), q.integer(2), int(q.integer(3)), q.integer(4)});
    }
    return out;
}

std::expected<std::optional<R2ObjectInfo>, StoreError> R2Reader::lookup(const QByteArray& key) {
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, isMiniflare() ? r2sql::kMiniflareLookup : r2sql::kLookup);
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, key);
    auto row = q.step();
    if (!row) return std::unexpected(m_db.lastStoreError());
    if (!*row) return std::optional<R2ObjectInfo>();
    return std::optional<R2ObjectInfo>(r2sql::objectInfo(q));
}

std::expected<std::optional<R2ObjectInfo>, StoreError> R2Reader::head(const QByteArray& key) {
    QMutexLocker lock(&m_mutex);
    return lookup(key);
}

std::expected<std::optional<QByteArray>, StoreError> R2Reader::read(const QByteArray& key,
                                                                    qint64 offset, qint64 length) {
    QMutexLocker lock(&m_mutex);
    QString missing;
    // The writer removes a blob once no row names it, so between our lookup and our open an
    // overwrite or delete can take the file away: look again, a few times. (Once open, the
    // file stays readable even if removed.)
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto found = lookup(key);
        if (!found) return std::unexpected(found.error());
        if (!*found) return std::optional<QByteArray>();
        const R2ObjectInfo& info = **found;
        QFile blob(isMiniflare() ? m_blobs + QLatin1Char('/') + info.blob
                                 : r2sql::blobPath(m_dir, info.blob));
        if (!blob.open(QIODevice::ReadOnly)) {
            missing = blob.fileName();
            continue;
        }
        const qint64 from = std::clamp<qint64>(offset, 0, info.size);
        const qint64 count = std::clamp<qint64>(length, 0, info.size - from);
        if (!blob.seek(from))
            return std::unexpected(
                StoreError{StoreError::Code::Other,
                           QStringLiteral("%1: %2").arg(blob.fileName(), blob.errorString())});
        QByteArray bytes = blob.read(count);
        if (bytes.size() != count)
            return std::unexpected(
                StoreError{StoreError::Code::Corrupt,
                           QStringLiteral("%1: holds fewer bytes than the index says (%2)")
                               .arg(blob.fileName())
                               .arg(info.size)});
        return std::optional<QByteArray>(std::move(bytes));
    }
    return std::unexpected(
        StoreError{StoreError::Code::Corrupt,
                   QStringLiteral("%1: the object's bytes are missing").arg(missing)});
}

} // namespace kiln
