#pragma once

#include "stores/r2bucket.h"
#include "stores/sqlitedb.h"

#include <QString>

namespace kiln::r2sql {

// The SQL and file layout of an R2 bucket folder, shared by R2Bucket (read-write) and
// R2Reader (read-only) so the two read objects the same way.

inline QString indexFile(const QString& bucketDir) {
    return bucketDir + QStringLiteral("/index.sqlite");
}

// `blobs/<2 hex>/<sha256>`: bytes are stored under their SHA-256, never under the key.
inline QString blobPath(const QString& bucketDir, const QString& sha256) {
    return bucketDir + QStringLiteral("/blobs/") + sha256.left(2) + QLatin1Char('/') + sha256;
}

#define KILN_R2_OBJECT_COLUMNS                                                                     \
    "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, blob"

// ?1 key: one object.
inline constexpr char kLookup[] = "SELECT " KILN_R2_OBJECT_COLUMNS " FROM objects WHERE key = ?1";
// ?1 lowest key, ?2 the end of the prefix's range or NULL (keyrange.h), ?3 limit: objects in
// key byte order.
inline constexpr char kListFrom[] =
    "SELECT " KILN_R2_OBJECT_COLUMNS
    " FROM objects WHERE key >= ?1 AND (?2 IS NULL OR key < ?2) ORDER BY key LIMIT ?3";

// The same for miniflare's layout (wrangler's local state, `_mf_objects`), columns in the
// same order so objectInfo() reads both; the last is miniflare's blob id (a file name).
#define KILN_MF_R2_COLUMNS                                                                         \
    "CAST(key AS BLOB), version, size, etag, uploaded, http_metadata, custom_metadata, "           \
    "checksums, "                                                                                  \
    "blob_id"
inline constexpr char kMiniflareLookup[] =
    "SELECT " KILN_MF_R2_COLUMNS " FROM _mf_objects WHERE CAST(key AS BLOB) = ?1";
inline constexpr char kMiniflareListFrom[] =
    "SELECT " KILN_MF_R2_COLUMNS " FROM _mf_objects WHERE CAST(key AS BLOB) >= ?1 AND"
    " (?2 IS NULL OR CAST(key AS BLOB) < ?2) ORDER BY CAST(key AS BLOB) LIMIT ?3";
#undef KILN_MF_R2_COLUMNS

#undef KILN_R2_OBJECT_COLUMNS

// A row of kLookup or kListFrom.
inline R2ObjectInfo objectInfo(const SqlStatement& q) {
    return R2ObjectInfo{q.blob(0),          q.text(1),          q.integer(2),
                        q.text(3),          q.integer(4),       q.text(5).toUtf8(),
                        q.text(6).toUtf8(), q.text(7).toUtf8(), q.text(8)};
}

} // namespace kiln::r2sql
