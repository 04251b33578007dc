#pragma once

// Private to kiln_runtime: the only engine header that exposes v8:: types.

#include "engine/checkedfile.h"
#include "engine/eventloop.h"
#include "protocol/loglevel.h"

#include <QByteArray>
#include <QString>

#include <v8-context.h>
#include <v8-forward.h>
#include <v8-isolate.h>
#include <v8-local-handle.h>
#include <v8-persistent-handle.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace v8 {
class TryCatch;
class Module;
class Promise;
} // namespace v8

namespace kiln {

class CodeCache;
class ModuleLoader;

// Proof that the caller holds a HandleScope and has entered the runtime's context. Functions
// that touch JS take one, so a call from the wrong place does not compile.
struct JsScope {
    v8::Isolate* isolate;
    v8::Local<v8::Context> context;
};

// One isolate with one context, bound to the EventLoop of the thread that created it.
// Installs the host functions (the `__kiln` ops object and d8-style globals Pyodide's
// shell path looks for), runs microtasks after every loop task, loads ES modules from files.
class JsRuntime {
public:
    struct Options {
        std::function<void(LogLevel, LogSource, const QString&)> log;
        size_t heapLimitBytes = 0; // 0: V8's default
        // Called (isolate thread) when the JS heap nears its limit; execution is then
        // terminated and the runtime must be thrown away.
        std::function<void()> heapLimitReached;
    };

    JsRuntime(EventLoop& loop, Options options);
    ~JsRuntime();
    JsRuntime(const JsRuntime&) = delete;
    JsRuntime& operator=(const JsRuntime&) = delete;

    static JsRuntime* from(v8::Isolate* isolate);

    v8::Isolate* isolate() const { return m_isolate; }
    v8::Local<v8::Context> context() const { return m_context.Get(m_isolate); }
    EventLoop& loop() { return m_loop; }

    // Evaluates the module at `path` (and its imports); returns its evaluation promise, or an
    // empty handle with the exception reported.
    v8::MaybeLocal<v8::Promise> runModule(const JsScope& scope, const QString& path);
    v8::MaybeLocal<v8::Value> runScript(const JsScope& scope, const QString& source,
                                        const QString& name);
    // The same for a file's UTF-8 text, compiled through V8's code cache when it is large
    // (the prelude). writeCodeCaches() stores the caches such compiles (and Pyodide's glue)
    // lacked, with every function compiled so far: called once the worker has started.
    v8::MaybeLocal<v8::Value> runScript(const JsScope& scope, const QByteArray& utf8,
                                        const QString& name);
    void writeCodeCaches();

    // Reports an exception with its JS stack through the log callback.
    void reportException(const JsScope& scope, v8::TryCatch& tryCatch);
    void reportValue(const JsScope& scope, v8::Local<v8::Value> error, const QString& prefix);
    void log(LogLevel level, const QString& text, LogSource source = LogSource::Console) const;

    // Keeps the loop alive while JS waits on host work that will post back later.
    void addPending() { m_loop.ref(); }
    void removePending() { m_loop.unref(); }

    v8::Local<v8::Object> ops(const JsScope& scope) const { return m_ops.Get(scope.isolate); }

    // An ArrayBuffer over a mapped file (a snapshot, a cache file) that V8 leaves out of its
    // external-memory count, which starts a collection once buffers made since the last one
    // pass 64 MB: a start maps a 30 MB snapshot and a 13 MB compiled stdlib (Pyodide's file
    // system keeps it as the zip's bytes) beside the 30 MB wasm memory, and the scavenges and
    // mark-sweep that count set off (~12 ms of a start) could free none of it. The runtime
    // owns the mapping: releaseMapped() detaches the buffer and unmaps it, and whatever is
    // left goes when the isolate has gone.
    v8::Local<v8::ArrayBuffer> mappedBuffer(std::unique_ptr<CheckedFile::Mapping> mapping);
    // False when `buffer` is not one of mappedBuffer's (it is then left alone).
    bool releaseMapped(v8::Local<v8::ArrayBuffer> buffer);
    // The mapped file's descriptor for a mappedBuffer's bytes, or -1.
    int mappedFd(const void* data) const;
    // A memory snapshot's file mapped over [base, base + length) of the wasm memory, and the
    // list of the pages touched since, written beside the file once (SnapshotPages).
    void noteSnapshotMapping(const QString& file, void* base, size_t length);
    void recordSnapshotPages();

    // Runs `done` on this thread when `promise` settles (ok=false: rejected, value = reason).
    using Settled = std::function<void(const JsScope&, bool ok, v8::Local<v8::Value> value)>;
    void whenSettled(const JsScope& scope, v8::Local<v8::Promise> promise, Settled done);

    // Runs the microtasks (and reports unhandled rejections), as after every loop task: for
    // JS run outside one (`kiln js` runs its module before the loop starts).
    void performMicrotaskCheckpoint();

private:
    static size_t nearHeapLimit(void* data, size_t current, size_t initial);
    static void onPromiseReject(v8::PromiseRejectMessage message);
    void reportUnhandledRejections();

    EventLoop& m_loop;
    Options m_options;
    std::unique_ptr<v8::ArrayBuffer::Allocator> m_allocator;
    v8::Isolate* m_isolate = nullptr;
    v8::Global<v8::Context> m_context;
    v8::Global<v8::Object> m_ops;
    // Rejections with no handler yet; reported after the checkpoint if still unhandled, since
    // `await` on an already-rejected promise attaches its handler a moment later.
    std::vector<std::pair<v8::Global<v8::Promise>, v8::Global<v8::Value>>> m_unhandled;
    std::unique_ptr<CodeCache> m_codeCache;
    std::unique_ptr<ModuleLoader> m_modules; // compiles through m_codeCache
    // mappedBuffer's files by their bytes' address; destroyed after the isolate.
    std::map<const void*, std::unique_ptr<CheckedFile::Mapping>> m_mapped;
    struct SnapshotMapping {
        QString file;
        void* base = nullptr;
        size_t length = 0;
    };
    std::optional<SnapshotMapping> m_snapshotMapping; // reset once its pages are listed
};

// Small conversions used by the host functions and the bridges.
QString toQString(v8::Isolate* isolate, v8::Local<v8::Value> value);
v8::Local<v8::String> toV8(v8::Isolate* isolate, const QString& text);
v8::Local<v8::String> toV8(v8::Isolate* isolate, const char* latin1);
// Latin-1 text (HTTP heads) as a one-byte V8 string, and back: no QString between, and JS
// works on one-byte strings faster than on two-byte ones. toLatin1 of a string with code
// units above 0xFF gives what QString::toLatin1 gives ('?' for them).
v8::Local<v8::String> latin1ToV8(v8::Isolate* isolate, const QByteArray& latin1);
QByteArray toLatin1(v8::Isolate* isolate, v8::Local<v8::Value> value);
// A copy of the bytes of an ArrayBufferView or ArrayBuffer (empty for anything else).
QByteArray bytesOf(v8::Local<v8::Value> value);
// A fresh Uint8Array holding a copy of `bytes`.
v8::Local<v8::Uint8Array> toUint8Array(v8::Isolate* isolate, const QByteArray& bytes);
// object[name] = value, for building result objects.
void setField(const JsScope& scope, v8::Local<v8::Object> object, const char* name,
              v8::Local<v8::Value> value);

} // namespace kiln
