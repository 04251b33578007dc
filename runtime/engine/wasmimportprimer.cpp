#include "engine/internal/wasmimportprimer.h"

#include "engine/internal/wasmreader.h"

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-wasm.h>

namespace kiln {

namespace {

constexpr uint8_t kTypeSection = 1, kImportSection = 2, kStartSection = 8;

QString nameAt(WasmReader& in) {
    const auto bytes = in.take(in.u32());
    return QString::fromUtf8(reinterpret_cast<const char*>(bytes.data()), qsizetype(bytes.size()));
}

void skipLimits(WasmReader& in) {
    const uint8_t flags = in.byte();
    in.u32();
    if (flags & 1) in.u32();
}

// Makes the stand-ins and the instance; the instance is dropped with the isolate.
constexpr const char* kInstantiate = R"js((module, imports) => {
  const standIns = [], namespaces = {};
  for (const [from, name, kind, params] of imports) {
    const into = namespaces[from] ??= {};
    if (kind === 0)
      into[name] = standIns[params] ??= new Function(...Array.from({ length: params }, (_, i) => "a" + i), "");
    else if (kind === 3)
      into[name] = new WebAssembly.Global({ value: "i32", mutable: true }, 0);
  }
  new WebAssembly.Instance(module, namespaces);
})js";

} // namespace

std::optional<WasmImports> wasmImports(std::span<const uint8_t> module) {
    WasmReader in(module);
    in.skip(8); // magic and version
    WasmImports out;
    std::vector<int> typeParams;
    while (in.ok() && !in.atEnd()) {
        const uint8_t id = in.byte();
        WasmReader section(in.take(in.u32()));
        if (id == kStartSection) out.hasStart = true;
        if (id != kTypeSection && id != kImportSection) continue;
        const uint32_t count = section.u32();
        for (uint32_t i = 0; i < count && section.ok(); ++i) {
            if (id == kTypeSection) {
                if (section.byte() != 0x60) return std::nullopt; // a function type
                const uint32_t params = section.u32();
                section.skip(params);
                section.skip(section.u32()); // results
                typeParams.push_back(int(params));
                continue;
            }
            WasmImport entry;
            entry.module = nameAt(section);
            entry.name = nameAt(section);
            entry.kind = section.byte();
            switch (entry.kind) {
            case 0: {
                const uint32_t type = section.u32();
                if (type >= typeParams.size()) return std::nullopt;
                entry.params = typeParams[type];
                break;
            }
            case 1:
                section.byte(); // element type
                skipLimits(section);
                break;
            case 2:
                skipLimits(section);
                break;
            case 3:
                section.byte(); // value type
                section.byte(); // mutability
                break;
            default:
                return std::nullopt;
            }
            out.imports.push_back(std::move(entry));
        }
        if (!section.ok()) return std::nullopt;
    }
    if (!in.ok()) return std::nullopt;
    return out;
}

bool primeImportWrappers(const JsScope& scope, v8::Local<v8::WasmModuleObject> module,
                         std::span<const uint8_t> bytes) {
    const auto parsed = wasmImports(bytes);
    if (!parsed || parsed->hasStart) return false;
    auto* isolate = scope.isolate;
    auto list = v8::Array::New(isolate, int(parsed->imports.size()));
    for (size_t i = 0; i < parsed->imports.size(); ++i) {
        const WasmImport& import = parsed->imports[i];
        v8::Local<v8::Value> fields[] = {toV8(isolate, import.module), toV8(isolate, import.name),
                                         v8::Integer::New(isolate, import.kind),
                                         v8::Integer::New(isolate, import.params)};
        list->Set(scope.context, uint32_t(i), v8::Array::New(isolate, fields, 4)).Check();
    }
    v8::TryCatch tryCatch(isolate);
    v8::Local<v8::Script> script;
    v8::Local<v8::Value> instantiate;
    v8::Local<v8::Value> args[] = {module, list};
    return v8::Script::Compile(scope.context, toV8(isolate, kInstantiate)).ToLocal(&script) &&
           script->Run(scope.context).ToLocal(&instantiate) && instantiate->IsFunction() &&
           !instantiate.As<v8::Function>()
                ->Call(scope.context, v8::Undefined(isolate), 2, args)
                .IsEmpty();
}

} // namespace kiln
