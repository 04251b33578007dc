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
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>

#include <cstdio>

namespace kiln {

namespace {

// Fills `cacheDir` as a person's second start finds it: boots until the compiled wasm (V8
// writes it once its optimising tier is done, up to ~20 s on 2 cores), the compiled stdlib
// and the baseline snapshot are there, then once more, since the snapshot is made again for
// the compiled stdlib that boot finds.
bool primeCodeCache(const QString& kiln, const QString& project, const QString& cacheDir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KILN_CACHE_DIR"), cacheDir);
    env.remove(QStringLiteral("KILN_NO_CODE_CACHE"));
    env.remove(QStringLiteral("KILN_NO_SNAPSHOT"));
    const QDir dir(cacheDir);
    const auto sidecars = [&] {
        return dir.entryList({QStringLiteral("file-*.bin.xxh3")}, QDir::Files).size();
    };
    const auto wasm = [&] {
        return !dir.entryList({QStringLiteral("wasm-*.bin")}, QDir::Files).isEmpty();
    };
    bool done = false;
    for (const qsizetype wanted : {2, 3}) {
        QTemporaryDir state;
        QProcess process;
        process.setProcessEnvironment(env);
        process.setStandardOutputFile(QProcess::nullDevice());
        process.setStandardErrorFile(QProcess::nullDevice());
        endWithParent(process);
        process.start(kiln, {QStringLiteral("dev"), project, QStringLiteral("--port"),
                             QStringLiteral("0"), QStringLiteral("--persist-to"), state.path()});
        QElapsedTimer clock;
        clock.start();
        done = false;
        while (!done && clock.elapsed() < 60000 && process.state() != QProcess::NotRunning) {
            QThread::msleep(200);
            done = wasm() && sidecars() >= wanted;
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
    const QString kiln = QCoreApplication::applicationFilePath();
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
        bool snapshot;
    };
    const Mode modes[] = {{QStringLiteral("no caches"), QString(), true, false},
                          {QStringLiteral("code cache"), warm, false, false},
                          {QStringLiteral("baseline snapshot"), warm, false, true}};
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
            if (mode.snapshot)
                o.env.remove(QStringLiteral("KILN_NO_SNAPSHOT"));
            else
                o.env.insert(QStringLiteral("KILN_NO_SNAPSHOT"), QStringLiteral("1"));
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
    // A "baseline snapshot" start that made the snapshot measured a boot, not a restore: say
    // so rather than print its figures as a restore's.
    int unrestored = 0;
    for (const ProfileSample& s : report.samples)
        unrestored += s.mode == QLatin1String("baseline snapshot") &&
                      std::none_of(s.phases.begin(), s.phases.end(), [](const auto& p) {
                          return p.name.endsWith(QLatin1String("(baseline snapshot)"));
                      });
    if (unrestored > 0)
        report.notes << QStringLiteral("%1 of %2 \"baseline snapshot\" starts did not restore the "
                                       "snapshot (they booted and made it): their figures are "
                                       "not a restore's")
                            .arg(unrestored)
                            .arg(runs);
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
