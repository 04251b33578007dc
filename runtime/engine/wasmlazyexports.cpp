#include "engine/internal/wasmlazyexports.h"

#include "engine/internal/hostfunctions.h"
#include "engine/internal/opstable.h"
#include "engine/internal/wasmcache.h"
#include "engine/internal/wasmreader.h"
#include "engine/internal/wasmtablelayout.h"
#include "engine/internal/wasmtableops.h"
#include "engine/internal/wasmwriter.h"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-typed-array.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace kiln {

namespace {

constexpr uint8_t kCustomSection = 0, kImportSection = 2, kTableSection = 4, kGlobalSection = 6,
                  kExportSection = 7, kElementSection = 9, kDataSection = 11, kI32 = 0x7f,
                  kI32Const = 0x41, kEnd = 0x0b;
constexpr std::string_view kSectionName = "kiln.exports", kDataMovedName = "kiln.data-moved";

void putI32(QByteArray& out, int32_t value) {
    int64_t v = value;
    while (true) {
        const uint8_t b = v & 0x7f;
        v >>= 7;
        if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
            out.append(char(b));
            return;
        }
        out.append(char(b | 0x80));
    }
}

void putBytes(QByteArray& out, std::span<const uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size()));
}

// Skips a constant expression (a global's initial value), recording its value when it is a
// lone i32.const. False on an opcode a constant expression cannot hold.
bool skipConstExpr(WasmReader& r, std::optional<int32_t>* i32) {
    *i32 = std::nullopt;
    bool lone = true;
    while (r.ok()) {
        const uint8_t op = r.byte();
        switch (op) {
        case kEnd:
            return r.ok();
        case kI32Const: {
            const int32_t v = r.i32();
            if (lone) *i32 = v;
            break;
        }
        case 0x42: // i64.const
            r.skipLeb();
            break;
        case 0x43: // f32.const
            r.skip(4);
            break;
        case 0x44: // f64.const
            r.skip(8);
            break;
        case 0x23: // global.get
        case 0xd2: // ref.func
            r.u32();
            break;
        case 0xd0: // ref.null heaptype
            r.skipLeb();
            break;
        case 0x6a:
        case 0x6b:
        case 0x6c:
        case 0x7c:
        case 0x7d:
        case 0x7e: // extended const
            break;
        default:
            return false;
        }
        if (op != kI32Const || !lone) *i32 = std::nullopt;
        lone = false;
    }
    return false;
}

struct Section {
    uint8_t id;
    std::span<const uint8_t> body;
};

struct Export {
    std::span<const uint8_t> raw; // the whole entry, as written
    std::string_view name;
    uint8_t kind;
    uint32_t index;
};

struct Layout {
    uint32_t importedFunctions = 0, importedGlobals = 0;
    std::vector<std::optional<int32_t>> constGlobals; // defined globals: immutable i32 consts
    std::vector<Export> exports;
};

bool readImports(WasmReader r, Layout& layout) {
    const uint32_t count = r.u32();
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
        r.skip(r.u32());
        r.skip(r.u32());
        switch (r.byte()) {
        case 0:
            r.u32();
            ++layout.importedFunctions;
            break;
        case 1: // a table: table 0 would come from outside
            return false;
        case 2:
            if (r.byte() & 1) r.u32();
            r.u32();
            break;
        case 3:
            r.skip(2);
            ++layout.importedGlobals;
            break;
        case 4:
            r.byte();
            r.u32();
            break;
        default:
            return false;
        }
    }
    return r.ok();
}

bool readGlobals(WasmReader r, Layout& layout) {
    const uint32_t count = r.u32();
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
        const uint8_t type = r.byte();
        if (type == 0x7b) return false; // v128 (its const takes a prefix this skip does not know)
        const uint8_t mutability = r.byte();
        std::optional<int32_t> value;
        if (!skipConstExpr(r, &value)) return false;
        layout.constGlobals.push_back(type == kI32 && mutability == 0 ? value : std::nullopt);
    }
    return r.ok();
}

bool readExports(std::span<const uint8_t> body, Layout& layout) {
    WasmReader r(body);
    const uint32_t count = r.u32();
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
        const size_t start = r.pos();
        const auto name = r.take(r.u32());
        const uint8_t kind = r.byte();
        const uint32_t index = r.u32();
        if (!r.ok()) return false;
        layout.exports.push_back({body.subspan(start, r.pos() - start),
                                  {reinterpret_cast<const char*>(name.data()), name.size()},
                                  kind,
                                  index});
    }
    return r.ok();
}

// The data section's segments, when every one is active, in memory 0, at an i32.const
// offset: (offset in memory, bytes).
std::optional<std::vector<std::pair<uint32_t, std::span<const uint8_t>>>>
readDataSegments(std::span<const uint8_t> body) {
    WasmReader r(body);
    std::vector<std::pair<uint32_t, std::span<const uint8_t>>> out(r.u32());
    for (auto& [offset, bytes] : out) {
        if (r.u32() != 0 || r.byte() != kI32Const) return std::nullopt;
        offset = uint32_t(r.i32());
        if (r.byte() != kEnd) return std::nullopt;
        bytes = r.take(r.u32());
        if (!r.ok()) return std::nullopt;
    }
    if (!r.ok() || !r.atEnd()) return std::nullopt;
    return out;
}

// The same segments, each empty: same count (a data count section still holds), same offsets.
QByteArray
emptiedDataSection(const std::vector<std::pair<uint32_t, std::span<const uint8_t>>>& segments) {
    QByteArray body;
    putU32(body, uint32_t(segments.size()));
    for (const auto& segment : segments) {
        body.append(char(0)).append(char(kI32Const));
        putI32(body, int32_t(segment.first));
        body.append(char(kEnd)).append(char(0));
    }
    return body;
}

// The module's sections in order, or nothing when it is not a wasm module or is cut short.
std::optional<std::vector<Section>> sectionsOf(std::span<const uint8_t> module) {
    static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    if (module.size() < sizeof magic || std::memcmp(module.data(), magic, sizeof magic) != 0)
        return std::nullopt;
    std::vector<Section> out;
    WasmReader r(module.subspan(sizeof magic));
    while (!r.atEnd()) {
        const uint8_t id = r.byte();
        const auto body = r.take(r.u32());
        if (!r.ok()) return std::nullopt;
        out.push_back({id, body});
    }
    return out;
}

// The body (after its name) of the custom section `name`, if the module has one.
std::optional<std::span<const uint8_t>> customSection(std::span<const uint8_t> module,
                                                      std::string_view name) {
    const auto sections = sectionsOf(module);
    if (!sections) return std::nullopt;
    for (const auto& s : *sections) {
        if (s.id != kCustomSection) continue;
        WasmReader r(s.body);
        const auto text = r.take(r.u32());
        if (r.ok() &&
            std::string_view(reinterpret_cast<const char*>(text.data()), text.size()) == name)
            return s.body.subspan(r.pos());
    }
    return std::nullopt;
}

} // namespace

bool isEmscriptenInternalSymbol(std::string_view name) {
    static constexpr std::array<std::string_view, 19> names = {"memory",
                                                               "__memory_base",
                                                               "__table_base",
                                                               "__stack_pointer",
                                                               "__indirect_function_table",
                                                               "__cpp_exception",
                                                               "__c_longjmp",
                                                               "__wasm_apply_data_relocs",
                                                               "__dso_handle",
                                                               "__tls_size",
                                                               "__tls_align",
                                                               "__set_stack_limits",
                                                               "_emscripten_tls_init",
                                                               "__wasm_init_tls",
                                                               "__wasm_call_ctors",
                                                               "__start_em_asm",
                                                               "__stop_em_asm",
                                                               "__start_em_js",
                                                               "__stop_em_js"};
    for (const auto& n : names)
        if (name == n) return true;
    return name.starts_with("__em_js__");
}

std::optional<QByteArray> rewriteWasmExports(std::span<const uint8_t> module) {
    const auto start = readWasmStartTable(module);
    const auto sections = sectionsOf(module);
    if (!start || !sections || customSection(module, kSectionName)) return std::nullopt;
    Layout layout;
    for (const auto& s : *sections) {
        bool ok = true;
        if (s.id == kImportSection) ok = readImports(WasmReader(s.body), layout);
        if (s.id == kGlobalSection) ok = readGlobals(WasmReader(s.body), layout);
        if (s.id == kExportSection) ok = readExports(s.body, layout);
        if (!ok) return std::nullopt;
    }

    // Where each export goes, in export order: the slots updateGOT would have given.
    std::vector<LazyExport> listed;
    std::vector<uint32_t> added;
    std::unordered_map<uint32_t, int32_t> addedSlot;
    QByteArray keptExports;
    uint32_t kept = 0;
    for (const auto& e : layout.exports) {
        LazyExport out{std::string(e.name), LazyExport::Kept, 0};
        if (e.kind == 0 && !isEmscriptenInternalSymbol(e.name)) {
            if (e.index < layout.importedFunctions) return std::nullopt; // a re-exported import
            if (e.index >= start->slotOfFunction.size()) return std::nullopt;
            int32_t slot = start->slotOfFunction[e.index];
            if (!slot) {
                auto [it, fresh] =
                    addedSlot.try_emplace(e.index, int32_t(start->length + added.size()));
                if (fresh) added.push_back(e.index);
                slot = it->second;
            }
            out.kind = LazyExport::Function;
            out.value = slot;
        } else if (e.kind == 3 && e.index >= layout.importedGlobals &&
                   e.index - layout.importedGlobals < layout.constGlobals.size() &&
                   layout.constGlobals[e.index - layout.importedGlobals]) {
            out.kind = LazyExport::Global;
            out.value = *layout.constGlobals[e.index - layout.importedGlobals];
        } else {
            putBytes(keptExports, e.raw);
            ++kept;
        }
        listed.push_back(std::move(out));
    }

    QByteArray out(reinterpret_cast<const char*>(module.data()), 8); // the header, as it was
    bool dataMoved = false;
    for (const auto& s : *sections) {
        QByteArray body;
        if (s.id == kTableSection) {
            WasmReader t(s.body);
            const uint32_t count = t.u32();
            const uint8_t type = t.byte(), limits = t.byte();
            const uint32_t initial = t.u32();
            const bool bounded = limits & 1;
            const uint32_t maximum = bounded ? t.u32() : 0;
            const uint64_t grown = uint64_t(initial) + added.size();
            if (!t.ok() || count == 0 || initial != start->length || grown > (1u << 24) ||
                (bounded && maximum < grown))
                return std::nullopt;
            putU32(body, count);
            body.append(char(type)).append(char(limits));
            putU32(body, uint32_t(grown));
            if (bounded) putU32(body, maximum);
            putBytes(body, t.take(s.body.size() - t.pos()));
        } else if (s.id == kExportSection) {
            putU32(body, kept);
            body.append(keptExports);
        } else if (const auto segments =
                       s.id == kDataSection ? readDataSegments(s.body) : std::nullopt) {
            body = emptiedDataSection(*segments);
            dataMoved = true;
        } else if (s.id == kElementSection && !added.empty()) {
            WasmReader el(s.body);
            const uint32_t count = el.u32();
            if (!el.ok()) return std::nullopt;
            putU32(body, count + 1);
            putBytes(body, el.take(s.body.size() - el.pos()));
            body.append(char(0)).append(char(kI32Const)); // active, table 0, at i32.const
            putI32(body, int32_t(start->length));
            body.append(char(kEnd));
            putU32(body, uint32_t(added.size()));
            for (uint32_t f : added)
                putU32(body, f);
        } else {
            putBytes(body, s.body);
        }
        putSection(out, s.id, body);
    }
    // An element section is needed to hold the segment: Pyodide's module always has one.
    if (!added.empty() && std::none_of(sections->begin(), sections->end(),
                                       [](const Section& s) { return s.id == kElementSection; }))
        return std::nullopt;

    QByteArray listing;
    putName(listing, kSectionName);
    putU32(listing, uint32_t(listed.size()));
    for (const auto& e : listed) {
        putName(listing, e.name);
        listing.append(char(e.kind));
        putI32(listing, e.value);
    }
    putSection(out, kCustomSection, listing);
    if (dataMoved) {
        QByteArray marker;
        putName(marker, kDataMovedName);
        putSection(out, kCustomSection, marker);
    }
    return out;
}

bool hasMovedData(std::span<const uint8_t> module) {
    return customSection(module, kDataMovedName).has_value();
}

bool copyDataSegments(std::span<const uint8_t> original, std::span<uint8_t> memory) {
    const auto sections = sectionsOf(original);
    if (!sections) return false;
    const auto data = std::find_if(sections->begin(), sections->end(),
                                   [](const Section& s) { return s.id == kDataSection; });
    if (data == sections->end()) return true; // nothing to copy
    const auto segments = readDataSegments(data->body);
    if (!segments) return false;
    for (const auto& [offset, bytes] : *segments)
        if (uint64_t(offset) + bytes.size() > memory.size()) return false;
    for (const auto& [offset, bytes] : *segments)
        if (!bytes.empty()) std::memcpy(memory.data() + offset, bytes.data(), bytes.size());
    return true;
}

std::optional<std::vector<LazyExport>> readLazyExports(std::span<const uint8_t> module) {
    const auto listing = customSection(module, kSectionName);
    if (!listing) return std::nullopt;
    WasmReader r(*listing);
    const uint32_t count = r.u32();
    if (!r.ok() || count > listing->size()) return std::nullopt;
    std::vector<LazyExport> out(count);
    for (auto& e : out) {
        const auto text = r.take(r.u32());
        e.name.assign(reinterpret_cast<const char*>(text.data()), text.size());
        const uint8_t kind = r.byte();
        if (kind > LazyExport::Global) return std::nullopt;
        e.kind = LazyExport::Kind(kind);
        e.value = r.i32();
        if (!r.ok()) return std::nullopt;
    }
    return out;
}

QString lazyWasmKey(const QString& wasmPath) {
    // The suffix names this rewrite's format: a change to it must change the suffix.
    return wasmModuleKey(wasmPath) + QStringLiteral(":exports-in-table-data-moved-1");
}

QString lazyWasmFile(const QString& wasmPath) {
    return cacheFilePath(QStringLiteral("module-"), lazyWasmKey(wasmPath), QStringLiteral(".bin"));
}

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

std::span<const uint8_t> bytesOfView(v8::Local<v8::Value> value) {
    auto view = value.As<v8::Uint8Array>();
    const auto* data =
        static_cast<const uint8_t*>(view->Buffer()->GetBackingStore()->Data()) + view->ByteOffset();
    return {data, view->ByteLength()};
}

// The rewritten module of the wasm file at args[0], whose bytes args[1] holds: { key, bytes }
// from the cache (checked), or rewritten now and written to the cache in the background.
// Null when caching is off (a rewrite per start would cost about what it saves) or the
// module cannot be rewritten: the caller instantiates the original.
void opLazyWasmModule(Args args) {
    args.GetReturnValue().SetNull();
    if (!codeCacheEnabled() || !args[1]->IsUint8Array()) return;
    auto* isolate = args.GetIsolate();
    auto context = isolate->GetCurrentContext();
    const QString wasmPath = toQString(isolate, args[0]);
    const QString file = lazyWasmFile(wasmPath);
    v8::Local<v8::ArrayBuffer> buffer = checkedMappedFile(isolate, file);
    if (buffer.IsEmpty()) {
        auto rewritten = rewriteWasmExports(bytesOfView(args[1]));
        if (!rewritten) return;
        writeCacheInBackground(file, *rewritten); // shares the bytes (copy-on-write)
        auto* bytes = new QByteArray(std::move(*rewritten));
        auto store = v8::ArrayBuffer::NewBackingStore(
            bytes->data(), size_t(bytes->size()),
            [](void*, size_t, void* owner) { delete static_cast<QByteArray*>(owner); }, bytes);
        buffer = v8::ArrayBuffer::New(isolate, std::move(store));
    }
    auto out = v8::Object::New(isolate);
    out->Set(context, toV8(isolate, "key"), toV8(isolate, lazyWasmKey(wasmPath))).Check();
    out->Set(context, toV8(isolate, "bytes"), v8::Uint8Array::New(buffer, 0, buffer->ByteLength()))
        .Check();
    args.GetReturnValue().Set(out);
}

void opLazyExports(Args args) {
    args.GetReturnValue().SetNull();
    if (!args[0]->IsUint8Array()) return;
    const auto listed = readLazyExports(bytesOfView(args[0]));
    if (!listed) return;
    auto* isolate = args.GetIsolate();
    auto context = isolate->GetCurrentContext();
    std::vector<v8::Local<v8::Value>> names;
    names.reserve(listed->size());
    auto codes = v8::ArrayBuffer::New(isolate, listed->size() * 2 * sizeof(int32_t));
    auto* code = static_cast<int32_t*>(codes->GetBackingStore()->Data());
    for (const auto& e : *listed) {
        v8::Local<v8::String> name;
        if (!v8::String::NewFromUtf8(isolate, e.name.data(), v8::NewStringType::kInternalized,
                                     int(e.name.size()))
                 .ToLocal(&name))
            return;
        names.push_back(name);
        *code++ = e.kind;
        *code++ = e.value;
    }
    auto out = v8::Object::New(isolate);
    out->Set(context, toV8(isolate, "names"), v8::Array::New(isolate, names.data(), names.size()))
        .Check();
    out->Set(context, toV8(isolate, "codes"), v8::Int32Array::New(codes, 0, listed->size() * 2))
        .Check();
    out->Set(context, toV8(isolate, "dataMoved"),
             v8::Boolean::New(isolate, hasMovedData(bytesOfView(args[0]))))
        .Check();
    args.GetReturnValue().Set(out);
}

// The original module's data segments copied into the wasm memory, as instantiating the
// original would have (the rewritten module's are empty): before any of its code runs.
void opCopyDataSegments(Args args) {
    args.GetReturnValue().Set(false);
    if (!args[0]->IsArrayBuffer() || !args[1]->IsUint8Array()) return;
    auto store = args[0].As<v8::ArrayBuffer>()->GetBackingStore();
    args.GetReturnValue().Set(copyDataSegments(
        bytesOfView(args[1]), {static_cast<uint8_t*>(store->Data()), store->ByteLength()}));
}

} // namespace

void installWasmLazyExportOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, &runtime,
                   {{"lazyWasmModule", opLazyWasmModule},
                    {"wasmLazyExports", opLazyExports},
                    {"copyDataSegments", opCopyDataSegments}});
}

} // namespace kiln
