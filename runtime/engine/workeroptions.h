#pragma once

#include "project/projectconfig.h"
#include "protocol/loglevel.h"
#include "stores/storekind.h"
#include "stores/workflowtypes.h"

#include <QString>

#include <functional>

namespace kiln {

struct WorkerOptions {
    ProjectConfig project;
    QString persistDir;     // binding state (--persist-to): a StateLayout root
    int cpuLimitMs = 30000; // per uninterrupted run of worker code
    // The same for a run during startup (top-level code of the modules): Cloudflare allows 1 s
    // of CPU there; locally a generous default, so a slow laptop is not refused.
    int startupCpuLimitMs = 30000;
    qint64 memoryLimitBytes = 512LL * 1024 * 1024; // wasm heap cap
};

// What a worker reports as it runs. Each is called on the engine thread or a binding's pool
// thread, never the caller's: implementations must be thread-safe and quick (post, don't work).
struct WorkerSinks {
    std::function<void(LogLevel level, LogSource source, const QString& text)> log;
    // An uncaught exception, as printed (a Python traceback or a JS stack); also logged.
    std::function<void(const QString& text)> exception;
    // A binding wrote: `id` is the namespace id, database id or bucket name from the config;
    // `keyOrTable` the KV/R2 key written or deleted, or the D1 table whose rows changed
    // (empty when not known).
    std::function<void(StoreKind kind, const QString& id, const QString& keyOrTable)> storeChanged;
    // A workflow instance or step moved (engine thread).
    std::function<void(const WorkflowActivity&)> workflowActivity;
};

} // namespace kiln
