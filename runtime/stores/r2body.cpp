#include "stores/r2body.h"

namespace kiln {

void R2BlobPins::pin(const QString& path) {
    QMutexLocker lock(&m_mutex);
    ++m_pinned[path];
}

void R2BlobPins::unpin(const QString& path) {
    QMutexLocker lock(&m_mutex);
    auto it = m_pinned.find(path);
    if (it == m_pinned.end() || --it.value() > 0) return;
    m_pinned.erase(it);
    if (m_dropped.remove(path)) QFile::remove(path);
}

void R2BlobPins::drop(const QString& path) {
    QMutexLocker lock(&m_mutex);
    if (m_pinned.contains(path))
        m_dropped.insert(path);
    else
        QFile::remove(path);
}

void R2BlobPins::keep(const QString& path) {
    QMutexLocker lock(&m_mutex);
    m_dropped.remove(path);
}

R2Body::R2Body(std::shared_ptr<R2BlobPins> pins, QString path, qint64 offset, qint64 length)
    : m_pins(std::move(pins))
    , m_path(std::move(path))
    , m_offset(offset)
    , m_remaining(length) {
    m_pins->pin(m_path);
}

R2Body::~R2Body() {
    m_file.reset(); // closed before the file may be removed
    if (m_pins) m_pins->unpin(m_path);
}

qint64 R2Body::read(char* data, qint64 max) {
    const qint64 want = std::min(max, m_remaining);
    if (want <= 0) return 0;
    if (!m_file) {
        auto file = std::make_unique<QFile>(m_path);
        if (!file->open(QIODevice::ReadOnly) || !file->seek(m_offset)) return -1;
        m_file = std::move(file);
    }
    const qint64 n = m_file->read(data, want);
    if (n <= 0) return -1; // the file is shorter than its index row says
    m_remaining -= n;
    return n;
}

std::expected<QByteArray, QString> R2Body::read(qint64 max) {
    QByteArray chunk(std::min(max, m_remaining), Qt::Uninitialized);
    const qint64 n = read(chunk.data(), chunk.size());
    if (n < 0)
        return std::unexpected(QStringLiteral("%1: the object's bytes are missing").arg(m_path));
    chunk.truncate(n);
    return chunk;
}

} // namespace kiln
