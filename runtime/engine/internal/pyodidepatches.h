#pragma once

#include <QByteArray>

namespace kiln {

// Kiln's edits to Pyodide's Emscripten glue (pyodide.asm.mjs) as the module loader reads it:
// a d8-shell entropy path turned off, and two start-up costs of Emscripten's dynamic linking
// cut without changing what the start produces (the same function table slots and GOT
// values, so memory snapshots made before or after stay valid). A glue that reads differently
// than expected is left as it is, and starts as it did.
void patchPyodideGlue(QByteArray& source);

// Kiln's edit to Pyodide's loader (pyodide.mjs): the standard library zip (13 MB once
// compiled) is handed to the in-memory file system to keep instead of copied into it.
void patchPyodideLoader(QByteArray& source);

} // namespace kiln
