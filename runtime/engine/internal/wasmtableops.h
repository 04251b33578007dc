#pragma once

#include "engine/internal/jsruntime.h"

namespace kiln {

// Op: wasmStartTable(bytes: Uint8Array) -> { length, slots: Int32Array } | null, the table
// layout readWasmStartTable (wasmtablelayout.h) finds in a module's bytes.
// wasmImportWrappers(sigs: string[], typeCodes: {letter: code}) -> Uint8Array | null, the module
// wrapping JS functions for the table (wasmimportwrappers.h).
void installWasmTableOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);

// Ops (wasmlazyexports.h): lazyWasmModule(wasmPath, bytes: Uint8Array) -> { key, bytes } |
// null, the rewritten module (from the cache, or rewritten and cached now; null when caching
// is off or it cannot be rewritten); wasmLazyExports(bytes) -> { names: string[], codes:
// Int32Array, dataMoved: boolean } | null, its "kiln.exports" listing (codes: kind, value per
// name) and whether its data is to be copied; copyDataSegments(memory: ArrayBuffer, original:
// Uint8Array) -> boolean, that copy.
void installWasmLazyExportOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);

} // namespace kiln
