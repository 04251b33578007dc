#include "session/terminalwriter.h"

#include <chrono>
#include <thread>

namespace kiln {

TerminalWriter& TerminalWriter::instance() {
    static TerminalWriter writer;
    return writer;
}

TerminalWriter::TerminalWriter()
    : m_thread([this] { run(); }) {}

TerminalWriter::~TerminalWriter() {
    flush(1000);
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    // A writer stuck on a pipe nobody reads cannot be joined; the process is ending anyway.
    if (m_queue.empty() && !m_writing)
        m_thread.join();
    else
        m_thread.detach();
}

void TerminalWriter::write(FILE* out, const QByteArray& text) {
    {
        std::lock_guard lock(m_mutex);
        if (m_queuedBytes + text.size() > kMaxQueuedBytes) {
            ++m_dropped;
            return;
        }
        m_queuedBytes += text.size() + 1;
        m_queue.push_back({out, text});
    }
    m_wake.notify_one();
}

void TerminalWriter::flush(int ms) {
    std::unique_lock lock(m_mutex);
    m_drained.wait_for(lock, std::chrono::milliseconds(ms),
                       [this] { return m_queue.empty() && !m_writing; });
}

void TerminalWriter::run() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_queue.empty()) return; // stopping
        // Lines come in bursts (a request log line per request under load): gather for a
        // moment, not waiting on m_wake, so a burst costs one wake-up and one write per
        // stream instead of one of each per line. At a few thousand requests a second a
        // 1 ms gather still woke this thread about once per request, on a core the server
        // and the engine need; a person cannot see 10 ms either.
        if (!m_stop && m_queuedBytes < kBatchBytes) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(kGatherMs));
            lock.lock();
        }
        std::deque<Line> lines;
        lines.swap(m_queue);
        m_queuedBytes = 0;
        const qint64 dropped = std::exchange(m_dropped, 0);
        m_writing = true;
        lock.unlock();
        if (dropped > 0)
            fprintf(stderr,
                    "▲ [WARNING] %lld log lines were dropped: the output was not being read\n",
                    static_cast<long long>(dropped));
        // Flushed where the stream changes, so stdout and stderr lines keep their order.
        FILE* previous = nullptr;
        for (const Line& line : lines) {
            if (previous && previous != line.out) fflush(previous);
            fwrite(line.text.constData(), 1, static_cast<size_t>(line.text.size()), line.out);
            fputc('\n', line.out);
            previous = line.out;
        }
        if (previous) fflush(previous);
        lock.lock();
        m_writing = false;
        if (m_queue.empty()) m_drained.notify_all();
    }
}

} // namespace kiln
