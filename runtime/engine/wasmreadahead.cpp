#include "engine/internal/hostfunctions.h"
#include "engine/internal/jsruntime.h"
#include "engine/internal/sharedwasmmodules.h"
#include "engine/internal/v8platform.h"
#include "engine/internal/wasmcache.h"
#include "engine/internal/wasmimportprimer.h"
#include "engine/internal/wasmlazyexports.h"

#include <QFile>

#include <v8-array-buffer.h>
#include <v8-context.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-initialization.h>
#include <v8-isolate.h>
#include <v8-microtask-queue.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-typed-array.h>
#include <v8-wasm.h>

#include <QDeadlineTimer>

#include <chrono>
#include <thread>

namespace kiln {

namespace {

// In `scope`'s isolate: WebAssembly.compileStreaming with the cached code only (the streaming
// callback refuses to compile when V8 does not take the cached code), driven to its end. The
// wasm file is mapped, not read: V8 copies the bytes it is given anyway, and in a VM whose
// fresh pages cost several microseconds each, reading 10 MB into a new buffer first took
// ~30 ms of a read-ahead the engine thread waits for.
v8::MaybeLocal<v8::WasmModuleObject> compileFromCache(const JsScope& scope, const QString& wasmPath,
                                                      bool checked, const QString& key,
                                                      v8::Local<v8::ArrayBuffer>* bytes) {
    auto* isolate = scope.isolate;
    auto buffer = checked ? checkedMappedFile(isolate, wasmPath) : mappedFile(isolate, wasmPath, 1);
    if (buffer.IsEmpty()) return {};
    *bytes = buffer;
    const size_t size = buffer->ByteLength();
    auto source = v8::Object::New(isolate);
    setField(scope, source, "bytes", v8::Uint8Array::New(buffer, 0, size));
    setField(scope, source, "cacheKey", toV8(isolate, key));
    setField(scope, source, "cachedOnly", v8::True(isolate));

    v8::TryCatch tryCatch(isolate);
    v8::Local<v8::Value> webAssembly, compile, result;
    if (!scope.context->Global()
             ->Get(scope.context, toV8(isolate, "WebAssembly"))
             .ToLocal(&webAssembly) ||
        !webAssembly->IsObject() ||
        !webAssembly.As<v8::Object>()
             ->Get(scope.context, toV8(isolate, "compileStreaming"))
             .ToLocal(&compile) ||
        !compile->IsFunction())
        return {};
    v8::Local<v8::Value> args[] = {source};
    if (!compile.As<v8::Function>()->Call(scope.context, webAssembly, 1, args).ToLocal(&result) ||
        !result->IsPromise())
        return {};
    auto promise = result.As<v8::Promise>();
    // Deserialising settles the promise inside the call; a foreground task may still be owed.
    const QDeadlineTimer deadline(10000);
    while (true) {
        isolate->PerformMicrotaskCheckpoint();
        if (promise->State() != v8::Promise::kPending || deadline.hasExpired()) break;
        if (!V8Platform::instance().runForegroundTasks(isolate))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (promise->State() != v8::Promise::kFulfilled || !promise->Result()->IsWasmModuleObject())
        return {};
    return promise->Result().As<v8::WasmModuleObject>();
}

void readAhead(const QString& wasmPath, bool checked, const QString& key) {
    auto& platform = V8Platform::instance();
    std::unique_ptr<v8::ArrayBuffer::Allocator> allocator(
        v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator.get();
    v8::Isolate* isolate = v8::Isolate::New(params);
    {
        v8::Isolate::Scope isolateScope(isolate);
        v8::HandleScope handles(isolate);
        isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
        enableWasmStreaming(isolate);
        auto context = v8::Context::New(isolate);
        v8::Context::Scope contextScope(context);
        v8::Local<v8::ArrayBuffer> bytes;
        v8::Local<v8::WasmModuleObject> object;
        const bool ok =
            compileFromCache({isolate, context}, wasmPath, checked, key, &bytes).ToLocal(&object);
        // The engine may take the module now; its instance finds the import wrappers primed
        // below, or (V8 compiles them under one lock per module) waits for them.
        SharedWasmModules::instance().publishReadAhead(
            key,
            ok ? std::make_unique<v8::CompiledWasmModule>(object->GetCompiledModule()) : nullptr);
        if (ok)
            primeImportWrappers({isolate, context}, object,
                                {static_cast<const uint8_t*>(bytes->Data()), bytes->ByteLength()});
    }
    platform.detach(isolate);
    isolate->Dispose();
}

} // namespace

QString wasmModuleKey(const QString& wasmPath) {
    return wasmPath + QLatin1Char(':') + fileStamp(wasmPath);
}

void readWasmAhead(const QString& wasmPath) {
    if (!codeCacheEnabled()) return;
    // The module as worker.mjs instantiates it: rewritten (wasmlazyexports.h) when the
    // rewrite is cached, else the file itself.
    QString key = lazyWasmKey(wasmPath), file = lazyWasmFile(wasmPath);
    const bool rewritten = QFile::exists(file);
    if (!rewritten) {
        key = wasmModuleKey(wasmPath);
        file = wasmPath;
    }
    // Nothing cached (or caching off): the engine thread compiles, as before.
    if (!QFile::exists(wasmCacheFile(key))) return;
    if (!SharedWasmModules::instance().beginReadAhead(key)) return;
    // Ends the read-ahead only once its isolate is gone: waitForReadAheads() then means V8 is
    // no longer used on this thread.
    std::thread([file, rewritten, key] {
        readAhead(file, rewritten, key);
        SharedWasmModules::instance().endReadAhead(key);
    }).detach();
}

void waitForWasmReadAhead(int timeoutMs) {
    SharedWasmModules::instance().waitForReadAheads(timeoutMs);
}

} // namespace kiln
