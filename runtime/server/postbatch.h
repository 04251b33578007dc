#pragma once

#include <QtGlobal>

#include <functional>
#include <vector>

class QObject;

namespace kiln {

// Calls a thread posts to the server's thread (HttpExchange's: a response ready to write)
// while a PostBatch is installed on it wait in the batch until flush(), which posts them in
// order, one queued event per receiving object. Each post wakes the server's event loop (a
// system call on the posting thread); the engine thread, which posts a response per request,
// holds them only while it has more work ready, and flushes before it waits (WorkerLane): under
// load a wake-up carries several responses, and at rest a response goes at once.
class PostBatch {
public:
    // Installs the batch as the calling thread's; at most one per thread.
    PostBatch();
    // Flushes what is held and uninstalls it.
    ~PostBatch();
    PostBatch(const PostBatch&) = delete;
    PostBatch& operator=(const PostBatch&) = delete;

    // The calling thread's batch, or null.
    static PostBatch* current();

    // Holds `fn` for `receiver`'s thread; flushes at once once kMaxHeld are held, or when
    // the thread says it has nothing else ready (setWorthHolding).
    void hold(QObject* receiver, std::function<void()> fn);
    // Asked at each hold: whether more work is ready on this thread (holding is then worth
    // it); without it, calls are held until flush().
    void setWorthHolding(std::function<bool()> worth) { m_worthHolding = std::move(worth); }
    void flush();
    bool empty() const { return m_held.empty(); }

    static constexpr qsizetype kMaxHeld = 8;

private:
    std::vector<std::pair<QObject*, std::function<void()>>> m_held;
    PostBatch* m_previous;
    std::function<bool()> m_worthHolding;
};

} // namespace kiln
