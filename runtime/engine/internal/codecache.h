#pragma once

#include "engine/internal/jsruntime.h"

#include <QByteArray>
#include <QString>

#include "engine/checkedfile.h"

#include <v8-script.h>

#include <memory>
#include <thread>
#include <vector>

namespace kiln {

// V8's code cache for the large scripts every start compiles: Pyodide's glue (1.2 MB) and
// Kiln's prelude (190 KB). Keyed by the text (as compiled, patches included), the V8 build
// and KILN_V8_FLAGS; read through a checked mapping, not copied. A compile with no usable
// cache is remembered, and writePending() stores its cache once the worker has started, with
// every function compiled by then, so the next start neither parses the text nor compiles the
// functions its start runs.
//
// prefetch() starts deserialising a script's cache on a thread of its own as soon as the
// isolate exists, while the engine thread runs what comes before that script (the prelude,
// worker.mjs, pyodide.mjs); the compile then only finishes what the thread made.
class CodeCache {
public:
    explicit CodeCache(v8::Isolate* isolate)
        : m_isolate(isolate) {}
    CodeCache(const CodeCache&) = delete;
    CodeCache& operator=(const CodeCache&) = delete;

    // `source` as it will be compiled; its bytes need not outlive the call.
    void prefetch(const QByteArray& source);

    // How a compile used the cache: not at all (none, damaged or rejected), read on the
    // engine thread, or deserialised ahead by prefetch().
    enum class Use { None, Cached, ReadAhead };

    v8::MaybeLocal<v8::Module> compileModule(const JsScope& scope, const QByteArray& source,
                                             v8::Local<v8::String> text,
                                             const v8::ScriptOrigin& origin, Use* use = nullptr);
    v8::MaybeLocal<v8::Script> compileScript(const JsScope& scope, const QByteArray& source,
                                             v8::Local<v8::String> text,
                                             const v8::ScriptOrigin& origin);

    void writePending();

    // A cache being deserialised off the engine thread, for the compile of the text it keys.
    struct Prefetch {
        ~Prefetch() { // the task must end before the isolate does
            if (thread.joinable()) thread.join();
        }
        QString file;
        std::unique_ptr<CheckedFile::Mapping> mapping; // read in place by the task
        std::unique_ptr<v8::ScriptCompiler::ConsumeCodeCacheTask> task;
        std::thread thread;
    };

private:
    struct Pending {
        QString file;
        v8::Global<v8::Module> module; // or
        v8::Global<v8::UnboundScript> script;
    };

    v8::Isolate* m_isolate;
    std::vector<Pending> m_pending;
    std::unique_ptr<Prefetch> m_prefetch;
};

} // namespace kiln
