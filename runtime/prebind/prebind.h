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

// Binds a shared object's references to its own global functions when Kiln builds it,
// instead of in the dynamic linker at every start. Debian's libnode exports V8's and Node's
// functions with default visibility and calls them through its GOT, so each of ~34,000 such
// references costs a symbol lookup in every process (~8 ms of kiln's start here); the linker's
// -Bsymbolic would have made them relative relocations, and this does the same to the built
// file: a GLOB_DAT, JUMP_SLOT or 64-bit relocation against a global, default- or
// protected-visibility function the object defines becomes R_X86_64_RELATIVE with the
// function's address as addend. Left to the loader: weak functions (an executable's copy of
// an inline function wins, as it does now), data (an executable's copy relocation must win),
// IFUNCs, TLS and unique symbols. What no longer happens is interposition of the converted
// functions by an executable or LD_PRELOAD defining the same global name, which nothing in
// Kiln does; exportedSymbols() lets a test check that.
// The object must be bound now (DF_BIND_NOW or DF_1_NOW): a lazily bound PLT cannot hold a
// relative relocation. Idempotent: a second pass converts nothing. `image` is the file's
// bytes, changed in place only on success.
std::expected<PrebindReport, QString> prebindOwnFunctions(QByteArray& image);

// The names an ELF object's dynamic symbol table defines, or gives an address while undefined
// (a non-PIE executable's PLT entry, the canonical address of a function it calls): the
// names the loader would bind a library's references to in that object first.
std::expected<QSet<QByteArray>, QString> exportedSymbols(const QByteArray& image);

} // namespace kiln
