#include "stores/kvreader.h"

#include "stores/keyrange.h"
#include "stores/kvschema.h"

#include <QFile>
#include <QFileInfo>

namespace kiln {

KvReader::KvReader(QString path)
    : m_path(std::move(path)) {}

std::unique_ptr<KvReader> KvReader::miniflare(QString file, QString blobsDir) {
    auto reader = std::make_unique<KvReader>(std::move(file));
    reader->m_blobs = std::move(blobsDir);
    return reader;
}

std::expected<void, StoreError> KvReader::open() {
    QMutexLocker lock(&m_mutex);
    return ready();
}

std::expected<qint64, StoreError> KvReader::dataVersion() {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    return m_db.dataVersion();
}

std::expected<void, StoreError> KvReader::ready() {
    if (m_db.isOpen()) return {};
    return m_db.open(m_path, SqliteDb::OpenMode::ReadOnly);
}

std::expected<KvKeyPage, StoreError> KvReader::keys(const std::optional<QByteArray>& after,
                                                    const QByteArray& prefix, int limit, qint64 now,
                                                    const QByteArray& contains) {
    if (auto bad = badPageLimit(limit)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    const bool mf = isMiniflare();
    SqlStatement q(m_db, contains.isEmpty()
                             ? (mf ? kvsql::kMiniflareList : kvsql::kList)
                             : (mf ? kvsql::kMiniflareListContaining : kvsql::kListContaining));
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    const QByteArray end = prefixEnd(prefix);
    q.bind(1, prefix);
    q.bind(2, end.isEmpty() ? SqlValue() : SqlValue(end));
    // An empty `after` is still a key to list after (bound as an empty BLOB, not NULL).
    q.bind(3, after ? SqlValue(*after) : SqlValue());
    q.bind(4, now);
    q.bind(5, qint64(limit) + 1); // one more than asked: tells whether another page follows
    if (!contains.isEmpty()) q.bind(6, contains);
    KvKeyPage page;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(m_db.lastStoreError());
        if (!*row) break;
        if (static_cast<int>(page.keys.size()) == limit) {
            page.more = true;
            break;
        }
        page.keys.push_back(
            {q.blob(0), q.isNull(1) ? std::nullopt : std::optional<qint64>(q.integer(1)),
             q.isNull(2) ? QByteArray() : q.text(2).toUtf8(),
             mf ? QFileInfo(m_blobs + QLatin1Char('/') + q.text(3)).size() : q.integer(3)});
    }
    return page;
}

std::expected<std::optional<KvEntry>, StoreError> KvReader::value(const QByteArray& key,
                                                                  qint64 now) {
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    SqlStatement q(m_db, isMiniflare() ? kvsql::kMiniflareGet : kvsql::kGet);
    if (!q.ok()) return std::unexpected(m_db.lastStoreError());
    q.bind(1, key);
    q.bind(2, now);
    auto row = q.step();
    if (!row) return std::unexpected(m_db.lastStoreError());
    if (!*row) return std::optional<KvEntry>();
    if (isMiniflare()) {
        QFile blob(m_blobs + QLatin1Char('/') + q.text(0));
        if (!blob.open(QIODevice::ReadOnly))
            return std::unexpected(
                StoreError{StoreError::Code::Missing,
                           QStringLiteral("%1: %2").arg(blob.fileName(), blob.errorString())});
        return std::optional<KvEntry>(KvEntry{
            blob.readAll(), q.isNull(1) ? std::nullopt : std::optional<qint64>(q.integer(1)),
            q.isNull(2) ? QByteArray() : q.text(2).toUtf8()});
    }
    return std::optional<KvEntry>(
        KvEntry{q.blob(0), q.isNull(1) ? std::nullopt : std::optional<qint64>(q.integer(1)),
                q.isNull(2) ? QByteArray() : q.text(2).toUtf8()});
}

} // namespace kiln
