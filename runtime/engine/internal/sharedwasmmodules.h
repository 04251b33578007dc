#pragma once

#include <QString>

#include <v8-wasm.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

namespace kiln {

// Compiled wasm modules shared by the isolates of this process, by cache key. A reload's new
// instance takes the one its predecessor compiled (V8 shares the machine code, and tier-up
// still under way carries on for both) instead of deserialising it again; a first start takes
// the one read ahead from the code cache on a thread of its own (wasmreadahead.h) while the
// engine thread was loading Pyodide's JS.
class SharedWasmModules {
public:
    static SharedWasmModules& instance();

    void put(const QString& key, v8::CompiledWasmModule module);
    // The module under `key`, or null. A read-ahead of that key still running is waited for
    // until it has the module (up to `waitMs`): it is further along than a compile started
    // now would be.
    std::shared_ptr<v8::CompiledWasmModule> get(const QString& key, int waitMs);

    // A read-ahead of `key` starts (false: one ran or runs already, or the module is here).
    bool beginReadAhead(const QString& key);
    // It has the module, or will have none (null: the caller compiles as usual)...
    void publishReadAhead(const QString& key, std::unique_ptr<v8::CompiledWasmModule> module);
    // ... and it ended: its thread no longer uses V8.
    void endReadAhead(const QString& key);
    // Returns once no read-ahead runs (or after `waitMs`).
    void waitForReadAheads(int waitMs);
    // Whether `key`'s module came from a read-ahead nobody has asked about yet (once: the
    // instance that took it says so in its boot phases; a later one took a shared module).
    bool takeReadAhead(const QString& key);

private:
    struct Entry {
        std::shared_ptr<v8::CompiledWasmModule> module;
        bool readingAhead = false;
        bool readAhead = false; // the module came from a read-ahead, not yet reported
        bool tried = false;     // a read-ahead of this key started once
    };
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<QString, Entry> m_entries;
};

} // namespace kiln
