#pragma once

#include <QByteArray>
#include <QByteArrayList>

#include <array>
#include <cstdint>
#include <optional>

namespace kiln {

// Emscripten puts the JS functions a side module or the GOT asks the address of into the
// function table, which holds only wasm functions; Kiln's glue edit (patchPyodideFunctionWrapping
// in pyodidepatches.cpp) wraps them all in one module: for function i of signature sigs[i]
// (Emscripten's letters: return type first, 'v' for none), an import "e"."f<i>" and an
// exported function "f<i>" that passes its arguments on to it. `typeCodes` gives each letter
// its wasm value type (the glue's wasmTypeCodes; 0 for a letter it lacks). Null when a
// signature uses a letter without a code. The glue built these bytes in JS, ~3.5 ms a start
// for ~280 functions, in code that runs once and so is never fast.
std::optional<QByteArray> importWrapperModule(const QByteArrayList& sigs,
                                              const std::array<uint8_t, 128>& typeCodes);

} // namespace kiln
