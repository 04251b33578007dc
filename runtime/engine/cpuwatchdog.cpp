#include "engine/cpuwatchdog.h"

#include <time.h>

#include <algorithm>
#include <utility>

namespace kiln {

CpuWatchdog::CpuWatchdog(pthread_t engineThread, int limitMs, std::function<void()> interrupt,
                         std::function<void()> terminate,
                         std::function<bool(long long usedMs, long long limitMs)> longRun)
    : m_longRun(std::move(longRun))
    , m_interrupt(std::move(interrupt))
    , m_terminate(std::move(terminate)) {
    setLimitMs(limitMs);
    pthread_getcpuclockid(engineThread, &m_clock);
    m_thread = std::thread([this] { watch(); });
}

CpuWatchdog::~CpuWatchdog() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_stop.notify_one();
    m_thread.join();
}

long long CpuWatchdog::engineCpuNs() const {
    timespec ts{};
    clock_gettime(m_clock, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long CpuWatchdog::wallNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void CpuWatchdog::runBegins() {
    if (m_delivered.load(std::memory_order_relaxed) && m_delivered.exchange(false) &&
        m_clearInterrupt)
        m_clearInterrupt(); // no Python runs between two runs: nothing races this write
    m_runId.fetch_add(1, std::memory_order_relaxed);
    m_runStartNs.store(wallNs(), std::memory_order_release);
}

void CpuWatchdog::runEnds() {
    m_runStartNs.store(-1, std::memory_order_release);
}

// A run's CPU time is bounded from above without the engine reading its CPU clock (a system
// call, ~1.5 us in this VM, once per request): each poll reads the engine thread's CPU clock
// and the wall clock; for a run first seen at (cpuSeen, wallSeen), what it used by then is at
// most the wall time since it began (one thread uses no more CPU than wall time) and at most
// the CPU since the previous poll, if that poll came before the run began. From there on the
// engine's CPU clock counts exactly. The bound errs only towards firing early, by at most the
// CPU of one poll period before the run.
void CpuWatchdog::watch() {
    constexpr long long kRedeliverNs = 100000000LL;
    unsigned watchedRun = 0;
    bool interrupted = false, terminated = false, reported = false;
    long long nextDeliveryNs = 0;
    long long lastCpu = engineCpuNs(), lastWall = wallNs(); // the previous poll's reads
    long long cpuSeen = 0, usedWhenSeen = 0;                // the watched run's first sight
    std::unique_lock lock(m_mutex);
    // Poll: a limit of tens of ms needs a fine period, and the cost is two clock reads.
    for (;;) {
        const long long limitNs = m_limitNs.load();
        const long long graceNs = std::max(1000000000LL, limitNs);
        const long long longRunNs = std::min(limitNs / 2, 1000000000LL);
        const auto period =
            std::chrono::milliseconds(std::clamp<long long>(limitNs / 10000000LL, 2, 50));
        if (m_stop.wait_for(lock, period, [this] { return m_stopping; })) break;
        const long long start = m_runStartNs.load(std::memory_order_acquire);
        const unsigned run = m_runId.load(std::memory_order_relaxed);
        const long long cpuNow = engineCpuNs(), wallNow = wallNs();
        const long long previousCpu = std::exchange(lastCpu, cpuNow);
        const long long previousWall = std::exchange(lastWall, wallNow);
        if (start < 0) continue;
        if (run != watchedRun) {
            interrupted = terminated = reported = false;
            watchedRun = run;
            cpuSeen = cpuNow;
            usedWhenSeen = std::max(0LL, wallNow - start);
            if (previousWall <= start) usedWhenSeen = std::min(usedWhenSeen, cpuNow - previousCpu);
        }
        if (m_eachPoll) m_eachPoll();
        const long long used =
            std::min(usedWhenSeen + (cpuNow - cpuSeen), std::max(0LL, wallNow - start));
        if (!reported && m_longRun && used > longRunNs)
            reported = m_longRun(used / 1000000, limitNs / 1000000);
        if (!interrupted && used > limitNs) {
            interrupted = true;
            nextDeliveryNs = used + kRedeliverNs;
            m_delivered.store(true);
            m_interrupt();
        } else if (interrupted && !terminated && used > limitNs + graceNs) {
            terminated = true;
            m_terminate();
        } else if (interrupted && !terminated && used > nextDeliveryNs) {
            nextDeliveryNs = used + kRedeliverNs;
            m_delivered.store(true);
            m_interrupt(); // the last one may have been lost (see the class comment)
        }
    }
}

} // namespace kiln
