#include "engine/internal/populatingpageallocator.h"

#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 // Linux 5.14; older kernels refuse it (EINVAL): pages then fault
#endif

namespace kiln {

PopulatingPageAllocator::PopulatingPageAllocator(v8::PageAllocator& base, size_t maxPopulateBytes)
    : m_base(base)
    , m_maxPopulateBytes(maxPopulateBytes) {}

size_t PopulatingPageAllocator::AllocatePageSize() {
    return m_base.AllocatePageSize();
}
size_t PopulatingPageAllocator::CommitPageSize() {
    return m_base.CommitPageSize();
}
void PopulatingPageAllocator::SetRandomMmapSeed(int64_t seed) {
    m_base.SetRandomMmapSeed(seed);
}
void* PopulatingPageAllocator::GetRandomMmapAddr() {
    return m_base.GetRandomMmapAddr();
}

void* PopulatingPageAllocator::AllocatePages(void* address, size_t length, size_t alignment,
                                             Permission permissions) {
    void* pages = m_base.AllocatePages(address, length, alignment, permissions);
    if (pages) populate(pages, length, permissions);
    return pages;
}

bool PopulatingPageAllocator::FreePages(void* address, size_t length) {
    return m_base.FreePages(address, length);
}
bool PopulatingPageAllocator::ReleasePages(void* address, size_t length, size_t newLength) {
    return m_base.ReleasePages(address, length, newLength);
}

// V8 reserves inaccessible ranges and commits pages by making them writable: that is when
// they are about to be written.
bool PopulatingPageAllocator::SetPermissions(void* address, size_t length, Permission permissions) {
    if (!m_base.SetPermissions(address, length, permissions)) return false;
    populate(address, length, permissions);
    return true;
}

bool PopulatingPageAllocator::DiscardSystemPages(void* address, size_t size) {
    return m_base.DiscardSystemPages(address, size);
}
bool PopulatingPageAllocator::DecommitPages(void* address, size_t size) {
    return m_base.DecommitPages(address, size);
}

void PopulatingPageAllocator::populate(void* address, size_t length, Permission permissions) const {
    if (length > m_maxPopulateBytes) return;
    if (permissions != kReadWrite && permissions != kReadWriteExecute) return;
    // Pages already there (code pages toggled back to writable) cost a page-table walk.
    madvise(address, length, MADV_POPULATE_WRITE); // a hint: on failure the pages fault
}

} // namespace kiln
