#pragma once

#include "stores/storekind.h"

#include <QString>

#include <vector>

namespace kiln {

struct ProjectConfig;

// Where one binding's state lives, for the studio's inspectors.
struct StoreLocation {
    QString binding; // the name on env, as in the config
    StoreKind kind = StoreKind::Kv;
    QString id;   // what the state is keyed by: namespace id, database_id, bucket_name
    QString path; // a file, or for R2 the bucket's folder
    // Wrangler's local state (WranglerState), shown read-only: `path` is miniflare's SQLite
    // file and `blobs` its folder of KV values or R2 bytes (empty for D1).
    bool wrangler = false;
    QString blobs;
};

// The single place that knows where binding state lives (ARCHITECTURE §5): `kiln dev`, the
// `kiln kv|d1|r2` commands, the bindings and the studio all ask it, so they always agree on
// which file is which binding's. Ids come from the user's config and are each made into one
// safe file name: no separators, no NUL, never "", "." or "..", so no id reaches outside
// its folder. A plain value; no I/O.
class StateLayout {
public:
    explicit StateLayout(QString root);

    // `<project>/.kiln/state`, wrangler's `.wrangler/state` in Kiln's folder.
    static QString defaultRoot(const QString& projectRootDir);
    // `--persist-to` made absolute (against the working directory) when given, else the
    // project's default root.
    static StateLayout forProject(const ProjectConfig& project, const QString& persistTo = {});

    const QString& root() const { return m_root; }
    QString kvFile(const QString& namespaceId) const;        // root/kv/<id>.sqlite
    QString d1File(const QString& databaseId) const;         // root/d1/<id>.sqlite
    QString r2Dir(const QString& bucketName) const;          // root/r2/<bucket>
    QString workflowFile(const QString& workflowName) const; // root/workflows/<name>.sqlite

    // Every kv_namespaces, d1_databases and r2_buckets binding of the project, in that
    // order and in config order within each.
    std::vector<StoreLocation> locations(const ProjectConfig& project) const;

    // The id as one file name (exposed for tests and for messages).
    static QString safeName(QString id);

private:
    QString entry(const char* kind, const QString& id) const;

    QString m_root;
};

} // namespace kiln
