#include "session/devsession.h"

#include "engine/worker.h"
#include "project/projectconfig.h"
#include "project/projectwatcher.h"
#include "protocol/commands.h"
#include "protocol/events.h"
#include "protocol/traceback.h"
#include "server/cronscheduler.h"
#include "server/devrouter.h"
#include "server/httpserver.h"
#include "server/requestlog.h"
#include "session/controlchannel.h"
#include "session/terminal.h"
#include "stores/statelayout.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>

#include <atomic>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace kiln {

using namespace protocol;

namespace {

double nowMs() {
    return static_cast<double>(QDateTime::currentMSecsSinceEpoch());
}

} // namespace

struct DevSession::Private {
    DevSession* q;
    DevSessionOptions options;
    ProjectConfig project;
    QString persistDir;
    std::atomic<int> threshold{int(LogLevel::Log)}; // read on the engine thread
    std::unique_ptr<ControlChannel> channel;
    std::unique_ptr<Worker> worker;
    std::unique_ptr<DevRouter> router;
    std::unique_ptr<HttpServer> server;
    std::unique_ptr<CronScheduler> crons;
    std::unique_ptr<ProjectWatcher> watcher;
    QString url;
    bool announced = false; // "Ready on" printed and the ready event sent
    bool reloading = false;
    QElapsedTimer reloadTimer;

    void send(Message message) {
        if (channel) channel->send(std::move(message));
    }
    // A line of Kiln's own: printed, and sent as a log event.
    void say(LogLevel level, const QString& text) {
        if (int(level) < threshold.load(std::memory_order_relaxed)) return;
        if (level >= LogLevel::Error)
            terminalError(text);
        else if (level == LogLevel::Warn)
            terminalWarning(text);
        else
            terminalInfo(text);
        if (channel) send(makeEvent(LogEvent{level, LogSource::Kiln, text, nowMs()}));
    }
    // Worker output; engine thread.
    void workerLog(LogLevel level, LogSource source, const QString& text) {
        if (int(level) < threshold.load(std::memory_order_relaxed)) return;
        terminalLog(level, text);
        if (channel) send(makeEvent(LogEvent{level, source, text, nowMs()}));
    }

    void startCrons();
    void workerReady(double bootMs, const QString& startedFrom);
    static void restoreMallocPad();
    void workerFailed(const QString& error);
    void announce(const QString& bootError, double bootMs);
    void finishReload(bool ok, const ConfigError& error);
    void exchangeFinished(const HttpExchangeRecord& record);
    void storeChanged(StoreKind kind, const QString& id, const QString& keyOrTable);
    void workflowActivity(const WorkflowActivity& activity);
    void command(const Message& request);
};

void DevSession::Private::startCrons() {
    crons = std::make_unique<CronScheduler>(
        project.crons,
        [this](const QString& cron, const QDateTime& minute) {
            worker->triggerScheduled(
                cron,
                [this, cron](bool ok) {
                    if (ok)
                        say(LogLevel::Info, QStringLiteral("scheduled \"%1\" ok").arg(cron));
                    else
                        say(LogLevel::Warn,
                            QStringLiteral("scheduled \"%1\" failed (see the log above)")
                                .arg(cron));
                },
                minute);
        },
        [this](const QString& message) { say(LogLevel::Warn, message); });
    QObject::connect(crons.get(), &CronScheduler::missed, q,
                     [this](const QDateTime& from, const QDateTime& resume) {
                         const QString format = QStringLiteral("yyyy-MM-dd HH:mm");
                         say(LogLevel::Warn,
                             QStringLiteral("cron runs due from %1 UTC were skipped (the machine "
                                            "slept or the clock jumped); next at %2 UTC")
                                 .arg(from.toString(format), resume.toString(format)));
                     });
    crons->start();
    if (!crons->crons().isEmpty())
        say(LogLevel::Info, QStringLiteral("cron triggers (UTC): \"%1\"")
                                .arg(crons->crons().join(QStringLiteral("\", \""))));
}

void DevSession::Private::announce(const QString& bootError, double bootMs) {
    announced = true;
    if (bootError.isEmpty())
        say(LogLevel::Info, QStringLiteral("Ready on %1").arg(url));
    else
        say(LogLevel::Warn, QStringLiteral("Ready on %1 (the worker failed to start: requests get "
                                           "its error until a fix is saved)")
                                .arg(url));
    send(makeEvent(ReadyEvent{url, server->port(), bootMs, bootError}));
}

// bin/kiln starts kiln with malloc's arenas growing 4 MiB at a time (runtime/launcher: fewer
// page faults while a start fills fresh memory); serving does not need that, and it kept
// ~15 MB more resident under load. glibc's default from here on, unless the user set the pad.
void DevSession::Private::restoreMallocPad() {
#ifdef __GLIBC__
    if (qEnvironmentVariableIsSet("KILN_START_TOP_PAD")) mallopt(M_TOP_PAD, 128 * 1024);
#endif
}

void DevSession::Private::workerReady(double bootMs, const QString& startedFrom) {
    say(LogLevel::Info,
        QStringLiteral("Worker ready in %1 ms%2")
            .arg(bootMs, 0, 'f', 0)
            .arg(startedFrom.isEmpty() ? QString()
                                       : QStringLiteral(" (from the %1)").arg(startedFrom)));
    // A reload may replace a first startup that never finished: both are then told.
    if (!announced) {
        announce({}, bootMs);
        restoreMallocPad();
    }
    if (std::exchange(reloading, false)) finishReload(true, {});
}

void DevSession::Private::workerFailed(const QString& error) {
    if (!announced) announce(error, 0);
    if (std::exchange(reloading, false))
        finishReload(false, tracebackLocation(parseTraceback(error, project.rootDir)));
}

void DevSession::Private::finishReload(bool ok, const ConfigError& error) {
    ReloadFinishedEvent event;
    event.ok = ok;
    event.durationMs = static_cast<double>(reloadTimer.nsecsElapsed()) / 1e6;
    if (!ok) event.error = error;
    if (ok)
        say(LogLevel::Info, QStringLiteral("reloaded in %1 ms").arg(event.durationMs, 0, 'f', 0));
    send(makeEvent(event));
}

void DevSession::Private::exchangeFinished(const HttpExchangeRecord& record) {
    const QString line = requestLogLine(record);
    terminalRequest(line);
    if (!channel) return;
    if (int(LogLevel::Info) >= threshold.load(std::memory_order_relaxed))
        send(makeEvent(LogEvent{LogLevel::Info, LogSource::Request, line, nowMs()}));
    RequestFinishedEvent event;
    event.id = static_cast<qint64>(record.id);
    event.method = QString::fromLatin1(record.method);
    event.path = QString::fromLatin1(record.target);
    event.status = record.status;
    event.cancelled = record.cancelled;
    event.queuedMs = static_cast<double>(record.queuedUs) / 1000.0;
    event.handlerMs = static_cast<double>(record.handlerUs) / 1000.0;
    event.totalMs = static_cast<double>(record.totalUs) / 1000.0;
    event.bytesIn = record.bytesIn;
    event.bytesOut = record.bytesOut;
    send(makeEvent(event));
}

void DevSession::Private::storeChanged(StoreKind kind, const QString& id,
                                       const QString& keyOrTable) {
    const bool table = kind == StoreKind::D1;
    // One store may back several bindings; each gets its event.
    for (const auto& location : StateLayout(persistDir).locations(project)) {
        if (location.kind == kind && location.id == id)
            send(makeEvent(StoreChangedEvent{location.binding, kind, table ? QString() : keyOrTable,
                                             table ? keyOrTable : QString()}));
    }
}

void DevSession::Private::workflowActivity(const WorkflowActivity& activity) {
    for (const WorkflowDecl& flow : project.workflows)
        if (flow.name == activity.workflow)
            send(makeEvent(WorkflowActivityEvent{flow.binding, activity.workflow, activity.instance,
                                                 activity.what, activity.step, activity.detail}));
}

void DevSession::Private::command(const Message& request) {
    const QString& name = request.name;
    auto fail = [&](const QString& error) { channel->respond(request, false, error); };
    if (name == QLatin1String(InitializeCommand::kName)) {
        auto init = InitializeCommand::fromArguments(request.body);
        if (!init) return fail(init.error());
        if (init->protocol != kVersion) return fail(unsupportedVersionMessage(init->protocol));
        return channel->respond(request, true, {},
                                QJsonObject{{QStringLiteral("protocol"), kVersion}});
    }
    if (name == QLatin1String(ReloadCommand::kName)) {
        channel->respond(request, true);
        return q->reload();
    }
    if (name == QLatin1String(PrepareReloadCommand::kName)) {
        channel->respond(request, true);
        return worker->prepareReload();
    }
    if (name == QLatin1String(StopCommand::kName)) {
        channel->respond(request, true);
        return Q_EMIT q->stopRequested();
    }
    if (name == QLatin1String(TriggerScheduledCommand::kName)) {
        auto trigger = TriggerScheduledCommand::fromArguments(request.body);
        if (!trigger) return fail(trigger.error());
        ControlChannel* target = channel.get();
        return worker->triggerScheduled(trigger->cron, [target, request](bool ok) {
            // Engine thread; the channel outlives the worker (declared before it).
            target->respond(request, ok,
                            ok ? QString()
                               : QStringLiteral("the scheduled handler failed (see the log)"));
        });
    }
    if (name == QLatin1String(SetLogLevelCommand::kName)) {
        auto level = SetLogLevelCommand::fromArguments(request.body);
        if (!level) return fail(level.error());
        threshold = int(level->level);
        return channel->respond(request, true);
    }
    channel->send(unknownCommandResponse(request));
}

DevSession::DevSession(DevSessionOptions options, QObject* parent)
    : QObject(parent)
    , d(std::make_unique<Private>()) {
    d->q = this;
    d->options = std::move(options);
    d->threshold = int(d->options.logLevel);
}

DevSession::~DevSession() {
    if (d->server) d->server->close();
    d->watcher.reset();
    d->crons.reset();
    d->worker.reset();
}

void DevSession::finish() {
    if (d->server) d->server->close();
    if (d->channel) d->channel->flush();
}

quint16 DevSession::port() const {
    return d->server ? d->server->port() : 0;
}

std::expected<void, QString> DevSession::start() {
    auto fail = [](const QString& error) -> std::expected<void, QString> {
        terminalError(error);
        return std::unexpected(error);
    };
    auto project = loadProject(d->options.projectPath, {d->options.envName});
    if (!project) return fail(project.error().toString());
    d->project = *project;
    d->persistDir = StateLayout::forProject(d->project, d->options.persistTo).root();
    if (!d->options.control.isEmpty()) {
        d->channel = std::make_unique<ControlChannel>();
        if (auto opened = d->channel->open(d->options.control); !opened)
            return fail(opened.error());
        HelloEvent hello;
        hello.kilnVersion = QCoreApplication::applicationVersion();
        hello.pid = QCoreApplication::applicationPid();
        hello.projectDir = d->project.rootDir;
        hello.configFile = d->project.configFile;
        hello.stateDir = d->persistDir;
        d->send(makeEvent(hello));
        QObject::connect(d->channel.get(), &ControlChannel::request, this,
                         [this](const Message& m) { d->command(m); });
        QObject::connect(d->channel.get(), &ControlChannel::closed, this, [this] {
            terminalWarning(QStringLiteral("the control channel closed; stopping"));
            Q_EMIT stopRequested();
        });
    }
    for (const QString& warning : d->project.warnings)
        d->say(LogLevel::Warn, warning);

    WorkerOptions workerOptions;
    workerOptions.project = d->project;
    workerOptions.persistDir = d->persistDir;
    if (d->project.cpuMs) workerOptions.cpuLimitMs = *d->project.cpuMs;
    workerOptions.startupCpuLimitMs = d->options.startupCpuLimitMs;
    workerOptions.memoryLimitBytes = static_cast<qint64>(d->options.memoryLimitMb) * 1024 * 1024;
    terminalBanner(d->project);
    d->worker = std::make_unique<Worker>(workerOptions);
    Private* p = d.get();
    d->worker->setSinks({
        [p](LogLevel level, LogSource source, const QString& text) {
            p->workerLog(level, source, text);
        },
        [this, p](const QString& text) {
            if (!p->channel) return; // set before the worker starts, never changed after
            QMetaObject::invokeMethod(
                this, [p, text] { p->send(makeEvent(parseTraceback(text, p->project.rootDir))); },
                Qt::QueuedConnection);
        },
        [this, p](StoreKind kind, const QString& id, const QString& key) {
            if (!p->channel) return;
            QMetaObject::invokeMethod(
                this, [p, kind, id, key] { p->storeChanged(kind, id, key); }, Qt::QueuedConnection);
        },
        [this, p](const WorkflowActivity& activity) {
            if (!p->channel) return;
            QMetaObject::invokeMethod(
                this, [p, activity] { p->workflowActivity(activity); }, Qt::QueuedConnection);
        },
    });
    connect(
        d->worker.get(), &Worker::ready, this,
        [p](double ms, const QString& startedFrom, unsigned) { p->workerReady(ms, startedFrom); });
    connect(d->worker.get(), &Worker::bootFailed, this,
            [p](const QString& error, unsigned) { p->workerFailed(error); });
    connect(d->worker.get(), &Worker::span, this,
            [p](const QString& name, double start, double end) {
                if (p->threshold.load() <= int(LogLevel::Debug))
                    terminalInfo(QStringLiteral("boot: %1 %2 ms (at %3 ms)")
                                     .arg(name)
                                     .arg(end - start, 0, 'f', 1)
                                     .arg(start, 0, 'f', 0));
                p->send(makeEvent(BootPhaseEvent{name, start, end - start}));
            });

    d->router =
        std::make_unique<DevRouter>(d->worker.get(), [p](const QString& cron, const QDateTime& time,
                                                         std::function<void(bool)> done) {
            p->worker->triggerScheduled(cron, std::move(done), time);
        });
    d->server = std::make_unique<HttpServer>(d->router.get());
    QString error;
    if (!d->server->listen(d->options.address, d->options.port, &error))
        return fail(QStringLiteral("cannot listen on %1:%2: %3")
                        .arg(d->options.address.toString())
                        .arg(d->options.port)
                        .arg(error));
    const QHostAddress& address = d->options.address;
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                             : address.toString();
    d->url = QStringLiteral("http://%1:%2").arg(host).arg(d->server->port());
    connect(d->server.get(), &HttpServer::exchangeStarted, this,
            [p](quint64 id, const QByteArray& method, const QByteArray& target) {
                if (p->channel)
                    p->send(makeEvent(RequestStartedEvent{qint64(id), QString::fromLatin1(method),
                                                          QString::fromLatin1(target), nowMs()}));
            });
    connect(d->server.get(), &HttpServer::exchangeFinished, this,
            [p](const HttpExchangeRecord& record) { p->exchangeFinished(record); });

    d->worker->start();
    d->say(
        LogLevel::Info,
        QStringLiteral("Starting the worker on %1 (requests wait until it is ready)…").arg(d->url));
    d->startCrons();
    // Saving a file reloads the worker, as wrangler dev does.
    d->watcher = std::make_unique<ProjectWatcher>(d->project);
    connect(d->watcher.get(), &ProjectWatcher::changed, this,
            [this](const QStringList& paths) { reload(paths); });
    return {};
}

void DevSession::reload(const QStringList& changed) {
    d->reloadTimer.start();
    d->send(makeEvent(ReloadStartedEvent{changed}));
    auto reloaded = loadProject(d->options.projectPath, {d->options.envName});
    if (!reloaded) {
        // The running instance keeps serving.
        d->say(LogLevel::Error, reloaded.error().toString() +
                                    QStringLiteral(" (still running the previous version)"));
        return d->finishReload(false, reloaded.error()); // a worker reload under way goes on
    }
    d->say(LogLevel::Info,
           changed.isEmpty()
               ? QStringLiteral("reloading")
               : QStringLiteral("%1 changed, reloading").arg(changed.join(QStringLiteral(", "))));
    const QStringList oldCrons = d->project.crons;
    d->project = *reloaded;
    d->watcher->setProject(d->project);
    d->reloading = true;
    d->worker->reload(d->project);
    if (d->project.crons != oldCrons) d->startCrons();
}

} // namespace kiln
