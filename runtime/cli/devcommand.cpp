#include "cli/devcommand.h"

#include "cli/terminal.h"
#include "engine/worker.h"
#include "project/projectconfig.h"
#include "project/projectwatcher.h"
#include "server/cronscheduler.h"
#include "server/devrouter.h"
#include "server/httpserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QHostAddress>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace kiln {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(g_signalPipe[1], &byte, 1);
}

// SIGINT/SIGTERM end the event loop normally, so the worker thread and sockets close cleanly.
void quitOnSignals(QObject* context)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0)
        return;
    auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [] { QCoreApplication::quit(); });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

QString statusText(int status)
{
    switch (status) {
    case 200: return QStringLiteral("OK");
    case 201: return QStringLiteral("Created");
    case 204: return QStringLiteral("No Content");
    case 301: return QStringLiteral("Moved Permanently");
    case 302: return QStringLiteral("Found");
    case 304: return QStringLiteral("Not Modified");
    case 400: return QStringLiteral("Bad Request");
    case 401: return QStringLiteral("Unauthorized");
    case 403: return QStringLiteral("Forbidden");
    case 404: return QStringLiteral("Not Found");
    case 405: return QStringLiteral("Method Not Allowed");
    case 500: return QStringLiteral("Internal Server Error");
    default: return QString();
    }
}

// triggers.crons fire on their own, in UTC, as on Cloudflare; runs that come due while the
// worker still boots wait for it.
std::unique_ptr<CronScheduler> startCronScheduler(const QStringList& crons, Worker& worker)
{
    auto scheduler = std::make_unique<CronScheduler>(
        crons,
        [&worker](const QString& cron, const QDateTime& minute) {
            worker.triggerScheduled(cron, [cron](bool ok) {
                if (ok)
                    terminalInfo(QStringLiteral("scheduled \"%1\" ok").arg(cron));
                else
                    terminalWarning(QStringLiteral("scheduled \"%1\" failed (see the log above)").arg(cron));
            }, minute);
        },
        [](const QString& message) { terminalWarning(message); });
    QObject::connect(scheduler.get(), &CronScheduler::missed, scheduler.get(), [](const QDateTime& from, const QDateTime& resume) {
        terminalWarning(QStringLiteral("cron runs due from %1 UTC were skipped (the machine slept or the clock jumped); next at %2 UTC")
                            .arg(from.toString(QStringLiteral("yyyy-MM-dd HH:mm")), resume.toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
    });
    scheduler->start();
    if (!scheduler->crons().isEmpty())
        terminalInfo(QStringLiteral("cron triggers (UTC): \"%1\"").arg(scheduler->crons().join(QStringLiteral("\", \""))));
    return scheduler;
}

} // namespace

int runDevCommand(const QStringList& args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Run a Python Worker project locally."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("path"), QStringLiteral("Project folder or wrangler config (default: .)"));
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port to listen on (default 8787; 0 picks a free one)."), QStringLiteral("port"), QStringLiteral("8787")});
    parser.addOption({QStringLiteral("ip"), QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("ip"), QStringLiteral("127.0.0.1")});
    parser.addOption({QStringLiteral("persist-to"), QStringLiteral("Folder for local binding state (default <project>/.kiln/state)."), QStringLiteral("dir")});
    parser.addOption({{QStringLiteral("e"), QStringLiteral("env")}, QStringLiteral("Wrangler environment to use."), QStringLiteral("name")});
    parser.addOption({QStringLiteral("memory-limit-mb"), QStringLiteral("Cap on the worker's WebAssembly heap (default 512)."), QStringLiteral("mb"), QStringLiteral("512")});
    parser.addOption({QStringLiteral("log-level"), QStringLiteral("debug|info|log|warn|error|none (default log); debug adds the boot phases."), QStringLiteral("level"), QStringLiteral("log")});
    parser.addOption({QStringLiteral("local"), QStringLiteral("Accepted for wrangler compatibility; Kiln is always local.")});
    parser.addOption({QStringLiteral("test-scheduled"), QStringLiteral("Accepted for wrangler compatibility; the scheduled endpoints are always on.")});
    parser.process(args);

    const QStringList positional = parser.positionalArguments();
    const QString path = positional.value(0, QStringLiteral("."));
    auto project = loadProject(path, {parser.value(QStringLiteral("env"))});
    if (!project) {
        terminalError(project.error().toString());
        return 1;
    }
    for (const QString& warning : project->warnings)
        terminalWarning(warning);

    bool portOk = false;
    const int port = parser.value(QStringLiteral("port")).toInt(&portOk);
    if (!portOk || port < 0 || port > 65535) {
        terminalError(QStringLiteral("--port must be a number from 0 to 65535, not \"%1\"").arg(parser.value(QStringLiteral("port"))));
        return 1;
    }
    QString ip = parser.value(QStringLiteral("ip"));
    const QHostAddress address(ip == QLatin1String("localhost") ? QStringLiteral("127.0.0.1") : ip);
    if (address.isNull()) {
        terminalError(QStringLiteral("--ip must be an IP address, not \"%1\"").arg(ip));
        return 1;
    }

    WorkerOptions options;
    options.project = *project;
    options.persistDir = parser.isSet(QStringLiteral("persist-to"))
        ? QDir(parser.value(QStringLiteral("persist-to"))).absolutePath()
        : project->rootDir + QStringLiteral("/.kiln/state");
    options.cacheDir = project->rootDir + QStringLiteral("/.kiln/cache");
    if (project->cpuMs)
        options.cpuLimitMs = *project->cpuMs;
    bool memoryOk = false;
    const int memoryMb = parser.value(QStringLiteral("memory-limit-mb")).toInt(&memoryOk);
    if (!memoryOk || memoryMb < 64) {
        terminalError(QStringLiteral("--memory-limit-mb must be a number of at least 64"));
        return 1;
    }
    options.memoryLimitBytes = static_cast<qint64>(memoryMb) * 1024 * 1024;

    terminalBanner(*project);
    Worker worker(options);
    static const QStringList levels{QStringLiteral("debug"), QStringLiteral("log"), QStringLiteral("info"),
                                    QStringLiteral("warn"), QStringLiteral("error"), QStringLiteral("none")};
    const int minLevel = levels.indexOf(parser.value(QStringLiteral("log-level")));
    if (minLevel < 0) {
        terminalError(QStringLiteral("--log-level must be one of %1").arg(levels.join(QStringLiteral(", "))));
        return 1;
    }
    worker.setLogSink([minLevel](int level, const QString& text) {
        if (level >= minLevel)
            terminalLog(level, text);
    });
    if (minLevel == 0) {
        QObject::connect(&worker, &Worker::span, &worker, [](const QString& name, double start, double end) {
            terminalInfo(QStringLiteral("boot: %1 %2 ms (at %3 ms)").arg(name).arg(end - start, 0, 'f', 1).arg(start, 0, 'f', 0));
        });
    }
    QObject::connect(&worker, &Worker::ready, &worker, [](double ms) {
        terminalInfo(QStringLiteral("Worker ready in %1 ms").arg(ms, 0, 'f', 0));
    });
    DevRouter router(&worker, [&worker](const QString& cron, std::function<void(bool)> done) {
        worker.triggerScheduled(cron, std::move(done));
    });
    HttpServer server(&router);
    QString error;
    if (!server.listen(address, static_cast<quint16>(port), &error)) {
        terminalError(QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(error));
        return 1;
    }
    QObject::connect(&server, &HttpServer::exchangeFinished, &server,
                     [](const QByteArray& method, const QByteArray& target, int status, qint64 micros, qint64, qint64) {
                         terminalRequest(QStringLiteral("%1 %2 %3 %4 (%5ms)")
                                             .arg(QString::fromLatin1(method), QString::fromLatin1(target))
                                             .arg(status)
                                             .arg(statusText(status))
                                             .arg(static_cast<double>(micros) / 1000.0, 0, 'f', 0));
                     });
    quitOnSignals(&server);
    worker.start();
    terminalInfo(QStringLiteral("Ready on http://%1:%2").arg(address.protocol() == QAbstractSocket::IPv6Protocol
                                                                  ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                                                                  : address.toString())
                     .arg(server.port()));
    std::unique_ptr<CronScheduler> scheduler = startCronScheduler(project->crons, worker);
    // Saving a file reloads the worker, as wrangler dev does. A config that no longer loads
    // is reported and the running instance keeps serving.
    ProjectWatcher watcher(*project);
    const QString projectPath = path;
    const QString envName = parser.value(QStringLiteral("env"));
    QObject::connect(&watcher, &ProjectWatcher::changed, &watcher, [&](const QStringList& paths) {
        auto reloaded = loadProject(projectPath, {envName});
        if (!reloaded) {
            terminalError(reloaded.error().toString() + QStringLiteral(" (still running the previous version)"));
            return;
        }
        terminalInfo(QStringLiteral("%1 changed, reloading").arg(paths.join(QStringLiteral(", "))));
        watcher.setProject(*reloaded);
        worker.reload(*reloaded);
        if (reloaded->crons != scheduler->crons())
            scheduler = startCronScheduler(reloaded->crons, worker);
    });
    const int rc = QCoreApplication::exec();
    server.close();
    // Nothing left to save: state files commit per write. Skipping the isolate teardown keeps
    // Ctrl-C instant and avoids waiting on V8's background compile jobs.
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
}

} // namespace kiln
