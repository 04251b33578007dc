#include "prebind.h"

#include <elf.h>

#include <cstring>
#include <optional>
#include <vector>

namespace kiln {
namespace {

// Reads and writes the file's structures by copy: nothing in a file is aligned for us.
template <typename T> std::optional<T> readAt(const QByteArray& image, quint64 offset) {
    if (offset > quint64(image.size()) || quint64(image.size()) - offset < sizeof(T))
        return std::nullopt;
    T value;
    std::memcpy(&value, image.constData() + offset, sizeof(T));
    return value;
}

template <typename T> void writeAt(QByteArray& image, quint64 offset, const T& value) {
    std::memcpy(image.data() + offset, &value, sizeof(T));
}

// Indices, not pointers, into `headers`: the struct is moved around.
struct Sections {
    Elf64_Half type = 0;
    std::vector<Elf64_Shdr> headers;
    size_t dynsymIndex = 0;
    size_t dynstrIndex = 0;
    const Elf64_Shdr& dynsym() const { return headers[dynsymIndex]; }
    const Elf64_Shdr& dynstr() const { return headers[dynstrIndex]; }
};

bool inFile(const QByteArray& image, const Elf64_Shdr& section) {
    return section.sh_type == SHT_NOBITS ||
           (section.sh_offset <= quint64(image.size()) &&
            section.sh_size <= quint64(image.size()) - section.sh_offset);
}

std::expected<Sections, QString> readSections(const QByteArray& image) {
    const auto header = readAt<Elf64_Ehdr>(image, 0);
    if (!header || std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0)
        return std::unexpected(QStringLiteral("not an ELF file"));
    if (header->e_ident[EI_CLASS] != ELFCLASS64 || header->e_ident[EI_DATA] != ELFDATA2LSB ||
        header->e_machine != EM_X86_64)
        return std::unexpected(QStringLiteral("not a 64-bit little-endian x86-64 ELF file"));
    if (header->e_shentsize != sizeof(Elf64_Shdr) || header->e_shnum == 0)
        return std::unexpected(QStringLiteral("no section headers"));
    Sections sections;
    sections.type = header->e_type;
    for (quint64 i = 0; i < header->e_shnum; ++i) {
        const auto section = readAt<Elf64_Shdr>(image, header->e_shoff + i * sizeof(Elf64_Shdr));
        if (!section)
            return std::unexpected(
                QStringLiteral("section header %1 lies past the end of the file").arg(i));
        if (!inFile(image, *section))
            return std::unexpected(
                QStringLiteral("section %1 lies past the end of the file").arg(i));
        sections.headers.push_back(*section);
    }
    bool found = false;
    for (size_t i = 0; i < sections.headers.size(); ++i) {
        const Elf64_Shdr& section = sections.headers[i];
        if (section.sh_type != SHT_DYNSYM) continue;
        if (section.sh_link >= sections.headers.size() || section.sh_entsize != sizeof(Elf64_Sym))
            return std::unexpected(QStringLiteral("malformed dynamic symbol table"));
        sections.dynsymIndex = i;
        sections.dynstrIndex = section.sh_link;
        found = true;
    }
    if (!found) return std::unexpected(QStringLiteral("no dynamic symbol table"));
    return sections;
}

std::optional<Elf64_Sym> symbolAt(const QByteArray& image, const Sections& sections,
                                  quint64 index) {
    if (index >= sections.dynsym().sh_size / sizeof(Elf64_Sym)) return std::nullopt;
    return readAt<Elf64_Sym>(image, sections.dynsym().sh_offset + index * sizeof(Elf64_Sym));
}

std::optional<QByteArray> nameOf(const QByteArray& image, const Sections& sections,
                                 const Elf64_Sym& symbol) {
    const Elf64_Shdr& strings = sections.dynstr();
    if (symbol.st_name >= strings.sh_size) return std::nullopt;
    const char* begin = image.constData() + strings.sh_offset + symbol.st_name;
    const void* end = std::memchr(begin, '\0', strings.sh_size - symbol.st_name);
    if (!end) return std::nullopt;
    return QByteArray(begin, static_cast<const char*>(end) - begin);
}

// Whether the dynamic section has an entry `matches` accepts.
template <typename Match>
bool hasDynamic(const QByteArray& image, const Sections& sections, Match matches) {
    for (const Elf64_Shdr& section : sections.headers) {
        if (section.sh_type != SHT_DYNAMIC) continue;
        for (quint64 at = 0; at + sizeof(Elf64_Dyn) <= section.sh_size; at += sizeof(Elf64_Dyn)) {
            const auto entry = readAt<Elf64_Dyn>(image, section.sh_offset + at);
            if (!entry || entry->d_tag == DT_NULL) break;
            if (matches(*entry)) return true;
        }
    }
    return false;
}

bool boundNow(const QByteArray& image, const Sections& sections) {
    return hasDynamic(image, sections, [](const Elf64_Dyn& entry) {
        return entry.d_tag == DT_BIND_NOW ||
               (entry.d_tag == DT_FLAGS && (entry.d_un.d_val & DF_BIND_NOW)) ||
               (entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_NOW));
    });
}

// A position-independent executable is ET_DYN too; the linker marks it.
bool isExecutable(const QByteArray& image, const Sections& sections) {
    return hasDynamic(image, sections, [](const Elf64_Dyn& entry) {
        return entry.d_tag == DT_FLAGS_1 && (entry.d_un.d_val & DF_1_PIE);
    });
}

// A global or weak function defined here, with an address only this object can give it.
bool ownFunction(const Elf64_Sym& symbol) {
    const int visibility = ELF64_ST_VISIBILITY(symbol.st_other);
    const int binding = ELF64_ST_BIND(symbol.st_info);
    return symbol.st_shndx != SHN_UNDEF && symbol.st_shndx != SHN_ABS && symbol.st_value != 0 &&
           ELF64_ST_TYPE(symbol.st_info) == STT_FUNC &&
           (binding == STB_GLOBAL || binding == STB_WEAK) &&
           (visibility == STV_DEFAULT || visibility == STV_PROTECTED);
}

} // namespace

std::expected<PrebindReport, QString> prebindOwnFunctions(QByteArray& image,
                                                          const QSet<QByteArray>& keep) {
    const auto sections = readSections(image);
    if (!sections) return std::unexpected(sections.error());
    if (sections->type != ET_DYN || isExecutable(image, *sections))
        return std::unexpected(QStringLiteral("not a shared object"));
    if (!boundNow(image, *sections))
        return std::unexpected(
            QStringLiteral("not bound at load time (no BIND_NOW): its PLT is bound lazily"));
    QByteArray result = image;
    PrebindReport report;
    for (const Elf64_Shdr& section : sections->headers) {
        if (section.sh_type != SHT_RELA || section.sh_link != sections->dynsymIndex) continue;
        if (section.sh_entsize != sizeof(Elf64_Rela))
            return std::unexpected(QStringLiteral("malformed relocation table"));
        for (quint64 at = 0; at + sizeof(Elf64_Rela) <= section.sh_size; at += sizeof(Elf64_Rela)) {
            auto relocation = *readAt<Elf64_Rela>(image, section.sh_offset + at);
            const quint32 type = ELF64_R_TYPE(relocation.r_info);
            if (type != R_X86_64_GLOB_DAT && type != R_X86_64_JUMP_SLOT && type != R_X86_64_64)
                continue;
            const auto symbol = symbolAt(image, *sections, ELF64_R_SYM(relocation.r_info));
            if (!symbol)
                return std::unexpected(
                    QStringLiteral("a relocation names a symbol past the table's end"));
            if (!ownFunction(*symbol)) continue;
            const auto name = nameOf(image, *sections, *symbol);
            if (!name)
                return std::unexpected(
                    QStringLiteral("a symbol's name lies past the string table's end"));
            if (keep.contains(*name)) continue;
            // GLOB_DAT and JUMP_SLOT store S, R_X86_64_64 stores S + A; relative stores B + A.
            const qint64 addend = type == R_X86_64_64 ? relocation.r_addend : 0;
            relocation.r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE);
            relocation.r_addend = qint64(symbol->st_value) + addend;
            writeAt(result, section.sh_offset + at, relocation);
            ++report.converted;
            report.functions.insert(*name);
        }
    }
    image = std::move(result);
    return report;
}

std::expected<QSet<QByteArray>, QString> exportedSymbols(const QByteArray& image) {
    const auto sections = readSections(image);
    if (!sections) return std::unexpected(sections.error());
    QSet<QByteArray> names;
    const quint64 count = sections->dynsym().sh_size / sizeof(Elf64_Sym);
    for (quint64 i = 1; i < count; ++i) {
        const auto symbol = symbolAt(image, *sections, i);
        if (!symbol || (symbol->st_shndx == SHN_UNDEF && symbol->st_value == 0)) continue;
        const auto name = nameOf(image, *sections, *symbol);
        if (!name)
            return std::unexpected(
                QStringLiteral("a symbol's name lies past the string table's end"));
        names.insert(*name);
    }
    return names;
}

} // namespace kiln
