#pragma once

#include <QString>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kiln {

// The pages of a mapped memory snapshot that a start touched, kept in a list beside the
// snapshot file so the next start populates them in a few calls instead of faulting them in
// one by one. A restore maps the snapshot copy-on-write (wasmcache.cpp, opMapOntoMemory); a
// start then writes ~800 of its pages and reads ~150 more, and in a VM each of those faults
// costs ~10 us against ~0.7 us a page populated in bulk. The list is a hint: it names the
// snapshot it was made from (the file's digest), a list for another snapshot or a damaged one
// is ignored (and made again), and a wrong one costs memory for pages populated in vain, never a
// wrong byte.
class SnapshotPages {
public:
    struct Run {
        uint32_t first = 0; // page index from the mapping's start
        uint32_t count = 0;
        bool written = false; // written (a private copy) rather than only read
    };

    // The runs of pages in [base, base + length) that are present in this process, from
    // /proc/self/pagemap: written pages of a private file mapping are anonymous copies, read
    // ones the file's. Empty when pagemap cannot be read.
    static std::vector<Run> touched(const void* base, size_t length);

    // After `file` was mapped at `base` for `length` bytes: populates the pages its list
    // names (written runs writable, read runs readable) if the list was made from the file as
    // it is now. Returns the number of pages populated.
    static size_t prefetch(const QString& file, void* base, size_t length);

    // Writes the list of the pages of [base, base + length) touched so far beside `file`,
    // unless one made from the file as it is now is there. Returns whether it wrote one.
    static bool record(const QString& file, const void* base, size_t length);

    static QString listPath(const QString& file) { return file + QStringLiteral(".pages"); }
};

} // namespace kiln
