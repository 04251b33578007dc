#include "engine/internal/moduleloader.h"

#include "engine/checkedfile.h"
#include "engine/eventloop.h"
#include "engine/internal/codecache.h"
#include "engine/internal/moduleahead.h"
#include "engine/internal/pyodidepatches.h"
#include "engine/internal/wasmcache.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <v8-container.h>
#include <v8-exception.h>
#include <v8-function.h>
#include <v8-primitive.h>
#include <v8-promise.h>

#include <algorithm>
#include <memory>

namespace kiln {

namespace {

constexpr int kLoaderSlot = 1;

// Pyodide's glue (1.2 MB) as V8 compiles it, patched (pyodidepatches.h), kept in the cache
// folder: a start maps it and hands V8 the mapping as an external string, where reading,
// patching (several scans of the text) and copying it into the V8 heap took ~13 ms of every
// start. Keyed by the original file's stamp and this binary's (the patches are code).
class MappedText final : public v8::String::ExternalOneByteStringResource {
public:
    explicit MappedText(std::unique_ptr<CheckedFile::Mapping> mapping)
        : m_mapping(std::move(mapping)) {}
    const char* data() const override { return static_cast<const char*>(m_mapping->data()); }
    size_t length() const override { return m_mapping->size(); }

private:
    std::unique_ptr<CheckedFile::Mapping> m_mapping;
};

QString patchedGlueFile(const QString& path) {
    static const QString binary =
        fileStamp(QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath());
    const QString key = path + QLatin1Char('|') + fileStamp(path) + QLatin1Char('|') + binary;
    return cacheFilePath(QStringLiteral("glue-"), key, QStringLiteral(".js"));
}

// Pyodide's glue: patched as it loads, kept patched in the cache, loaded ahead.
bool isGlue(const QString& path) {
    return path.endsWith(QLatin1String("/pyodide.asm.mjs"));
}

// An external one-byte string is Latin-1: only a text that is all ASCII reads the same.
bool isAscii(const QByteArray& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](char c) { return uchar(c) < 0x80; });
}

} // namespace

ModuleLoader::ModuleLoader(v8::Isolate* isolate, CodeCache& codeCache, EventLoop& loop)
    : m_isolate(isolate)
    , m_codeCache(codeCache)
    , m_loop(loop) {
    isolate->SetData(kLoaderSlot, this);
    isolate->SetHostImportModuleDynamicallyCallback(&ModuleLoader::importDynamic);
    isolate->SetHostInitializeImportMetaObjectCallback(&ModuleLoader::initMeta);
}

ModuleLoader::~ModuleLoader() {
    *m_alive = false;
    for (auto& [path, ahead] : m_ahead)
        if (!ahead.done) m_loop.unref();
    m_ahead.clear(); // joins the threads while the isolate their results belong to lives
}

void ModuleLoader::loadAhead(const QString& file) {
    const QString path = QDir::cleanPath(file); // as resolve() names modules
    if (!isGlue(path) || !codeCacheEnabled() || m_byPath.count(path) || m_ahead.count(path)) return;
    const QString glueFile = patchedGlueFile(path);
    if (!QFile::exists(glueFile)) return; // the first start patches it on the engine thread
    m_loop.ref();                         // until the thread reports
    EventLoop* loop = &m_loop; // outlives the loader; a report after it is gone is dropped
    std::weak_ptr<bool> alive = m_alive;
    m_ahead[path].work =
        std::make_unique<ModuleAhead>(m_isolate, glueFile, [loop, alive, this, path] {
            loop->post([alive, this, path] {
                if (auto flag = alive.lock(); flag && *flag) aheadDone(path);
            });
        });
}

void ModuleLoader::aheadDone(const QString& path) {
    auto it = m_ahead.find(path);
    if (it == m_ahead.end() || it->second.done) return; // loaded in place meanwhile
    it->second.done = true;
    m_loop.unref();
    auto imports = std::move(it->second.imports);
    if (imports.empty()) return;
    v8::HandleScope handles(m_isolate);
    for (auto& held : imports) {
        auto resolver = held.Get(m_isolate);
        auto context = resolver->GetCreationContext().ToLocalChecked();
        v8::Context::Scope contextScope(context);
        finishImport({m_isolate, context}, resolver, path);
    }
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

QString ModuleLoader::cacheUse(const QString& path) const {
    const auto it = m_cacheUse.find(QDir::cleanPath(path)); // as resolve() names modules
    return it != m_cacheUse.end() ? it->second : QString();
}

v8::MaybeLocal<v8::Module> ModuleLoader::load(const JsScope& scope, const QString& path) {
    if (auto it = m_byPath.find(path); it != m_byPath.end()) return it->second.Get(scope.isolate);
    const bool glue = isGlue(path);
    const QString glueFile = glue && codeCacheEnabled() ? patchedGlueFile(path) : QString();
    std::unique_ptr<CheckedFile::Mapping> aheadText;
    CodeCache::Prepared prepared;
    bool readAhead = false;
    if (auto node = m_ahead.extract(path)) {
        if (!node.mapped().done) m_loop.unref();
        node.mapped().work->wait(); // at once when done; a static import waits for it here
        aheadText = node.mapped().work->takeText();
        prepared = node.mapped().work->takeCache();
        readAhead = prepared.mapping != nullptr;
    }
    QByteArray source;
    v8::Local<v8::String> text;
    if (auto mapping = aheadText            ? std::move(aheadText)
                       : glueFile.isEmpty() ? nullptr
                                            : CheckedFile::map(glueFile)) {
        source = QByteArray::fromRawData(static_cast<const char*>(mapping->data()),
                                         qsizetype(mapping->size()));
        auto* resource = new MappedText(std::move(mapping)); // V8 owns it from here
        if (!v8::String::NewExternalOneByte(scope.isolate, resource).ToLocal(&text)) {
            source.clear();
            delete resource;
        }
    }
    if (text.IsEmpty()) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            scope.isolate->ThrowException(v8::Exception::Error(
                toV8(scope.isolate,
                     QStringLiteral("Cannot load module %1: %2").arg(path, file.errorString()))));
            return {};
        }
        source = file.readAll();
        if (glue)
            patchPyodideGlue(source);
        else if (path.endsWith(QLatin1String("/pyodide.mjs")))
            patchPyodideLoader(source);
        if (!glueFile.isEmpty() && isAscii(source)) writeCacheInBackground(glueFile, source);
        if (!v8::String::NewFromUtf8(scope.isolate, source.constData(), v8::NewStringType::kNormal,
                                     int(source.size()))
                 .ToLocal(&text))
            return {};
    }
    v8::ScriptOrigin origin(scope.isolate, toV8(scope.isolate, path), 0, 0, false, -1,
                            v8::Local<v8::Value>(), false, false, true);
    v8::Local<v8::Module> module;
    bool fromCache = false;
    if (!m_codeCache.compileModule(scope, source, text, origin, &fromCache, std::move(prepared))
             .ToLocal(&module))
        return {};
    m_cacheUse[path] = !fromCache  ? QString()
                       : readAhead ? QStringLiteral("code cache, read ahead")
                                   : QStringLiteral("code cache");
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
    if (auto it = self->m_ahead.find(path); it != self->m_ahead.end() && !it->second.done) {
        it->second.imports.emplace_back(isolate, resolver); // aheadDone() goes on
        return resolver->GetPromise();
    }
    self->finishImport({isolate, context}, resolver, path);
    return resolver->GetPromise();
}

void ModuleLoader::finishImport(const JsScope& scope, v8::Local<v8::Promise::Resolver> resolver,
                                const QString& path) {
    auto* isolate = scope.isolate;
    auto context = scope.context;
    v8::TryCatch tryCatch(isolate);
    v8::Local<v8::Promise> evaluation;
    if (!run(scope, path).ToLocal(&evaluation)) {
        resolver->Reject(context, tryCatch.Exception()).Check();
        return;
    }
    auto module = m_byPath.at(path).Get(isolate);
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
