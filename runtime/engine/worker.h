#pragma once

#include "engine/workeroptions.h"
#include "server/httphandler.h"

#include <QDateTime>
#include <QObject>
#include <QString>

#include <memory>

namespace kiln {

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
    // changed). Requests arriving meanwhile wait for the new instance (those in flight finish
    // on the old one); `ready` fires again.
    void reload(const ProjectConfig& project);
    // A reload is coming (an editor holds unsaved changes): restore a spare instance now.
    // Every reload after the first keeps one anyway.
    void prepareReload();
    void handle(std::shared_ptr<HttpExchange> exchange) override;
    // Runs the scheduled handler for the run due at `scheduledTime` (UTC; invalid: now);
    // `done(ok)` is called on the engine thread when it settles.
    void triggerScheduled(const QString& cron, std::function<void(bool ok)> done = {},
                          const QDateTime& scheduledTime = {});

    // Set before start(): where logs, exceptions and store writes go (see WorkerSinks).
    void setSinks(WorkerSinks sinks);

    // Signals are emitted on the engine thread: connect with a receiver context (queued).
Q_SIGNALS:
    // The instance booted; `startedFrom` names the snapshot it restored ("dedicated
    // snapshot"), empty for a full boot; `generation` counts boots (start, reloads,
    // replacements).
    void ready(double bootMs, const QString& startedFrom, unsigned generation);
    void bootFailed(const QString& error, unsigned generation);
    void span(const QString& name, double startMs, double endMs);

private:
    friend class WorkerInstance;
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
