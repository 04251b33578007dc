#include "engine/internal/snapshotpages.h"

#include "engine/checkedfile.h"

#include <QFile>
#include <QSaveFile>

#include <optional>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 // Linux 5.14; older kernels refuse both (EINVAL): pages then fault
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace kiln {

namespace {

constexpr char kHeader[] = "kiln-snapshot-pages 1";

size_t pageSize() {
    return size_t(::sysconf(_SC_PAGESIZE));
}

// The snapshot's digest as its sidecar holds it: what the list is made from.
QByteArray digestOf(const QString& file) {
    QFile sidecar(CheckedFile::sidecarPath(file));
    if (!sidecar.open(QIODevice::ReadOnly)) return {};
    return sidecar.read(256).trimmed();
}

// The list beside `file` if it was made from the file as it is now (`digest`, its sidecar's),
// for a mapping of `pages`.
std::optional<std::vector<SnapshotPages::Run>> readList(const QString& file,
                                                        const QByteArray& digest, size_t pages) {
    QFile list(SnapshotPages::listPath(file));
    if (digest.isEmpty() || !list.open(QIODevice::ReadOnly)) return std::nullopt;
    const QList<QByteArray> lines = list.read(1 << 20).split('\n');
    if (lines.size() < 3 || lines[0] != kHeader || lines[1] != digest ||
        lines[2].toULongLong() != pages)
        return std::nullopt;
    // Any line out of shape makes the whole list damaged: ignored, and made again.
    std::vector<SnapshotPages::Run> runs;
    for (qsizetype i = 3; i < lines.size(); ++i) {
        if (lines[i].isEmpty() && i == lines.size() - 1) break; // the last line's newline
        const QList<QByteArray> f = lines[i].split(' ');
        bool ok1 = false, ok2 = false;
        const qulonglong first = f.value(1).toULongLong(&ok1), count = f.value(2).toULongLong(&ok2);
        if (f.size() != 3 || (f[0] != "w" && f[0] != "r") || !ok1 || !ok2 || count == 0 ||
            first >= pages || count > pages - first)
            return std::nullopt;
        runs.push_back({uint32_t(first), uint32_t(count), f[0] == "w"});
    }
    return runs;
}

} // namespace

std::vector<SnapshotPages::Run> SnapshotPages::touched(const void* base, size_t length) {
    const size_t page = pageSize();
    const size_t pages = length / page;
    std::vector<uint64_t> entries(pages);
    const int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    const off_t at = off_t(reinterpret_cast<uintptr_t>(base) / page * sizeof(uint64_t));
    const ssize_t want = ssize_t(pages * sizeof(uint64_t));
    const ssize_t got = ::pread(fd, entries.data(), size_t(want), at);
    ::close(fd);
    if (got != want) return {};
    constexpr uint64_t kPresent = uint64_t(1) << 63, kFileOrShared = uint64_t(1) << 61;
    std::vector<Run> runs;
    for (size_t i = 0; i < pages; ++i) {
        if (!(entries[i] & kPresent)) continue;
        const bool written = !(entries[i] & kFileOrShared);
        if (!runs.empty() && runs.back().written == written &&
            runs.back().first + runs.back().count == i)
            ++runs.back().count;
        else
            runs.push_back({uint32_t(i), 1, written});
    }
    return runs;
}

size_t SnapshotPages::prefetch(const QString& file, void* base, size_t length) {
    const size_t page = pageSize();
    const auto runs = readList(file, digestOf(file), length / page);
    if (!runs) return 0;
    size_t populated = 0;
    for (const Run& run : *runs) {
        char* at = static_cast<char*>(base) + size_t(run.first) * page;
        const size_t bytes = size_t(run.count) * page;
        if (::madvise(at, bytes, run.written ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) == 0)
            populated += run.count;
    }
    return populated;
}

bool SnapshotPages::record(const QString& file, const void* base, size_t length) {
    const size_t pages = length / pageSize();
    const QByteArray digest = digestOf(file);
    if (digest.isEmpty() || readList(file, digest, pages)) return false;
    const auto runs = touched(base, length);
    if (runs.empty()) return false;
    QByteArray text = QByteArray(kHeader) + '\n' + digest + '\n' + QByteArray::number(pages) + '\n';
    for (const Run& run : runs)
        text += (run.written ? "w " : "r ") + QByteArray::number(run.first) + ' ' +
                QByteArray::number(run.count) + '\n';
    QSaveFile out(listPath(file));
    return out.open(QIODevice::WriteOnly) && out.write(text) == text.size() && out.commit();
}

} // namespace kiln
