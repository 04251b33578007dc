#pragma once

namespace kiln {

// Waits (at most `timeoutMs`) for cache files still being written on their threads: the
// compiled wasm, the compiled stdlib, the baseline snapshot. `kiln dev` calls it before it
// exits, so a start stopped soon after booting still leaves its caches; when nothing is
// being written it returns at once.
void waitForCacheWrites(int timeoutMs);

} // namespace kiln
