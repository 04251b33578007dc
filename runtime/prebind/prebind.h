#pragma once

#include <QByteArray>
#include <QSet>
#include <QString>

#include <expected>

namespace kiln {

struct PrebindReport {
    qsizetype converted = 0;    // relocations rewritten as relative ones
    QSet<QByteArray> functions; // the functions they named
};

// Binds a shared object's references to its own functions when Kiln builds it, instead of
// in the dynamic linker at every start. Debian's libnode exports V8's and Node's functions
// with default visibility and calls them through its GOT, so each of ~52,000 such references
// costs a symbol lookup in every process (`kiln --version` took ~50 ms here, ~30 without
// them); the linker's -Bsymbolic would have made them relative relocations, and this does the
// same to the built file: a GLOB_DAT, JUMP_SLOT or 64-bit relocation against a global or weak,
// default- or protected-visibility function the object defines becomes R_X86_64_RELATIVE with the
// function's address as addend.
// The loader would bind such a reference to the first definition in its search order: the
// executable's, then the object's own (libnode comes first among kiln's libraries). So the
// names in `keep`, the ones the executable that loads the object exports (exportedSymbols();
// an executable's copy of an inline function, say), stay with the loader, as do data (an
// executable's copy relocation must win), IFUNCs, TLS and unique symbols. What no longer
// happens is interposition of the converted functions by LD_PRELOAD, which nothing in Kiln
// does (sanitizer runtimes replace libc's and libstdc++'s functions, not V8's).
// The object must be bound now (DF_BIND_NOW or DF_1_NOW): a lazily bound PLT cannot hold a
// relative relocation. Idempotent: a second pass converts nothing. `image` is the file's
// bytes, changed in place only on success.
std::expected<PrebindReport, QString> prebindOwnFunctions(QByteArray& image,
                                                          const QSet<QByteArray>& keep = {});

// The names an ELF object's dynamic symbol table defines, or gives an address while undefined
// (a non-PIE executable's PLT entry, the canonical address of a function it calls): the
// names the loader would bind a library's references to in that object first.
std::expected<QSet<QByteArray>, QString> exportedSymbols(const QByteArray& image);

} // namespace kiln
