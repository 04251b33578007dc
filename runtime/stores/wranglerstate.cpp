#include "stores/wranglerstate.h"

#include "project/projectconfig.h"
#include "stores/d1reader.h"
#include "stores/kvstore.h"
#include "stores/r2bucket.h"
#include "stores/sqlitedb.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>

#include <sqlite3.h>

#include <functional>

namespace kiln {

namespace {

QString failed(const QString& what, const QString& why) {
    return QStringLiteral("%1: %2").arg(what, why);
}

// True when Kiln's store at `path` has anything in it (a missing file has nothing).
bool kilnHasData(const QString& path, const char* countSql) {
    if (!QFileInfo::exists(path)) return false;
    SqliteDb db;
    if (!db.open(path, SqliteDb::OpenMode::ReadOnly)) return true; // unknown: do not overwrite
    SqlStatement q(db, countSql);
    auto row = q.ok() ? q.step() : std::expected<bool, QString>(false);
    return !row || (*row && q.integer(0) > 0);
}

std::expected<int, QString> importKv(const WranglerState& from, const QString& id,
                                     const QString& to, qint64 now) {
    SqliteDb source;
    if (auto r = source.open(from.kvFile(id), SqliteDb::OpenMode::ReadOnly); !r)
        return std::unexpected(r.error().message);
    KvStore target(to);
    if (auto r = target.open(); !r) return std::unexpected(r.error());
    SqlStatement q(source,
                   "SELECT key, blob_id, expiration, metadata FROM _mf_entries ORDER BY key");
    if (!q.ok()) return std::unexpected(source.lastError());
    int count = 0;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        // miniflare keeps expirations in ms; KV's API (and Kiln) in seconds.
        const std::optional<qint64> expiration =
            q.isNull(2) ? std::nullopt : std::optional<qint64>(q.integer(2) / 1000);
        if (expiration && *expiration <= now) continue;
        QFile blob(from.kvBlobs(id) + QLatin1Char('/') + q.text(1));
        if (!blob.open(QIODevice::ReadOnly))
            return std::unexpected(failed(blob.fileName(), blob.errorString()));
        auto put = target.put(q.text(0).toUtf8(), blob.readAll(), expiration,
                              q.isNull(3) ? QByteArray() : q.text(3).toUtf8(), now);
        if (!put) return std::unexpected(failed(q.text(0), put.error().message));
        ++count;
    }
    return count;
}

// The whole database file, copied by SQLite's backup API (consistent even if wrangler runs),
// then D1's bookkeeping (_cf_ tables) dropped from the copy.
std::expected<int, QString> importD1(const QString& fromFile, const QString& to) {
    QDir().mkpath(QFileInfo(to).absolutePath());
    sqlite3* source = nullptr;
    sqlite3* target = nullptr;
    const auto close = qScopeGuard([&] {
        sqlite3_close(source);
        sqlite3_close(target);
    });
    if (sqlite3_open_v2(fromFile.toUtf8().constData(), &source, SQLITE_OPEN_READONLY, nullptr) !=
        SQLITE_OK)
        return std::unexpected(failed(fromFile, QString::fromUtf8(sqlite3_errmsg(source))));
    if (sqlite3_open(to.toUtf8().constData(), &target) != SQLITE_OK)
        return std::unexpected(failed(to, QString::fromUtf8(sqlite3_errmsg(target))));
    sqlite3_busy_timeout(target, 10000);
    sqlite3_backup* backup = sqlite3_backup_init(target, "main", source, "main");
    if (!backup) return std::unexpected(failed(to, QString::fromUtf8(sqlite3_errmsg(target))));
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE)
        return std::unexpected(failed(to, QString::fromUtf8(sqlite3_errstr(rc))));
    QStringList internal;
    sqlite3_stmt* list = nullptr;
    sqlite3_prepare_v2(
        target,
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '\\_cf\\_%' ESCAPE '\\'",
        -1, &list, nullptr);
    while (list && sqlite3_step(list) == SQLITE_ROW)
        internal << QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
    sqlite3_finalize(list);
    for (const QString& table : internal)
        sqlite3_exec(target, ("DROP TABLE " + sqlQuoteIdentifier(table)).toUtf8().constData(),
                     nullptr, nullptr, nullptr);
    sqlite3_exec(target, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    D1Reader reader(to);
    auto tables = reader.tables();
    return tables ? int(tables->size()) : 0;
}

std::expected<int, QString> importR2(const WranglerState& from, const QString& bucket,
                                     const QString& to) {
    SqliteDb source;
    if (auto r = source.open(from.r2File(bucket), SqliteDb::OpenMode::ReadOnly); !r)
        return std::unexpected(r.error().message);
    R2Bucket target(to);
    if (auto r = target.open(); !r) return std::unexpected(r.error());
    SqlStatement q(
        source,
        "SELECT key, blob_id, http_metadata, custom_metadata FROM _mf_objects ORDER BY key");
    if (!q.ok()) return std::unexpected(source.lastError());
    int count = 0;
    for (;;) {
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto upload = target.beginUpload();
        if (!upload) return std::unexpected(upload.error().message);
        // Streamed: an object of any size passes through in 1 MiB pieces.
        if (!q.isNull(1)) {
            QFile blob(from.r2Blobs(bucket) + QLatin1Char('/') + q.text(1));
            if (!blob.open(QIODevice::ReadOnly))
                return std::unexpected(failed(blob.fileName(), blob.errorString()));
            while (!blob.atEnd())
                if (!(*upload)->append(blob.read(1 << 20)))
                    return std::unexpected((*upload)->error());
        }
        R2PutOptions options;
        options.httpMetadata = q.text(2).toUtf8();
        options.customMetadata = q.text(3).toUtf8();
        auto put = target.put(q.text(0).toUtf8(), **upload, options);
        if (!put) return std::unexpected(failed(q.text(0), put.error().message));
        ++count;
    }
    return count;
}

} // namespace

WranglerState::WranglerState(QString v3Dir)
    : m_dir(std::move(v3Dir)) {}

QString WranglerState::defaultDir(const QString& projectRootDir) {
    return QDir(projectRootDir).filePath(QStringLiteral(".wrangler/state/v3"));
}

bool WranglerState::exists() const {
    return QFileInfo(m_dir).isDir();
}

QString WranglerState::objectId(const QString& uniqueKey, const QString& name) {
    const QByteArray key = QCryptographicHash::hash(uniqueKey.toUtf8(), QCryptographicHash::Sha256);
    const QByteArray first =
        QMessageAuthenticationCode::hash(name.toUtf8(), key, QCryptographicHash::Sha256).left(16);
    const QByteArray second =
        QMessageAuthenticationCode::hash(first, key, QCryptographicHash::Sha256).left(16);
    return QString::fromLatin1((first + second).toHex());
}

QString WranglerState::kvFile(const QString& namespaceId) const {
    return QStringLiteral("%1/kv/miniflare-KVNamespaceObject/%2.sqlite")
        .arg(m_dir, objectId(QStringLiteral("miniflare-KVNamespaceObject"), namespaceId));
}

QString WranglerState::kvBlobs(const QString& namespaceId) const {
    return QStringLiteral("%1/kv/%2/blobs").arg(m_dir, StateLayout::safeName(namespaceId));
}

QString WranglerState::d1File(const QString& databaseId) const {
    return QStringLiteral("%1/d1/miniflare-D1DatabaseObject/%2.sqlite")
        .arg(m_dir, objectId(QStringLiteral("miniflare-D1DatabaseObject"), databaseId));
}

QString WranglerState::r2File(const QString& bucketName) const {
    return QStringLiteral("%1/r2/miniflare-R2BucketObject/%2.sqlite")
        .arg(m_dir, objectId(QStringLiteral("miniflare-R2BucketObject"), bucketName));
}

QString WranglerState::r2Blobs(const QString& bucketName) const {
    return QStringLiteral("%1/r2/%2/blobs").arg(m_dir, StateLayout::safeName(bucketName));
}

std::vector<StoreLocation> WranglerState::locations(const ProjectConfig& project) const {
    std::vector<StoreLocation> out;
    for (const StoreLocation& kiln : StateLayout(m_dir).locations(project)) {
        // Miniflare keeps workflow instances in a Durable Object Kiln does not read.
        if (kiln.kind == StoreKind::Workflow) continue;
        StoreLocation here = kiln;
        here.wrangler = true;
        here.path = kiln.kind == StoreKind::Kv   ? kvFile(kiln.id)
                    : kiln.kind == StoreKind::D1 ? d1File(kiln.id)
                                                 : r2File(kiln.id);
        here.blobs = kiln.kind == StoreKind::Kv   ? kvBlobs(kiln.id)
                     : kiln.kind == StoreKind::R2 ? r2Blobs(kiln.id)
                                                  : QString();
        if (QFileInfo::exists(here.path)) out.push_back(here);
    }
    return out;
}

std::expected<WranglerState::Imported, QString> WranglerState::import(const ProjectConfig& project,
                                                                      const StateLayout& into,
                                                                      bool replace,
                                                                      qint64 now) const {
    if (!exists()) return std::unexpected(QStringLiteral("%1: no wrangler state here").arg(m_dir));
    Imported result;
    for (const StoreLocation& store : locations(project)) {
        // Per kind: where Kiln keeps it, how to tell it holds data, how to clear it, how to
        // fill it, and what its count is of.
        QString to, probe, unit;
        const char* countSql = nullptr;
        std::function<std::expected<int, QString>()> fill;
        if (store.kind == StoreKind::Kv) {
            to = probe = into.kvFile(store.id);
            countSql = "SELECT count(*) FROM kv";
            unit = QStringLiteral("keys");
            fill = [&] { return importKv(*this, store.id, to, now); };
        } else if (store.kind == StoreKind::D1) {
            to = probe = into.d1File(store.id);
            countSql = "SELECT count(*) FROM sqlite_schema WHERE type = 'table'";
            unit = QStringLiteral("tables");
            fill = [&] { return importD1(store.path, to); };
        } else {
            to = into.r2Dir(store.id);
            probe = to + QStringLiteral("/index.sqlite");
            countSql = "SELECT count(*) FROM objects";
            unit = QStringLiteral("objects");
            fill = [&] { return importR2(*this, store.id, to); };
        }
        const QString label =
            QStringLiteral("%1 %2").arg(store.kind == StoreKind::Kv   ? QStringLiteral("KV")
                                        : store.kind == StoreKind::D1 ? QStringLiteral("D1")
                                                                      : QStringLiteral("R2"),
                                        store.binding);
        if (kilnHasData(probe, countSql)) {
            if (!replace) {
                result.skipped << label;
                continue;
            }
            if (store.kind == StoreKind::R2) {
                QDir(to).removeRecursively();
            } else {
                for (const char* suffix : {"", "-wal", "-shm"})
                    QFile::remove(to + QLatin1String(suffix));
            }
        }
        auto n = fill();
        if (!n) return std::unexpected(QStringLiteral("%1: %2").arg(label, n.error()));
        result.done << QStringLiteral("%1: %2 %3").arg(label).arg(*n).arg(unit);
    }
    return result;
}

} // namespace kiln
