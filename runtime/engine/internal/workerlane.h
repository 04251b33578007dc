#pragma once

#include "engine/eventloop.h"
#include "engine/incominghead.h"
#include "engine/worker.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QString>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace kiln {

class CpuWatchdog;
class HttpExchange;
class WorkerInstance;

// What a Worker's two lanes share; owned by the Worker, outlives both lanes' threads.
struct WorkerShared {
    Worker* q = nullptr;
    WorkerSinks sinks; // set before the threads start, read-only after
    class WorkerLane* lanes[2] = {nullptr, nullptr};
    std::atomic<WorkerLane*> active{nullptr}; // the lane new requests go to
    std::atomic<unsigned> generations{0};     // boots so far, spares included
    // Reloads asked for and not yet started: a startup failing meanwhile is moot.
    std::atomic<int> reloadsPending{0};
    // Requests handed to a lane and not yet taken up by it.
    std::atomic<int> waitingRequests{0};
    // Set by the first reload: from then on the idle lane keeps a spare instance.
    std::atomic<bool> sparesWanted{false};
    // The instance running the project's startup now (an import that never ends is
    // interrupted when a reload comes).
    std::mutex bootingMutex;
    WorkerInstance* bootingInstance = nullptr; // guarded by bootingMutex

    void log(LogLevel level, const QString& text, LogSource source = LogSource::Kiln) const {
        if (sinks.log) sinks.log(level, source, text);
    }
};

// One engine thread (its EventLoop) and the instance on it. A Worker has two: the active lane
// serves; once the project has been reloaded, the other holds a spare instance restored ahead
// from the package snapshot, and a reload finishes the spare's start with the edited files and
// makes its lane the active one while the old instance finishes its requests. Methods other
// than post() and start()/stop() run on the lane's own thread.
class WorkerLane {
public:
    WorkerLane(WorkerShared& shared, WorkerOptions options);
    ~WorkerLane();

    void start(bool serving); // serving: boots the first instance and becomes the active lane
    void stop();              // drops the instance (requests in flight get a 500), joins
    void post(EventLoop::Task task) { m_loop.post(std::move(task)); }

    void serve(IncomingRequest request);
    void runScheduled(const QString& cron, const QDateTime& time, std::function<void(bool)> done);
    void reload(const ProjectConfig& project, QDeadlineTimer drain);
    void prepareNextReload();

private:
    enum class Role { Idle, Active, Spare, Retiring };
    enum class Start { First, Reload, Restart, Spare };
    struct QueuedCron {
        QString cron;
        QDateTime time;
        std::function<void(bool)> done;
    };
    struct PendingReload {
        ProjectConfig project;
        QDeadlineTimer drain;
    };

    WorkerLane* other() const {
        return m_shared.lanes[0] == this ? m_shared.lanes[1] : m_shared.lanes[0];
    }
    bool isActive() const { return m_shared.active.load() == this; }
    // What was posted here just before a reload made the other lane the active one: run there.
    template <typename Call> void passOn(Call call) {
        WorkerLane* active = m_shared.active.load();
        active->post([active, call = std::move(call)]() mutable { call(active); });
    }
    void startInstance(Start kind);
    void booted(Start kind, const QString& error, const QString& startedFrom, double ms);
    void discardInstance(const QString& why);
    void replaceInstance(const QString& reason, unsigned dyingGeneration);
    void failBoot(const QString& error, unsigned gen);
    void setBooting(WorkerInstance* instance);
    void serveQueued();
    void reportException(const QString& text);
    // The reload's steps: the active lane asks the other to take over with its spare
    // (tryActivate); that lane either does and retires this one, or sends it back to restart
    // in place (reloadInPlace).
    void tryActivate(const ProjectConfig& project, QDeadlineTimer drain, WorkerLane* from);
    void reloadInPlace(ProjectConfig project, QDeadlineTimer drain, bool waitForRequests);
    void retire(QDeadlineTimer drain, WorkerLane* next);
    void prepareSpare(const ProjectConfig& project);
    void askForSpare(); // of the other lane, for this lane's project

    WorkerShared& m_shared;
    WorkerOptions m_options; // the project this lane's instance runs
    EventLoop m_loop;
    std::thread m_thread;

    // This lane's thread only.
    std::unique_ptr<WorkerInstance> m_instance;
    std::unique_ptr<CpuWatchdog> m_watchdog;
    Role m_role = Role::Idle;
    bool m_spareReady = false; // a spare instance is restored and waits
    bool m_quiet = false;      // a spare's restore: its boot phases are not reported
    bool m_ready = false;
    bool m_timed = false; // runs are watched: the project's code runs (startup limit) or booted
    bool m_handingOver = false; // asked the other lane to take over; requests queue here
    // Responses this thread posts to the server wait in a batch while more work is ready: it
    // flushes when nothing else is, before the loop waits, and before a task that follows one
    // that ran long (then a response would wait on work it does not need), so only a run of
    // short tasks batches.
    std::chrono::steady_clock::time_point m_taskStart;
    bool m_lastTaskLong = false;
    std::optional<PendingReload> m_pendingReload; // came while handing over
    QString m_bootError;
    std::deque<IncomingRequest> m_queued;
    std::deque<QueuedCron> m_queuedCrons;
    unsigned m_generation = 0; // of m_instance: a "replace me" for an older one is moot
};

} // namespace kiln
