#pragma once

#include "stores/r2bucket.h"
#include "stores/sqlitedb.h"

#include <QByteArray>

#include <expected>
#include <vector>

namespace kiln {

// One page of a bucket listing with R2's delimiter rule, shared by R2Bucket::list (the
// binding) and R2Reader::list (the browser) so the two group keys the same way: a key with
// the delimiter after the prefix is folded into one "folder" (the prefix up to and including
// the delimiter), which counts once toward the limit and is skipped past with one seek.
struct R2Listing {
    std::vector<R2ObjectInfo> objects;
    std::vector<QByteArray> prefixes; // the folders, in key order among the objects
    bool truncated = false;
    QByteArray next; // the lowest key the next page starts at (when truncated)

    // From `lower` (a key >= prefix) on, at most `limit` objects and folders.
    // `listFrom`: r2sql::kListFrom, or kMiniflareListFrom for wrangler's state.
    static std::expected<R2Listing, QString> walk(SqliteDb& db, const QByteArray& prefix,
                                                  const QByteArray& delimiter, QByteArray lower,
                                                  int limit, const char* listFrom);
};

} // namespace kiln
