#include "cli/profilecommand.h"

#include "cli/profilereport.h"
#include "cli/profilerun.h"
#include "cli/storeoptions.h"
#include "project/projectconfig.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>

#include <cstdio>

namespace kiln {

namespace {

// GET / from the `kiln dev` whose output says where it listens; the answer is not looked at.
void requestOnce(const QByteArray& output) {
    static const QRegularExpression ready(QStringLiteral(R"(Ready on http://[^:\s]+:(\d+))"));
    const auto m = ready.match(QString::fromUtf8(output));
    if (!m.hasMatch()) return;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(m.captured(1).toUInt()));
    if (!socket.waitForConnected(2000)) return;
    socket.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    socket.waitForBytesWritten(2000);
    while (socket.waitForReadyRead(5000))
        socket.readAll();
}

// Fills `cacheDir` as a person's second start finds it: boots until the compiled wasm (written
// ~1.5 s after the start), the compiled stdlib and the snapshots are there, then once more,
// since the snapshots are made again for the compiled stdlib that boot finds (baseline and
// package at least; the dedicated one too unless the top level holds a JS object, which the
// report's notes then show), and that start serves one request, whose compiled wasm the cache
// then keeps as well.
bool primeCodeCache(const QString& kiln, const QString& project, const QString& cacheDir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KILN_CACHE_DIR"), cacheDir);
    env.remove(QStringLiteral("KILN_NO_CODE_CACHE"));
    env.remove(QStringLiteral("KILN_NO_SNAPSHOT"));
    env.remove(QStringLiteral("KILN_SNAPSHOT_TIER"));
    const QDir dir(cacheDir);
    const auto sidecars = [&] {
        return dir.entryList({QStringLiteral("file-*.bin.xxh3")}, QDir::Files).size();
    };
    const auto wasm = [&] {
        return !dir.entryList({QStringLiteral("wasm-*.bin")}, QDir::Files).isEmpty();
    };
    bool done = false;
    for (int round = 0; round < 2; ++round) {
        QTemporaryDir state;
        QProcess process;
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        endWithParent(process);
        process.start(kiln, {QStringLiteral("dev"), project, QStringLiteral("--port"),
                             QStringLiteral("0"), QStringLiteral("--persist-to"), state.path(),
                             QStringLiteral("--log-level"), QStringLiteral("debug")});
        QElapsedTimer clock;
        clock.start();
        QByteArray output;
        done = false;
        // Round one: until the compiled wasm and the compiled stdlib are written. Round two
        // (which finds them): until the worker is up and its snapshots' writes have settled.
        qsizetype files = -1;
        QElapsedTimer requested;
        qsizetype wasmWrites = 0;
        while (!done && clock.elapsed() < 60000 && process.state() != QProcess::NotRunning) {
            QThread::msleep(250);
            process.waitForReadyRead(0);
            output += process.readAll();
            if (round == 0) {
                done = wasm() && output.contains("stored the compiled stdlib");
            } else if (output.contains("Worker ready in")) {
                // One request, so the compiled wasm the cache keeps covers serving too (it is
                // written ~1.5 s after a first request; nothing is written when it has not grown).
                if (!requested.isValid()) {
                    requestOnce(output);
                    requested.start();
                    wasmWrites = output.count("stored the compiled wasm");
                }
                const qsizetype now = sidecars();
                done = now == files && (output.count("stored the compiled wasm") > wasmWrites ||
                                        requested.elapsed() > 4000);
                files = now;
            }
        }
        process.terminate();
        process.waitForFinished(10000);
    }
    return done;
}

void progress(const QString& text) {
    fprintf(stderr, "\r\033[K%s", qPrintable(text));
    fflush(stderr);
}

} // namespace

int runProfileCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Where a cold start of the project goes, and whether it would pass on "
                       "Cloudflare."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("dir"), QStringLiteral("Project (default: .)."));
    parser.addOptions({
        {QStringLiteral("runs"), QStringLiteral("Starts per mode (5)."), QStringLiteral("n"),
         QStringLiteral("5")},
        {QStringLiteral("path"), QStringLiteral("The request timed (GET, default /)."),
         QStringLiteral("path"), QStringLiteral("/")},
        {QStringLiteral("json"), QStringLiteral("Print JSON.")},
        {QStringLiteral("trace"),
         QStringLiteral("Write Chrome trace-event JSON (Perfetto, speedscope) to this file."),
         QStringLiteral("file")},
    });
    parser.process(args);
    const QString dir = parser.positionalArguments().value(0, QStringLiteral("."));
    auto project = loadProject(dir, {});
    if (!project) return commandFailed(project.error().toString());
    const int runs = std::clamp(parser.value(QStringLiteral("runs")).toInt(), 1, 100);
    // Started as a person starts it: through bin/kiln, which sets what only a process's start
    // can set (runtime/launcher), and whose exec is part of the start being timed.
    const QString launcher =
        QCoreApplication::applicationDirPath() + QStringLiteral("/../bin/kiln");
    const QString kiln = QFileInfo(launcher).isExecutable()
                             ? QFileInfo(launcher).canonicalFilePath()
                             : QCoreApplication::applicationFilePath();
    const bool quiet = parser.isSet(QStringLiteral("json"));

    QTemporaryDir caches;
    const QString warm = caches.filePath(QStringLiteral("warm"));
    if (!quiet) progress(QStringLiteral("priming the code cache…"));
    const bool primed = primeCodeCache(kiln, project->rootDir, warm);

    ProfileReport report;
    report.project = *project;
    report.runs = runs;
    report.path = parser.value(QStringLiteral("path"));
    if (!primed) report.notes << QStringLiteral("the code cache was not written within 60 s");
    struct Mode {
        QString name;
        QString cacheDir;
        bool noCache;
        QString tier; // the highest snapshot tier restored, or none
    };
    const Mode modes[] = {
        {QStringLiteral("no caches"), QString(), true, {}},
        {QStringLiteral("code cache"), warm, false, {}},
        {QStringLiteral("baseline snapshot"), warm, false, QStringLiteral("baseline")},
        {QStringLiteral("package snapshot"), warm, false, QStringLiteral("package")},
        {QStringLiteral("dedicated snapshot"), warm, false, QStringLiteral("dedicated")}};
    for (const Mode& mode : modes) {
        for (int i = 0; i < runs; ++i) {
            if (!quiet)
                progress(QStringLiteral("%1: start %2 of %3…").arg(mode.name).arg(i + 1).arg(runs));
            QTemporaryDir fresh; // no cache: a new empty folder every time
            ProfileRunOptions o;
            o.kiln = kiln;
            o.project = project->rootDir;
            o.mode = mode.name;
            o.path = report.path;
            o.env = QProcessEnvironment::systemEnvironment();
            o.env.insert(QStringLiteral("KILN_CACHE_DIR"),
                         mode.noCache ? fresh.path() : mode.cacheDir);
            if (mode.noCache)
                o.env.insert(QStringLiteral("KILN_NO_CODE_CACHE"), QStringLiteral("1"));
            else
                o.env.remove(QStringLiteral("KILN_NO_CODE_CACHE"));
            if (!mode.tier.isEmpty()) {
                o.env.remove(QStringLiteral("KILN_NO_SNAPSHOT"));
                o.env.insert(QStringLiteral("KILN_SNAPSHOT_TIER"), mode.tier);
            } else {
                o.env.insert(QStringLiteral("KILN_NO_SNAPSHOT"), QStringLiteral("1"));
            }
            ProfileSample s = profileOnce(o);
            if (!s.error.isEmpty()) {
                if (!quiet) progress(QString());
                if (s.output.contains(QLatin1String("outside of request context")))
                    s.error += QStringLiteral(
                        " (FAIL entropy at top level: Cloudflare refuses randomness before the "
                        "first request; the traceback names the line)");
                return commandFailed(QStringLiteral("%1 start %2: %3\n%4")
                                         .arg(mode.name)
                                         .arg(i + 1)
                                         .arg(s.error, s.output.right(3000)));
            }
            report.samples.push_back(std::move(s));
        }
    }
    // A snapshot mode's start that did not restore its snapshot measured something else: say
    // so rather than print its figures as a restore's.
    for (const Mode& mode : modes) {
        if (mode.tier.isEmpty()) continue;
        int unrestored = 0;
        QString why;
        for (const ProfileSample& s : report.samples) {
            if (s.mode != mode.name) continue;
            const bool restored = std::any_of(s.phases.begin(), s.phases.end(), [&](const auto& p) {
                return p.name == QStringLiteral("pyodide runtime (%1)").arg(mode.name);
            });
            unrestored += !restored;
            for (const QString& line : s.output.split(QLatin1Char('\n')))
                if (!restored && why.isEmpty() &&
                    line.contains(QLatin1String("could not make the")))
                    why = line.trimmed();
        }
        if (unrestored > 0)
            report.notes << QStringLiteral("%1 of %2 \"%3\" starts did not restore it, so their "
                                           "figures are not a restore's%4")
                                .arg(unrestored)
                                .arg(runs)
                                .arg(mode.name,
                                     why.isEmpty() ? QString() : QStringLiteral(": ") + why);
    }
    // The import tree, from one more start with -X importtime (it slows imports down).
    if (!quiet) progress(QStringLiteral("timing Python imports…"));
    ProfileRunOptions o;
    o.kiln = kiln;
    o.project = project->rootDir;
    o.mode = QStringLiteral("imports");
    o.path = report.path;
    o.env = QProcessEnvironment::systemEnvironment();
    o.env.insert(QStringLiteral("KILN_CACHE_DIR"), warm);
    o.importTime = true;
    report.imports = profileOnce(o).imports;
    if (!quiet) progress(QString());

    if (parser.isSet(QStringLiteral("trace"))) {
        QFile file(parser.value(QStringLiteral("trace")));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return commandFailed(QStringLiteral("%1: %2").arg(file.fileName(), file.errorString()));
        file.write(QJsonDocument(report.trace()).toJson(QJsonDocument::Compact));
        if (!quiet) printf("Trace written to %s\n", qPrintable(file.fileName()));
    }
    if (quiet)
        printf("%s", QJsonDocument(report.json()).toJson().constData());
    else
        printf("%s", qPrintable(report.text()));
    return 0;
}

} // namespace kiln
