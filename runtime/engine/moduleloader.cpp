#include "engine/internal/moduleloader.h"

#include "engine/checkedfile.h"
#include "engine/internal/pyodidepatches.h"
#include "engine/internal/wasmcache.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-version.h>
#include <xxhash.h>

#include <memory>
#include <utility>

namespace kiln {

namespace {

constexpr int kLoaderSlot = 1;

constexpr qsizetype kCodeCacheMinBytes = 256 * 1024;

QString codeCacheFile(const QByteArray& source) {
    const QString key =
        QStringLiteral("%1|%2.%3.%4.%5|%6")
            .arg(QString::fromLatin1(QByteArray::number(
                qulonglong(XXH3_64bits(source.constData(), size_t(source.size()))), 16)))
            .arg(V8_MAJOR_VERSION)
            .arg(V8_MINOR_VERSION)
            .arg(V8_BUILD_NUMBER)
            .arg(V8_PATCH_LEVEL)
            .arg(qEnvironmentVariable("KILN_V8_FLAGS"));
    return wasmCacheDir() + QStringLiteral("/js-") +
           QString::fromLatin1(QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256)
                                   .toHex()
                                   .left(32)) +
           QStringLiteral(".bin");
}

} // namespace

void ModuleLoader::writeCodeCaches() {
    for (const auto& [path, file] : std::exchange(m_codeCacheWanted, {})) {
        auto it = m_byPath.find(path);
        if (it == m_byPath.end()) continue;
        v8::HandleScope handles(m_isolate);
        std::unique_ptr<v8::ScriptCompiler::CachedData> data(v8::ScriptCompiler::CreateCodeCache(
            it->second.Get(m_isolate)->GetUnboundModuleScript()));
        if (data && data->length > 0)
            writeCacheInBackground(
                file, QByteArray(reinterpret_cast<const char*>(data->data), data->length));
    }
}

ModuleLoader::ModuleLoader(v8::Isolate* isolate)
    : m_isolate(isolate) {
    isolate->SetData(kLoaderSlot, this);
    isolate->SetHostImportModuleDynamicallyCallback(&ModuleLoader::importDynamic);
    isolate->SetHostInitializeImportMetaObjectCallback(&ModuleLoader::initMeta);
}

ModuleLoader* ModuleLoader::from(v8::Isolate* isolate) {
    return static_cast<ModuleLoader*>(isolate->GetData(kLoaderSlot));
}

QString ModuleLoader::pathOf(v8::Local<v8::Module> module) const {
    auto [begin, end] = m_pathsByHash.equal_range(module->GetIdentityHash());
    for (auto it = begin; it != end; ++it) {
        if (m_byPath.at(it->second).Get(m_isolate) == module) return it->second;
    }
    return {};
}

QString ModuleLoader::resolve(const QString& specifier, const QString& referrerPath,
                              QString* error) const {
    QString spec = specifier;
    if (spec.startsWith(QLatin1String("file://"))) spec = spec.mid(7);
    if (spec.startsWith(QLatin1Char('/'))) return QDir::cleanPath(spec);
    if (spec.startsWith(QLatin1String("./")) || spec.startsWith(QLatin1String("../")))
        return QDir::cleanPath(QFileInfo(referrerPath).absolutePath() + QLatin1Char('/') + spec);
    *error = QStringLiteral("Cannot resolve module \"%1\" imported from %2")
                 .arg(specifier, referrerPath);
    return {};
}

v8::MaybeLocal<v8::Module> ModuleLoader::load(const JsScope& scope, const QString& path) {
    if (auto it = m_byPath.find(path); it != m_byPath.end()) return it->second.Get(scope.isolate);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        scope.isolate->ThrowException(v8::Exception::Error(
            toV8(scope.isolate,
                 QStringLiteral("Cannot load module %1: %2").arg(path, file.errorString()))));
        return {};
    }
    QByteArray source = file.readAll();
    if (path.endsWith(QLatin1String("/pyodide.asm.mjs")))
        patchPyodideGlue(source);
    else if (path.endsWith(QLatin1String("/pyodide.mjs")))
        patchPyodideLoader(source);
    v8::ScriptOrigin origin(scope.isolate, toV8(scope.isolate, path), 0, 0, false, -1,
                            v8::Local<v8::Value>(), false, false, true);
    v8::Local<v8::String> text;
    if (!v8::String::NewFromUtf8(scope.isolate, source.constData(), v8::NewStringType::kNormal,
                                 source.size())
             .ToLocal(&text))
        return {};
    // Large modules compile from V8's code cache, keyed by their text (as patched) and the
    // V8 build; V8 rejects a cache made under other flags, which is then made again.
    QString cacheFile;
    QByteArray cached;
    v8::ScriptCompiler::CachedData* cachedData = nullptr; // owned by compilerSource
    if (source.size() > kCodeCacheMinBytes && codeCacheEnabled()) {
        cacheFile = codeCacheFile(source);
        if (CheckedFile::readAll(cacheFile, &cached))
            cachedData = new v8::ScriptCompiler::CachedData(
                reinterpret_cast<const uint8_t*>(cached.constData()), int(cached.size()),
                v8::ScriptCompiler::CachedData::BufferNotOwned);
    }
    v8::ScriptCompiler::Source compilerSource(text, origin, cachedData);
    v8::Local<v8::Module> module;
    if (!v8::ScriptCompiler::CompileModule(scope.isolate, &compilerSource,
                                           cachedData ? v8::ScriptCompiler::kConsumeCodeCache
                                                      : v8::ScriptCompiler::kNoCompileOptions)
             .ToLocal(&module))
        return {};
    if (!cacheFile.isEmpty() && (!cachedData || compilerSource.GetCachedData()->rejected))
        m_codeCacheWanted.emplace(path, cacheFile);
    m_byPath.emplace(path, v8::Global<v8::Module>(scope.isolate, module));
    m_pathsByHash.emplace(module->GetIdentityHash(), path);
    return module;
}

v8::MaybeLocal<v8::Module> ModuleLoader::resolveStatic(v8::Local<v8::Context> context,
                                                       v8::Local<v8::String> specifier,
                                                       v8::Local<v8::FixedArray>,
                                                       v8::Local<v8::Module> referrer) {
    auto* isolate = context->GetIsolate();
    auto* self = from(isolate);
    QString error;
    const QString path =
        self->resolve(toQString(isolate, specifier), self->pathOf(referrer), &error);
    if (path.isEmpty()) {
        isolate->ThrowException(v8::Exception::Error(toV8(isolate, error)));
        return {};
    }
    return self->load({isolate, context}, path);
}

v8::MaybeLocal<v8::Promise> ModuleLoader::run(const JsScope& scope, const QString& path) {
    v8::Local<v8::Module> module;
    if (!load(scope, path).ToLocal(&module)) return {};
    if (module->GetStatus() == v8::Module::kUninstantiated &&
        module->InstantiateModule(scope.context, &ModuleLoader::resolveStatic).IsNothing())
        return {};
    v8::Local<v8::Value> result;
    if (!module->Evaluate(scope.context).ToLocal(&result)) return {};
    return result.As<v8::Promise>();
}

v8::MaybeLocal<v8::Promise> ModuleLoader::importDynamic(v8::Local<v8::Context> context,
                                                        v8::Local<v8::Data>,
                                                        v8::Local<v8::Value> resourceName,
                                                        v8::Local<v8::String> specifier,
                                                        v8::Local<v8::FixedArray>) {
    auto* isolate = context->GetIsolate();
    auto* self = from(isolate);
    auto resolver = v8::Promise::Resolver::New(context).ToLocalChecked();
    QString error;
    const QString path =
        self->resolve(toQString(isolate, specifier), toQString(isolate, resourceName), &error);
    if (path.isEmpty()) {
        resolver->Reject(context, v8::Exception::Error(toV8(isolate, error))).Check();
        return resolver->GetPromise();
    }
    v8::TryCatch tryCatch(isolate);
    JsScope scope{isolate, context};
    v8::Local<v8::Promise> evaluation;
    if (!self->run(scope, path).ToLocal(&evaluation)) {
        resolver->Reject(context, tryCatch.Exception()).Check();
        return resolver->GetPromise();
    }
    auto module = self->m_byPath.at(path).Get(isolate);
    // Resolve with the namespace once evaluation (which may await at top level) settles.
    auto data = v8::Array::New(isolate, 2);
    data->Set(context, 0, resolver).Check();
    data->Set(context, 1, module->GetModuleNamespace()).Check();
    auto onFulfilled = v8::Function::New(
                           context,
                           [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                               auto ctx = info.GetIsolate()->GetCurrentContext();
                               auto pair = info.Data().As<v8::Array>();
                               pair->Get(ctx, 0)
                                   .ToLocalChecked()
                                   .As<v8::Promise::Resolver>()
                                   ->Resolve(ctx, pair->Get(ctx, 1).ToLocalChecked())
                                   .Check();
                           },
                           data)
                           .ToLocalChecked();
    auto onRejected = v8::Function::New(
                          context,
                          [](const v8::FunctionCallbackInfo<v8::Value>& info) {
                              auto ctx = info.GetIsolate()->GetCurrentContext();
                              auto pair = info.Data().As<v8::Array>();
                              pair->Get(ctx, 0)
                                  .ToLocalChecked()
                                  .As<v8::Promise::Resolver>()
                                  ->Reject(ctx, info[0])
                                  .Check();
                          },
                          data)
                          .ToLocalChecked();
    evaluation->Then(context, onFulfilled, onRejected).ToLocalChecked();
    return resolver->GetPromise();
}

void ModuleLoader::initMeta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                            v8::Local<v8::Object> meta) {
    auto* isolate = context->GetIsolate();
    const QString path = from(isolate)->pathOf(module);
    meta->CreateDataProperty(context, toV8(isolate, "url"),
                             toV8(isolate, QStringLiteral("file://") + path))
        .Check();
}

} // namespace kiln
