#pragma once

#include <v8-platform.h>

#include <cstddef>

namespace kiln {

// V8's page allocator, with the pages V8 makes writable faulted in by one madvise() instead
// of one page fault per 4 KB page as V8 first writes them. A start writes ~15 MB of fresh
// heap, code space and deserialised code; in a virtual machine each page fault is a trip
// through the hypervisor (~10 us here, against ~0.7 us per page populated in bulk), so those
// faults were a fifth of a cold start's time on the engine thread. Regions larger than
// `maxPopulateBytes` (the wasm memory, reservations) are left to fault as they are used:
// most of their pages are never touched, or a snapshot is mapped over them.
class PopulatingPageAllocator final : public v8::PageAllocator {
public:
    PopulatingPageAllocator(v8::PageAllocator& base, size_t maxPopulateBytes);

    size_t AllocatePageSize() override;
    size_t CommitPageSize() override;
    void SetRandomMmapSeed(int64_t seed) override;
    void* GetRandomMmapAddr() override;
    void* AllocatePages(void* address, size_t length, size_t alignment,
                        Permission permissions) override;
    bool FreePages(void* address, size_t length) override;
    bool ReleasePages(void* address, size_t length, size_t newLength) override;
    bool SetPermissions(void* address, size_t length, Permission permissions) override;
    bool DiscardSystemPages(void* address, size_t size) override;
    bool DecommitPages(void* address, size_t size) override;

private:
    void populate(void* address, size_t length, Permission permissions) const;

    v8::PageAllocator& m_base;
    size_t m_maxPopulateBytes;
};

} // namespace kiln
