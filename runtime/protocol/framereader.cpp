#include "protocol/framereader.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace kiln::protocol {

namespace {

constexpr QByteArrayView kHeaderEnd("\r\n\r\n");
constexpr QByteArrayView kContentLength("content-length");

// A header value as it may be quoted in an error: short, and whatever bytes it holds.
QString quoted(QByteArrayView value) {
    constexpr qsizetype kShown = 40;
    QString text = QString::fromUtf8(value.first(std::min(value.size(), kShown)));
    if (value.size() > kShown) text += QStringLiteral("...");
    return QLatin1Char('"') + text + QLatin1Char('"');
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b) {
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// Content-Length's value: decimal digits only (no sign, no spaces inside). 18 digits at most,
// so it fits in qint64 whatever they are; longer is refused as unreadable.
std::optional<qsizetype> parseLength(QByteArrayView value) {
    if (value.isEmpty() || value.size() > 18) return std::nullopt;
    qint64 n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return static_cast<qsizetype>(n);
}

struct LengthHeader {
    qsizetype offset = 0; // where the Content-Length line starts in the block
    QByteArrayView value; // trimmed
};

// Every "Content-Length" line of a header block; other lines (Content-Type, or anything
// without a colon) are ignored as DAP says.
std::vector<LengthHeader> lengthHeaders(QByteArrayView block) {
    std::vector<LengthHeader> found;
    qsizetype start = 0;
    while (start <= block.size()) {
        qsizetype end = block.indexOf(QByteArrayView("\r\n"), start);
        if (end < 0) end = block.size();
        const QByteArrayView line = block.sliced(start, end - start);
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && equalsIgnoringCase(line.first(colon).trimmed(), kContentLength))
            found.push_back({start, line.sliced(colon + 1).trimmed()});
        start = end + 2;
    }
    return found;
}

} // namespace

QByteArray frame(const QByteArray& json) {
    QByteArray out = "Content-Length: " + QByteArray::number(json.size()) + "\r\n\r\n";
    out += json;
    return out;
}

FrameReader::FrameReader(qsizetype maxFrameBytes)
    : m_maxFrameBytes(std::max<qsizetype>(0, maxFrameBytes)) {}

void FrameReader::append(QByteArrayView bytes) {
    // The body of an oversized frame is dropped before it is ever buffered. Only when nothing
    // is buffered: bytes already in m_buffer come first in the stream.
    if (m_skip > 0 && m_buffer.isEmpty()) {
        const qsizetype n = std::min(m_skip, bytes.size());
        m_skip -= n;
        bytes = bytes.sliced(n);
    }
    m_buffer.append(bytes);
}

std::optional<std::expected<QByteArray, QString>> FrameReader::next() {
    for (;;) {
        if (m_skip > 0) {
            const qsizetype n = std::min(m_skip, m_buffer.size());
            m_buffer.remove(0, n); // O(1) at the front in Qt 6
            m_skip -= n;
            if (m_skip > 0) return std::nullopt;
        }

        if (m_bodySize >= 0) {
            if (m_buffer.size() < m_bodySize) return std::nullopt;
            QByteArray body;
            if (m_buffer.size() == m_bodySize) {
                body = std::exchange(m_buffer, QByteArray());
            } else {
                body = m_buffer.first(m_bodySize);
                m_buffer.remove(0, m_bodySize);
            }
            m_bodySize = -1;
            return body;
        }

        // Resume the search where the last one stopped, less the 3 bytes a blank line split
        // across appends may have left: byte-by-byte input stays linear.
        const qsizetype end = m_buffer.indexOf(kHeaderEnd, std::max<qsizetype>(0, m_scanned - 3));
        if (m_discardHeader) {
            if (end < 0) {
                // Keep only what could be the start of the blank line.
                m_buffer.remove(0, std::max<qsizetype>(0, m_buffer.size() - 3));
                m_scanned = m_buffer.size();
                return std::nullopt;
            }
            m_buffer.remove(0, end + kHeaderEnd.size());
            m_scanned = 0;
            m_discardHeader = false;
            continue;
        }

        // The limit counts the blank line, and is checked the same whether the header came in
        // one piece or many, so the outcome never depends on how the stream was split.
        if ((end < 0 && m_buffer.size() >= kMaxHeaderBytes) ||
            (end >= 0 && end + kHeaderEnd.size() > kMaxHeaderBytes)) {
            m_discardHeader = true; // dropped as the loop comes round, up to its blank line
            return std::unexpected(
                QStringLiteral("frame header longer than %1 bytes without a blank line; "
                               "skipped up to its end")
                    .arg(kMaxHeaderBytes));
        }
        if (end < 0) {
            m_scanned = m_buffer.size();
            return std::nullopt;
        }

        const QByteArray block = m_buffer.first(end);
        m_buffer.remove(0, end + kHeaderEnd.size());
        m_scanned = 0;
        if (std::optional<QString> error = takeHeader(block))
            return std::unexpected(std::move(*error));
    }
}

std::optional<QString> FrameReader::takeHeader(QByteArrayView block) {
    const std::vector<LengthHeader> headers = lengthHeaders(block);
    QByteArrayView value;
    std::optional<QString> error;
    if (!headers.empty()) {
        value = headers.front().value;
        for (const LengthHeader& h : headers) {
            if (h.value != value) {
                return QStringLiteral("frame header has conflicting Content-Length values %1 "
                                      "and %2; skipped")
                    .arg(quoted(value), quoted(h.value));
            }
        }
    } else {
        // No line starts with Content-Length. If one starts mid-line, the bytes before it are
        // left over from a frame that was cut short or overran (a wrong Content-Length, or the
        // body of a frame whose header was refused): report them and read the frame, so one
        // bad frame does not make every later header look like garbage.
        const QByteArray lower = block.toByteArray().toLower();
        const qsizetype at = lower.lastIndexOf(QByteArrayView("content-length:"));
        if (at < 0) return QStringLiteral("frame header has no Content-Length; skipped");
        const std::vector<LengthHeader> tail = lengthHeaders(block.sliced(at));
        value = tail.front().value; // the line starting at `at` is one by construction
        error = QStringLiteral("%1 bytes that belong to no frame were skipped before a "
                               "Content-Length header")
                    .arg(at);
    }

    const std::optional<qsizetype> length = parseLength(value);
    if (!length)
        return QStringLiteral("frame header has an invalid Content-Length %1; skipped")
            .arg(quoted(value));
    if (*length > m_maxFrameBytes) {
        // Never buffered: the body is counted off as it arrives, then the next frame is read.
        m_skip = *length;
        return QStringLiteral("frame of %1 bytes is larger than the limit of %2 bytes; discarded")
            .arg(*length)
            .arg(m_maxFrameBytes);
    }
    m_bodySize = *length;
    return error;
}

} // namespace kiln::protocol
