#pragma once

#include "stores/statelayout.h"

#include <QString>
#include <QStringList>

#include <expected>
#include <vector>

namespace kiln {

struct ProjectConfig;

// The local state `wrangler dev` / `pywrangler dev` leave in `.wrangler/state/v3` (miniflare's
// layout), read-only: each binding's SQLite file is named by the Durable Object id workerd
// derives from the binding's id (objectId), KV values and R2 bytes are blob files. D1's file
// holds the user's tables as Kiln's does, so the D1 browser opens it as it is.
//
// import() copies a project's KV namespaces, D1 databases and R2 buckets from there into
// Kiln's state through Kiln's own store code (KvStore, D1Database's file, R2Bucket), so the
// result is what Kiln would have written: keys past their expiration are left out, R2
// objects keep their metadata (their upload time becomes the import's). A store that already
// holds data in Kiln is replaced only when `replace` is set; otherwise it is left and named.
class WranglerState {
public:
    explicit WranglerState(QString v3Dir);
    // `<project>/.wrangler/state/v3`.
    static QString defaultDir(const QString& projectRootDir);
    const QString& dir() const { return m_dir; }
    bool exists() const;

    // workerd's ActorIdFactory::idFromName: HMAC-SHA256 keyed by SHA-256(uniqueKey), the
    // name's first 16 bytes then those bytes' first 16, as 64 hex digits.
    static QString objectId(const QString& uniqueKey, const QString& name);
    QString kvFile(const QString& namespaceId) const;
    QString kvBlobs(const QString& namespaceId) const;
    QString d1File(const QString& databaseId) const;
    QString r2File(const QString& bucketName) const;
    QString r2Blobs(const QString& bucketName) const;
    // The project's bindings whose state is here (path: the SQLite file).
    std::vector<StoreLocation> locations(const ProjectConfig& project) const;

    struct Imported {
        QStringList done;    // "KV COUNTS: 12 keys", ...
        QStringList skipped; // stores left because Kiln already has data there
    };
    // `now` in seconds, for expirations.
    std::expected<Imported, QString> import(const ProjectConfig& project, const StateLayout& into,
                                            bool replace, qint64 now) const;

private:
    QString m_dir;
};

} // namespace kiln
