#include "server/postbatch.h"

#include <QMetaObject>
#include <QObject>

namespace kiln {

namespace {
thread_local PostBatch* t_current = nullptr;
} // namespace

PostBatch::PostBatch()
    : m_previous(t_current) {
    t_current = this;
}

PostBatch::~PostBatch() {
    flush();
    t_current = m_previous;
}

PostBatch* PostBatch::current() {
    return t_current;
}

void PostBatch::hold(QObject* receiver, std::function<void()> fn) {
    m_held.emplace_back(receiver, std::move(fn));
    if (qsizetype(m_held.size()) >= kMaxHeld || (m_worthHolding && !m_worthHolding())) flush();
}

void PostBatch::flush() {
    auto held = std::exchange(m_held, {});
    // Runs of one receiver go in one event, in the order they were held.
    for (std::size_t begin = 0; begin < held.size();) {
        std::size_t end = begin + 1;
        while (end < held.size() && held[end].first == held[begin].first)
            ++end;
        std::vector<std::function<void()>> calls;
        calls.reserve(end - begin);
        for (std::size_t i = begin; i < end; ++i)
            calls.push_back(std::move(held[i].second));
        QMetaObject::invokeMethod(
            held[begin].first,
            [calls = std::move(calls)] {
                for (const auto& call : calls)
                    call();
            },
            Qt::QueuedConnection);
        begin = end;
    }
}

} // namespace kiln
