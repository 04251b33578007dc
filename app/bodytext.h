#pragma once

#include <QByteArray>
#include <QString>

namespace kiln {

// How the studio shows bytes a person did not write: a response body, a KV value, an R2
// object, a BLOB cell. Shared so every view decides "text or binary" the same way.
class BodyText {
public:
    // Binary by content type, a NUL in the first 8 KB, or bytes that are not UTF-8.
    static bool looksBinary(const QByteArray& body, const QByteArray& contentType = {});
    // Offset, 16 bytes in hex, then as ASCII: the usual hex dump.
    static QString hexDump(const QByteArray& bytes);
    // Text for a plain-text view, very long lines broken: laying out one line of a megabyte
    // freezes a text view for seconds. `column` carries the position in the current line
    // from one piece of a stream to the next.
    static QString displayable(const QString& text, qsizetype& column);
    static QString displayable(const QByteArray& bytes);
};

} // namespace kiln
