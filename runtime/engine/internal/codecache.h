#pragma once

#include "engine/checkedfile.h"
#include "engine/internal/jsruntime.h"

#include <QByteArray>
#include <QString>

#include <v8-script.h>

#include <memory>
#include <vector>

namespace kiln {

// V8's code cache for the large scripts every start compiles: Pyodide's glue (1.2 MB) and
// Kiln's prelude (190 KB). Keyed by the text (as compiled, patches included), the V8 build
// and KILN_V8_FLAGS; read through a checked mapping, not copied. A compile with no usable
// cache is remembered, and writePending() stores its cache once the worker has started, with
// every function compiled by then, so the next start neither parses the text nor compiles the
// functions its start runs.
class CodeCache {
public:
    explicit CodeCache(v8::Isolate* isolate)
        : m_isolate(isolate) {}

    // A script's cache found, checked and deserialised before the script is compiled, off the
    // engine thread (V8's ConsumeCodeCacheTask; moduleahead.h runs it). Empty: no usable cache.
    struct Prepared {
        QString file;                                  // the cache file's name (source's key)
        std::unique_ptr<CheckedFile::Mapping> mapping; // the cache file; the task reads it
        std::unique_ptr<v8::ScriptCompiler::ConsumeCodeCacheTask> task; // run already, or null
    };
    // Any thread, while `isolate` lives: the cache of `source` mapped and, where V8 can,
    // deserialised here (the compile then only finishes the work on the engine thread).
    static Prepared prepare(v8::Isolate* isolate, const QByteArray& source);

    // `prepared`: what prepare() made of the same source, or empty (the cache is read now).
    v8::MaybeLocal<v8::Module> compileModule(const JsScope& scope, const QByteArray& source,
                                             v8::Local<v8::String> text,
                                             const v8::ScriptOrigin& origin,
                                             bool* fromCache = nullptr, Prepared prepared = {});
    v8::MaybeLocal<v8::Script> compileScript(const JsScope& scope, const QByteArray& source,
                                             v8::Local<v8::String> text,
                                             const v8::ScriptOrigin& origin);

    void writePending();

private:
    struct Pending {
        QString file;
        v8::Global<v8::Module> module; // or
        v8::Global<v8::UnboundScript> script;
    };

    v8::Isolate* m_isolate;
    std::vector<Pending> m_pending;
};

} // namespace kiln
