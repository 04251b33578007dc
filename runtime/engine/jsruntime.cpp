#include "engine/internal/jsruntime.h"
#include "engine/internal/codecache.h"

#include "engine/internal/hostfunctions.h"
#include "engine/internal/moduleloader.h"
#include "engine/internal/snapshotpages.h"
#include "engine/internal/v8platform.h"
#include "engine/internal/wasmcache.h"

#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-initialization.h>
#include <v8-message.h>
#include <v8-microtask-queue.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-script.h>
#include <v8-typed-array.h>

namespace kiln {

namespace {
constexpr int kRuntimeSlot = 0;

} // namespace

static void settle(const v8::FunctionCallbackInfo<v8::Value>& info, bool ok) {
    std::unique_ptr<JsRuntime::Settled> done(
        static_cast<JsRuntime::Settled*>(info.Data().As<v8::External>()->Value()));
    auto* isolate = info.GetIsolate();
    (*done)({isolate, isolate->GetCurrentContext()}, ok, info[0]);
}

QString toQString(v8::Isolate* isolate, v8::Local<v8::Value> value) {
    if (value.IsEmpty()) return {};
    v8::String::Value text(isolate, value);
    return QString(reinterpret_cast<const QChar*>(*text), text.length());
}

v8::Local<v8::String> toV8(v8::Isolate* isolate, const QString& text) {
    return v8::String::NewFromTwoByte(isolate, reinterpret_cast<const uint16_t*>(text.utf16()),
                                      v8::NewStringType::kNormal, static_cast<int>(text.size()))
        .ToLocalChecked();
}

v8::Local<v8::String> toV8(v8::Isolate* isolate, const char* latin1) {
    return v8::String::NewFromUtf8(isolate, latin1).ToLocalChecked();
}

v8::Local<v8::String> latin1ToV8(v8::Isolate* isolate, const QByteArray& latin1) {
    return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(latin1.constData()),
                                      v8::NewStringType::kNormal, static_cast<int>(latin1.size()))
        .ToLocalChecked();
}

QByteArray toLatin1(v8::Isolate* isolate, v8::Local<v8::Value> value) {
    v8::Local<v8::String> text;
    if (value.IsEmpty() || !value->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return {};
    if (!text->IsOneByte() && !text->ContainsOnlyOneByte())
        return toQString(isolate, text).toLatin1();
    QByteArray out(text->Length(), Qt::Uninitialized);
    text->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(out.data()), 0, text->Length(),
                       v8::String::NO_NULL_TERMINATION);
    return out;
}

QByteArray bytesOf(v8::Local<v8::Value> value) {
    if (value->IsArrayBufferView()) {
        // CopyContents: a small typed array lives on V8's heap, and asking for its buffer
        // would move it out (an allocation) only to copy it here.
        auto view = value.As<v8::ArrayBufferView>();
        QByteArray out(static_cast<qsizetype>(view->ByteLength()), Qt::Uninitialized);
        view->CopyContents(out.data(), view->ByteLength());
        return out;
    }
    if (value->IsArrayBuffer()) {
        auto buffer = value.As<v8::ArrayBuffer>();
        return QByteArray(static_cast<const char*>(buffer->Data()),
                          static_cast<qsizetype>(buffer->ByteLength()));
    }
    return {};
}

v8::Local<v8::Uint8Array> toUint8Array(v8::Isolate* isolate, const QByteArray& bytes) {
    auto buffer = v8::ArrayBuffer::New(isolate, static_cast<size_t>(bytes.size()));
    if (!bytes.isEmpty())
        memcpy(buffer->Data(), bytes.constData(), static_cast<size_t>(bytes.size()));
    return v8::Uint8Array::New(buffer, 0, buffer->ByteLength());
}

void setField(const JsScope& scope, v8::Local<v8::Object> object, const char* name,
              v8::Local<v8::Value> value) {
    object->Set(scope.context, toV8(scope.isolate, name), value).Check();
}

JsRuntime::JsRuntime(EventLoop& loop, Options options)
    : m_loop(loop)
    , m_options(std::move(options)) {
    auto& platform = V8Platform::instance();
    m_allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = m_allocator.get();
    // A start allocates ~15 MB of JS heap (Pyodide's ~8,500 exported functions among it).
    // From V8's smallest old-generation limit that took two full mark-sweeps on the way; a
    // quarter of the cap as the starting size lets the boot finish without them (interleaved
    // starts: worker ready 374 -> 343 ms). It is a collection threshold, not memory committed.
    if (m_options.heapLimitBytes)
        params.constraints.ConfigureDefaultsFromHeapSize(m_options.heapLimitBytes / 4,
                                                         m_options.heapLimitBytes);
    m_isolate = v8::Isolate::Allocate();
    platform.attach(m_isolate, &m_loop);
    v8::Isolate::Initialize(m_isolate, params);
    m_isolate->Enter();
    m_isolate->SetData(kRuntimeSlot, this);
    m_isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
    m_isolate->SetPromiseRejectCallback(&JsRuntime::onPromiseReject);
    m_codeCache = std::make_unique<CodeCache>(m_isolate);
    m_modules = std::make_unique<ModuleLoader>(m_isolate, *m_codeCache, m_loop);
    if (m_options.heapLimitBytes)
        m_isolate->AddNearHeapLimitCallback(&JsRuntime::nearHeapLimit, this);

    enableWasmStreaming(m_isolate);
    v8::HandleScope handles(m_isolate);
    auto context = v8::Context::New(m_isolate);
    m_context.Reset(m_isolate, context);
    v8::Context::Scope contextScope(context);
    auto ops = v8::Object::New(m_isolate);
    m_ops.Reset(m_isolate, ops);
    installHostFunctions({m_isolate, context}, *this, ops);

    m_loop.setAfterTask([this] { performMicrotaskCheckpoint(); });
    m_loop.setStillBusy([this] { return m_isolate->HasPendingBackgroundTasks(); });
}

JsRuntime::~JsRuntime() {
    m_loop.setAfterTask({});
    m_loop.setStillBusy({});
    clearHostTimers(*this);
    m_modules.reset();
    m_codeCache.reset();
    m_unhandled.clear();
    m_ops.Reset();
    m_context.Reset();
    m_isolate->Exit();
    V8Platform::instance().detach(m_isolate);
    m_isolate->Dispose();
}

v8::Local<v8::ArrayBuffer> JsRuntime::mappedBuffer(std::unique_ptr<CheckedFile::Mapping> mapping) {
    // EmptyDeleter is what V8 reads as "not memory a collection would give back".
    auto store = v8::ArrayBuffer::NewBackingStore(mapping->data(), mapping->size(),
                                                  v8::BackingStore::EmptyDeleter, nullptr);
    m_mapped[mapping->data()] = std::move(mapping);
    return v8::ArrayBuffer::New(m_isolate, std::move(store));
}

bool JsRuntime::releaseMapped(v8::Local<v8::ArrayBuffer> buffer) {
    auto it = m_mapped.find(buffer->Data());
    if (it == m_mapped.end() || !buffer->IsDetachable()) return false;
    // Detached first: from here on the buffer and its views read as empty, never unmapped
    // memory.
    buffer->Detach();
    m_mapped.erase(it);
    return true;
}

void JsRuntime::noteSnapshotMapping(const QString& file, void* base, size_t length) {
    m_snapshotMapping = SnapshotMapping{file, base, length};
}

void JsRuntime::recordSnapshotPages() {
    if (!m_snapshotMapping) return;
    SnapshotPages::record(m_snapshotMapping->file, m_snapshotMapping->base,
                          m_snapshotMapping->length);
    m_snapshotMapping.reset();
}

int JsRuntime::mappedFd(const void* data) const {
    auto it = m_mapped.find(data);
    return it == m_mapped.end() ? -1 : it->second->fd();
}

size_t JsRuntime::nearHeapLimit(void* data, size_t current, size_t) {
    auto* self = static_cast<JsRuntime*>(data);
    self->m_isolate->TerminateExecution();
    if (self->m_options.heapLimitReached) self->m_options.heapLimitReached();
    // Room to unwind the terminated script instead of V8's fatal out-of-memory abort.
    return current * 2;
}

JsRuntime* JsRuntime::from(v8::Isolate* isolate) {
    return static_cast<JsRuntime*>(isolate->GetData(kRuntimeSlot));
}

void JsRuntime::onPromiseReject(v8::PromiseRejectMessage message) {
    auto promise = message.GetPromise();
    auto* isolate = promise->GetIsolate();
    auto* self = JsRuntime::from(isolate);
    if (!self) return;
    if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
        self->m_unhandled.emplace_back(v8::Global<v8::Promise>(isolate, promise),
                                       v8::Global<v8::Value>(isolate, message.GetValue()));
    } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
        std::erase_if(self->m_unhandled,
                      [&](const auto& entry) { return entry.first.Get(isolate) == promise; });
    }
}

namespace {

bool isTrue(const JsScope& scope, v8::Local<v8::Object> object, const char* key) {
    v8::Local<v8::Value> value;
    return object->Get(scope.context, toV8(scope.isolate, key)).ToLocal(&value) && value->IsTrue();
}

// Rejections that repeat an error already reported elsewhere. Pyodide marks the error of a
// fatal failure (os._exit included), which worker.mjs reports with the Python frames; every
// promise of the dead interpreter rejecting with it again would only repeat that. And asyncio
// re-raises KeyboardInterrupt and SystemExit out of the event loop after storing them in the
// task that raised them: the request awaiting that task reports them (a CPU limit's interrupt
// is the common case), so the copy that escapes the loop is noise.
bool isRepeat(const JsScope& scope, v8::Local<v8::Value> error) {
    if (!error->IsObject()) return false;
    auto object = error.As<v8::Object>();
    if (isTrue(scope, object, "pyodide_fatal_error")) return true;
    const auto text = [&](const char* key) {
        v8::Local<v8::Value> value;
        return object->Get(scope.context, toV8(scope.isolate, key)).ToLocal(&value) &&
                       value->IsString()
                   ? toQString(scope.isolate, value)
                   : QString();
    };
    const QString type = text("type");
    return text("name") == QLatin1String("PythonError") &&
           (type == QLatin1String("KeyboardInterrupt") || type == QLatin1String("SystemExit"));
}

} // namespace

void JsRuntime::reportUnhandledRejections() {
    auto pending = std::move(m_unhandled);
    m_unhandled.clear();
    JsScope scope{m_isolate, context()};
    for (auto& [promise, value] : pending) {
        auto error = value.Get(m_isolate);
        if (isRepeat(scope, error)) continue;
        reportValue(scope, error, QStringLiteral("Uncaught (in promise) "));
    }
}

void JsRuntime::performMicrotaskCheckpoint() {
    v8::HandleScope handles(m_isolate);
    v8::Context::Scope contextScope(context());
    m_isolate->PerformMicrotaskCheckpoint();
    if (!m_unhandled.empty()) reportUnhandledRejections();
}

void JsRuntime::log(LogLevel level, const QString& text, LogSource source) const {
    if (m_options.log) m_options.log(level, source, text);
}

v8::MaybeLocal<v8::Promise> JsRuntime::runModule(const JsScope& scope, const QString& path) {
    return m_modules->run(scope, path);
}

v8::MaybeLocal<v8::Value> JsRuntime::runScript(const JsScope& scope, const QString& source,
                                               const QString& name) {
    v8::ScriptOrigin origin(scope.isolate, toV8(scope.isolate, name));
    v8::Local<v8::Script> script;
    if (!v8::Script::Compile(scope.context, toV8(scope.isolate, source), &origin).ToLocal(&script))
        return {};
    return script->Run(scope.context);
}

v8::MaybeLocal<v8::Value> JsRuntime::runScript(const JsScope& scope, const QByteArray& utf8,
                                               const QString& name) {
    v8::ScriptOrigin origin(scope.isolate, toV8(scope.isolate, name));
    v8::Local<v8::String> text;
    v8::Local<v8::Script> script;
    if (!v8::String::NewFromUtf8(scope.isolate, utf8.constData(), v8::NewStringType::kNormal,
                                 int(utf8.size()))
             .ToLocal(&text) ||
        !m_codeCache->compileScript(scope, utf8, text, origin).ToLocal(&script))
        return {};
    return script->Run(scope.context);
}

void JsRuntime::writeCodeCaches() {
    m_codeCache->writePending();
}

void JsRuntime::whenSettled(const JsScope& scope, v8::Local<v8::Promise> promise, Settled done) {
    // Both reactions share one heap copy of `done`; whichever runs frees it. (A promise that
    // never settles leaks it, which only happens when the isolate is being thrown away.)
    auto data = v8::External::New(scope.isolate, new Settled(std::move(done)));
    auto onOk =
        v8::Function::New(
            scope.context,
            [](const v8::FunctionCallbackInfo<v8::Value>& info) { settle(info, true); }, data)
            .ToLocalChecked();
    auto onFail =
        v8::Function::New(
            scope.context,
            [](const v8::FunctionCallbackInfo<v8::Value>& info) { settle(info, false); }, data)
            .ToLocalChecked();
    promise->Then(scope.context, onOk, onFail).ToLocalChecked();
}

void JsRuntime::reportValue(const JsScope& scope, v8::Local<v8::Value> error,
                            const QString& prefix) {
    QString text;
    if (error->IsObject()) {
        v8::Local<v8::Value> stack;
        if (error.As<v8::Object>()
                ->Get(scope.context, toV8(scope.isolate, "stack"))
                .ToLocal(&stack) &&
            stack->IsString())
            text = toQString(scope.isolate, stack);
    }
    if (text.isEmpty()) text = toQString(scope.isolate, error);
    log(LogLevel::Error, prefix + text);
}

void JsRuntime::reportException(const JsScope& scope, v8::TryCatch& tryCatch) {
    if (tryCatch.HasTerminated()) {
        log(LogLevel::Error, QStringLiteral("Uncaught: execution terminated"));
        return;
    }
    auto exception = tryCatch.Exception();
    QString where;
    auto message = tryCatch.Message();
    if (!message.IsEmpty() && !(exception->IsObject() && exception->IsNativeError())) {
        where = QStringLiteral("%1:%2: ")
                    .arg(toQString(scope.isolate, message->GetScriptResourceName()))
                    .arg(message->GetLineNumber(scope.context).FromMaybe(0));
    }
    reportValue(scope, exception, QStringLiteral("Uncaught ") + where);
}

} // namespace kiln
