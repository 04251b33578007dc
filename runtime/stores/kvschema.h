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

} // namespace kiln::kvsql
