#pragma once

#include <QString>

#include <optional>

namespace kiln {

// A failure of the read-only store API (KvReader, D1Reader, R2Reader, SqliteDb's ReadOnly
// mode), classified so that a GUI can react without parsing text: Busy means another
// connection holds a lock right now and the same call may well succeed later (nothing
// waits for it: read-only connections have no busy timeout, so a GUI thread never blocks);
// Missing means the store was never created; Corrupt means the file is not a database or
// is damaged. The message is for people.
struct StoreError {
    enum class Code { Busy, Missing, Corrupt, Other };
    Code code = Code::Other;
    QString message;

    bool isBusy() const { return code == Code::Busy; }
};

// The readers' check on a page size: an error for a limit below 1, else nothing.
inline std::optional<StoreError> badPageLimit(int limit, const char* what = "limit") {
    if (limit >= 1) return std::nullopt;
    return StoreError{
        StoreError::Code::Other,
        QStringLiteral("%1 must be at least 1, not %2").arg(QLatin1String(what)).arg(limit)};
}

} // namespace kiln
