#include "engine/worker.h"

#include "engine/cpuwatchdog.h"
#include "engine/internal/wasmcache.h"
#include "engine/internal/workerinstance.h"
#include "engine/sharedir.h"
#include "server/httpexchange.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

namespace kiln {

namespace {
// How long a reload waits for the requests in flight to finish on the instance it replaces.
constexpr int kReloadDrainMs = 2000;
} // namespace

struct Worker::Private {
    Worker* q;
    WorkerOptions options;
    EventLoop loop;
    std::thread thread;
    WorkerSinks sinks; // set before the thread starts, read-only after

    // Engine thread only.
    std::unique_ptr<WorkerInstance> instance;
    std::unique_ptr<CpuWatchdog> watchdog;
    bool ready = false;
    QString bootError;
    std::deque<std::shared_ptr<HttpExchange>> queued;
    struct QueuedCron {
        QString cron;
        QDateTime time;
        std::function<void(bool)> done;
    };
    std::deque<QueuedCron> queuedCrons;
    bool draining = false;   // a reload waits for the requests in flight to finish
    unsigned generation = 0; // which instance a "replace me" is about
    bool timed = false;      // runs are watched: Pyodide is up (startup limit) or booted
    // Requests handed to the engine thread and not yet taken up by it (any thread).
    std::atomic<int> waitingRequests{0};

    void log(LogLevel level, const QString& text, LogSource source = LogSource::Kiln) {
        if (sinks.log) sinks.log(level, source, text);
    }

    // `reloading`: after an edit (the new instance makes no dedicated snapshot).
    void startInstance(bool reloading = false);
    void reloadOnceDrained(const ProjectConfig& project, QDeadlineTimer drain);
    // Its requests in flight get a 500 naming `why`.
    void discardInstance(const QString& why) {
        if (instance) instance->failInFlight(why);
        {
            std::lock_guard lock(bootingMutex);
            bootingInstance = nullptr;
        }
        watchdog.reset();
        instance.reset();
    }
    void replaceInstance(const QString& reason, unsigned dyingGeneration);
    void failBoot(const QString& error, unsigned gen);
    // Logged, and handed to the exception sink (the studio shows it with its frames).
    void reportException(const QString& text) {
        log(LogLevel::Error, text);
        if (sinks.exception) sinks.exception(text);
    }
    // Any thread: a startup still running (an import that never ends) is stopped, so a queued
    // reload gets the engine thread.
    void interruptBoot();
    std::mutex bootingMutex;
    WorkerInstance* bootingInstance = nullptr; // guarded by bootingMutex
    std::atomic<int> reloadsPending{0};        // posted, not yet run: a failed boot is moot
    void serve(std::shared_ptr<HttpExchange> exchange);
    void runScheduled(const QString& cron, const QDateTime& time, std::function<void(bool)> done);
};

void Worker::Private::startInstance(bool reloading) {
    ready = false;
    timed = false;
    bootError.clear();
    const unsigned gen = ++generation;
    QElapsedTimer timer;
    timer.start();
    WorkerInstance::Hooks hooks{
        [this](LogLevel level, LogSource source, const QString& text) { log(level, text, source); },
        [this](const QString& text) { reportException(text); },
        [this](const QString& name, double start, double end) { Q_EMIT q->span(name, start, end); },
        // Engine thread: from here on new requests queue for the replacement instead of
        // reaching an instance that is about to be thrown away.
        [this, gen](const QString& reason) {
            if (gen != generation) return;
            ready = false;
            loop.post([this, reason, gen] { replaceInstance(reason, gen); });
        },
        [this] {
            if (watchdog) watchdog->runEnds();
        },
        // The startup limit is for the project's code (imports, top level), not for Pyodide's
        // own loading, which takes seconds of CPU in one run on a machine without caches.
        [this] {
            timed = true;
            if (watchdog) watchdog->runBegins();
        },
    };
    instance = std::make_unique<WorkerInstance>(loop, options, sinks, std::move(hooks));
    WorkerInstance* booting = instance.get();
    {
        std::lock_guard lock(bootingMutex);
        bootingInstance = booting;
    }
    // Startup runs under its own limit; request time under limits.cpu_ms once booted.
    watchdog = std::make_unique<CpuWatchdog>(
        pthread_self(), options.startupCpuLimitMs, [booting] { booting->interruptForCpuLimit(); },
        [this, booting, gen] {
            log(LogLevel::Error,
                QStringLiteral("Worker code did not stop when interrupted; ending this instance."));
            booting->runtime().isolate()->TerminateExecution();
            loop.post([this, gen] {
                if (ready)
                    replaceInstance(QStringLiteral("Worker exceeded its CPU time limit"), gen);
                else if (gen == generation)
                    failBoot(QStringLiteral("The worker's startup used more than %1 ms of CPU "
                                            "and could not be interrupted.")
                                 .arg(options.startupCpuLimitMs),
                             gen);
            });
        },
        // Watchdog thread: say why other requests stall while one run holds the thread.
        [this, booting](long long usedMs, long long limitMs) {
            // Queued for the engine thread, or taken and parked in Python's event loop behind
            // this run (the run itself is one of those in flight, or cron or background work).
            const int waiting = waitingRequests.load(std::memory_order_relaxed) +
                                std::max(0, booting->requestsInFlight() - 1);
            if (waiting <= 0) return false;
            log(LogLevel::Warn,
                QStringLiteral("Worker code has run for %1 ms without yielding; %2 request(s) "
                               "wait for it (the CPU limit of %3 ms will stop it)")
                    .arg(usedMs)
                    .arg(waiting)
                    .arg(limitMs));
            return true;
        });
    watchdog->setClearInterrupt([booting] { booting->clearInterrupt(); });
    watchdog->setEachPoll([booting] { booting->interruptIfAbandoned(); });
    loop.setTaskHooks(
        [this] {
            if (watchdog && timed) watchdog->runBegins();
        },
        [this] {
            if (watchdog) watchdog->runEnds();
        });
    instance->setReload(reloading);
    instance->boot([this, timer, booting, gen](const QString& error, const QString& startedFrom) {
        if (instance.get() != booting) return;
        {
            std::lock_guard lock(bootingMutex);
            bootingInstance = nullptr;
        }
        if (!error.isEmpty() && booting->takeCpuLimitHit()) {
            failBoot(QStringLiteral("The worker's startup used more than %1 ms of CPU and was "
                                    "stopped (Cloudflare allows 1 s of CPU for a Worker's "
                                    "startup; kiln dev --startup-cpu-limit-ms sets this one):\n")
                             .arg(options.startupCpuLimitMs) +
                         error,
                     gen);
        } else if (!error.isEmpty() && reloadsPending.load() > 0) {
            // Interrupted (or failed) while a reload waits: the new instance will speak.
        } else if (!error.isEmpty()) {
            failBoot(error, gen);
        } else {
            watchdog->setLimitMs(options.cpuLimitMs);
            ready = true;
            Q_EMIT q->ready(static_cast<double>(timer.nsecsElapsed()) / 1e6, startedFrom, gen);
        }
        auto pending = std::move(queued);
        for (auto& exchange : pending)
            serve(std::move(exchange));
        auto crons = std::move(queuedCrons);
        for (auto& queuedCron : crons)
            runScheduled(queuedCron.cron, queuedCron.time, std::move(queuedCron.done));
    });
}

void Worker::Private::failBoot(const QString& error, unsigned gen) {
    if (gen != generation) return;
    bootError = error;
    reportException(error);
    Q_EMIT q->bootFailed(error, gen);
}

void Worker::Private::interruptBoot() {
    std::lock_guard lock(bootingMutex);
    if (bootingInstance) bootingInstance->abandon();
}

void Worker::Private::replaceInstance(const QString& reason, unsigned dyingGeneration) {
    if (!instance || dyingGeneration != generation) return; // already replaced
    ready = false;
    log(LogLevel::Warn, reason + QStringLiteral("; starting a fresh instance."));
    discardInstance(reason);
    startInstance();
}

void Worker::Private::serve(std::shared_ptr<HttpExchange> exchange) {
    if (ready || !bootError.isEmpty()) exchange->markTaken();
    if (!bootError.isEmpty()) {
        const QByteArray body = "The worker failed to start:\n\n" + bootError.toUtf8() + "\n";
        exchange->respond(500, "Internal Server Error",
                          {{"content-type", "text/plain;charset=UTF-8"}});
        exchange->write(body);
        exchange->finish();
        return;
    }
    if (!ready) {
        queued.push_back(std::move(exchange));
        return;
    }
    instance->serve(std::move(exchange));
}

void Worker::Private::runScheduled(const QString& cron, const QDateTime& time,
                                   std::function<void(bool)> done) {
    if (!done) done = [](bool) {};
    if (!ready) {
        if (bootError.isEmpty())
            queuedCrons.push_back({cron, time, std::move(done)});
        else
            done(false);
        return;
    }
    instance->scheduled(cron, time.isValid() ? time : QDateTime::currentDateTimeUtc(),
                        std::move(done));
}

Worker::Worker(WorkerOptions options, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>()) {
    d->q = this;
    d->options = std::move(options);
}

Worker::~Worker() {
    if (d->thread.joinable()) {
        d->loop.post([this] {
            d->discardInstance(QStringLiteral("kiln is shutting down"));
            d->loop.quit();
        });
        d->thread.join();
    }
    waitForWasmReadAhead(2000);
}

void Worker::setSinks(WorkerSinks sinks) {
    Q_ASSERT(!d->thread.joinable());
    d->sinks = std::move(sinks);
}

void Worker::start() {
    readWasmAhead(shareDir() + QStringLiteral("/pyodide/pyodide.asm.wasm"));
    d->thread = std::thread([this] {
        d->loop.post([this] { d->startInstance(); });
        d->loop.run();
    });
}

void Worker::reload(const ProjectConfig& project) {
    d->reloadsPending.fetch_add(1);
    d->interruptBoot();
    QDeadlineTimer drain(kReloadDrainMs);
    d->loop.post([this, project, drain] { d->reloadOnceDrained(project, drain); });
}

// Engine thread. Requests the running instance has taken finish on it (new ones queue for the
// next instance meanwhile), up to the deadline; those still running then get a 500. The
// instance being replaced is not interrupted: a request in a sleep or a fetch just ends.
void Worker::Private::reloadOnceDrained(const ProjectConfig& project, QDeadlineTimer drain) {
    if (instance && (ready || draining) && instance->requestsInFlight() > 0 &&
        !drain.hasExpired()) {
        ready = false; // what arrives now queues for the next instance
        draining = true;
        loop.postDelayed(2, [this, project, drain] { reloadOnceDrained(project, drain); });
        return;
    }
    draining = false;
    reloadsPending.fetch_sub(1);
    options.project = project;
    discardInstance(QStringLiteral("the worker was reloaded while the request ran"));
    startInstance(true);
}

void Worker::handle(std::shared_ptr<HttpExchange> exchange) {
    d->waitingRequests.fetch_add(1, std::memory_order_relaxed);
    d->loop.post([this, exchange = std::move(exchange)]() mutable {
        d->waitingRequests.fetch_sub(1, std::memory_order_relaxed);
        d->serve(std::move(exchange));
    });
}

void Worker::triggerScheduled(const QString& cron, std::function<void(bool)> done,
                              const QDateTime& scheduledTime) {
    d->loop.post([this, cron, scheduledTime, done = std::move(done)]() mutable {
        d->runScheduled(cron, scheduledTime, std::move(done));
    });
}

} // namespace kiln
