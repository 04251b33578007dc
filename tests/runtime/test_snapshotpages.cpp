// The list of a mapped snapshot's touched pages (runtime/engine/internal/snapshotpages.h), on
// a real file mapped copy-on-write as a restore maps a snapshot: pages written and read are
// told apart, the list is written once per snapshot digest, and a later mapping gets exactly
// the listed pages populated (written ones as private copies), none when the snapshot changed.

#include "engine/checkedfile.h"
#include "engine/internal/snapshotpages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;
using Run = SnapshotPages::Run;

namespace {

const size_t kPage = size_t(sysconf(_SC_PAGESIZE));
constexpr size_t kPages = 64;

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

char* mapPrivate(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return nullptr;
    void* p = mmap(nullptr, kPages * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, f.handle(), 0);
    return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

bool written(const std::vector<Run>& runs, size_t page) {
    for (const Run& r : runs)
        if (r.written && page >= r.first && page < r.first + r.count) return true;
    return false;
}

bool present(const std::vector<Run>& runs, size_t page) {
    for (const Run& r : runs)
        if (page >= r.first && page < r.first + r.count) return true;
    return false;
}

} // namespace

class TestSnapshotPages : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_file;

private Q_SLOTS:
    void init() {
        m_file = m_dir.filePath(QStringLiteral("file-snapshot.bin"));
        QVERIFY(writeFile(m_file, QByteArray(int(kPages * kPage), 'x')));
        QVERIFY(writeFile(CheckedFile::sidecarPath(m_file), "0123456789abcdef0123456789abcdef\n"));
        QFile::remove(SnapshotPages::listPath(m_file));
    }

    void writtenPagesAreToldFromReadOnes() {
        char* base = mapPrivate(m_file);
        QVERIFY(base);
        volatile char sink = base[10 * kPage];
        (void)sink;
        base[20 * kPage] = 'y';
        base[21 * kPage + 7] = 'z';
        const auto runs = SnapshotPages::touched(base, kPages * kPage);
        QVERIFY(present(runs, 10));
        QVERIFY(!written(runs, 10));
        QVERIFY(written(runs, 20));
        QVERIFY(written(runs, 21));
        QVERIFY(std::none_of(runs.begin(), runs.end(), [](const Run& r) {
            return r.written && (r.first != 20 || r.count != 2);
        }));
        munmap(base, kPages * kPage);
    }

    void aListPopulatesTheNextMappingOfTheSameSnapshot() {
        char* first = mapPrivate(m_file);
        QVERIFY(first);
        first[30 * kPage] = 'y';
        first[31 * kPage] = 'y';
        first[50 * kPage] = 'y';
        QVERIFY(SnapshotPages::record(m_file, first, kPages * kPage));
        QVERIFY2(!SnapshotPages::record(m_file, first, kPages * kPage),
                 "a list made from the snapshot as it is is kept");
        const auto listed = SnapshotPages::touched(first, kPages * kPage);
        munmap(first, kPages * kPage);

        char* next = mapPrivate(m_file);
        QVERIFY(next);
        QVERIFY(!written(SnapshotPages::touched(next, kPages * kPage), 30));
        size_t listedPages = 0;
        for (const Run& r : listed)
            listedPages += r.count;
        QCOMPARE(SnapshotPages::prefetch(m_file, next, kPages * kPage), listedPages);
        const auto runs = SnapshotPages::touched(next, kPages * kPage);
        QVERIFY(written(runs, 30));
        QVERIFY(written(runs, 31));
        QVERIFY(written(runs, 50));
        QVERIFY(!written(runs, 40));
        QCOMPARE(next[30 * kPage], 'x'); // a private copy of the file's page, not the last one's
        munmap(next, kPages * kPage);
    }

    void aListForAnotherSnapshotIsIgnored() {
        char* first = mapPrivate(m_file);
        QVERIFY(first);
        first[5 * kPage] = 'y';
        QVERIFY(SnapshotPages::record(m_file, first, kPages * kPage));
        munmap(first, kPages * kPage);
        QVERIFY(writeFile(CheckedFile::sidecarPath(m_file), "fedcba9876543210fedcba9876543210\n"));
        char* next = mapPrivate(m_file);
        QVERIFY(next);
        QCOMPARE(SnapshotPages::prefetch(m_file, next, kPages * kPage), size_t(0));
        QVERIFY(!written(SnapshotPages::touched(next, kPages * kPage), 5));
        // Another mapping length (another memory size) does not take it either.
        QVERIFY(writeFile(CheckedFile::sidecarPath(m_file), "0123456789abcdef0123456789abcdef\n"));
        QCOMPARE(SnapshotPages::prefetch(m_file, next, (kPages - 1) * kPage), size_t(0));
        QVERIFY(SnapshotPages::prefetch(m_file, next, kPages * kPage) > 0);
        munmap(next, kPages * kPage);
    }

    void aDamagedListIsIgnored() {
        QVERIFY(writeFile(SnapshotPages::listPath(m_file),
                          "kiln-snapshot-pages 1\n0123456789abcdef0123456789abcdef\n64\n"
                          "w 60 100\nw -1 2\nq 3 3\nw 7\n"));
        char* next = mapPrivate(m_file);
        QVERIFY(next);
        QCOMPARE(SnapshotPages::prefetch(m_file, next, kPages * kPage), size_t(0));
        // One good line among bad ones does not make the list trusted; it is made again.
        QVERIFY(writeFile(SnapshotPages::listPath(m_file),
                          "kiln-snapshot-pages 1\n0123456789abcdef0123456789abcdef\n64\n"
                          "w 3 1\nw 60 100\n"));
        QCOMPARE(SnapshotPages::prefetch(m_file, next, kPages * kPage), size_t(0));
        next[9 * kPage] = 'y';
        QVERIFY(SnapshotPages::record(m_file, next, kPages * kPage));
        munmap(next, kPages * kPage);
    }
};

QTEST_GUILESS_MAIN(TestSnapshotPages)
#include "test_snapshotpages.moc"
