#include "cli/devcommand.h"

#include "engine/cachewrites.h"
#include "session/devsession.h"
#include "session/terminal.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace kiln {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char byte = 1;
    [[maybe_unused]] auto n = ::write(g_signalPipe[1], &byte, 1);
}

// SIGINT/SIGTERM end the event loop normally, so the worker thread and sockets close cleanly.
void quitOnSignals(QObject* context) {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalPipe) != 0) return;
    auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context,
                     [] { QCoreApplication::quit(); });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// The options as wrangler spells them, checked; the error names the flag and the value.
std::expected<DevSessionOptions, QString> parseOptions(QCommandLineParser& parser,
                                                       const QStringList& args) {
    parser.setApplicationDescription(QStringLiteral("Run a Python Worker project locally."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QStringLiteral("Project folder or wrangler config (default: .)"));
    parser.addOption({{QStringLiteral("c"), QStringLiteral("config")},
                      QStringLiteral("The wrangler config file (or project folder), as PATH."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("port"),
                      QStringLiteral("Port to listen on (default 8787; 0 picks a free one)."),
                      QStringLiteral("port"), QStringLiteral("8787")});
    parser.addOption({QStringLiteral("ip"),
                      QStringLiteral("Address to listen on (default 127.0.0.1)."),
                      QStringLiteral("ip"), QStringLiteral("127.0.0.1")});
    parser.addOption(
        {QStringLiteral("persist-to"),
         QStringLiteral("Folder for local binding state (default <project>/.kiln/state)."),
         QStringLiteral("dir")});
    parser.addOption({{QStringLiteral("e"), QStringLiteral("env")},
                      QStringLiteral("Wrangler environment to use."),
                      QStringLiteral("name")});
    parser.addOption({QStringLiteral("memory-limit-mb"),
                      QStringLiteral("Cap on the worker's WebAssembly heap (default 512)."),
                      QStringLiteral("mb"), QStringLiteral("512")});
    parser.addOption({QStringLiteral("startup-cpu-limit-ms"),
                      QStringLiteral("CPU time one run of the worker's startup (imports, top-level "
                                     "code) may use (default 30000; Cloudflare allows 1000)."),
                      QStringLiteral("ms"), QStringLiteral("30000")});
    parser.addOption(
        {QStringLiteral("log-level"),
         QStringLiteral(
             "debug|log|info|warn|error|none (default log); debug adds the boot phases."),
         QStringLiteral("level"), QStringLiteral("log")});
    parser.addOption(
        {QStringLiteral("control-fd"),
         QStringLiteral(
             "Speak the control protocol (docs/protocol.md) on this inherited Unix socket."),
         QStringLiteral("fd")});
    parser.addOption(
        {QStringLiteral("control"),
         QStringLiteral(
             "Speak the control protocol on a Unix socket the client listens on: unix:PATH."),
         QStringLiteral("address")});
    parser.addOption(
        {QStringLiteral("local"),
         QStringLiteral("Accepted for wrangler compatibility; Kiln is always local.")});
    parser.addOption(
        {QStringLiteral("test-scheduled"),
         QStringLiteral(
             "Accepted for wrangler compatibility; the scheduled endpoints are always on.")});
    parser.process(args);

    DevSessionOptions options;
    if (parser.isSet(QStringLiteral("config")) && !parser.positionalArguments().isEmpty())
        return std::unexpected(
            QStringLiteral("give the project as PATH or as --config FILE, not both"));
    options.projectPath = parser.isSet(QStringLiteral("config"))
                              ? parser.value(QStringLiteral("config"))
                              : parser.positionalArguments().value(0, QStringLiteral("."));
    options.envName = parser.value(QStringLiteral("env"));
    bool ok = false;
    const int port = parser.value(QStringLiteral("port")).toInt(&ok);
    if (!ok || port < 0 || port > 65535)
        return std::unexpected(QStringLiteral("--port must be a number from 0 to 65535, not \"%1\"")
                                   .arg(parser.value(QStringLiteral("port"))));
    options.port = static_cast<quint16>(port);
    const QString ip = parser.value(QStringLiteral("ip"));
    options.address =
        QHostAddress(ip == QLatin1String("localhost") ? QStringLiteral("127.0.0.1") : ip);
    if (options.address.isNull())
        return std::unexpected(QStringLiteral("--ip must be an IP address, not \"%1\"").arg(ip));
    options.persistTo = parser.value(QStringLiteral("persist-to"));
    options.memoryLimitMb = parser.value(QStringLiteral("memory-limit-mb")).toInt(&ok);
    if (!ok || options.memoryLimitMb < 64)
        return std::unexpected(QStringLiteral("--memory-limit-mb must be a number of at least 64"));
    options.startupCpuLimitMs = parser.value(QStringLiteral("startup-cpu-limit-ms")).toInt(&ok);
    if (!ok || options.startupCpuLimitMs < 1)
        return std::unexpected(
            QStringLiteral("--startup-cpu-limit-ms must be a number of milliseconds"));
    const auto level = parseLogLevel(parser.value(QStringLiteral("log-level")));
    if (!level)
        return std::unexpected(
            QStringLiteral("--log-level must be one of debug, log, info, warn, error, none"));
    options.logLevel = *level;
    if (parser.isSet(QStringLiteral("control-fd")) && parser.isSet(QStringLiteral("control")))
        return std::unexpected(QStringLiteral("give --control-fd or --control, not both"));
    if (parser.isSet(QStringLiteral("control-fd")))
        options.control = QStringLiteral("fd:") + parser.value(QStringLiteral("control-fd"));
    else if (parser.isSet(QStringLiteral("control")))
        options.control = parser.value(QStringLiteral("control"));
    return options;
}

} // namespace

int runDevCommand(const QStringList& args) {
    QCommandLineParser parser;
    auto options = parseOptions(parser, args);
    if (!options) {
        terminalError(options.error());
        return 1;
    }
    DevSession session(*options);
    QObject::connect(
        &session, &DevSession::stopRequested, &session, [] { QCoreApplication::quit(); },
        Qt::QueuedConnection);
    if (!session.start()) return 1;
    quitOnSignals(&session);
    const int rc = QCoreApplication::exec();
    session.finish();
    // Not fflush(stdout): the writer thread may be stuck on a pipe nobody reads, holding it.
    terminalFlush();
    // State files commit per write; a cache file still being written (a start stopped soon
    // after booting) gets a moment to land. Skipping the isolate teardown keeps Ctrl-C
    // instant and avoids waiting on V8's background compile jobs.
    waitForCacheWrites(1500);
    _exit(rc);
}

} // namespace kiln
