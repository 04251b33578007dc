#include "engine/internal/hostfunctions.h"

#include "engine/checkedfile.h"
#include "engine/internal/moduleloader.h"
#include "engine/internal/outboundfetch.h"
#include "engine/internal/textcodec.h"
#include "engine/internal/urlops.h"
#include "engine/internal/wasmcache.h"
#include "engine/internal/wasmtableops.h"

#include <QByteArray>
#include <QFile>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-microtask-queue.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-script.h>
#include <v8-template.h>
#include <v8-typed-array.h>
#include <v8-value-serializer.h>

#include <sys/random.h>

#include <chrono>
#include <map>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

JsRuntime& runtimeOf(Args args) {
    return *static_cast<JsRuntime*>(args.Data().As<v8::External>()->Value());
}

void throwError(v8::Isolate* isolate, const QString& message, bool typeError = false) {
    auto text = toV8(isolate, message);
    isolate->ThrowException(typeError ? v8::Exception::TypeError(text)
                                      : v8::Exception::Error(text));
}

bool fillRandom(void* data, size_t length) {
    auto* p = static_cast<char*>(data);
    while (length > 0) {
        const ssize_t n = getrandom(p, length, 0);
        if (n < 0) return false;
        p += n;
        length -= static_cast<size_t>(n);
    }
    return true;
}

QByteArray readWholeFile(v8::Isolate* isolate, v8::Local<v8::Value> pathValue, bool* ok) {
    QString path = toQString(isolate, pathValue);
    if (path.startsWith(QLatin1String("file://"))) path = path.mid(7);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        throwError(isolate, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        *ok = false;
        return {};
    }
    *ok = true;
    return file.readAll();
}

v8::Local<v8::ArrayBuffer> toArrayBuffer(v8::Isolate* isolate, const QByteArray& bytes) {
    auto buffer = v8::ArrayBuffer::New(isolate, static_cast<size_t>(bytes.size()));
    if (!bytes.isEmpty())
        memcpy(buffer->GetBackingStore()->Data(), bytes.constData(),
               static_cast<size_t>(bytes.size()));
    return buffer;
}

// Bytes viewed by an ArrayBuffer or ArrayBufferView, without copying.
bool bytesOf(v8::Local<v8::Value> value, const char** data, size_t* length) {
    if (value->IsArrayBufferView()) {
        auto view = value.As<v8::ArrayBufferView>();
        *data = static_cast<const char*>(view->Buffer()->GetBackingStore()->Data()) +
                view->ByteOffset();
        *length = view->ByteLength();
        return true;
    }
    if (value->IsArrayBuffer()) {
        auto store = value.As<v8::ArrayBuffer>()->GetBackingStore();
        *data = static_cast<const char*>(store->Data());
        *length = store->ByteLength();
        return true;
    }
    return false;
}

// ops.log(level, text, source = console): level and source are the numbers in ops.logLevel
// and ops.logSource, which come from the C++ enums.
void opLog(Args args) {
    auto ctx = args.GetIsolate()->GetCurrentContext();
    const int level = args[0]->Int32Value(ctx).FromMaybe(1);
    const int source =
        args[2]->IsUndefined() ? int(LogSource::Console) : args[2]->Int32Value(ctx).FromMaybe(0);
    runtimeOf(args).log(
        static_cast<LogLevel>(std::clamp(level, int(LogLevel::Debug), int(LogLevel::Error))),
        toQString(args.GetIsolate(), args[1]),
        static_cast<LogSource>(std::clamp(source, int(LogSource::Request), int(LogSource::Kiln))));
}

// {name: number} for each value of a C++ enum, so JS names levels and sources instead of
// repeating their numbers.
template <typename Enum>
v8::Local<v8::Object> enumObject(const JsScope& scope, Enum last, QString (*name)(Enum)) {
    auto object = v8::Object::New(scope.isolate);
    for (int i = 0; i <= int(last); ++i)
        object
            ->Set(scope.context, toV8(scope.isolate, name(static_cast<Enum>(i))),
                  v8::Integer::New(scope.isolate, i))
            .Check();
    return object;
}

void opNow(Args args) {
    args.GetReturnValue().Set(hostNowMs());
}

void opTimeOrigin(Args args) {
    // performance.timeOrigin: wall-clock ms at the moment `now()` read 0.
    static const double origin = std::chrono::duration<double, std::milli>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
    args.GetReturnValue().Set(origin);
}

void opRandomFill(Args args) {
    if (!args[0]->IsArrayBufferView())
        return throwError(args.GetIsolate(), QStringLiteral("expected a typed array"), true);
    const char* data;
    size_t length;
    bytesOf(args[0], &data, &length);
    if (!fillRandom(const_cast<char*>(data), length))
        return throwError(args.GetIsolate(), QStringLiteral("getrandom failed"));
    args.GetReturnValue().Set(args[0]);
}

void opEncode(Args args) {
    auto* isolate = args.GetIsolate();
    const QByteArray bytes = encodeUtf8(isolate, args[0]);
    auto buffer = toArrayBuffer(isolate, bytes);
    args.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, buffer->ByteLength()));
}

void opDecode(Args args) {
    auto* isolate = args.GetIsolate();
    const char* data = nullptr;
    size_t length = 0;
    if (!bytesOf(args[0], &data, &length))
        return throwError(
            isolate,
            QStringLiteral("The \"input\" argument must be an ArrayBuffer or ArrayBufferView"),
            true);
    const QString encoding = toQString(isolate, args[1]);
    const bool fatal = args[2]->BooleanValue(isolate);
    QString error;
    auto result = decodeText(isolate, data, length, encoding, fatal, &error);
    if (result.IsEmpty()) return throwError(isolate, error, true);
    args.GetReturnValue().Set(result.ToLocalChecked());
}

// Timers: fn runs as a loop task; a repeating one re-arms itself after running.
// A timer keeps the continuation data current when it was set (which request it belongs to,
// see WorkerInstance::serve) and runs its callback with it: Pyodide's event loop steps Python
// tasks from timers, and a host op called from a task must know its request.
struct Timer {
    std::uint64_t loopId = 0;
    v8::Global<v8::Function> fn;
    v8::Global<v8::Value> continuation;
};
struct TimerState {
    std::map<int, Timer> timers;
    int nextId = 1;
};

// Per isolate, so a replaced isolate on the same thread starts clean; entries are removed
// (and their loop timers cancelled) before the isolate is disposed.
std::map<v8::Isolate*, TimerState>& allTimers() {
    thread_local std::map<v8::Isolate*, TimerState> timers;
    return timers;
}

TimerState& timerState(v8::Isolate* isolate) {
    return allTimers()[isolate];
}

void armTimer(JsRuntime* runtime, int id, double ms, bool repeat) {
    auto& state = timerState(runtime->isolate());
    auto it = state.timers.find(id);
    if (it == state.timers.end()) return;
    v8::Isolate* owner = runtime->isolate();
    it->second.loopId = runtime->loop().postDelayed(ms, [runtime, owner, id, ms, repeat] {
        auto all = allTimers().find(owner);
        if (all == allTimers().end()) return;
        auto& st = all->second;
        auto found = st.timers.find(id);
        if (found == st.timers.end()) return;
        v8::Isolate* isolate = runtime->isolate();
        v8::HandleScope handles(isolate);
        auto context = runtime->context();
        v8::Context::Scope contextScope(context);
        auto fn = found->second.fn.Get(isolate);
        auto continuation = found->second.continuation.Get(isolate);
        if (!repeat) st.timers.erase(found);
        v8::TryCatch tryCatch(isolate);
        context->SetContinuationPreservedEmbedderData(continuation);
        if (fn->Call(context, context->Global(), 0, nullptr).IsEmpty() && tryCatch.HasCaught() &&
            !tryCatch.HasTerminated())
            runtime->reportException({isolate, context}, tryCatch);
        context->SetContinuationPreservedEmbedderData(v8::Undefined(isolate));
        if (repeat && st.timers.count(id)) armTimer(runtime, id, ms, true);
    });
}

void opTimerStart(Args args) {
    auto* isolate = args.GetIsolate();
    if (!args[1]->IsFunction())
        return throwError(isolate, QStringLiteral("timer callback must be a function"), true);
    double ms = args[0]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
    if (!(ms >= 0) || ms > 2147483647.0) ms = 0;
    const bool repeat = args[2]->BooleanValue(isolate);
    // Detached (the engine's own work, such as a workflow run begun by a request): the callback
    // runs outside the request that armed it, so that request's end cancels none of its I/O.
    const bool detached = args[3]->BooleanValue(isolate);
    auto& state = timerState(isolate);
    const int id = state.nextId++;
    auto context = isolate->GetCurrentContext();
    state.timers.emplace(
        id, Timer{0, v8::Global<v8::Function>(isolate, args[1].As<v8::Function>()),
                  v8::Global<v8::Value>(
                      isolate, detached ? v8::Local<v8::Value>(v8::Undefined(isolate))
                                        : context->GetContinuationPreservedEmbedderData())});
    armTimer(&runtimeOf(args), id, ms, repeat);
    args.GetReturnValue().Set(id);
}

void opTimerCancel(Args args) {
    auto& state = timerState(args.GetIsolate());
    const int id = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0);
    auto it = state.timers.find(id);
    if (it == state.timers.end()) return;
    runtimeOf(args).loop().cancel(it->second.loopId);
    state.timers.erase(it);
}

void opQueueMicrotask(Args args) {
    if (!args[0]->IsFunction())
        return throwError(args.GetIsolate(),
                          QStringLiteral("The \"callback\" argument must be of type function"),
                          true);
    args.GetIsolate()->EnqueueMicrotask(args[0].As<v8::Function>());
}

// ops.promiseResult(promise, otherwise): the value of a promise that is already fulfilled,
// else `otherwise` (pending, rejected, or not a promise). Lets Python take a binding read's
// result (answered in place, so settled on return) without Pyodide's then() machinery.
void opPromiseResult(Args args) {
    if (args[0]->IsPromise()) {
        auto promise = args[0].As<v8::Promise>();
        if (promise->State() == v8::Promise::kFulfilled)
            return args.GetReturnValue().Set(promise->Result());
    }
    args.GetReturnValue().Set(args[1]);
}

void opSerialize(Args args) {
    auto* isolate = args.GetIsolate();
    v8::ValueSerializer serializer(isolate);
    serializer.WriteHeader();
    if (serializer.WriteValue(isolate->GetCurrentContext(), args[0]).IsNothing())
        return; // DataCloneError already thrown
    auto [data, size] = serializer.Release();
    auto buffer = v8::ArrayBuffer::New(isolate, size);
    memcpy(buffer->GetBackingStore()->Data(), data, size);
    free(data);
    args.GetReturnValue().Set(buffer);
}

void opDeserialize(Args args) {
    auto* isolate = args.GetIsolate();
    const char* data;
    size_t length;
    if (!bytesOf(args[0], &data, &length))
        return throwError(isolate, QStringLiteral("expected bytes"), true);
    v8::ValueDeserializer deserializer(isolate, reinterpret_cast<const uint8_t*>(data), length);
    auto context = isolate->GetCurrentContext();
    if (deserializer.ReadHeader(context).IsNothing()) return;
    v8::Local<v8::Value> value;
    if (deserializer.ReadValue(context).ToLocal(&value)) args.GetReturnValue().Set(value);
}

void globalRead(Args args) {
    bool ok;
    const QByteArray bytes = readWholeFile(args.GetIsolate(), args[0], &ok);
    if (ok)
        args.GetReturnValue().Set(v8::String::NewFromUtf8(args.GetIsolate(), bytes.constData(),
                                                          v8::NewStringType::kNormal, bytes.size())
                                      .ToLocalChecked());
}

// How the module at a path used V8's code cache (ModuleLoader::cacheUse): a boot span's note.
void opModuleCacheUse(Args args) {
    auto* isolate = args.GetIsolate();
    args.GetReturnValue().Set(
        toV8(isolate, ModuleLoader::from(isolate)->cacheUse(toQString(isolate, args[0]))));
}

void globalReadBuffer(Args args) {
    if (auto mapped = mappedFile(args.GetIsolate(), toQString(args.GetIsolate(), args[0]), 1 << 20);
        !mapped.IsEmpty())
        return args.GetReturnValue().Set(mapped);
    bool ok;
    const QByteArray bytes = readWholeFile(args.GetIsolate(), args[0], &ok);
    if (ok) args.GetReturnValue().Set(toArrayBuffer(args.GetIsolate(), bytes));
}

void globalLoad(Args args) {
    auto* isolate = args.GetIsolate();
    bool ok;
    const QByteArray bytes = readWholeFile(isolate, args[0], &ok);
    if (!ok) return;
    auto& runtime = runtimeOf(args);
    JsScope scope{isolate, isolate->GetCurrentContext()};
    v8::Local<v8::Value> result;
    if (runtime.runScript(scope, QString::fromUtf8(bytes), toQString(isolate, args[0]))
            .ToLocal(&result))
        args.GetReturnValue().Set(result);
}

void globalPrint(Args args) {
    QString line;
    for (int i = 0; i < args.Length(); ++i) {
        if (i) line += QLatin1Char(' ');
        line += toQString(args.GetIsolate(), args[i]);
    }
    runtimeOf(args).log(LogLevel::Log, line, LogSource::Print);
}

void globalPrintErr(Args args) {
    QString line;
    for (int i = 0; i < args.Length(); ++i) {
        if (i) line += QLatin1Char(' ');
        line += toQString(args.GetIsolate(), args[i]);
    }
    runtimeOf(args).log(LogLevel::Error, line, LogSource::Print);
}

void setFunction(const JsScope& scope, v8::Local<v8::Object> target, const char* name,
                 v8::FunctionCallback callback, v8::Local<v8::External> data) {
    auto fn = v8::FunctionTemplate::New(scope.isolate, callback, data)
                  ->GetFunction(scope.context)
                  .ToLocalChecked();
    fn->SetName(toV8(scope.isolate, name));
    target->Set(scope.context, toV8(scope.isolate, name), fn).Check();
}

} // namespace

double hostNowMs() {
    static const auto start = std::chrono::steady_clock::now();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    return std::chrono::duration<double, std::milli>(elapsed).count();
}

namespace {

// An ArrayBuffer over the mapping, which goes (unmapped) with the buffer.
v8::Local<v8::ArrayBuffer> bufferOver(v8::Isolate* isolate,
                                      std::unique_ptr<CheckedFile::Mapping> mapping) {
    if (!mapping) return {};
    auto* owned = mapping.release();
    auto store = v8::ArrayBuffer::NewBackingStore(
        owned->data(), owned->size(),
        [](void*, size_t, void* mapped) { delete static_cast<CheckedFile::Mapping*>(mapped); },
        owned);
    return v8::ArrayBuffer::New(isolate, std::move(store));
}

} // namespace

v8::Local<v8::ArrayBuffer> mappedFile(v8::Isolate* isolate, const QString& file, qint64 minSize) {
    QString path = file;
    if (path.startsWith(QLatin1String("file://"))) path = path.mid(7);
    return bufferOver(isolate, CheckedFile::Mapping::open(path, minSize));
}

v8::Local<v8::ArrayBuffer> checkedMappedFile(v8::Isolate* isolate, const QString& path) {
    return bufferOver(isolate, CheckedFile::map(path));
}

void clearHostTimers(JsRuntime& runtime) {
    auto it = allTimers().find(runtime.isolate());
    if (it == allTimers().end()) return;
    for (auto& [id, timer] : it->second.timers)
        runtime.loop().cancel(timer.loopId);
    allTimers().erase(it);
}

void installHostFunctions(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    auto data = v8::External::New(scope.isolate, &runtime);
    const struct {
        const char* name;
        v8::FunctionCallback fn;
    } opTable[] = {
        {"log", opLog},
        {"now", opNow},
        {"timeOrigin", opTimeOrigin},
        {"randomFill", opRandomFill},
        {"encodeUtf8", opEncode},
        {"decode", opDecode},
        {"timerStart", opTimerStart},
        {"timerCancel", opTimerCancel},
        {"queueMicrotask", opQueueMicrotask},
        {"promiseResult", opPromiseResult},
        {"serialize", opSerialize},
        {"deserialize", opDeserialize},
        {"readText", globalRead},
        {"readBytes", globalReadBuffer},
        {"moduleCacheUse", opModuleCacheUse},
    };
    for (const auto& op : opTable)
        setFunction(scope, ops, op.name, op.fn, data);
    ops->Set(scope.context, toV8(scope.isolate, "logLevel"),
             enumObject(scope, LogLevel::Error, logLevelName))
        .Check();
    ops->Set(scope.context, toV8(scope.isolate, "logSource"),
             enumObject(scope, LogSource::Kiln, logSourceName))
        .Check();

    auto global = scope.context->Global();
    setFunction(scope, global, "read", globalRead, data);
    setFunction(scope, global, "readbuffer", globalReadBuffer, data);
    setFunction(scope, global, "load", globalLoad, data);
    setFunction(scope, global, "print", globalPrint, data);
    setFunction(scope, global, "printErr", globalPrintErr, data);
    installFetchOps(scope, runtime, ops);
    installWasmCache(scope, runtime, ops);
    installUrlOps(scope, runtime, ops);
    installWasmTableOps(scope, runtime, ops);
    installWasmLazyExportOps(scope, runtime, ops);
}

} // namespace kiln
