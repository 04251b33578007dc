#pragma once

#include <QFile>
#include <QHash>
#include <QMutex>
#include <QSet>
#include <QString>

#include <expected>
#include <memory>

namespace kiln {

// Blob files that bodies still read. A delete or overwrite that leaves a blob unreferenced
// removes the file at once if no body pins it, else when the last such body goes. (A kill
// before then leaves the file behind, unreferenced, as an interrupted put can.)
class R2BlobPins {
public:
    void pin(const QString& path);
    void unpin(const QString& path);
    void drop(const QString& path);
    // A put is storing these bytes again: the file is wanted after all.
    void keep(const QString& path);

private:
    QMutex m_mutex;
    QHash<QString, int> m_pinned;
    QSet<QString> m_dropped; // unreferenced, removed when unpinned
};

// The bytes of one get. The blob file opens at the first read, so a body that is never read
// holds no file descriptor (a worker may get thousands of objects and read none); the blob
// stays pinned on disk until the body is destroyed, so a later overwrite or delete does not
// disturb it (blobs are immutable).
class R2Body {
public:
    R2Body(std::shared_ptr<R2BlobPins> pins, QString path, qint64 offset, qint64 length);
    R2Body(R2Body&&) = default;
    R2Body& operator=(R2Body&&) = delete; // would drop a pin unreleased
    ~R2Body();

    qint64 offset() const { return m_offset; }
    qint64 remaining() const { return m_remaining; }
    // Up to max of the remaining bytes into data; -1 when the file cannot be read.
    qint64 read(char* data, qint64 max);
    std::expected<QByteArray, QString> read(qint64 max);

private:
    std::shared_ptr<R2BlobPins> m_pins;
    QString m_path;
    std::unique_ptr<QFile> m_file;
    qint64 m_offset = 0, m_remaining = 0;
};

} // namespace kiln
