#pragma once

#include <QByteArray>
#include <QString>

#include <functional>
#include <memory>

namespace kiln {

// Cache files that vouch for themselves: each sits beside "<file>.xxh3", the XXH3-128 of its
// bytes, written after the file, so a file is used only when it is whole and unchanged. One
// that is truncated, bit-flipped or lacks its sidecar is deleted (it gets rebuilt). XXH3, not a
// cryptographic digest: it guards against disks and crashes, not attackers (who could write the
// sidecar too), and it checks the 31 MB snapshot in ~3 ms where SHA-256 took ~30 ms per start.
class CheckedFile {
public:
    static QString sidecarPath(const QString& path) { return path + QStringLiteral(".xxh3"); }

    // Atomically (temp file + rename), then the sidecar. Any thread.
    static bool write(const QString& path, const QByteArray& bytes);

    // Reads the file into the memory `allocate(size)` returns, checking it on the way; with no
    // `allocate`, only checks. False (and the file and sidecar removed) when the sidecar does
    // not vouch for the bytes; what was read into the memory is then not to be used.
    static bool read(const QString& path, const std::function<char*(qint64 size)>& allocate = {});

    // The bytes, when vouched for.
    static bool readAll(const QString& path, QByteArray* bytes);

    // A file mapped into memory, private and copy-on-write (a write stays in this process and
    // never reaches the file); unmapped (and its descriptor closed) when destroyed. The open
    // descriptor lets more of the same file be mapped elsewhere (a snapshot onto wasm memory)
    // even after the file was replaced or removed.
    class Mapping {
    public:
        Mapping(void* data, size_t size, int fd)
            : m_data(data)
            , m_size(size)
            , m_fd(fd) {}
        ~Mapping();
        // The regular file at `path` mapped as it is (unchecked), if it has `minSize` bytes
        // or more; null otherwise or when it cannot be.
        static std::unique_ptr<Mapping> open(const QString& path, qint64 minSize = 1);
        Mapping(const Mapping&) = delete;
        Mapping& operator=(const Mapping&) = delete;
        void* data() const { return m_data; }
        size_t size() const { return m_size; }
        int fd() const { return m_fd; }

    private:
        void* m_data;
        size_t m_size;
        int m_fd;
    };

    // The file mapped, when vouched for (checked as `read` checks, deleted when not): no copy
    // of a 31 MB snapshot into fresh memory, only the page cache's pages mapped as they are
    // read. A file this process has already checked, unchanged since (inode, size,
    // modification time, sidecar digest), is not read whole again. Null for an empty file too.
    static std::unique_ptr<Mapping> map(const QString& path);

    // Checks the file at `path` on a thread of its own, as map() would, so that a map() of it
    // later in this process finds it checked (or waits for the check under way) instead of
    // reading it whole itself: a start asks for its snapshot and compiled stdlib this way while
    // it loads Pyodide's JS. A file that fails is left for map() to find so (and remove). Any
    // thread; a second call for a path already asked for does nothing.
    static void checkAhead(const QString& path);

    // Keeps the `*.bin` files of `dir` (with their sidecars) under `maxBytes`, dropping the
    // least recently used first (a successful read sets a file's access time), plus what older
    // versions left: SHA-256 sidecars, and files without a sidecar for over a minute (a
    // writer puts the sidecar down right after the file). Every stale key otherwise stays
    // forever: each Kiln or Pyodide upgrade leaves ~65 MB behind.
    static void prune(const QString& dir, qint64 maxBytes);
};

} // namespace kiln
