#include "engine/internal/workerlane.h"

#include "engine/cpuwatchdog.h"
#include "engine/internal/workerinstance.h"
#include "server/httpexchange.h"
#include "server/postbatch.h"

#include <QElapsedTimer>

namespace kiln {

namespace {
// A task at least this long flushes the responses held before the next task runs (PostBatch).
constexpr auto kLongTaskForBatching = std::chrono::microseconds(200);
} // namespace

WorkerLane::WorkerLane(WorkerShared& shared, WorkerOptions options)
    : m_shared(shared)
    , m_options(std::move(options)) {}

WorkerLane::~WorkerLane() {
    stop();
}

void WorkerLane::start(bool serving) {
    if (serving) {
        m_shared.active.store(this);
        m_loop.post([this] {
            m_role = Role::Active;
            startInstance(Start::First);
        });
    }
    m_thread = std::thread([this] {
        PostBatch batch;
        // With nothing else ready the response goes now, while this task finishes.
        batch.setWorthHolding([this] { return m_loop.hasReadyTask(); });
        m_loop.setBeforeWait([&batch] { batch.flush(); });
        m_loop.run();
        m_loop.setBeforeWait({});
    });
}

void WorkerLane::stop() {
    if (!m_thread.joinable()) return;
    m_loop.post([this] {
        discardInstance(QStringLiteral("kiln is shutting down"));
        m_loop.quit();
    });
    m_thread.join();
}

void WorkerLane::setBooting(WorkerInstance* instance) {
    std::lock_guard lock(m_shared.bootingMutex);
    if (instance || m_shared.bootingInstance == m_instance.get())
        m_shared.bootingInstance = instance;
}

void WorkerLane::discardInstance(const QString& why) {
    if (m_instance) m_instance->failInFlight(why);
    setBooting(nullptr);
    m_watchdog.reset();
    m_instance.reset();
    m_ready = false;
    m_spareReady = false;
}

void WorkerLane::reportException(const QString& text) {
    m_shared.log(LogLevel::Error, text);
    if (m_shared.sinks.exception) m_shared.sinks.exception(text);
}

void WorkerLane::startInstance(Start kind) {
    m_ready = false;
    m_timed = false;
    m_spareReady = false;
    m_quiet = kind == Start::Spare;
    m_bootError.clear();
    const unsigned gen = m_generation = ++m_shared.generations;
    QElapsedTimer timer;
    timer.start();
    WorkerInstance::Hooks hooks{
        [this](LogLevel level, LogSource source, const QString& text) {
            m_shared.log(level, text, source);
        },
        [this](const QString& text) { reportException(text); },
        [this](const QString& name, double start, double end) {
            if (!m_quiet) Q_EMIT m_shared.q->span(name, start, end);
        },
        // From here on new requests queue for the replacement instead of reaching an instance
        // that is about to be thrown away.
        [this, gen](const QString& reason) {
            if (gen != m_generation) return;
            m_ready = false;
            m_loop.post([this, reason, gen] { replaceInstance(reason, gen); });
        },
        [this] {
            if (m_watchdog) m_watchdog->runEnds();
        },
        // The startup limit is for the project's code (imports, top level), not for Pyodide's
        // own loading, which takes seconds of CPU in one run on a machine without caches.
        [this] {
            m_timed = true;
            if (m_watchdog) m_watchdog->runBegins();
        },
    };
    m_instance =
        std::make_unique<WorkerInstance>(m_loop, m_options, m_shared.sinks, std::move(hooks));
    WorkerInstance* booting = m_instance.get();
    if (kind != Start::Spare) setBooting(booting);
    // Startup runs under its own limit; request time under limits.cpu_ms once booted.
    m_watchdog = std::make_unique<CpuWatchdog>(
        pthread_self(), m_options.startupCpuLimitMs, [booting] { booting->interruptForCpuLimit(); },
        [this, booting, gen] {
            m_shared.log(LogLevel::Error, QStringLiteral("Worker code did not stop when "
                                                         "interrupted; ending this instance."));
            booting->runtime().isolate()->TerminateExecution();
            m_loop.post([this, gen] {
                if (m_ready || m_role != Role::Active)
                    replaceInstance(QStringLiteral("Worker exceeded its CPU time limit"), gen);
                else if (gen == m_generation)
                    failBoot(QStringLiteral("The worker's startup used more than %1 ms of CPU "
                                            "and could not be interrupted.")
                                 .arg(m_options.startupCpuLimitMs),
                             gen);
            });
        },
        // Watchdog thread: say why other requests stall while one run holds the thread.
        [this, booting](long long usedMs, long long limitMs) {
            // Queued for the engine thread, or taken and parked in Python's event loop behind
            // this run (the run itself is one of those in flight, or cron or background work).
            const int waiting = m_shared.waitingRequests.load(std::memory_order_relaxed) +
                                std::max(0, booting->requestsInFlight() - 1);
            if (waiting <= 0) return false;
            m_shared.log(
                LogLevel::Warn,
                QStringLiteral("Worker code has run for %1 ms without yielding; %2 "
                               "request(s) wait for it (the CPU limit of %3 ms will stop it)")
                    .arg(usedMs)
                    .arg(waiting)
                    .arg(limitMs));
            return true;
        });
    m_watchdog->setClearInterrupt([booting] { booting->clearInterrupt(); });
    m_watchdog->setEachPoll([booting] { booting->interruptIfAbandoned(); });
    m_loop.setTaskHooks(
        [this] {
            if (PostBatch* batch = PostBatch::current(); batch && m_lastTaskLong) batch->flush();
            m_taskStart = std::chrono::steady_clock::now();
            if (m_watchdog && m_timed) m_watchdog->runBegins();
        },
        [this] {
            if (m_watchdog) m_watchdog->runEnds();
            m_lastTaskLong = std::chrono::steady_clock::now() - m_taskStart >= kLongTaskForBatching;
        });
    m_instance->setReload(kind == Start::Reload);
    m_instance->setSpare(kind == Start::Spare);
    m_instance->boot(
        [this, timer, booting, kind](const QString& error, const QString& startedFrom) {
            if (m_instance.get() != booting) return;
            booted(kind, error, startedFrom, static_cast<double>(timer.nsecsElapsed()) / 1e6);
        });
}

// A start ended: a spare waits, anything else serves (or answers with its error).
void WorkerLane::booted(Start kind, const QString& error, const QString& startedFrom, double ms) {
    if (kind == Start::Spare) {
        if (!error.isEmpty()) {
            m_shared.log(LogLevel::Debug, QStringLiteral("no spare instance: ") + error);
            // Posted: this runs inside the instance's own promise reaction.
            const unsigned gen = m_generation;
            m_loop.post([this, gen] {
                if (gen != m_generation || m_role != Role::Spare) return;
                discardInstance({});
                m_role = Role::Idle;
            });
            return;
        }
        m_spareReady = true;
        m_shared.log(LogLevel::Debug,
                     QStringLiteral("a spare instance waits for the next reload (%1 in %2 ms)")
                         .arg(startedFrom.isEmpty() ? QStringLiteral("booted") : startedFrom)
                         .arg(ms, 0, 'f', 0));
        return;
    }
    setBooting(nullptr);
    const unsigned gen = m_generation;
    if (!error.isEmpty() && m_instance->takeCpuLimitHit()) {
        failBoot(QStringLiteral("The worker's startup used more than %1 ms of CPU and was "
                                "stopped (Cloudflare allows 1 s of CPU for a Worker's "
                                "startup; kiln dev --startup-cpu-limit-ms sets this one):\n")
                         .arg(m_options.startupCpuLimitMs) +
                     error,
                 gen);
    } else if (!error.isEmpty() && m_shared.reloadsPending.load() > 0) {
        // Interrupted (or failed) while a reload waits: the new instance will speak.
    } else if (!error.isEmpty()) {
        failBoot(error, gen);
    } else {
        m_watchdog->setLimitMs(m_options.cpuLimitMs);
        m_ready = true;
        Q_EMIT m_shared.q->ready(ms, startedFrom, gen);
        if (m_shared.sparesWanted.load()) askForSpare();
    }
    serveQueued();
}

void WorkerLane::serveQueued() {
    auto pending = std::move(m_queued);
    for (auto& request : pending)
        serve(std::move(request));
    auto crons = std::move(m_queuedCrons);
    for (auto& queuedCron : crons)
        runScheduled(queuedCron.cron, queuedCron.time, std::move(queuedCron.done));
}

void WorkerLane::failBoot(const QString& error, unsigned gen) {
    if (gen != m_generation) return;
    m_bootError = error;
    reportException(error);
    Q_EMIT m_shared.q->bootFailed(error, gen);
}

void WorkerLane::replaceInstance(const QString& reason, unsigned dyingGeneration) {
    if (!m_instance || dyingGeneration != m_generation) return; // already replaced
    if (m_role != Role::Active) {
        // A spare, or an instance finishing its requests after a reload: just dropped.
        discardInstance(reason);
        if (m_role == Role::Spare) m_role = Role::Idle;
        return;
    }
    m_ready = false;
    m_shared.log(LogLevel::Warn, reason + QStringLiteral("; starting a fresh instance."));
    discardInstance(reason);
    startInstance(Start::Restart);
}

void WorkerLane::serve(IncomingRequest request) {
    if (!isActive())
        return passOn([request = std::move(request)](WorkerLane* active) mutable {
            active->serve(std::move(request));
        });
    HttpExchange* exchange = request.exchange.get();
    if (m_ready || !m_bootError.isEmpty()) exchange->markTaken();
    if (!m_bootError.isEmpty()) {
        const QByteArray body = "The worker failed to start:\n\n" + m_bootError.toUtf8() + "\n";
        exchange->respond(500, "Internal Server Error",
                          {{"content-type", "text/plain;charset=UTF-8"}});
        exchange->write(body);
        exchange->finish();
        return;
    }
    if (!m_ready) {
        m_queued.push_back(std::move(request));
        return;
    }
    m_instance->serve(std::move(request));
}

void WorkerLane::runScheduled(const QString& cron, const QDateTime& time,
                              std::function<void(bool)> done) {
    if (!done) done = [](bool) {};
    if (!isActive())
        return passOn([cron, time, done = std::move(done)](WorkerLane* active) mutable {
            active->runScheduled(cron, time, std::move(done));
        });
    if (!m_ready) {
        if (m_bootError.isEmpty())
            m_queuedCrons.push_back({cron, time, std::move(done)});
        else
            done(false);
        return;
    }
    m_instance->scheduled(cron, time.isValid() ? time : QDateTime::currentDateTimeUtc(),
                          std::move(done));
}

// The active lane: the other lane takes over if it holds a spare; meanwhile requests queue
// here and those in flight run on. Once a handover is under way, a newer reload waits for it.
void WorkerLane::reload(const ProjectConfig& project, QDeadlineTimer drain) {
    if (!isActive())
        return passOn([project, drain](WorkerLane* active) { active->reload(project, drain); });
    if (m_handingOver) {
        if (m_pendingReload) m_shared.reloadsPending.fetch_sub(1); // superseded
        m_pendingReload = PendingReload{project, drain};
        return;
    }
    m_shared.sparesWanted.store(true);
    m_handingOver = true;
    const bool serving = m_ready;
    m_ready = false;
    WorkerLane* next = other();
    next->post([next, project, drain, from = this, serving] {
        if (!next->m_spareReady || next->m_role != Role::Spare)
            return from->post(
                [from, project, drain, serving] { from->reloadInPlace(project, drain, serving); });
        next->tryActivate(project, drain, from);
    });
}

// The spare lane: becomes the active one at once (requests queue here until the spare's start
// is finished with the edited project; the old lane finishes its requests meanwhile).
void WorkerLane::tryActivate(const ProjectConfig& project, QDeadlineTimer drain, WorkerLane* from) {
    m_shared.reloadsPending.fetch_sub(1);
    m_options.project = project;
    m_role = Role::Active;
    m_shared.active.store(this);
    from->post([from, drain, next = this] { from->retire(drain, next); });
    m_quiet = false;
    m_spareReady = false;
    m_ready = false;
    WorkerInstance* booting = m_instance.get();
    setBooting(booting);
    QElapsedTimer timer;
    timer.start();
    booting->activate([this, booting, timer, project, drain](bool stale, const QString& error,
                                                             const QString& startedFrom) {
        if (m_instance.get() != booting) return;
        if (stale) {
            // The edit changed what the spare was restored from: a start of its own, here.
            // Posted: this runs inside the instance's own promise reaction.
            m_shared.reloadsPending.fetch_add(1);
            m_loop.post([this, project, drain] { reloadInPlace(project, drain, false); });
            return;
        }
        booted(Start::Reload, error,
               startedFrom.isEmpty() ? QStringLiteral("spare booted ahead")
                                     : startedFrom + QStringLiteral(", restored ahead"),
               static_cast<double>(timer.nsecsElapsed()) / 1e6);
    });
}

// The lane that was active, after the other took over: what queued here goes there, the
// requests in flight finish (up to the drain deadline), then this lane restores the next spare.
void WorkerLane::retire(QDeadlineTimer drain, WorkerLane* next) {
    if (m_role == Role::Active) {
        m_role = Role::Retiring;
        m_handingOver = false;
        m_ready = false;
        for (auto& request : std::exchange(m_queued, {}))
            next->post([next, request]() mutable { next->serve(std::move(request)); });
        for (auto& cron : std::exchange(m_queuedCrons, {}))
            next->post([next, cron]() mutable {
                next->runScheduled(cron.cron, cron.time, std::move(cron.done));
            });
        if (auto pending = std::exchange(m_pendingReload, std::nullopt))
            next->post([next, pending] { next->reload(pending->project, pending->drain); });
    }
    if (m_instance && m_instance->requestsInFlight() > 0 && !drain.hasExpired()) {
        m_loop.postDelayed(2, [this, drain, next] { retire(drain, next); });
        return;
    }
    discardInstance(QStringLiteral("the worker was reloaded while the request ran"));
    m_role = Role::Idle;
    // Workflow runs resume on the new instance only now: one engine per store at a time.
    const unsigned gen = next->m_generation;
    next->post([next, gen] {
        if (next->m_generation == gen && next->m_ready && next->m_instance)
            next->m_instance->startBackground();
    });
    next->post([this, next] {
        const ProjectConfig project = next->m_options.project;
        post([this, project] { prepareSpare(project); });
    });
}

// The active lane restarts its own instance (no spare, or the spare no longer fits). Requests
// it has taken finish on the old instance first, up to the deadline; those still running then
// get a 500. The instance replaced is not interrupted: a request in a sleep or a fetch ends.
void WorkerLane::reloadInPlace(ProjectConfig project, QDeadlineTimer drain, bool waitForRequests) {
    if (m_role != Role::Active) { // the other lane took over meanwhile: it has this reload
        m_shared.reloadsPending.fetch_sub(1);
        return;
    }
    m_handingOver = false;
    if (auto pending = std::exchange(m_pendingReload, std::nullopt)) {
        m_shared.reloadsPending.fetch_sub(1); // the newer edit wins
        project = pending->project;
        drain = pending->drain;
    }
    if (m_instance && waitForRequests && m_instance->requestsInFlight() > 0 &&
        !drain.hasExpired()) {
        m_ready = false; // what arrives now queues for the next instance
        m_loop.postDelayed(2, [this, project, drain] { reloadInPlace(project, drain, true); });
        return;
    }
    m_shared.reloadsPending.fetch_sub(1);
    m_options.project = project;
    discardInstance(QStringLiteral("the worker was reloaded while the request ran"));
    startInstance(Start::Reload);
}

void WorkerLane::askForSpare() {
    WorkerLane* spareLane = other();
    spareLane->post([spareLane, project = m_options.project] { spareLane->prepareSpare(project); });
}

void WorkerLane::prepareNextReload() {
    if (!isActive()) return passOn([](WorkerLane* active) { active->prepareNextReload(); });
    m_shared.sparesWanted.store(true);
    if (m_ready) askForSpare(); // else once this instance is up
}

// The idle lane restores a spare for the next reload (kept if it has one already: a spare
// that no longer fits is found out, and dropped, when a reload tries it).
void WorkerLane::prepareSpare(const ProjectConfig& project) {
    if (m_role != Role::Idle || !m_shared.sparesWanted.load()) return;
    m_role = Role::Spare;
    m_options.project = project;
    startInstance(Start::Spare);
}

} // namespace kiln
