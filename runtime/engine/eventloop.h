#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

namespace kiln {

// The engine thread's loop: macrotasks in FIFO order plus timers, each run in the order it
// became ready (a task when posted, a timer when due), so a timer is not kept waiting while
// tasks posted after it was due keep coming. post() and postDelayed() are thread-safe; everything
// else belongs to the thread that calls run(). After every task the after-task hook runs (the
// engine performs the microtask checkpoint there), which is the ordering the HTML event loop and
// workerd give.
class EventLoop {
public:
    using Task = std::function<void()>;
    using Clock = std::chrono::steady_clock;

    void post(Task task);
    // keepAlive=false: the timer runs if the loop is still running but does not hold it open
    // (V8's housekeeping tasks).
    std::uint64_t postDelayed(double ms, Task task, bool keepAlive = true);
    void cancel(std::uint64_t timerId);

    // Runs until quit(), or, with exitWhenIdle, until nothing is queued, no timer is
    // pending, no ref is held and stillBusy() says false.
    void run();
    void quit();
    // Whether a task or a due timer waits to run (any thread).
    bool hasReadyTask();

    void ref() { ++m_refs; }
    void unref() { --m_refs; }

    void setAfterTask(std::function<void()> hook) { m_afterTask = std::move(hook); }
    // Brackets each task including its after-task hook (the CPU watchdog measures this span).
    void setTaskHooks(std::function<void()> begin, std::function<void()> end) {
        m_taskBegin = std::move(begin);
        m_taskEnd = std::move(end);
    }
    // Runs on the loop's thread when nothing is ready and the loop is about to wait (or end).
    void setBeforeWait(std::function<void()> hook) { m_beforeWait = std::move(hook); }
    // Work the loop cannot see (e.g. background wasm compiles) that should keep it alive.
    void setStillBusy(std::function<bool()> probe) { m_stillBusy = std::move(probe); }
    void setExitWhenIdle(bool exit) { m_exitWhenIdle = exit; }

private:
    struct Timer {
        std::uint64_t id;
        Task task;
        bool keepAlive;
    };

    std::mutex m_mutex;
    std::condition_variable m_wake;
    struct Posted {
        Task task;
        Clock::time_point at;
    };
    std::deque<Posted> m_tasks;
    std::multimap<Clock::time_point, Timer> m_timers;
    std::uint64_t m_nextTimerId = 1;
    bool m_quit = false;
    bool m_exitWhenIdle = false;
    int m_refs = 0;
    int m_aliveTimers = 0;
    std::function<void()> m_afterTask;
    std::function<void()> m_taskBegin;
    std::function<void()> m_taskEnd;
    std::function<void()> m_beforeWait;
    std::function<bool()> m_stillBusy;
};

} // namespace kiln
