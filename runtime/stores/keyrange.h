#pragma once

#include <QByteArray>

namespace kiln {

// The smallest byte string greater than every string starting with `prefix`, so that
// `key >= prefix AND key < prefixEnd(prefix)` selects a prefix on an index ordered by bytes.
// Empty when there is none (a prefix of only 0xff bytes): then only the lower bound applies.
inline QByteArray prefixEnd(QByteArray prefix) {
    while (!prefix.isEmpty() && static_cast<unsigned char>(prefix.back()) == 0xff)
        prefix.chop(1);
    if (!prefix.isEmpty())
        prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
    return prefix;
}

} // namespace kiln
