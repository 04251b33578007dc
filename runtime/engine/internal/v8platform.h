#pragma once

#include <memory>

#include <v8-platform.h>

namespace v8 {
class Isolate;
}

namespace kiln {

class EventLoop;

// The process-wide V8 platform. It wraps V8's default platform (worker threads, tracing,
// clocks) but routes each isolate's foreground tasks into that isolate's EventLoop, so a
// background wasm compile that finishes wakes the engine thread instead of waiting for
// someone to pump the default platform's queue.
class V8Platform final : public v8::Platform {
public:
    // Initialises V8 once per process (idempotent, thread-safe); returns the platform.
    static V8Platform& instance();

    void attach(v8::Isolate* isolate, EventLoop* loop);
    void detach(v8::Isolate* isolate);
    // Runs one foreground task of an isolate without a loop (a thread's throwaway isolate);
    // false when none was queued.
    bool runForegroundTasks(v8::Isolate* isolate);

    int NumberOfWorkerThreads() override;
    std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override;
    void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override;
    void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) override;
    std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                           std::unique_ptr<v8::JobTask> task) override;
    double MonotonicallyIncreasingTime() override;
    double CurrentClockTimeMillis() override;
    v8::TracingController* GetTracingController() override;
    v8::PageAllocator* GetPageAllocator() override;

private:
    V8Platform();
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
