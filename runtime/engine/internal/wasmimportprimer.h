#pragma once

#include "engine/internal/jsruntime.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace v8 {
class WasmModuleObject;
}

namespace kiln {

// One entry of a wasm module's import section: its kind (0 function, 1 table, 2 memory,
// 3 global) and, for a function, how many parameters its type takes.
struct WasmImport {
    QString module;
    QString name;
    uint8_t kind = 0;
    int params = -1;
};

struct WasmImports {
    std::vector<WasmImport> imports; // in order
    bool hasStart = false;           // a start function runs when an instance is made
};

// What the module imports; null when its bytes do not parse.
std::optional<WasmImports> wasmImports(std::span<const uint8_t> module);

// V8 compiles a wrapper (with its optimising compiler) for each kind of JS function a module
// imports (per signature and arity) when an instance is made, ~10 ms of every start for
// Pyodide's 268 function imports on this machine. The wrappers are kept with the compiled
// module, which the isolates of a process share (sharedwasmmodules.h), so instantiating it
// once in the wasm read-ahead's throwaway isolate, with a stand-in of the parameter count its
// signature has for each function import (what Emscripten's JS functions take) and a mutable
// i32 for each global (the GOT), leaves those wrappers for the engine's instance to find.
// A stand-in whose arity differs from the real function's only misses: the engine compiles
// that wrapper itself. Instantiating runs none of the module's code: a module with a start
// function is not primed, nor one with imports this cannot stand in for (a memory, a table:
// it fails to link). False when nothing was primed.
bool primeImportWrappers(const JsScope& scope, v8::Local<v8::WasmModuleObject> module,
                         std::span<const uint8_t> bytes);

} // namespace kiln
