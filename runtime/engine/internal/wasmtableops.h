#pragma once

#include "engine/internal/jsruntime.h"

namespace kiln {

// Op: wasmStartTable(bytes: Uint8Array) -> { length, slots: Int32Array } | null, the table
// layout readWasmStartTable (wasmtablelayout.h) finds in a module's bytes.
void installWasmTableOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);

} // namespace kiln
