#include "engine/internal/moduleahead.h"

namespace kiln {

ModuleAhead::ModuleAhead(v8::Isolate* isolate, QString textFile, std::function<void()> done)
    : m_thread([this, isolate, textFile = std::move(textFile), done = std::move(done)] {
        m_text = CheckedFile::map(textFile);
        if (m_text)
            m_cache = CodeCache::prepare(
                isolate, QByteArray::fromRawData(static_cast<const char*>(m_text->data()),
                                                 qsizetype(m_text->size())));
        done();
    }) {}

ModuleAhead::~ModuleAhead() {
    wait();
}

void ModuleAhead::wait() {
    if (m_thread.joinable()) m_thread.join();
}

} // namespace kiln
