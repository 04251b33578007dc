#include "engine/internal/v8platform.h"

#include "engine/eventloop.h"
#include "engine/internal/populatingpageallocator.h"

#include <libplatform/libplatform.h>
#include <v8-initialization.h>
#include <v8-isolate.h>

#include <QByteArray>
#include <QThread>

#include <algorithm>
#include <map>
#include <mutex>

namespace kiln {

namespace {

// Posts V8's foreground tasks into an EventLoop. Holds the loop only while the isolate is
// attached: a compile finishing after the worker was torn down drops its task.
class LoopTaskRunner final : public v8::TaskRunner {
public:
    explicit LoopTaskRunner(EventLoop* loop)
        : m_loop(loop) {}

    void detach() {
        std::lock_guard lock(m_mutex);
        m_loop = nullptr;
        *m_alive = false;
    }

    void PostTask(std::unique_ptr<v8::Task> task) override { post(std::move(task), 0); }
    void PostNonNestableTask(std::unique_ptr<v8::Task> task) override { post(std::move(task), 0); }
    void PostDelayedTask(std::unique_ptr<v8::Task> task, double seconds) override {
        post(std::move(task), seconds * 1000.0);
    }
    void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double seconds) override {
        post(std::move(task), seconds * 1000.0);
    }
    void PostIdleTask(std::unique_ptr<v8::IdleTask>) override {}
    bool IdleTasksEnabled() override { return false; }
    bool NonNestableTasksEnabled() const override { return true; }
    bool NonNestableDelayedTasksEnabled() const override { return true; }

private:
    void post(std::unique_ptr<v8::Task> task, double ms) {
        std::lock_guard lock(m_mutex);
        if (!m_loop) return;
        // Tasks already queued when the isolate goes away must not run against it.
        auto run = [shared = std::shared_ptr<v8::Task>(std::move(task)), alive = m_alive] {
            if (*alive) shared->Run();
        };
        if (ms <= 0)
            m_loop->post(run);
        else
            m_loop->postDelayed(ms, run, false);
    }

    std::mutex m_mutex;
    EventLoop* m_loop;
    std::shared_ptr<bool> m_alive =
        std::make_shared<bool>(true); // loop thread reads, detach() writes on it too
};

} // namespace

// V8's background threads: one more than wasm compilation may take (below). With V8's own
// count (cores - 1: one thread on 2 cores) a cold start's wasm compile holds the only worker
// for seconds, and every other background task queues behind it: concurrent GC, JS
// optimisation, and so the deletion of a replaced isolate, which waits for its optimisation
// queue (an edit saved during a cold start reloaded ~5 s late).
static int workerThreads() {
    return std::max(2, QThread::idealThreadCount() - 1);
}

struct V8Platform::Private {
    std::unique_ptr<v8::Platform> base;
    std::mutex mutex;
    std::map<v8::Isolate*, std::shared_ptr<LoopTaskRunner>> runners;
    std::unique_ptr<PopulatingPageAllocator> pages;
};

V8Platform::V8Platform()
    : d(std::make_unique<Private>()) {
    d->base =
        v8::platform::NewDefaultPlatform(workerThreads(), v8::platform::IdleTaskSupport::kDisabled);
    // Heap pages and code spaces, not the wasm memory (30 MB for Pyodide) or reservations.
    // KILN_POPULATE_PAGES=0 turns it off, for measuring.
    constexpr size_t kMaxPopulateBytes = size_t(8) << 20;
    if (auto* base = d->base->GetPageAllocator(); base && qgetenv("KILN_POPULATE_PAGES") != "0")
        d->pages = std::make_unique<PopulatingPageAllocator>(*base, kMaxPopulateBytes);
}

V8Platform& V8Platform::instance() {
    static V8Platform* platform = [] {
        auto* p = new V8Platform; // lives for the process: V8 cannot be re-initialised
        // Wasm is compiled lazily: a function on its first call, with the baseline tier at once
        // and the optimising tier right after in the background (no dynamic tiering: every
        // function that runs gets optimised code, not just hot ones). The code cache
        // (wasmcache.h) then holds optimised code for what the project runs, ~5 MB of Pyodide's
        // ~21 MB, and a start deserialises a quarter as much.
        v8::V8::SetFlagsFromString("--no-wasm-dynamic-tiering");
        v8::V8::SetFlagsFromString("--wasm-lazy-compilation");
        const QByteArray tasks =
            "--wasm-num-compilation-tasks=" + QByteArray::number(workerThreads() - 1);
        v8::V8::SetFlagsFromString(tasks.constData(), tasks.size());
        // Diagnostics (profiling, tiering experiments): extra V8 flags from the environment.
        const QByteArray extra = qgetenv("KILN_V8_FLAGS");
        if (!extra.isEmpty()) v8::V8::SetFlagsFromString(extra.constData(), extra.size());
        // Wasm bounds checks by guard pages and a SIGSEGV handler, as node and workerd run
        // it: without this V8 emits an explicit check on every memory access, and the
        // Python interpreter loop is mostly memory accesses.
        v8::V8::EnableWebAssemblyTrapHandler(true);
        v8::V8::InitializePlatform(p);
        v8::V8::Initialize();
        return p;
    }();
    return *platform;
}

void V8Platform::attach(v8::Isolate* isolate, EventLoop* loop) {
    std::lock_guard lock(d->mutex);
    d->runners[isolate] = std::make_shared<LoopTaskRunner>(loop);
}

void V8Platform::detach(v8::Isolate* isolate) {
    std::lock_guard lock(d->mutex);
    auto it = d->runners.find(isolate);
    if (it != d->runners.end()) {
        it->second->detach();
        d->runners.erase(it);
    }
    v8::platform::NotifyIsolateShutdown(d->base.get(), isolate);
}

bool V8Platform::runForegroundTasks(v8::Isolate* isolate) {
    return v8::platform::PumpMessageLoop(d->base.get(), isolate);
}

std::shared_ptr<v8::TaskRunner> V8Platform::GetForegroundTaskRunner(v8::Isolate* isolate) {
    std::lock_guard lock(d->mutex);
    auto it = d->runners.find(isolate);
    if (it != d->runners.end()) return it->second;
    return d->base->GetForegroundTaskRunner(isolate);
}

int V8Platform::NumberOfWorkerThreads() {
    return d->base->NumberOfWorkerThreads();
}

void V8Platform::CallOnWorkerThread(std::unique_ptr<v8::Task> task) {
    d->base->CallOnWorkerThread(std::move(task));
}

void V8Platform::CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) {
    d->base->CallDelayedOnWorkerThread(std::move(task), delay);
}

std::unique_ptr<v8::JobHandle> V8Platform::PostJob(v8::TaskPriority priority,
                                                   std::unique_ptr<v8::JobTask> task) {
    return d->base->PostJob(priority, std::move(task));
}

double V8Platform::MonotonicallyIncreasingTime() {
    return d->base->MonotonicallyIncreasingTime();
}
double V8Platform::CurrentClockTimeMillis() {
    return d->base->CurrentClockTimeMillis();
}
v8::TracingController* V8Platform::GetTracingController() {
    return d->base->GetTracingController();
}
v8::PageAllocator* V8Platform::GetPageAllocator() {
    if (d->pages) return d->pages.get();
    return d->base->GetPageAllocator();
}

} // namespace kiln
