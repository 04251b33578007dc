#include "engine/internal/sharedwasmmodules.h"

#include <chrono>

namespace kiln {

SharedWasmModules& SharedWasmModules::instance() {
    // Outlives static destruction: a read-ahead thread may still end after main() returns.
    static auto* modules = new SharedWasmModules;
    return *modules;
}

void SharedWasmModules::put(const QString& key, v8::CompiledWasmModule module) {
    std::lock_guard lock(m_mutex);
    Entry& entry = m_entries[key];
    entry.module = std::make_shared<v8::CompiledWasmModule>(std::move(module));
    entry.readAhead = false;
}

std::shared_ptr<v8::CompiledWasmModule> SharedWasmModules::get(const QString& key, int waitMs) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, std::chrono::milliseconds(waitMs), [this, &key] {
        auto it = m_entries.find(key);
        return it == m_entries.end() || !it->second.readingAhead || it->second.module;
    });
    auto it = m_entries.find(key);
    return it == m_entries.end() ? nullptr : it->second.module;
}

void SharedWasmModules::waitForReadAheads(int waitMs) {
    std::unique_lock lock(m_mutex);
    m_changed.wait_for(lock, std::chrono::milliseconds(waitMs), [this] {
        for (const auto& [key, entry] : m_entries)
            if (entry.readingAhead) return false;
        return true;
    });
}

bool SharedWasmModules::beginReadAhead(const QString& key) {
    std::lock_guard lock(m_mutex);
    Entry& entry = m_entries[key];
    if (entry.tried || entry.module) return false;
    entry.tried = entry.readingAhead = true;
    return true;
}

void SharedWasmModules::publishReadAhead(const QString& key,
                                         std::unique_ptr<v8::CompiledWasmModule> module) {
    {
        std::lock_guard lock(m_mutex);
        Entry& entry = m_entries[key];
        if (module && !entry.module) {
            entry.module = std::shared_ptr<v8::CompiledWasmModule>(std::move(module));
            entry.readAhead = true;
        }
    }
    m_changed.notify_all();
}

void SharedWasmModules::endReadAhead(const QString& key) {
    {
        std::lock_guard lock(m_mutex);
        m_entries[key].readingAhead = false;
    }
    m_changed.notify_all();
}

bool SharedWasmModules::takeReadAhead(const QString& key) {
    std::lock_guard lock(m_mutex);
    auto it = m_entries.find(key);
    if (it == m_entries.end() || !it->second.readAhead) return false;
    it->second.readAhead = false;
    return true;
}

} // namespace kiln
