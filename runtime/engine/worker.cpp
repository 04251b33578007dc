#include "engine/worker.h"

#include "engine/internal/wasmcache.h"
#include "engine/internal/workerinstance.h"
#include "engine/internal/workerlane.h"
#include "engine/sharedir.h"
#include "server/httpexchange.h"

#include <QDeadlineTimer>

namespace kiln {

namespace {
// How long a reload waits for the requests in flight to finish on the instance it replaces.
constexpr int kReloadDrainMs = 2000;
} // namespace

struct Worker::Private {
    WorkerShared shared;
    std::unique_ptr<WorkerLane> lanes[2];

    // Any thread: a startup still running (an import that never ends) is stopped, so a queued
    // reload gets the engine thread.
    void interruptBoot() {
        std::lock_guard lock(shared.bootingMutex);
        if (shared.bootingInstance) shared.bootingInstance->abandon();
    }
};

Worker::Worker(WorkerOptions options, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>()) {
    d->shared.q = this;
    // Made now (their threads start in start()): requests and reloads that come earlier wait
    // in the first lane's queue.
    for (int i = 0; i < 2; ++i) {
        d->lanes[i] = std::make_unique<WorkerLane>(d->shared, options);
        d->shared.lanes[i] = d->lanes[i].get();
    }
    d->shared.active.store(d->lanes[0].get());
}

Worker::~Worker() {
    for (auto& lane : d->lanes)
        if (lane) lane->stop();
    for (auto& lane : d->lanes)
        lane.reset();
    waitForWasmReadAhead(2000);
}

void Worker::setSinks(WorkerSinks sinks) {
    d->shared.sinks = std::move(sinks);
}

void Worker::start() {
    readWasmAhead(shareDir() + QStringLiteral("/pyodide/pyodide.asm.wasm"));
    d->lanes[0]->start(true);
    d->lanes[1]->start(false);
}

void Worker::reload(const ProjectConfig& project) {
    d->shared.reloadsPending.fetch_add(1);
    d->interruptBoot();
    const QDeadlineTimer drain(kReloadDrainMs);
    WorkerLane* lane = d->shared.active.load();
    lane->post([lane, project, drain] { lane->reload(project, drain); });
}

void Worker::prepareReload() {
    WorkerLane* lane = d->shared.active.load();
    lane->post([lane] { lane->prepareNextReload(); });
}

void Worker::handle(std::shared_ptr<HttpExchange> exchange) {
    d->shared.waitingRequests.fetch_add(1, std::memory_order_relaxed);
    WorkerLane* lane = d->shared.active.load();
    IncomingHead head = IncomingHead::from(exchange->head());
    lane->post(
        [this, lane, request = IncomingRequest{std::move(exchange), std::move(head)}]() mutable {
            d->shared.waitingRequests.fetch_sub(1, std::memory_order_relaxed);
            lane->serve(std::move(request));
        });
}

void Worker::triggerScheduled(const QString& cron, std::function<void(bool)> done,
                              const QDateTime& scheduledTime) {
    WorkerLane* lane = d->shared.active.load();
    lane->post([lane, cron, scheduledTime, done = std::move(done)]() mutable {
        lane->runScheduled(cron, scheduledTime, std::move(done));
    });
}

} // namespace kiln
