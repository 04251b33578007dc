#pragma once

#include "engine/internal/jsruntime.h"

#include <QString>
#include <map>

#include <v8-script.h>

namespace kiln {

class CodeCache;

// ES modules from files: static imports, dynamic import() and import.meta.url, resolved
// relative to the importing file. Module resource names are absolute paths, so stack traces
// name real files.
class ModuleLoader {
public:
    // Large modules compile through `codeCache`, which must outlive the loader.
    ModuleLoader(v8::Isolate* isolate, CodeCache& codeCache);

    v8::MaybeLocal<v8::Module> load(const JsScope& scope, const QString& path);
    // How the module at `path` used V8's code cache: "code cache", or "" (compiled from its
    // text, or not loaded).
    QString cacheUse(const QString& path) const;
    // Loads, instantiates and evaluates; returns the evaluation promise.
    v8::MaybeLocal<v8::Promise> run(const JsScope& scope, const QString& path);

    static ModuleLoader* from(v8::Isolate* isolate);

private:
    static v8::MaybeLocal<v8::Module> resolveStatic(v8::Local<v8::Context> context,
                                                    v8::Local<v8::String> specifier,
                                                    v8::Local<v8::FixedArray> assertions,
                                                    v8::Local<v8::Module> referrer);
    static v8::MaybeLocal<v8::Promise> importDynamic(v8::Local<v8::Context> context,
                                                     v8::Local<v8::Data> options,
                                                     v8::Local<v8::Value> resourceName,
                                                     v8::Local<v8::String> specifier,
                                                     v8::Local<v8::FixedArray> assertions);
    static void initMeta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                         v8::Local<v8::Object> meta);

    QString resolve(const QString& specifier, const QString& referrerPath, QString* error) const;
    QString pathOf(v8::Local<v8::Module> module) const;

    v8::Isolate* m_isolate;
    std::map<QString, v8::Global<v8::Module>> m_byPath;
    std::multimap<int, QString> m_pathsByHash;
    CodeCache& m_codeCache;
    std::map<QString, bool> m_fromCache; // by path: compiled from V8's code cache
};

} // namespace kiln
