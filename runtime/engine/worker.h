#pragma once

#include "project/projectconfig.h"
#include "server/httphandler.h"

#include <QDateTime>
#include <QObject>
#include <QString>

#include <memory>

namespace kiln {

struct WorkerOptions {
    ProjectConfig project;
    QString persistDir;        // binding state (--persist-to)
    QString cacheDir;          // compiled wasm and other caches
    int cpuLimitMs = 30000;    // per uninterrupted run of worker code
    qint64 memoryLimitBytes = 512LL * 1024 * 1024; // wasm heap cap
};

// One running Python Worker: its own engine thread with a V8 isolate and Pyodide, fed HTTP
// exchanges from any thread. Public API is V8-free. If an instance dies (out of memory, code
// that cannot be interrupted) it is replaced by a fresh one and queued requests go there.
class Worker : public QObject, public HttpHandler {
    Q_OBJECT
public:
    explicit Worker(WorkerOptions options, QObject* parent = nullptr);
    ~Worker() override;

    void start();
    // Replaces the running instance with one built from `project` (files edited, config
    // changed). Requests arriving meanwhile wait for the new instance; `ready` fires again.
    void reload(const ProjectConfig& project);
    void handle(std::shared_ptr<HttpExchange> exchange) override;
    // Runs the scheduled handler for the run due at `scheduledTime` (UTC; invalid: now);
    // `done(ok)` is called on the engine thread when it settles.
    void triggerScheduled(const QString& cron, std::function<void(bool ok)> done = {},
                          const QDateTime& scheduledTime = {});

    // Called on the engine thread, in order; must be thread-safe. Used by the CLI to print.
    using LogSink = std::function<void(int level, const QString& text)>;
    void setLogSink(LogSink sink);

Q_SIGNALS:
    void ready(double bootMs);
    void bootFailed(const QString& error);
    void span(const QString& name, double startMs, double endMs);

private:
    friend class WorkerInstance;
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
