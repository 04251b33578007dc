// The page allocator Kiln gives V8 (runtime/engine/internal/populatingpageallocator.h), as V8
// gets it from the platform: pages made writable are resident at once (populated in one call,
// not faulted in one by one); large regions and pages that are not writable are left alone.

#include "engine/internal/v8platform.h"

#include <sys/mman.h>
#include <unistd.h>

#include <QTest>

#include <vector>

using namespace kiln;
using Permission = v8::PageAllocator::Permission;

namespace {

// How many of the pages in [address, address + length) are resident.
size_t residentPages(void* address, size_t length) {
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> map((length + page - 1) / page);
    if (mincore(address, length, map.data()) != 0) return size_t(-1);
    size_t resident = 0;
    for (unsigned char m : map)
        resident += m & 1;
    return resident;
}

bool kernelPopulates() {
    const size_t length = 4 * size_t(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const bool ok = p != MAP_FAILED && madvise(p, length, 23 /* MADV_POPULATE_WRITE */) == 0;
    if (p != MAP_FAILED) munmap(p, length);
    return ok;
}

} // namespace

class TestPopulatingPageAllocator : public QObject {
    Q_OBJECT

private:
    v8::PageAllocator* m_pages = nullptr;
    size_t m_unit = 0;

private Q_SLOTS:
    void initTestCase() {
        if (!kernelPopulates()) QSKIP("this kernel has no MADV_POPULATE_WRITE (Linux 5.14)");
        m_pages = V8Platform::instance().GetPageAllocator();
        QVERIFY(m_pages);
        m_unit = m_pages->AllocatePageSize();
    }

    void writablePagesAreResidentAtOnce() {
        const size_t length = 64 * 4096;
        void* p = m_pages->AllocatePages(nullptr, length, m_unit, Permission::kReadWrite);
        QVERIFY(p);
        QCOMPARE(residentPages(p, length), length / 4096);
        QVERIFY(m_pages->FreePages(p, length));
    }

    // How V8 commits: a reservation first, then pages made writable.
    void reservedPagesBecomeResidentWhenMadeWritable() {
        const size_t length = 64 * 4096;
        void* p = m_pages->AllocatePages(nullptr, 4 * length, m_unit, Permission::kNoAccess);
        QVERIFY(p);
        QCOMPARE(residentPages(p, 4 * length), size_t(0));
        QVERIFY(m_pages->SetPermissions(p, length, Permission::kReadWrite));
        QCOMPARE(residentPages(p, length), length / 4096);
        QCOMPARE(residentPages(static_cast<char*>(p) + length, 3 * length), size_t(0));
        auto* code = static_cast<char*>(p) + length;
        QVERIFY(m_pages->SetPermissions(code, length, Permission::kReadWriteExecute));
        QCOMPARE(residentPages(code, length), length / 4096);
        QVERIFY(m_pages->FreePages(p, 4 * length));
    }

    void notWritableOrLargePagesAreLeftToFault() {
        const size_t length = 64 * 4096;
        void* p = m_pages->AllocatePages(nullptr, length, m_unit, Permission::kRead);
        QVERIFY(p);
        QCOMPARE(residentPages(p, length), size_t(0));
        QVERIFY(m_pages->FreePages(p, length));
        // The wasm memory's size: a snapshot is mapped over it, or most of it is never used.
        const size_t large = size_t(32) << 20;
        void* q = m_pages->AllocatePages(nullptr, large, m_unit, Permission::kReadWrite);
        QVERIFY(q);
        QCOMPARE(residentPages(q, large), size_t(0));
        QVERIFY(m_pages->FreePages(q, large));
    }
};

QTEST_GUILESS_MAIN(TestPopulatingPageAllocator)
#include "test_populatingpageallocator.moc"
