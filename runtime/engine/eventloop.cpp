#include "engine/eventloop.h"

namespace kiln {

void EventLoop::post(Task task) {
    const auto now = Clock::now();
    {
        std::lock_guard lock(m_mutex);
        m_tasks.push_back({std::move(task), now});
    }
    m_wake.notify_one();
}

std::uint64_t EventLoop::postDelayed(double ms, Task task, bool keepAlive) {
    const auto due = Clock::now() + std::chrono::microseconds(static_cast<long long>(ms * 1000.0));
    std::uint64_t id;
    {
        std::lock_guard lock(m_mutex);
        id = m_nextTimerId++;
        m_timers.emplace(due, Timer{id, std::move(task), keepAlive});
        m_aliveTimers += keepAlive;
    }
    m_wake.notify_one();
    return id;
}

void EventLoop::cancel(std::uint64_t timerId) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_timers.begin(); it != m_timers.end(); ++it) {
        if (it->second.id == timerId) {
            m_aliveTimers -= it->second.keepAlive;
            m_timers.erase(it);
            return;
        }
    }
}

bool EventLoop::hasReadyTask() {
    std::lock_guard lock(m_mutex);
    return !m_tasks.empty() || (!m_timers.empty() && m_timers.begin()->first <= Clock::now());
}

void EventLoop::quit() {
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_one();
}

void EventLoop::run() {
    std::unique_lock lock(m_mutex);
    while (!m_quit) {
        Task task;
        const bool timerDue = !m_timers.empty() && m_timers.begin()->first <= Clock::now();
        if (!m_tasks.empty() && (!timerDue || m_tasks.front().at <= m_timers.begin()->first)) {
            task = std::move(m_tasks.front().task);
            m_tasks.pop_front();
        } else if (timerDue) {
            task = std::move(m_timers.begin()->second.task);
            m_aliveTimers -= m_timers.begin()->second.keepAlive;
            m_timers.erase(m_timers.begin());
        } else {
            if (m_beforeWait) {
                lock.unlock();
                m_beforeWait();
                lock.lock();
                if (!m_tasks.empty()) continue;
            }
            if (m_exitWhenIdle && m_aliveTimers == 0 && m_refs <= 0) {
                lock.unlock();
                const bool busy = m_stillBusy && m_stillBusy();
                lock.lock();
                if (!m_tasks.empty() || m_aliveTimers > 0) continue;
                if (!busy) break;
                // Background work completes by posting a task, which wakes us; the timeout
                // only guards against work that finishes without posting.
                m_wake.wait_for(lock, std::chrono::milliseconds(50));
                continue;
            }
            if (m_timers.empty())
                m_wake.wait(lock);
            else
                m_wake.wait_until(lock, m_timers.begin()->first);
            continue;
        }
        lock.unlock();
        if (m_taskBegin) m_taskBegin();
        task();
        if (m_afterTask) m_afterTask();
        if (m_taskEnd) m_taskEnd();
        lock.lock();
    }
}

} // namespace kiln
