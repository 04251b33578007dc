#pragma once

#include <QByteArray>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

namespace kiln {

// Writes terminal lines on a thread of its own, so a caller never waits on stdout: when the
// reader of a pipe stops reading (a supervisor that hangs, `kiln dev | less` paused), the
// server and the worker keep serving. Up to kMaxQueuedBytes wait; past that, lines are
// dropped and counted, and a line saying how many is written once output flows again.
class TerminalWriter {
public:
    static constexpr qsizetype kMaxQueuedBytes = 4 * 1024 * 1024;
    // Written at once, without gathering first.
    static constexpr qsizetype kBatchBytes = 64 * 1024;
    // How long a first line waits for others to share its wake-up and write.
    static constexpr int kGatherMs = 10;

    static TerminalWriter& instance();
    ~TerminalWriter();

    // Any thread; never blocks on the output. `text` has no trailing newline.
    void write(FILE* out, const QByteArray& text);
    // Waits up to `ms` until everything queued is written (before the process exits).
    void flush(int ms);

private:
    TerminalWriter();
    void run();

    struct Line {
        FILE* out;
        QByteArray text;
    };
    std::mutex m_mutex;
    std::condition_variable m_wake;    // lines queued, or stopping
    std::condition_variable m_drained; // the queue ran empty
    std::deque<Line> m_queue;
    qsizetype m_queuedBytes = 0;
    qint64 m_dropped = 0;
    bool m_writing = false; // a line is out of the queue, being written
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace kiln
