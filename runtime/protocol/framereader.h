#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <deque>
#include <expected>
#include <optional>

namespace kiln::protocol {

// Frames are the Debug Adapter Protocol's: header lines ("Content-Length: N", others ignored)
// ended by an empty line, then N bytes of UTF-8 JSON.
constexpr qsizetype kMaxFrameBytes = 16 * 1024 * 1024;
constexpr qsizetype kMaxHeaderBytes = 8 * 1024;

QByteArray frame(const QByteArray& json);

// Splits a byte stream into frame bodies, whatever the pieces it arrives in. Never gives up on
// the stream: a malformed header is reported and skipped up to its blank line, an oversized
// frame is reported and its body discarded as it arrives, a header that never ends is reported
// and dropped once it passes kMaxHeaderBytes.
class FrameReader {
public:
    explicit FrameReader(qsizetype maxFrameBytes = kMaxFrameBytes);

    void append(QByteArrayView bytes);
    // The next complete frame body or an error about the stream; nullopt when more bytes are
    // needed. Call until nullopt after each append().
    std::optional<std::expected<QByteArray, QString>> next();
    // Bytes received and not yet returned or discarded.
    qsizetype buffered() const { return m_buffer.size(); }

private:
    // Reads one complete header block (without its blank line): sets m_bodySize or m_skip, and
    // returns an error when the frame cannot be read as sent.
    std::optional<QString> takeHeader(QByteArrayView block);

    qsizetype m_maxFrameBytes;
    QByteArray m_buffer;
    qsizetype m_skip = 0;         // body bytes of an oversized frame still to discard
    qsizetype m_bodySize = -1;    // header parsed; waiting for this many body bytes
    qsizetype m_scanned = 0;      // header bytes already searched for the blank line
    bool m_discardHeader = false; // a header passed kMaxHeaderBytes: drop it up to its blank line
};

} // namespace kiln::protocol
