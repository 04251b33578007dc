#include "engine/checkedfile.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

#include <algorithm>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <system_error>
#include <tuple>

namespace kiln {

namespace {

// XXH3 with the widest vector unit the CPU has (libxxhash's dispatch: AVX2 hashes ~1.5x as
// fast as the SSE2 code the plain entry points run).
void xxh3Update(XXH3_state_t* state, const void* data, size_t size) {
#if defined(__x86_64__)
    XXH3_128bits_update_dispatch(state, data, size);
#else
    XXH3_128bits_update(state, data, size);
#endif
}

XXH128_hash_t xxh3(const void* data, size_t size) {
#if defined(__x86_64__)
    return XXH3_128bits_dispatch(data, size);
#else
    return XXH3_128bits(data, size);
#endif
}

constexpr size_t kBufferBytes = 256 << 10; // stays in the CPU's cache between read and hash

QByteArray hexOf(const XXH128_hash_t& hash) {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, hash);
    return QByteArray(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest)
        .toHex();
}

bool readChecked(const QString& path, const std::function<char*(qint64)>& allocate) {
    QFile sum(CheckedFile::sidecarPath(path));
    QFile file(path);
    if (!sum.open(QIODevice::ReadOnly) || !file.open(QIODevice::ReadOnly)) return false;
    const QByteArray expected = sum.readAll().trimmed();
    const qint64 size = file.size();
    char* into = allocate ? allocate(size) : nullptr;
    if (allocate && !into) return false;
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                   &XXH3_freeState);
    if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) return false;
    // Checked as it is read, a few MB at a time, while the bytes are still in the CPU's cache.
    constexpr qint64 kChunk = 4 << 20;
    QByteArray scratch(into ? 0 : std::min(size, kChunk), Qt::Uninitialized);
    for (qint64 done = 0; done < size;) {
        const qint64 want = std::min(kChunk, size - done);
        char* at = into ? into + done : scratch.data();
        if (file.read(at, want) != want) return false;
        xxh3Update(state.get(), at, size_t(want));
        done += want;
    }
    return !expected.isEmpty() && file.atEnd() &&
           hexOf(XXH3_128bits_digest(state.get())) == expected;
}

// The digest of a file's first `size` bytes, hashed where the page cache holds them: a few
// MB at a time mapped with MAP_POPULATE (the window's pages mapped in one call, ~20 ns each,
// where hashing a plain mapping took a fault per page, ~17 ms for a 31 MB snapshot on this
// VM) and unmapped again, so a check adds no more than a window to the process's resident
// set. Against reading through a buffer, this saves copying the file: the snapshot's check
// 6.5 -> 3 ms. Read through a buffer where a window cannot be mapped.
QByteArray digestOf(int fd, size_t size) {
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                   &XXH3_freeState);
    if (!state || XXH3_128bits_reset(state.get()) != XXH_OK) return {};
    constexpr size_t kWindow = 4 << 20; // 1 MB windows took ~45 % longer (more unmapping)
    std::unique_ptr<char[]> buffer;
    for (size_t done = 0; done < size;) {
        const size_t want = std::min(kWindow, size - done);
        void* window =
            buffer ? MAP_FAILED
                   : ::mmap(nullptr, want, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(done));
        if (window != MAP_FAILED) {
            xxh3Update(state.get(), window, want);
            ::munmap(window, want);
            done += want;
            continue;
        }
        if (!buffer) buffer.reset(new char[kBufferBytes]);
        const ssize_t got =
            ::pread(fd, buffer.get(), std::min(kBufferBytes, size - done), off_t(done));
        if (got <= 0) return {};
        xxh3Update(state.get(), buffer.get(), size_t(got));
        done += size_t(got);
    }
    return hexOf(XXH3_128bits_digest(state.get()));
}

// Files this process has checked, by identity and the digest that vouched for them: mapped
// again unchanged (a reload restoring the snapshot its predecessor restored), a file is not
// read whole a second time. A write changes the modification time, a replacement the inode, a
// new sidecar the digest (disks and crashes, as above; not someone resetting a time).
class CheckedIdentities {
public:
    // Not the change time: marking a file used (its access time) changes that on every map.
    using Identity = std::tuple<dev_t, ino_t, off_t, long, long, std::string>;
    static Identity of(const struct stat& info, const QByteArray& digest) {
        return {info.st_dev,         info.st_ino,          info.st_size,
                info.st_mtim.tv_sec, info.st_mtim.tv_nsec, digest.toStdString()};
    }
    bool contains(const Identity& id) {
        std::lock_guard lock(m_mutex);
        return m_checked.count(id) > 0;
    }
    void add(Identity id) {
        std::lock_guard lock(m_mutex);
        m_checked.insert(std::move(id));
    }

private:
    std::mutex m_mutex;
    std::set<Identity> m_checked;
};

CheckedIdentities& checkedIdentities() {
    static CheckedIdentities identities;
    return identities;
}

// checkAhead()'s checks, by path: a map() of a path asked for waits for its check first. The
// futures' destructors wait for checks still running when the process exits normally.
class AheadChecks {
public:
    // False if `path` was asked for already, or no thread could be had (map() then checks).
    bool start(const std::string& path, std::function<void()> check) {
        std::lock_guard lock(m_mutex);
        if (m_checks.count(path)) return false;
        try {
            m_checks.emplace(path, std::async(std::launch::async, std::move(check)).share());
        } catch (const std::system_error&) {
            return false; // out of threads: not worth failing a start over
        }
        return true;
    }
    void waitFor(const std::string& path) {
        std::shared_future<void> check;
        {
            std::lock_guard lock(m_mutex);
            const auto it = m_checks.find(path);
            if (it == m_checks.end()) return;
            check = it->second;
        }
        check.wait();
    }

private:
    std::mutex m_mutex;
    std::map<std::string, std::shared_future<void>> m_checks;
};

AheadChecks& aheadChecks() {
    // Made after the identities the checks add to, so destroyed (waiting for them) before.
    checkedIdentities();
    static AheadChecks checks;
    return checks;
}

// The sidecar's digest and the file's identity, and whether this process has checked it.
struct Vouched {
    QByteArray expected;
    CheckedIdentities::Identity id;
    bool identified = false;
    bool checked() const { return identified && checkedIdentities().contains(id); }
};

Vouched vouchedFor(const QString& path, int fd) {
    Vouched out;
    QFile sum(CheckedFile::sidecarPath(path));
    if (!sum.open(QIODevice::ReadOnly)) return out;
    out.expected = sum.readAll().trimmed();
    struct stat info {};
    out.identified = !out.expected.isEmpty() && ::fstat(fd, &info) == 0;
    out.id = CheckedIdentities::of(info, out.expected);
    return out;
}

std::unique_ptr<CheckedFile::Mapping> mapChecked(const QString& path) {
    aheadChecks().waitFor(path.toStdString());
    auto mapping = CheckedFile::Mapping::open(path);
    if (!mapping) return nullptr;
    const Vouched vouched = vouchedFor(path, mapping->fd());
    if (vouched.expected.isEmpty()) return nullptr;
    if (vouched.checked()) return mapping;
    ::madvise(mapping->data(), mapping->size(), MADV_WILLNEED);
    if (digestOf(mapping->fd(), mapping->size()) != vouched.expected) return nullptr;
    if (vouched.identified) checkedIdentities().add(vouched.id);
    return mapping;
}

// Used now, so pruned last. The access time, not the modification time: cache keys name
// files by size and mtime (the snapshot's names the compiled stdlib).
void markUsed(const QString& path) {
    const timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
    ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0);
}

} // namespace

std::unique_ptr<CheckedFile::Mapping> CheckedFile::Mapping::open(const QString& path,
                                                                 qint64 minSize) {
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return nullptr;
    struct stat info {};
    void* data = MAP_FAILED;
    if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) &&
        info.st_size >= std::max<qint64>(minSize, 1))
        data = ::mmap(nullptr, size_t(info.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
        ::close(fd);
        return nullptr;
    }
    return std::make_unique<Mapping>(data, size_t(info.st_size), fd);
}

CheckedFile::Mapping::~Mapping() {
    ::munmap(m_data, m_size);
    if (m_fd >= 0) ::close(m_fd);
}

std::unique_ptr<CheckedFile::Mapping> CheckedFile::map(const QString& path) {
    if (!QFile::exists(path) && !QFile::exists(sidecarPath(path))) return nullptr;
    if (auto mapping = mapChecked(path)) {
        markUsed(path);
        return mapping;
    }
    QFile::remove(path);
    QFile::remove(sidecarPath(path));
    return nullptr;
}

void CheckedFile::checkAhead(const QString& path) {
    aheadChecks().start(path.toStdString(), [path] {
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        const Vouched vouched = vouchedFor(path, fd);
        const off_t size = std::get<2>(vouched.id); // the file's, as fstat gave it
        if (vouched.identified && !vouched.checked() &&
            digestOf(fd, size_t(size)) == vouched.expected)
            checkedIdentities().add(vouched.id);
        ::close(fd);
    });
}

bool CheckedFile::write(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile::remove(sidecarPath(path)); // no sidecar while the file changes
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return false;
    QSaveFile sum(sidecarPath(path));
    return sum.open(QIODevice::WriteOnly) &&
           sum.write(hexOf(xxh3(bytes.constData(), size_t(bytes.size()))) + '\n') > 0 &&
           sum.commit();
}

bool CheckedFile::read(const QString& path, const std::function<char*(qint64)>& allocate) {
    if (!QFile::exists(path) && !QFile::exists(sidecarPath(path))) return false;
    if (readChecked(path, allocate)) {
        markUsed(path);
        return true;
    }
    QFile::remove(path);
    QFile::remove(sidecarPath(path));
    return false;
}

bool CheckedFile::readAll(const QString& path, QByteArray* bytes) {
    return read(path, [bytes](qint64 size) {
        bytes->resize(size);
        return bytes->data();
    });
}

void CheckedFile::prune(const QString& dir, qint64 maxBytes) {
    const QDir folder(dir);
    for (const QFileInfo& old : folder.entryInfoList({QStringLiteral("*.sha256")}, QDir::Files))
        QFile::remove(old.absoluteFilePath());
    const QDateTime aMinuteAgo = QDateTime::currentDateTime().addSecs(-60);
    qint64 kept = 0;
    // Most recently used first (read or written), so what is kept is what was used last.
    QFileInfoList files = folder.entryInfoList({QStringLiteral("*.bin")}, QDir::Files);
    const auto used = [](const QFileInfo& f) { return std::max(f.lastRead(), f.lastModified()); };
    std::sort(files.begin(), files.end(),
              [&](const QFileInfo& a, const QFileInfo& b) { return used(a) > used(b); });
    for (const QFileInfo& file : files) {
        const QString path = file.absoluteFilePath();
        const bool checked = QFile::exists(sidecarPath(path));
        if (!checked && file.lastModified() > aMinuteAgo) continue; // its sidecar is coming
        if (checked && kept + file.size() <= maxBytes) {
            kept += file.size();
            continue;
        }
        QFile::remove(path);
        QFile::remove(sidecarPath(path));
    }
    // A snapshot's list of touched pages (SnapshotPages) goes with its snapshot.
    for (const QFileInfo& list :
         folder.entryInfoList({QStringLiteral("*.bin.pages")}, QDir::Files)) {
        const QString path = list.absoluteFilePath();
        if (!QFile::exists(path.chopped(6))) QFile::remove(path);
    }
}

} // namespace kiln
