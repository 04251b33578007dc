#include "engine/internal/wasmtablelayout.h"

#include "engine/internal/opstable.h"
#include "engine/internal/wasmimportwrappers.h"
#include "engine/internal/wasmreader.h"
#include "engine/internal/wasmtableops.h"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-typed-array.h>

#include <cstring>
#include <utility>

namespace kiln {

namespace {

constexpr uint8_t kImportSection = 2, kFunctionSection = 3, kTableSection = 4, kElementSection = 9,
                  kFuncRef = 0x70, kI32Const = 0x41, kEnd = 0x0b;

// The table section's first table (table 0, as none is imported): its initial length.
std::optional<uint32_t> firstTableLength(WasmReader& r) {
    if (r.u32() == 0) return std::nullopt;
    if (r.byte() != kFuncRef) return std::nullopt;
    const uint8_t limits = r.byte();
    const uint32_t initial = r.u32();
    if (limits & 1) r.u32();
    return r.ok() ? std::optional(initial) : std::nullopt;
}

// The import section's function imports (they come first in the function index space); nothing
// for a module that imports a table.
std::optional<uint32_t> importedFunctions(WasmReader& r) {
    uint32_t functions = 0;
    const uint32_t count = r.u32();
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
        r.skip(r.u32()); // module name
        r.skip(r.u32()); // field name
        switch (r.byte()) {
        case 0: // function: type index
            r.u32();
            ++functions;
            break;
        case 1: // table: an imported one would be table 0, whose contents come from outside
            return std::nullopt;
        case 2: // memory: limits
            if (r.byte() & 1) r.u32();
            r.u32();
            break;
        case 3: // global: valtype, mutability
            r.skip(2);
            break;
        case 4: // tag: attribute, type index
            r.byte();
            r.u32();
            break;
        default:
            return std::nullopt;
        }
    }
    return r.ok() ? std::optional(functions) : std::nullopt;
}

// Applies the active segments for table 0 to `table` (slot -> function index + 1).
bool applySegments(WasmReader& r, std::vector<uint32_t>& table) {
    const uint32_t count = r.u32();
    for (uint32_t s = 0; s < count && r.ok(); ++s) {
        const uint32_t flags = r.u32();
        if (flags > 3) return false; // expression elements
        uint32_t tableIndex = 0;
        if (flags == 2) tableIndex = r.u32();
        const bool active = flags == 0 || flags == 2;
        uint32_t offset = 0;
        if (active) {
            if (r.byte() != kI32Const) return false;
            offset = uint32_t(r.i32());
            if (r.byte() != kEnd) return false;
        }
        if (flags != 0 && r.byte() != 0x00) return false; // elemkind funcref
        const uint32_t n = r.u32();
        for (uint32_t i = 0; i < n && r.ok(); ++i) {
            const uint32_t function = r.u32();
            if (!active || tableIndex != 0) continue;
            // Out of range traps the instantiation: no table for this reader to describe.
            if (uint64_t(offset) + i >= table.size()) return false;
            table[offset + i] = function + 1;
        }
    }
    return r.ok();
}

} // namespace

std::optional<WasmStartTable> readWasmStartTable(std::span<const uint8_t> module) {
    static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    if (module.size() < sizeof magic || std::memcmp(module.data(), magic, sizeof magic) != 0)
        return std::nullopt;
    WasmReader r(module.subspan(sizeof magic));
    std::optional<uint32_t> length;
    uint64_t functions = 0;
    std::vector<uint32_t> table;
    while (!r.atEnd()) {
        const uint8_t id = r.byte();
        const uint32_t size = r.u32();
        if (!r.ok()) return std::nullopt;
        const size_t end = r.pos() + size;
        if (id == kImportSection) {
            const auto imported = importedFunctions(r);
            if (!imported) return std::nullopt;
            functions += *imported;
        } else if (id == kFunctionSection) {
            functions += r.u32();
        } else if (id == kTableSection) {
            length = firstTableLength(r);
            if (!length || *length > (1u << 24)) return std::nullopt;
            table.assign(*length, 0);
        } else if (id == kElementSection) {
            if (!length || !applySegments(r, table)) return std::nullopt;
        }
        if (r.pos() > end) return std::nullopt;
        r.skip(end - r.pos());
        if (!r.ok()) return std::nullopt;
    }
    if (!length || functions > (1u << 24)) return std::nullopt;
    WasmStartTable out;
    out.length = *length;
    out.slotOfFunction.assign(functions, 0);
    // Ascending slots, a later one overwriting: the answer a scan of the live table gives.
    for (uint32_t slot = 0; slot < table.size(); ++slot) {
        if (!table[slot]) continue;
        const uint32_t function = table[slot] - 1;
        if (function >= out.slotOfFunction.size()) return std::nullopt; // fails validation
        out.slotOfFunction[function] = int32_t(slot);
    }
    return out;
}

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

void opWasmStartTable(Args args) {
    args.GetReturnValue().SetNull();
    if (!args[0]->IsUint8Array()) return;
    auto view = args[0].As<v8::Uint8Array>();
    auto store = view->Buffer()->GetBackingStore();
    const auto* data = static_cast<const uint8_t*>(store->Data()) + view->ByteOffset();
    const auto table = readWasmStartTable({data, view->ByteLength()});
    if (!table) return;
    auto* isolate = args.GetIsolate();
    auto context = isolate->GetCurrentContext();
    const size_t bytes = table->slotOfFunction.size() * sizeof(int32_t);
    auto buffer = v8::ArrayBuffer::New(isolate, bytes);
    std::memcpy(buffer->GetBackingStore()->Data(), table->slotOfFunction.data(), bytes);
    auto out = v8::Object::New(isolate);
    out->Set(context, toV8(isolate, "length"), v8::Integer::NewFromUnsigned(isolate, table->length))
        .Check();
    out->Set(context, toV8(isolate, "slots"),
             v8::Int32Array::New(buffer, 0, table->slotOfFunction.size()))
        .Check();
    args.GetReturnValue().Set(out);
}

void opWasmImportWrappers(Args args) {
    args.GetReturnValue().SetNull();
    auto* isolate = args.GetIsolate();
    auto context = isolate->GetCurrentContext();
    if (!args[0]->IsArray() || !args[1]->IsObject()) return;
    auto list = args[0].As<v8::Array>();
    auto codes = args[1].As<v8::Object>();
    std::array<uint8_t, 128> typeCodes{};
    std::array<bool, 128> asked{}; // each letter looked up once, found or not
    QByteArrayList sigs;
    for (uint32_t i = 0; i < list->Length(); ++i) {
        v8::Local<v8::Value> sig;
        if (!list->Get(context, i).ToLocal(&sig) || !sig->IsString()) return;
        sigs << toLatin1(isolate, sig);
        for (char letter : sigs.back()) {
            if (uchar(letter) >= asked.size() || std::exchange(asked[uchar(letter)], true))
                continue;
            v8::Local<v8::Value> value;
            if (codes->Get(context, toV8(isolate, QString(QLatin1Char(letter)))).ToLocal(&value) &&
                value->IsUint32() && value.As<v8::Uint32>()->Value() < 256)
                typeCodes[uchar(letter)] = uint8_t(value.As<v8::Uint32>()->Value());
        }
    }
    if (const auto bytes = importWrapperModule(sigs, typeCodes))
        args.GetReturnValue().Set(toUint8Array(isolate, *bytes));
}

} // namespace

void installWasmTableOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    installOpTable(
        scope, ops, &runtime,
        {{"wasmStartTable", opWasmStartTable}, {"wasmImportWrappers", opWasmImportWrappers}});
}

} // namespace kiln
