#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kiln {

// Watches the CPU time one run of worker code (a loop task plus its microtasks) takes on the
// engine thread. Past the limit it calls `interrupt` (Pyodide raises KeyboardInterrupt, and
// Python's state stays clean), and again every 100 ms of CPU while the run goes on: Pyodide
// reads its interrupt word and writes 0 back without an atomic exchange, so a request written
// between the two is lost (a run once spun through the whole grace period that way). If the
// run still goes on a grace period later, it calls `terminate` (the isolate is then unusable
// and gets replaced). A request the run never consumed is wiped by `clearInterrupt` before
// the next run starts, so it cannot stop unrelated code. Once a run has used half the
// limit (at most a second) it calls `longRun(usedMs, limitMs)` on every poll until that returns
// true (it reported: a request waits behind the run), so a person learns why other requests wait,
// also when they arrive late in the run. All run on the watchdog thread and must be thread-safe.
class CpuWatchdog {
public:
    CpuWatchdog(pthread_t engineThread, int limitMs, std::function<void()> interrupt,
                std::function<void()> terminate,
                std::function<bool(long long usedMs, long long limitMs)> longRun = {});
    ~CpuWatchdog();

    // Any thread: the limit for runs from now on (startup and request time differ).
    void setLimitMs(int limitMs) { m_limitNs.store(static_cast<long long>(limitMs) * 1000000LL); }

    // Set before the first run: wipes a CPU-limit interrupt left over from the last run.
    void setClearInterrupt(std::function<void()> clear) { m_clearInterrupt = std::move(clear); }
    // Set before the first run: called on every poll while a run goes on (watchdog thread),
    // to deliver again an interrupt asked for elsewhere that Python may have lost.
    void setEachPoll(std::function<void()> poll) { m_eachPoll = std::move(poll); }

    // Engine thread: bracket each run.
    void runBegins();
    void runEnds();

private:
    void watch();
    long long engineCpuNs() const;
    static long long wallNs();

    clockid_t m_clock;
    std::atomic<long long> m_limitNs;
    std::function<bool(long long, long long)> m_longRun;
    std::function<void()> m_interrupt;
    std::function<void()> m_terminate;
    std::function<void()> m_clearInterrupt;
    std::function<void()> m_eachPoll;
    std::atomic<bool> m_delivered{false};    // an interrupt was sent since the last runBegins
    std::atomic<long long> m_runStartNs{-1}; // the run's start on the wall clock; -1: idle
    std::atomic<unsigned> m_runId{0};
    std::mutex m_mutex;
    std::condition_variable m_stop;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace kiln
