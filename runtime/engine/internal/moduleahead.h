#pragma once

#include "engine/checkedfile.h"
#include "engine/internal/codecache.h"

#include <functional>
#include <memory>
#include <thread>

namespace v8 {
class Isolate;
}

namespace kiln {

// One large module made ready on a thread of its own while the engine thread boots: its text
// (a checked cache file, Pyodide's patched glue) mapped and V8's code cache for that text
// checked and deserialised (CodeCache::prepare). Deserialising the glue's ~950 KB cache took
// 8-16 ms of the engine thread at every start, before anything else could run.
// The thread only reads files and runs V8's background deserialiser, which works on the heap
// through a local heap of its own, so the engine thread must not block on it in a way V8
// cannot see (a background allocation may ask the engine thread for a collection): wait()
// is for when the thread has said it is done, or for shutdown.
class ModuleAhead {
public:
    // Starts at once; `done` runs on the thread, last, once the results are in place.
    ModuleAhead(v8::Isolate* isolate, QString textFile, std::function<void()> done);
    ~ModuleAhead(); // waits for the thread
    ModuleAhead(const ModuleAhead&) = delete;
    ModuleAhead& operator=(const ModuleAhead&) = delete;

    // Joins the thread; the results below are this thread's from then on.
    void wait();
    // The text's mapping (null when the file was missing or damaged: the loader then makes
    // the text again) and the prepared cache. Each can be taken once, after wait().
    std::unique_ptr<CheckedFile::Mapping> takeText() { return std::move(m_text); }
    CodeCache::Prepared takeCache() { return std::move(m_cache); }

private:
    std::unique_ptr<CheckedFile::Mapping> m_text;
    CodeCache::Prepared m_cache;
    std::thread m_thread; // last: it starts once the members it writes exist
};

} // namespace kiln
