#pragma once

#include "engine/internal/jsruntime.h"

#include <QString>
#include <map>
#include <memory>
#include <vector>

#include <v8-persistent-handle.h>
#include <v8-promise.h>
#include <v8-script.h>

namespace kiln {

class CodeCache;
class EventLoop;
class ModuleAhead;

// ES modules from files: static imports, dynamic import() and import.meta.url, resolved
// relative to the importing file. Module resource names are absolute paths, so stack traces
// name real files.
class ModuleLoader {
public:
    // Large modules compile through `codeCache`, which must outlive the loader; `loop` is
    // the isolate's (loadAhead's threads report there).
    ModuleLoader(v8::Isolate* isolate, CodeCache& codeCache, EventLoop& loop);
    ~ModuleLoader();

    // Starts loading the module at `path` on a thread of its own (ModuleAhead) when that can
    // save the engine thread work: Pyodide's glue, once its patched text is cached. A dynamic
    // import of `path` then waits for it in the event loop (V8's tasks keep running); a
    // static one waits in place.
    void loadAhead(const QString& path);

    v8::MaybeLocal<v8::Module> load(const JsScope& scope, const QString& path);
    // How the module at `path` used V8's code cache: "code cache", "code cache, read ahead"
    // (deserialised by loadAhead's thread), or "" (compiled from its text, or not loaded).
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

    // The rest of a dynamic import of `path`: load, evaluate, resolve with the namespace.
    void finishImport(const JsScope& scope, v8::Local<v8::Promise::Resolver> resolver,
                      const QString& path);
    void aheadDone(const QString& path);
    QString resolve(const QString& specifier, const QString& referrerPath, QString* error) const;
    QString pathOf(v8::Local<v8::Module> module) const;

    v8::Isolate* m_isolate;
    std::map<QString, v8::Global<v8::Module>> m_byPath;
    std::multimap<int, QString> m_pathsByHash;
    CodeCache& m_codeCache;
    std::map<QString, QString> m_cacheUse; // by path: cacheUse()'s answer
    EventLoop& m_loop;
    struct Ahead {
        std::unique_ptr<ModuleAhead> work;
        bool done = false; // its thread said so through the loop
        std::vector<v8::Global<v8::Promise::Resolver>> imports; // waiting for it
    };
    std::map<QString, Ahead> m_ahead; // by path, until loaded
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace kiln
