#include "stores/r2listing.h"

#include "stores/keyrange.h"
#include "stores/r2schema.h"

namespace kiln {

std::expected<R2Listing, QString> R2Listing::walk(SqliteDb& db, const QByteArray& prefix,
                                                  const QByteArray& delimiter, QByteArray lower,
                                                  int limit, const char* listFrom) {
    const QByteArray end = prefixEnd(prefix);
    R2Listing result;
    SqlStatement q(db, listFrom);
    if (!q.ok()) return std::unexpected(db.lastError());
    int count = 0;
    for (;;) {
        q.reset();
        q.bind(1, lower);
        q.bind(2, end.isEmpty() ? SqlValue() : SqlValue(end));
        q.bind(3, qint64(1)); // one at a time: a delimiter may skip a whole group next
        auto row = q.step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        if (count == limit) {
            result.truncated = true;
            result.next = lower;
            break;
        }
        R2ObjectInfo info = r2sql::objectInfo(q);
        const QByteArray rest = info.key.mid(prefix.size());
        const qsizetype at = delimiter.isEmpty() ? -1 : rest.indexOf(delimiter);
        if (at >= 0) {
            const QByteArray group = prefix + rest.left(at + delimiter.size());
            result.prefixes.push_back(group);
            const QByteArray after = prefixEnd(group);
            if (after.isEmpty()) break;
            lower = after;
        } else {
            lower = info.key + QByteArray(1, '\0'); // the smallest key after this one
            result.objects.push_back(std::move(info));
        }
        ++count;
    }
    return result;
}

} // namespace kiln
