#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace kiln {

// A bounds-checked cursor over the module's bytes; any overrun marks it failed.
class WasmReader {
public:
    explicit WasmReader(std::span<const uint8_t> bytes)
        : m_bytes(bytes) {}

    bool ok() const { return m_ok; }
    bool atEnd() const { return m_pos >= m_bytes.size(); }
    size_t pos() const { return m_pos; }

    uint8_t byte() {
        if (m_pos >= m_bytes.size()) return fail();
        return m_bytes[m_pos++];
    }
    uint32_t u32() {
        uint32_t value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            const uint8_t b = byte();
            value |= uint32_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return value;
        }
        return fail();
    }
    int32_t i32() { // signed LEB128 (an i32.const operand)
        int64_t value = 0;
        int shift = 0;
        uint8_t b = 0;
        do {
            b = byte();
            value |= int64_t(b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) && shift < 35 && m_ok);
        if (shift < 64 && (b & 0x40)) value |= -(int64_t(1) << shift);
        return int32_t(value);
    }
    // Skips a LEB128 number of any width (an i64.const operand, say).
    void skipLeb() {
        while (byte() & 0x80 && m_ok) {
        }
    }
    // The next `count` bytes, passed over.
    std::span<const uint8_t> take(size_t count) {
        if (count > m_bytes.size() - m_pos) {
            fail();
            return {};
        }
        const auto out = m_bytes.subspan(m_pos, count);
        m_pos += count;
        return out;
    }
    void skip(size_t count) {
        if (count > m_bytes.size() - m_pos) {
            fail();
            return;
        }
        m_pos += count;
    }
    uint8_t fail() {
        m_ok = false;
        m_pos = m_bytes.size();
        return 0;
    }

private:
    std::span<const uint8_t> m_bytes;
    size_t m_pos = 0;
    bool m_ok = true;
};

} // namespace kiln
