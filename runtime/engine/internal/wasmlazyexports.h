#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kiln {

// Pyodide's main module exports ~7,400 functions and ~1,100 constant globals, and V8 makes a
// JS function (or a WebAssembly.Global with a buffer of its own) for every one of them when
// the module is instantiated: ~35 ms of each start on this machine, for exports most of which
// a start never touches. Functions in a table cost nothing until read (`table.get`).
//
// rewriteWasmExports() gives a module that instantiates to the same function table, and the
// same GOT, as Pyodide's glue builds from the original, with those exports moved out of the
// export section: each exported function (but Emscripten's internal symbols, which get no GOT
// entry) is put in table 0 by one more active element segment, in the slots the glue's
// updateGOT would have appended it to (export order, one slot per function not already in the
// table); each exported immutable i32 global with a constant value keeps only that value.
// A custom section, "kiln.exports", lists every original export in order with where it went,
// for the glue to answer by name (resources/js/lazyexports.mjs). Nothing when the module has
// a shape this rewriter does not follow (an imported table, a re-exported import, ...): the
// caller uses the original.
//
// The data segments (3.3 MB of Pyodide's 9.6 MB) are emptied too, when all are active at
// constant offsets, and a "kiln.data-moved" section says so: the host copies them from the
// original file into the memory right after instantiating (copyDataSegments), as V8 would
// have. V8 copies a module's bytes twice into fresh memory when it deserialises it from the
// code cache, on the path every cached start waits for; those bytes need not include the data.
std::optional<QByteArray> rewriteWasmExports(std::span<const uint8_t> module);

// Whether the rewritten module's data segments were emptied (to be copied by the host).
bool hasMovedData(std::span<const uint8_t> module);
// Copies the `original` module's data segments into `memory` at their offsets; false (and
// nothing copied) when one does not fit or the section is not all active constant-offset
// segments.
bool copyDataSegments(std::span<const uint8_t> original, std::span<uint8_t> memory);

struct LazyExport {
    enum Kind : uint8_t { Kept = 0, Function = 1, Global = 2 };
    std::string name;
    Kind kind = Kept;
    int32_t value = 0; // the table slot of a Function, the value of a Global
};

// The "kiln.exports" section of a rewritten module, if it has one.
std::optional<std::vector<LazyExport>> readLazyExports(std::span<const uint8_t> module);

// Emscripten's isInternalSym (the dynamic linker's list of symbols that get no GOT entry), as
// the Pyodide Kiln ships has it; a test compares it with the glue's.
bool isEmscriptenInternalSymbol(std::string_view name);

// The cache key of the rewritten module of the wasm file at `wasmPath` (its compiled code is
// cached under it), and the cache file holding its bytes (checked as CheckedFile describes).
QString lazyWasmKey(const QString& wasmPath);
QString lazyWasmFile(const QString& wasmPath);

} // namespace kiln
