#include "engine/wasmcache.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>
#include <v8-version.h>
#include <v8-wasm.h>

#include <thread>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

bool cacheEnabled() { return qEnvironmentVariable("KILN_NO_CODE_CACHE") != QLatin1String("1"); }

QString cacheFile(const QString& key)
{
    // The key names the module; V8's version and our flags are part of the file name so a
    // different build never even tries a foreign cache.
    const QByteArray id = QCryptographicHash::hash((key + QStringLiteral("|%1.%2.%3.%4|no-dynamic-tiering").arg(V8_MAJOR_VERSION).arg(V8_MINOR_VERSION).arg(V8_BUILD_NUMBER).arg(V8_PATCH_LEVEL)).toUtf8(),
                                                   QCryptographicHash::Sha256).toHex().left(32);
    return wasmCacheDir() + QStringLiteral("/wasm-") + QString::fromLatin1(id) + QStringLiteral(".bin");
}

// Atomically (temp file + rename), off the isolate thread: cache files are tens of MB.
void writeInBackground(const QString& path, std::shared_ptr<QByteArray> bytes)
{
    std::thread([path, bytes] {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QSaveFile file(path);
        if (file.open(QIODevice::WriteOnly) && file.write(*bytes) == bytes->size())
            file.commit();
    }).detach();
}

// Keeps the cached bytes alive until V8 has finished with the stream.
struct StreamState {
    QByteArray cached;
};

void onStreaming(const v8::FunctionCallbackInfo<v8::Value>& info)
{
    auto* isolate = info.GetIsolate();
    auto context = isolate->GetCurrentContext();
    auto streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
    if (!info[0]->IsObject()) {
        streaming->Abort(v8::Exception::TypeError(toV8(isolate, "compileStreaming expects {bytes, cacheKey}")));
        return;
    }
    auto source = info[0].As<v8::Object>();
    v8::Local<v8::Value> bytesValue, keyValue;
    if (!source->Get(context, toV8(isolate, "bytes")).ToLocal(&bytesValue) || !bytesValue->IsArrayBufferView()) {
        streaming->Abort(v8::Exception::TypeError(toV8(isolate, "compileStreaming expects {bytes, cacheKey}")));
        return;
    }
    source->Get(context, toV8(isolate, "cacheKey")).ToLocal(&keyValue);
    auto state = std::make_shared<StreamState>();
    if (cacheEnabled() && keyValue->IsString()) {
        QFile file(cacheFile(toQString(isolate, keyValue)));
        if (file.open(QIODevice::ReadOnly)) {
            state->cached = file.readAll();
            streaming->SetCompiledModuleBytes(reinterpret_cast<const uint8_t*>(state->cached.constData()),
                                              static_cast<size_t>(state->cached.size()));
        }
    }
    auto view = bytesValue.As<v8::ArrayBufferView>();
    const auto* data = static_cast<const uint8_t*>(view->Buffer()->GetBackingStore()->Data()) + view->ByteOffset();
    streaming->OnBytesReceived(data, view->ByteLength());
    streaming->Finish();
    // V8 has copied the wire bytes and consumed the cached bytes by now; `state` can go.
}

void opStore(Args args)
{
    auto* isolate = args.GetIsolate();
    if (!cacheEnabled() || !args[0]->IsWasmModuleObject() || !args[1]->IsString())
        return args.GetReturnValue().Set(false);
    auto compiled = args[0].As<v8::WasmModuleObject>()->GetCompiledModule();
    auto buffer = compiled.Serialize();
    const QString path = cacheFile(toQString(isolate, args[1]));
    auto bytes = std::make_shared<QByteArray>(reinterpret_cast<const char*>(buffer.buffer.get()),
                                              static_cast<qsizetype>(buffer.size));
    writeInBackground(path, bytes);
    args.GetReturnValue().Set(static_cast<double>(buffer.size));
}

// "size-mtime" of a file: a cheap identity for the cache key (hashing 10 MB of wasm on every
// start would cost more than the cache saves on small machines).
void opFileStamp(Args args)
{
    const QFileInfo info(toQString(args.GetIsolate(), args[0]));
    args.GetReturnValue().Set(toV8(args.GetIsolate(), QStringLiteral("%1-%2").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch())));
}

// Generic cache files (e.g. the compiled stdlib zip): path if present, else null.
QString namedCacheFile(const QString& key)
{
    const QByteArray id = QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex().left(32);
    return wasmCacheDir() + QStringLiteral("/file-") + QString::fromLatin1(id) + QStringLiteral(".bin");
}

void opCachePath(Args args)
{
    const QString path = namedCacheFile(toQString(args.GetIsolate(), args[0]));
    if (cacheEnabled() && QFile::exists(path))
        args.GetReturnValue().Set(toV8(args.GetIsolate(), path));
    else
        args.GetReturnValue().SetNull();
}

void opCacheWrite(Args args)
{
    if (!cacheEnabled() || !args[1]->IsArrayBufferView())
        return args.GetReturnValue().Set(false);
    auto view = args[1].As<v8::ArrayBufferView>();
    auto bytes = std::make_shared<QByteArray>(
        static_cast<const char*>(view->Buffer()->GetBackingStore()->Data()) + view->ByteOffset(),
        static_cast<qsizetype>(view->ByteLength()));
    const QString path = namedCacheFile(toQString(args.GetIsolate(), args[0]));
    writeInBackground(path, bytes);
    args.GetReturnValue().Set(true);
}

void opHas(Args args)
{
    args.GetReturnValue().Set(cacheEnabled() && QFile::exists(cacheFile(toQString(args.GetIsolate(), args[0]))));
}

} // namespace

QString wasmCacheDir()
{
    const QString fromEnv = qEnvironmentVariable("KILN_CACHE_DIR");
    if (!fromEnv.isEmpty())
        return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) + QStringLiteral("/kiln");
}

void enableWasmStreaming(v8::Isolate* isolate) { isolate->SetWasmStreamingCallback(&onStreaming); }

void installWasmCache(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops)
{
    auto data = v8::External::New(scope.isolate, &runtime);
    ops->Set(scope.context, toV8(scope.isolate, "wasmCacheStore"),
             v8::FunctionTemplate::New(scope.isolate, opStore, data)->GetFunction(scope.context).ToLocalChecked()).Check();
    ops->Set(scope.context, toV8(scope.isolate, "fileStamp"),
             v8::FunctionTemplate::New(scope.isolate, opFileStamp, data)->GetFunction(scope.context).ToLocalChecked()).Check();
    ops->Set(scope.context, toV8(scope.isolate, "cachePath"),
             v8::FunctionTemplate::New(scope.isolate, opCachePath, data)->GetFunction(scope.context).ToLocalChecked()).Check();
    ops->Set(scope.context, toV8(scope.isolate, "cacheWrite"),
             v8::FunctionTemplate::New(scope.isolate, opCacheWrite, data)->GetFunction(scope.context).ToLocalChecked()).Check();
    ops->Set(scope.context, toV8(scope.isolate, "wasmCacheHas"),
             v8::FunctionTemplate::New(scope.isolate, opHas, data)->GetFunction(scope.context).ToLocalChecked()).Check();
}

} // namespace kiln
