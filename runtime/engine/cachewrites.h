#pragma once

#include <QByteArray>
#include <QString>

namespace kiln {

// Waits (at most `timeoutMs`) for cache files still being written on their threads: the
// compiled wasm, the compiled stdlib, the baseline snapshot. `kiln dev` calls it before it
// exits, so a start stopped soon after booting still leaves its caches; when nothing is
// being written it returns at once.
void waitForCacheWrites(int timeoutMs);

// Writes `bytes` to `path` in the cache folder as CheckedFile does, on a background thread
// that a normal exit waits for; then prunes the folder. Writes of one path go in order, and
// one overtaken by a later write of that path before it began is skipped.
void writeCacheInBackground(const QString& path, QByteArray bytes);

} // namespace kiln
