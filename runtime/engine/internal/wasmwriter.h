#pragma once

#include <QByteArray>

#include <cstdint>
#include <string_view>

namespace kiln {

// The pieces of the wasm binary format Kiln writes modules with: unsigned LEB128 numbers,
// length-prefixed names, sections.
inline void putU32(QByteArray& out, uint32_t value) {
    do {
        uint8_t b = value & 0x7f;
        value >>= 7;
        if (value) b |= 0x80;
        out.append(char(b));
    } while (value);
}

inline void putName(QByteArray& out, std::string_view name) {
    putU32(out, uint32_t(name.size()));
    out.append(name.data(), qsizetype(name.size()));
}

// A section: its id, its size, `body`.
inline void putSection(QByteArray& out, uint8_t id, const QByteArray& body) {
    out.append(char(id));
    putU32(out, uint32_t(body.size()));
    out.append(body);
}

} // namespace kiln
