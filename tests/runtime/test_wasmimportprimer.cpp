// The wasm read-ahead primes V8's import wrappers (runtime/engine/internal/wasmimportprimer.h):
// a module's imports read from its bytes (kinds, parameter counts, a start function), broken
// modules refused, and wrappers made by an instance in one isolate used by an instance of the
// same compiled module in another, with real JS functions that get the right arguments.

#include "engine/internal/v8platform.h"
#include "engine/internal/wasmimportprimer.h"
#include "engine/internal/wasmwriter.h"

#include <QTest>

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-function.h>
#include <v8-initialization.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-wasm.h>

#include <memory>

using namespace kiln;

namespace {

std::span<const uint8_t> bytesOf(const QByteArray& bytes) {
    return {reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())};
}

// (i32, i32) -> i32 and () -> (); env.add of the first, env.tick of the second, a GOT global,
// and with `memoryAndTable` a memory and a table; "run" calls add with its own two arguments.
// With a start section (tick) when `start`.
QByteArray testModule(bool memoryAndTable, bool start = false) {
    QByteArray out("\0asm\1\0\0\0", 8);
    QByteArray types;
    putU32(types, 2);
    types.append("\x60\x02\x7f\x7f\x01\x7f", 6);
    types.append("\x60\x00\x00", 3);
    putSection(out, 1, types);
    QByteArray imports;
    putU32(imports, memoryAndTable ? 5 : 3);
    putName(imports, "env");
    putName(imports, "add");
    imports.append('\0');
    putU32(imports, 0);
    putName(imports, "env");
    putName(imports, "tick");
    imports.append('\0');
    putU32(imports, 1);
    putName(imports, "GOT.func");
    putName(imports, "g");
    imports.append("\x03\x7f\x01", 3);
    if (memoryAndTable) {
        putName(imports, "env");
        putName(imports, "mem");
        imports.append("\x02\x00\x01", 3);
        putName(imports, "env");
        putName(imports, "tab");
        imports.append("\x01\x70\x01\x01\x02", 5);
    }
    putSection(out, 2, imports);
    QByteArray functions;
    putU32(functions, 1);
    putU32(functions, 0);
    putSection(out, 3, functions);
    QByteArray exports;
    putU32(exports, 1);
    putName(exports, "run");
    exports.append('\0');
    putU32(exports, 2); // after the two imported functions
    putSection(out, 7, exports);
    if (start) {
        QByteArray body;
        putU32(body, 1); // tick
        putSection(out, 8, body);
    }
    QByteArray code;
    putU32(code, 1);
    const QByteArray body("\x00\x20\x00\x20\x01\x10\x00\x0b", 8); // no locals; add(a, b)
    putU32(code, uint32_t(body.size()));
    code.append(body);
    putSection(out, 10, code);
    return out;
}

// An isolate of its own with a context entered, as the read-ahead's.
struct Isolate {
    Isolate()
        : allocator(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {
        V8Platform::instance();
        v8::Isolate::CreateParams params;
        params.array_buffer_allocator = allocator.get();
        isolate = v8::Isolate::New(params);
        isolate->Enter();
        handles.emplace(isolate);
        context = v8::Context::New(isolate);
        context->Enter();
    }
    ~Isolate() {
        context->Exit();
        handles.reset();
        isolate->Exit();
        V8Platform::instance().detach(isolate);
        isolate->Dispose();
    }
    JsScope scope() const { return {isolate, context}; }
    v8::Local<v8::Value> run(const char* source) {
        return v8::Script::Compile(context, toV8(isolate, source))
            .ToLocalChecked()
            ->Run(context)
            .ToLocalChecked();
    }

    std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
    v8::Isolate* isolate = nullptr;
    std::optional<v8::HandleScope> handles;
    v8::Local<v8::Context> context;
};

} // namespace

class TestWasmImportPrimer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsImports();
    void refusesBrokenModules();
    void primedWrappersServeAnotherIsolate();
    void moduleWithAStartFunctionIsNotPrimed();
    void moduleImportingMemoryIsNotPrimed();
};

void TestWasmImportPrimer::readsImports() {
    const QByteArray module = testModule(true);
    const auto parsed = wasmImports(bytesOf(module));
    QVERIFY(parsed);
    QVERIFY(!parsed->hasStart);
    QCOMPARE(parsed->imports.size(), size_t(5));
    const auto& i = parsed->imports;
    QCOMPARE(i[0].module + '.' + i[0].name, QStringLiteral("env.add"));
    QCOMPARE(int(i[0].kind), 0);
    QCOMPARE(i[0].params, 2);
    QCOMPARE(i[1].name, QStringLiteral("tick"));
    QCOMPARE(i[1].params, 0);
    QCOMPARE(i[2].module, QStringLiteral("GOT.func"));
    QCOMPARE(int(i[2].kind), 3);
    QCOMPARE(int(i[3].kind), 2);
    QCOMPARE(int(i[4].kind), 1);
    QVERIFY(wasmImports(bytesOf(testModule(false, true)))->hasStart);
}

void TestWasmImportPrimer::refusesBrokenModules() {
    const QByteArray module = testModule(true);
    // Inside the type section, inside the import section, inside the code.
    for (qsizetype cut : {qsizetype(15), qsizetype(40), module.size() - 3})
        QVERIFY2(!wasmImports(bytesOf(module.left(cut))), qPrintable(QString::number(cut)));
    QByteArray badType = module;
    badType[8 + 3] = '\x5f'; // the first type is not a function type
    QVERIFY(!wasmImports(bytesOf(badType)));
}

void TestWasmImportPrimer::primedWrappersServeAnotherIsolate() {
    const QByteArray bytes = testModule(false);
    std::unique_ptr<v8::CompiledWasmModule> compiled;
    {
        Isolate first;
        auto module = v8::WasmModuleObject::Compile(first.isolate,
                                                    {bytesOf(bytes).data(), bytesOf(bytes).size()})
                          .ToLocalChecked();
        QVERIFY(primeImportWrappers(first.scope(), module, bytesOf(bytes)));
        compiled = std::make_unique<v8::CompiledWasmModule>(module->GetCompiledModule());
    }
    Isolate second;
    auto module =
        v8::WasmModuleObject::FromCompiledModule(second.isolate, *compiled).ToLocalChecked();
    second.context->Global()->Set(second.context, toV8(second.isolate, "compiled"), module).Check();
    const auto result = second.run(R"js(
      const instance = new WebAssembly.Instance(compiled, {
        env: { add: (a, b) => a * 10 + b, tick() {} },
        "GOT.func": { g: new WebAssembly.Global({ value: "i32", mutable: true }, 0) },
      });
      instance.exports.run(4, 2);
    )js");
    QCOMPARE(result->Int32Value(second.context).FromJust(), 42);
}

void TestWasmImportPrimer::moduleWithAStartFunctionIsNotPrimed() {
    const QByteArray bytes = testModule(false, true);
    Isolate isolate;
    auto module = v8::WasmModuleObject::Compile(isolate.isolate,
                                                {bytesOf(bytes).data(), bytesOf(bytes).size()})
                      .ToLocalChecked();
    QVERIFY(!primeImportWrappers(isolate.scope(), module, bytesOf(bytes)));
}

void TestWasmImportPrimer::moduleImportingMemoryIsNotPrimed() {
    // No stand-in for a memory or a table: the instance fails to link, nothing is primed.
    const QByteArray bytes = testModule(true);
    Isolate isolate;
    auto module = v8::WasmModuleObject::Compile(isolate.isolate,
                                                {bytesOf(bytes).data(), bytesOf(bytes).size()})
                      .ToLocalChecked();
    QVERIFY(!primeImportWrappers(isolate.scope(), module, bytesOf(bytes)));
}

QTEST_GUILESS_MAIN(TestWasmImportPrimer)
#include "test_wasmimportprimer.moc"
