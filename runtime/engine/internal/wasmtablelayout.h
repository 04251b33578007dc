#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace kiln {

// Function table 0 of a wasm module as instantiation leaves it: its initial length and, for
// each function index (imported ones first, as wasm numbers them), the highest slot its
// active element segments put it in (0: none).
// Pyodide's glue learns the same by reading every slot back from the live table
// (getFunctionAddress' first call, ~9,000 `table.get`s that each make a JS function at every
// start); read from the module's bytes instead, it costs a walk over the element section.
struct WasmStartTable {
    uint32_t length = 0;
    std::vector<int32_t> slotOfFunction;
};

// Nothing when the module has no table, or its segments use a form this reader does not
// follow (an offset other than i32.const, expression elements): the caller reads the table.
std::optional<WasmStartTable> readWasmStartTable(std::span<const uint8_t> module);

} // namespace kiln
