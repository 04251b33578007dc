#include "engine/internal/codecache.h"

#include "engine/checkedfile.h"
#include "engine/internal/wasmcache.h"

#include <v8-version.h>
#include <xxhash.h>

#include <memory>

namespace kiln {

namespace {

// Smaller scripts parse faster than a cache file is found and checked. Kiln's own modules
// (worker.mjs and what it imports, 4-34 KB each) and Pyodide's loader (18 KB) are above it.
constexpr qsizetype kMinBytes = 4 * 1024;

QString cacheFileFor(const QByteArray& source) {
    if (source.size() < kMinBytes || !codeCacheEnabled()) return {};
    const QString key =
        QStringLiteral("%1|%2.%3.%4.%5|%6")
            .arg(QString::fromLatin1(QByteArray::number(
                qulonglong(XXH3_64bits(source.constData(), size_t(source.size()))), 16)))
            .arg(V8_MAJOR_VERSION)
            .arg(V8_MINOR_VERSION)
            .arg(V8_BUILD_NUMBER)
            .arg(V8_PATCH_LEVEL)
            .arg(qEnvironmentVariable("KILN_V8_FLAGS"));
    return cacheFilePath(QStringLiteral("js-"), key, QStringLiteral(".bin"));
}

// One compile's view of the cache: the file, and its checked mapping when there is one (it
// must outlive the compile, which reads the cached data in place), with the deserialisation
// begun on another thread when the cache was prepared ahead.
struct Lookup {
    // A prepared lookup named its file already (hashing the glue's text again: ~0.1 ms).
    Lookup(const QByteArray& source, CodeCache::Prepared prepared = {})
        : file(prepared.file.isEmpty() ? cacheFileFor(source) : std::move(prepared.file))
        , mapping(std::move(prepared.mapping))
        , task(std::move(prepared.task)) {
        if (!file.isEmpty() && !mapping) mapping = CheckedFile::map(file);
    }
    v8::ScriptCompiler::CachedData* data() const { // owned by the Source it is given to
        if (!mapping) return nullptr;
        return new v8::ScriptCompiler::CachedData(static_cast<const uint8_t*>(mapping->data()),
                                                  int(mapping->size()),
                                                  v8::ScriptCompiler::CachedData::BufferNotOwned);
    }
    v8::ScriptCompiler::CompileOptions options() const {
        return mapping ? v8::ScriptCompiler::kConsumeCodeCache
                       : v8::ScriptCompiler::kNoCompileOptions;
    }
    // V8 rejects a cache made by another build or under other flags; it is then made again.
    bool wanted(v8::ScriptCompiler::Source& compiled) const {
        return !file.isEmpty() && (!mapping || compiled.GetCachedData()->rejected);
    }
    // Whether the compile took the cache (none yet, a damaged one or one V8 refused: not).
    bool used(v8::ScriptCompiler::Source& compiled) const {
        return mapping && !compiled.GetCachedData()->rejected;
    }

    QString file;
    std::unique_ptr<CheckedFile::Mapping> mapping;
    std::unique_ptr<v8::ScriptCompiler::ConsumeCodeCacheTask> task; // the Source takes it
};

} // namespace

CodeCache::Prepared CodeCache::prepare(v8::Isolate* isolate, const QByteArray& source) {
    Prepared prepared;
    prepared.file = cacheFileFor(source);
    if (prepared.file.isEmpty() || !(prepared.mapping = CheckedFile::map(prepared.file)))
        return prepared;
    // Null when V8 runs without concurrent cache deserialisation: the compile then reads the
    // mapping itself.
    prepared.task.reset(v8::ScriptCompiler::StartConsumingCodeCache(
        isolate,
        std::make_unique<v8::ScriptCompiler::CachedData>(
            static_cast<const uint8_t*>(prepared.mapping->data()), int(prepared.mapping->size()),
            v8::ScriptCompiler::CachedData::BufferNotOwned)));
    if (prepared.task) prepared.task->Run();
    return prepared;
}

v8::MaybeLocal<v8::Module> CodeCache::compileModule(const JsScope& scope, const QByteArray& source,
                                                    v8::Local<v8::String> text,
                                                    const v8::ScriptOrigin& origin, bool* fromCache,
                                                    Prepared prepared) {
    Lookup lookup(source, std::move(prepared));
    v8::ScriptCompiler::Source compilerSource(text, origin, lookup.data(), lookup.task.release());
    v8::Local<v8::Module> module;
    if (!v8::ScriptCompiler::CompileModule(scope.isolate, &compilerSource, lookup.options())
             .ToLocal(&module))
        return {};
    if (fromCache) *fromCache = lookup.used(compilerSource);
    if (lookup.wanted(compilerSource))
        m_pending.push_back({lookup.file, v8::Global<v8::Module>(scope.isolate, module), {}});
    return module;
}

v8::MaybeLocal<v8::Script> CodeCache::compileScript(const JsScope& scope, const QByteArray& source,
                                                    v8::Local<v8::String> text,
                                                    const v8::ScriptOrigin& origin) {
    const Lookup lookup(source);
    v8::ScriptCompiler::Source compilerSource(text, origin, lookup.data());
    v8::Local<v8::Script> script;
    if (!v8::ScriptCompiler::Compile(scope.context, &compilerSource, lookup.options())
             .ToLocal(&script))
        return {};
    if (lookup.wanted(compilerSource))
        m_pending.push_back(
            {lookup.file,
             {},
             v8::Global<v8::UnboundScript>(scope.isolate, script->GetUnboundScript())});
    return script;
}

void CodeCache::writePending() {
    v8::HandleScope handles(m_isolate);
    for (auto& pending : std::exchange(m_pending, {})) {
        std::unique_ptr<v8::ScriptCompiler::CachedData> data(
            pending.module.IsEmpty()
                ? v8::ScriptCompiler::CreateCodeCache(pending.script.Get(m_isolate))
                : v8::ScriptCompiler::CreateCodeCache(
                      pending.module.Get(m_isolate)->GetUnboundModuleScript()));
        if (data && data->length > 0)
            writeCacheInBackground(
                pending.file, QByteArray(reinterpret_cast<const char*>(data->data), data->length));
    }
}

} // namespace kiln
