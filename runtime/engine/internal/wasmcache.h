#pragma once

#include "engine/cachewrites.h"
#include "engine/internal/jsruntime.h"

namespace kiln {

// The on-disk cache of compiled WebAssembly, keyed by the module's bytes and the V8 build.
// JS asks for a module with `WebAssembly.compileStreaming({bytes, cacheKey})`; the streaming
// callback hands V8 the cached machine code (V8 checks it and falls back to compiling if it
// does not fit). Kiln compiles wasm lazily (v8platform.cpp): a function is compiled when it
// is first called, so the module holds machine code for what has run, and
// refreshWasmCaches() writes it (atomically, on a background thread) whenever it holds more
// than the cached copy. The cache thus holds what the project runs, not all of Pyodide: a
// start deserialises ~5 MB instead of ~21 MB.
//
// Cache folder: $KILN_CACHE_DIR, else ~/.cache/kiln (shared by all projects);
// KILN_NO_CODE_CACHE=1 turns the cache off (cold-start benchmarks).
void installWasmCache(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);
// V8 only defines WebAssembly.compileStreaming in contexts created after this is set.
void enableWasmStreaming(v8::Isolate* isolate);
QString wasmCacheDir();
// Whether caching is on (KILN_NO_CODE_CACHE is not 1).
bool codeCacheEnabled();
// Serialises the modules compiled (or read from the cache) in this process and writes each
// whose machine code outgrew its cached copy; true if any was written. Engine thread.
bool refreshWasmCaches();
// A file of the cache folder named `prefix` + a digest of `key` + `suffix`.
QString cacheFilePath(const QString& prefix, const QString& key, const QString& suffix);
// Where the compiled module cached under `key` is (or would be).
QString wasmCacheFile(const QString& key);
// "size-mtime" of a file: a cheap identity for cache keys.
QString fileStamp(const QString& path);
// The cache key of the wasm module at `wasmPath` (worker.mjs asks for it by this key).
QString wasmModuleKey(const QString& wasmPath);

// Starts deserialising the cached module of `wasmPath`, if there is one, on a thread of its
// own with a throwaway isolate (wasmreadahead.cpp), and shares the result (SharedWasmModules)
// under wasmModuleKey(): on two cores a cold start's ~100 ms of deserialising then overlaps
// the engine thread's own start instead of following it. V8 checks the cached code as on the
// engine thread; a module it refuses is not compiled there (the engine thread does that).
void readWasmAhead(const QString& wasmPath);
// A normal exit waits for a read-ahead still running (it uses V8), up to `timeoutMs`.
void waitForWasmReadAhead(int timeoutMs);

} // namespace kiln
