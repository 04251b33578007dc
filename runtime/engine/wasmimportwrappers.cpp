#include "engine/internal/wasmimportwrappers.h"

#include "engine/internal/wasmwriter.h"

#include <map>
#include <vector>

namespace kiln {

namespace {

constexpr uint8_t kTypeSection = 1, kImportSection = 2, kFunctionSection = 3, kExportSection = 7,
                  kCodeSection = 10, kFuncType = 0x60, kFuncKind = 0, kLocalGet = 0x20,
                  kCall = 0x10, kEnd = 0x0b;

// A vector section: its entry count, then the entries.
void putVectorSection(QByteArray& out, uint8_t id, uint32_t count, const QByteArray& entries) {
    QByteArray body;
    putU32(body, count);
    putSection(out, id, body + entries);
}

} // namespace

std::optional<QByteArray> importWrapperModule(const QByteArrayList& sigs,
                                              const std::array<uint8_t, 128>& typeCodes) {
    const auto code = [&](char letter) -> uint8_t {
        return uchar(letter) < typeCodes.size() ? typeCodes[uchar(letter)] : 0;
    };
    // Types in order of first use.
    std::map<QByteArray, uint32_t> typeOf;
    QByteArray types;
    std::vector<uint32_t> typeIndex;
    for (const QByteArray& sig : sigs) {
        if (sig.isEmpty()) return std::nullopt;
        auto [it, added] = typeOf.try_emplace(sig, uint32_t(typeOf.size()));
        typeIndex.push_back(it->second);
        if (!added) continue;
        types.append(char(kFuncType));
        putU32(types, uint32_t(sig.size() - 1));
        for (qsizetype k = 1; k < sig.size(); ++k) {
            if (!code(sig[k])) return std::nullopt;
            types.append(char(code(sig[k])));
        }
        if (sig[0] == 'v') {
            types.append(char(0));
        } else {
            if (!code(sig[0])) return std::nullopt;
            types.append(char(1)).append(char(code(sig[0])));
        }
    }
    const auto count = uint32_t(sigs.size());
    QByteArray imports, functions, exports, bodies;
    for (uint32_t i = 0; i < count; ++i) {
        const QByteArray name = "f" + QByteArray::number(i);
        putName(imports, "e");
        putName(imports, std::string_view(name.constData(), size_t(name.size())));
        imports.append(char(kFuncKind));
        putU32(imports, typeIndex[i]);
        putU32(functions, typeIndex[i]);
        putName(exports, std::string_view(name.constData(), size_t(name.size())));
        exports.append(char(kFuncKind));
        putU32(exports, count + i);  // its own functions follow the imported ones
        QByteArray body(1, char(0)); // no locals
        for (uint32_t k = 0; k + 1 < uint32_t(sigs[i].size()); ++k) {
            body.append(char(kLocalGet));
            putU32(body, k);
        }
        body.append(char(kCall));
        putU32(body, i);
        body.append(char(kEnd));
        putU32(bodies, uint32_t(body.size()));
        bodies += body;
    }
    QByteArray out("\0asm\1\0\0\0", 8);
    putVectorSection(out, kTypeSection, uint32_t(typeOf.size()), types);
    putVectorSection(out, kImportSection, count, imports);
    putVectorSection(out, kFunctionSection, count, functions);
    putVectorSection(out, kExportSection, count, exports);
    putVectorSection(out, kCodeSection, count, bodies);
    return out;
}

} // namespace kiln
