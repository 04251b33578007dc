#pragma once

namespace kiln::kvsql {

// The SQL of a KV namespace file, shared by KvStore (read-write) and KvReader (read-only)
// so the two can never disagree on what a key is or when it expired.

inline constexpr char kCreate[] =
    "CREATE TABLE IF NOT EXISTS kv ("
    " key BLOB PRIMARY KEY, value BLOB NOT NULL, expiration INTEGER, metadata TEXT"
    ") WITHOUT ROWID;";

// ?1 key, ?2 now (seconds): value, expiration, metadata of a key that has not expired.
inline constexpr char kGet[] = "SELECT value, expiration, metadata FROM kv WHERE key = ?1 AND "
                               "(expiration IS NULL OR expiration > ?2)";

// ?1 prefix, ?2 the end of the prefix's range or NULL (keyrange.h), ?3 list only keys after
// this one or NULL, ?4 now (seconds), ?5 limit: key, expiration, metadata, value size in
// bytes (length() of a BLOB reads only its header, not the value), ordered by key bytes,
// expired keys left out.
inline constexpr char kList[] =
    "SELECT key, expiration, metadata, length(value) FROM kv"
    " WHERE key >= ?1 AND (?2 IS NULL OR key < ?2) AND (?3 IS NULL OR key > ?3)"
    " AND (expiration IS NULL OR expiration > ?4) ORDER BY key LIMIT ?5";

// kList, and ?6 a byte string the key must contain (the browser's search). instr() on
// BLOBs compares bytes, so any key, UTF-8 or not, can be searched.
inline constexpr char kListContaining[] =
    "SELECT key, expiration, metadata, length(value) FROM kv"
    " WHERE key >= ?1 AND (?2 IS NULL OR key < ?2) AND (?3 IS NULL OR key > ?3)"
    " AND (expiration IS NULL OR expiration > ?4) AND instr(key, ?6) > 0 ORDER BY key LIMIT ?5";

// The same three for miniflare's KV layout (wrangler's local state): `_mf_entries(key TEXT,
// blob_id, expiration in ms, metadata)` with each value in a blob file. Keys are compared
// as BLOBs, so ordering and bounds are by bytes as above; column 3 is the blob id.
#define KILN_MF_KV_WHERE                                                                           \
    " WHERE CAST(key AS BLOB) >= ?1 AND (?2 IS NULL OR CAST(key AS BLOB) < ?2)"                    \
    " AND (?3 IS NULL OR CAST(key AS BLOB) > ?3) AND (expiration IS NULL OR expiration > ?4 * "    \
    "1000)"
inline constexpr char kMiniflareList[] =
    "SELECT CAST(key AS BLOB), expiration / 1000, metadata, blob_id FROM "
    "_mf_entries" KILN_MF_KV_WHERE " ORDER BY CAST(key AS BLOB) LIMIT ?5";
inline constexpr char kMiniflareListContaining[] =
    "SELECT CAST(key AS BLOB), expiration / 1000, metadata, blob_id FROM "
    "_mf_entries" KILN_MF_KV_WHERE
    " AND instr(CAST(key AS BLOB), ?6) > 0 ORDER BY CAST(key AS BLOB) LIMIT ?5";
#undef KILN_MF_KV_WHERE
// ?1 key, ?2 now (seconds): blob id, expiration (seconds), metadata.
inline constexpr char kMiniflareGet[] =
    "SELECT blob_id, expiration / 1000, metadata FROM _mf_entries WHERE CAST(key AS BLOB) = ?1"
    " AND (expiration IS NULL OR expiration > ?2 * 1000)";

} // namespace kiln::kvsql
