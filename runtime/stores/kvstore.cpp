#include "stores/kvstore.h"

#include "stores/keyrange.h"
#include "stores/kvschema.h"

namespace kiln {

namespace {

KvError storeError(const QString& why) {
    return KvError{500, why};
}

} // namespace

KvStore::KvStore(QString path)
    : m_path(std::move(path)) {}

std::expected<void, QString> KvStore::open() {
    QMutexLocker lock(&m_mutex);
    if (m_db.isOpen()) return {};
    if (auto r = m_db.open(m_path); !r) {
        m_openError = r.error().message;
        return std::unexpected(m_openError);
    }
    auto r = m_db.exec(kvsql::kCreate);
    if (!r) {
        m_openError = QStringLiteral("%1: %2").arg(m_path, r.error());
        return std::unexpected(m_openError);
    }
    // Expired keys are already invisible; this reclaims their space.
    m_db.exec("DELETE FROM kv WHERE expiration IS NOT NULL AND expiration <= "
              "CAST(strftime('%s','now') AS INTEGER)");
    return {};
}

std::expected<void, KvError> KvStore::ready() {
    if (!m_db.isOpen())
        return std::unexpected(storeError(
            m_openError.isEmpty() ? QStringLiteral("%1: not open").arg(m_path) : m_openError));
    return {};
}

std::optional<KvError> KvStore::checkKey(const QByteArray& key) {
    if (key.isEmpty()) return KvError{400, QStringLiteral("Key names must not be empty")};
    if (key == "." || key == "..")
        return KvError{400, QStringLiteral("Illegal key name \"%1\". Please use a different name.")
                                .arg(QString::fromUtf8(key))};
    if (key.size() > kMaxKeyBytes)
        return KvError{414,
                       QStringLiteral("UTF-8 encoded length of %1 exceeds key length limit of %2.")
                           .arg(key.size())
                           .arg(kMaxKeyBytes)};
    return std::nullopt;
}

std::expected<std::optional<KvEntry>, KvError> KvStore::get(const QByteArray& key, qint64 now) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    // Prepared once: every get comes here.
    if (!m_get) m_get = std::make_unique<SqlStatement>(m_db, kvsql::kGet);
    SqlStatement& q = *m_get;
    const SqlResetLater resetLater(q);
    q.bind(1, key);
    q.bind(2, now);
    auto row = q.step();
    if (!row) return std::unexpected(storeError(row.error()));
    if (!*row) return std::optional<KvEntry>();
    KvEntry entry{q.blob(0), q.isNull(1) ? std::nullopt : std::optional<qint64>(q.integer(1)),
                  q.isNull(2) ? QByteArray() : q.text(2).toUtf8()};
    return std::optional<KvEntry>(std::move(entry));
}

std::expected<void, KvError> KvStore::put(const QByteArray& key, const QByteArray& value,
                                          std::optional<qint64> expiration,
                                          const QByteArray& metadata, qint64 now) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    if (value.size() > kMaxValueBytes)
        return std::unexpected(
            KvError{413, QStringLiteral("Value length of %1 exceeds limit of %2.")
                             .arg(value.size())
                             .arg(kMaxValueBytes)});
    if (metadata.size() > kMaxMetadataBytes)
        return std::unexpected(
            KvError{413, QStringLiteral("Metadata length of %1 exceeds limit of %2.")
                             .arg(metadata.size())
                             .arg(kMaxMetadataBytes)});
    if (expiration && *expiration < now + kMinTtlSeconds)
        return std::unexpected(
            KvError{400, QStringLiteral("Invalid expiration of %1. Please specify integer greater "
                                        "than the current number of seconds since the UNIX epoch.")
                             .arg(*expiration)});
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return r;
    SqlStatement q(
        m_db, "INSERT OR REPLACE INTO kv (key, value, expiration, metadata) VALUES (?, ?, ?, ?)");
    q.bind(1, key);
    q.bind(2, value);
    q.bind(3, expiration ? SqlValue(*expiration) : SqlValue());
    q.bind(4, metadata.isEmpty() ? SqlValue() : SqlValue(QString::fromUtf8(metadata)));
    // One statement in autocommit mode is its own transaction, fsynced (synchronous=FULL).
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    return {};
}

std::expected<void, KvError> KvStore::remove(const QByteArray& key) {
    if (auto bad = checkKey(key)) return std::unexpected(*bad);
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return r;
    SqlStatement q(m_db, "DELETE FROM kv WHERE key = ?");
    q.bind(1, key);
    if (auto r = q.step(); !r) return std::unexpected(storeError(r.error()));
    return {};
}

std::expected<KvListResult, KvError> KvStore::list(const QByteArray& prefix, int limit,
                                                   const QByteArray& cursor, qint64 now) {
    if (limit < 1)
        return std::unexpected(KvError{
            400, QStringLiteral(
                     "Invalid key_count_limit of %1. Please specify an integer greater than 0.")
                     .arg(limit)});
    if (limit > kMaxListLimit)
        return std::unexpected(KvError{
            400,
            QStringLiteral("Invalid key_count_limit of %1. Please specify an integer less than %2.")
                .arg(limit)
                .arg(kMaxListLimit + 1)});
    const auto decoded = QByteArray::fromBase64Encoding(
        cursor, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals |
                    QByteArray::AbortOnBase64DecodingErrors);
    const QByteArray after = cursor.isEmpty() ? QByteArray() : decoded.decoded;
    if (!cursor.isEmpty() && (!decoded || after.isEmpty()))
        return std::unexpected(
            KvError{400, QStringLiteral("Invalid cursor: \"%1\"").arg(QString::fromUtf8(cursor))});
    QMutexLocker lock(&m_mutex);
    if (auto r = ready(); !r) return std::unexpected(r.error());
    const QByteArray end = prefixEnd(prefix);
    SqlStatement q(m_db, kvsql::kList);
    q.bind(1, prefix);
    q.bind(2, end.isEmpty() ? SqlValue() : SqlValue(end));
    q.bind(3, after.isEmpty() ? SqlValue() : SqlValue(after));
    q.bind(4, now);
    q.bind(5, qint64(limit) + 1);
    KvListResult result;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(storeError(row.error()));
        if (!*row) break;
        if (static_cast<int>(result.keys.size()) == limit) {
            result.complete = false;
            result.cursor = result.keys.back().name.toBase64(QByteArray::Base64UrlEncoding |
                                                             QByteArray::OmitTrailingEquals);
            break;
        }
        result.keys.push_back({q.blob(0),
                               q.isNull(1) ? std::nullopt : std::optional<qint64>(q.integer(1)),
                               q.isNull(2) ? QByteArray() : q.text(2).toUtf8()});
    }
    return result;
}

} // namespace kiln
