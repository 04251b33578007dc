// Memory snapshot tiers in a real kiln dev (baseline: Pyodide, the stdlib the SDK needs and
// the SDK; package: + what the project imports from python_modules and the stdlib; dedicated:
// + the main module's top level): the first start makes all three, the next restores the
// dedicated one and serves; an edit of a source file rebuilds only the dedicated tier, an
// edit in python_modules the package tier too, an edit of an SDK file the baseline; a reload
// restores the package tier, and once one has happened the next ones finish a spare instance
// restored ahead (one that no longer fits the edit is dropped and the reload restarts); a top-level
// JS object is named as what Cloudflare's upload would refuse; two restored processes do not share
// a random sequence (reseeded before the first request); a snapshot with a flipped byte or cut
// short is not trusted (rebuilt, and the worker serves); so is a compiled wasm module in the code
// cache with a flipped byte (V8 would run its machine code). The JS glue's code cache is written
// after the first start.

#include "engine/checkedfile.h"
#include "kilndevprocess.h"
#include "procstatus.h"
#include "protocol/commands.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

// One start: its answer to GET /, the tier it restored ("" for none), the tiers it made.
struct Start {
    QByteArray body;
    QString restored;
    QStringList made;
    bool wasmCached = false;
    bool wasmReadAhead = false; // deserialised on a thread of its own while the engine started
    QString glueCache;          // how Pyodide's glue used V8's code cache ("" for not at all)
    QString output;
    QHash<QString, qint64> residentKiB; // file -> KiB of it resident in kiln, after the request
};

// The worker's answer starts with random.random(): a float in [0, 1), which repr() writes
// in exponent form when it is under 1e-4 ("2.8e-05").
bool startsWithRandom(const QByteArray& body) {
    bool ok = false;
    const double value = body.left(body.indexOf(' ')).toDouble(&ok);
    return ok && value >= 0 && value < 1;
}

} // namespace

class TestSnapshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void firstStartMakesEveryTier();
    void restoresAreReseeded();
    void restoredPagesAreListedForTheNextStart();
    void sourceEditRebuildsOnlyTheDedicatedTier();
    void dependencyEditRebuildsThePackageTier();
    void reloadRestoresThePackageTier();
    void reloadUsesASpareRestoredAhead();
    void prepareReloadMakesTheFirstSaveQuick();
    void topLevelJsObjectIsNamed();
    void corruptSnapshotIsRebuilt_data();
    void corruptSnapshotIsRebuilt();
    void corruptCodeCacheIsRecompiled();
    void corruptPatchedGlueIsRebuilt();
    void glueCodeCacheIsUsedOrRefused();
    void corruptRewrittenModuleIsRebuilt();
    void sdkEditMakesANewSnapshot();
    void sigtermDuringBootEndsTheProcess();

private:
    // `requests` GETs of "/"; the result is the first's. A second one also means the loop
    // tasks the first posted (the snapshot page list's) have run before kiln is stopped.
    Start serve(int requests = 1);
    // kiln dev on the project with --log-level debug (boot phases, spares), until it is ready.
    bool startWithBootPhases(KilnDevProcess& dev);
    void write(const QString& rel, const QByteArray& text);
    QStringList snapshotFiles() const; // newest first
    QString cachedFile(const QString& pattern) const;
    bool waitForSnapshots(int count);
    QTemporaryDir m_cache, m_project, m_state;
};

void TestSnapshot::write(const QString& rel, const QByteArray& text) {
    QDir().mkpath(QFileInfo(m_project.filePath(rel)).absolutePath());
    QFile file(m_project.filePath(rel));
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text);
}

void TestSnapshot::initTestCase() {
    qputenv("KILN_CACHE_DIR", m_cache.path().toUtf8()); // inherited by every kiln dev here
    qunsetenv("KILN_NO_CODE_CACHE");
    qunsetenv("KILN_SNAPSHOT_TIER");
    write(QStringLiteral("wrangler.jsonc"),
          R"({"name": "snap", "main": "src/entry.py", "compatibility_date": "2026-09-08",
 "compatibility_flags": ["python_workers"]})");
    write(QStringLiteral("python_modules/vendored/__init__.py"), "VERSION = 'v1'\n");
    write(QStringLiteral("src/helper.py"), "NAME = 'first'\n");
    // A JS global imported at top level: the snapshot names it again in the new isolate.
    write(QStringLiteral("src/entry.py"),
          "import os\nimport random\nimport sys\nimport fractions\nimport vendored\n"
          "from js import JSON\nfrom workers import Response, WorkerEntrypoint\nimport helper\n\n\n"
          "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
          // Restored or not: HOME is the project's folder, which is not on sys.path as "".
          "        assert os.path.expanduser('~') == os.getcwd() and '' not in sys.path\n"
          "        return Response(f'{random.random()!r} {vendored.VERSION} {helper.NAME} '\n"
          "                        f'{JSON.stringify([1])}')\n");
}

Start TestSnapshot::serve(int requests) {
    Start out;
    KilnDevProcess dev;
    if (!dev.start(m_project.path(), m_state.path(),
                   {QStringLiteral("--log-level"), QStringLiteral("debug")})) {
        out.body = "failed to start: " + dev.output().toUtf8();
        return out;
    }
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    for (int i = 1; i < requests; ++i)
        httpRequest(dev.port(), "GET", "/");
    out.residentKiB = residentFileKiB(dev.pid());
    dev.stop();
    out.output = dev.output();
    static const QRegularExpression restored(
        QStringLiteral(R"(pyodide runtime \((\w+) snapshot\))"));
    if (const auto m = restored.match(out.output); m.hasMatch()) out.restored = m.captured(1);
    for (const char* tier : {"baseline", "package", "dedicated"})
        if (out.output.contains(QStringLiteral("boot: make %1 snapshot").arg(QLatin1String(tier))))
            out.made << QLatin1String(tier);
    // "(code cache)" on the engine thread, "(code cache, read ahead)" from the start's read-ahead.
    out.wasmCached = out.output.contains(QLatin1String("compile wasm (code cache"));
    out.wasmReadAhead = out.output.contains(QLatin1String("compile wasm (code cache, read ahead)"));
    static const QRegularExpression glue(
        QStringLiteral(R"(boot: load pyodide\.asm\.mjs(?: \(([^)]*)\))? )"));
    if (const auto m = glue.match(out.output); m.hasMatch()) out.glueCache = m.captured(1);
    out.body = r.status == 200 ? r.body : "status " + QByteArray::number(r.status) + ": " + r.body;
    return out;
}

// The one cache file matching `pattern`, once its checksum sidecar is there too; empty if not.
QString TestSnapshot::cachedFile(const QString& pattern) const {
    const auto files = QDir(m_cache.path()).entryInfoList({pattern}, QDir::Files);
    return files.size() == 1 &&
                   QFile::exists(files.first().absoluteFilePath() + QStringLiteral(".xxh3"))
               ? files.first().absoluteFilePath()
               : QString();
}

QStringList TestSnapshot::snapshotFiles() const {
    // ~30 MB of wasm memory each (the compiled stdlib is ~13 MB), with their checksum.
    QFileInfoList found;
    for (const QFileInfo& f : QDir(m_cache.path()).entryInfoList({QStringLiteral("file-*.bin")}))
        if (f.size() > 20 * 1024 * 1024 && QFile::exists(f.absoluteFilePath() + ".xxh3"))
            found << f;
    std::sort(found.begin(), found.end(), [](const QFileInfo& a, const QFileInfo& b) {
        return a.fileTime(QFile::FileModificationTime) > b.fileTime(QFile::FileModificationTime);
    });
    QStringList out;
    for (const QFileInfo& f : found)
        out << f.absoluteFilePath();
    return out;
}

// Written in the background after the start that made them: wait for files and sidecars.
bool TestSnapshot::waitForSnapshots(int count) {
    for (int i = 0; i < 200; ++i) {
        if (snapshotFiles().size() >= count) return true;
        QTest::qWait(100);
    }
    return false;
}

void TestSnapshot::firstStartMakesEveryTier() {
    Start s = serve();
    QVERIFY2(startsWithRandom(s.body) && s.body.endsWith(" v1 first [1]"), s.body.constData());
    QCOMPARE(s.restored, QString());
    QCOMPARE(s.made, (QStringList{"baseline", "package", "dedicated"}));
    QVERIFY(waitForSnapshots(3));
    // V8's code caches of Pyodide's JS glue and loader, Kiln's prelude and its modules of 4 KB
    // or more (worker.mjs and most of what it imports), with the functions the boot compiled,
    // are stored beside it once the worker is up ...
    const auto jsCaches = [this] {
        QStringList out;
        for (const QFileInfo& file :
             QDir(m_cache.path())
                 .entryInfoList({QStringLiteral("js-*.bin")}, QDir::Files, QDir::Name))
            out << file.fileName() + QLatin1Char('@') +
                       QString::number(file.lastModified().toMSecsSinceEpoch());
        return out;
    };
    const QStringList scripts = jsCaches();
    QVERIFY2(scripts.size() >= 5, qPrintable(scripts.join(' ')));
    s = serve();
    QVERIFY2(startsWithRandom(s.body) && s.body.endsWith(" v1 first [1]"), s.body.constData());
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
    QVERIFY2(s.made.isEmpty(), qPrintable(s.made.join(',')));
    // ... and the next start takes every one of them (one refused or missed is written again).
    QCOMPARE(jsCaches(), scripts);
    QVERIFY(s.output.contains(QLatin1String("Worker ready in")) &&
            s.output.contains(QLatin1String("(from the dedicated snapshot)")));
}

void TestSnapshot::restoresAreReseeded() {
    const Start first = serve(), second = serve();
    QCOMPARE(first.restored, QStringLiteral("dedicated"));
    QCOMPARE(second.restored, QStringLiteral("dedicated"));
    QVERIFY2(first.body != second.body, first.body.constData()); // same memory, new sequence

    // The restored snapshot is read whole when it is checked; once restored, kiln keeps only
    // the pages the wasm memory maps (Python's state it has read), not the whole file.
    const QString snapshot = snapshotFiles().value(0);
    QVERIFY(!snapshot.isEmpty());
    const qint64 fileKiB = QFileInfo(snapshot).size() / 1024;
    const qint64 residentKiB = second.residentKiB.value(snapshot, -1);
    QVERIFY2(residentKiB >= 0, "the snapshot file is not mapped at all after the restore");
    QVERIFY2(
        residentKiB < fileKiB * 6 / 10,
        qPrintable(
            QStringLiteral("%1 of the snapshot's %2 KiB resident").arg(residentKiB).arg(fileKiB)));
}

// After its first request a restore lists the snapshot pages it touched beside the snapshot
// (engine/internal/snapshotpages.h), for the next start to populate at once; a damaged list is
// ignored (and made again), never trusted.
// The list is made once the first request's turn is over, so each start here serves a second
// request before it is stopped (kiln dev exits without tearing the isolate down: a stop right
// after the first answer may leave no list, which only costs the next start its prefetch).
void TestSnapshot::restoredPagesAreListedForTheNextStart() {
    Start s = serve(2);
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
    const QDir cache(m_cache.path());
    QStringList lists = cache.entryList({QStringLiteral("file-*.bin.pages")}, QDir::Files);
    QVERIFY2(!lists.isEmpty(), "no list of touched pages beside the restored snapshot");
    const auto checkList = [&](const QString& name) {
        QFile list(cache.filePath(name));
        QFile digest(cache.filePath(name.chopped(6) + QStringLiteral(".xxh3")));
        if (!list.open(QIODevice::ReadOnly) || !digest.open(QIODevice::ReadOnly)) return false;
        const QList<QByteArray> lines = list.readAll().split('\n');
        return lines.size() > 4 && lines[0] == "kiln-snapshot-pages 1" &&
               lines[1] == digest.readAll().trimmed() &&
               std::any_of(lines.begin(), lines.end(),
                           [](const QByteArray& l) { return l.startsWith("w "); });
    };
    for (const QString& name : lists)
        QVERIFY2(checkList(name), qPrintable(name));
    for (const QString& name : lists) {
        QFile list(cache.filePath(name));
        QVERIFY(list.open(QIODevice::WriteOnly));
        list.write("kiln-snapshot-pages 1\nnot the digest\n1\nw 0 999999\n");
    }
    s = serve(2);
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
    QVERIFY2(s.body.endsWith(" v1 first [1]"), s.body.constData());
    lists = cache.entryList({QStringLiteral("file-*.bin.pages")}, QDir::Files);
    QVERIFY(!lists.isEmpty());
    for (const QString& name : lists)
        QVERIFY2(checkList(name), qPrintable(name + QStringLiteral(" was not made again")));
}

void TestSnapshot::sourceEditRebuildsOnlyTheDedicatedTier() {
    write(QStringLiteral("src/helper.py"), "NAME = 'second'\n");
    Start s = serve();
    QVERIFY2(s.body.endsWith(" v1 second [1]"), s.body.constData());
    QCOMPARE(s.restored, QStringLiteral("package"));
    QCOMPARE(s.made, QStringList{"dedicated"});
    QVERIFY(waitForSnapshots(4));
    s = serve();
    QVERIFY2(s.body.endsWith(" v1 second [1]"), s.body.constData());
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
}

void TestSnapshot::dependencyEditRebuildsThePackageTier() {
    write(QStringLiteral("python_modules/vendored/__init__.py"), "VERSION = 'v2'\n");
    Start s = serve();
    QVERIFY2(s.body.endsWith(" v2 second [1]"), s.body.constData());
    QCOMPARE(s.restored, QStringLiteral("baseline"));
    QCOMPARE(s.made, (QStringList{"package", "dedicated"}));
    QVERIFY(waitForSnapshots(6));
    s = serve();
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
}

void TestSnapshot::reloadRestoresThePackageTier() {
    KilnDevProcess dev;
    QVERIFY2(dev.start(m_project.path(), m_state.path()), qPrintable(dev.output()));
    QVERIFY(dev.waitForOutput(QStringLiteral("(from the dedicated snapshot)")));
    write(QStringLiteral("src/helper.py"), "NAME = 'reloaded'\n");
    QVERIFY2(dev.waitForOutput(QStringLiteral("(from the package snapshot)")),
             qPrintable(dev.output()));
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    QVERIFY2(r.body.endsWith(" v2 reloaded [1]"), r.body.constData());
    dev.stop();
    write(QStringLiteral("src/helper.py"), "NAME = 'second'\n");
}

bool TestSnapshot::startWithBootPhases(KilnDevProcess& dev) {
    return dev.start(m_project.path(), m_state.path(),
                     {QStringLiteral("--log-level"), QStringLiteral("debug")}) &&
           dev.waitForOutput(QStringLiteral("Worker ready in"));
}

void TestSnapshot::reloadUsesASpareRestoredAhead() {
    KilnDevProcess dev;
    QVERIFY2(startWithBootPhases(dev), qPrintable(dev.output()));
    const QString spareReady = QStringLiteral("a spare instance waits for the next reload");
    QVERIFY(!dev.output().contains(spareReady)); // none before the first reload
    write(QStringLiteral("src/helper.py"), "NAME = 'one'\n");
    QVERIFY2(dev.waitForOutput(QStringLiteral("(from the package snapshot)")),
             qPrintable(dev.output()));
    QVERIFY2(dev.waitForOutput(spareReady), qPrintable(dev.output()));
    QVERIFY2(dev.output().contains(QLatin1String("(package snapshot in")),
             qPrintable(dev.output()));
    QVERIFY(httpRequest(dev.port(), "GET", "/").body.endsWith(" v2 one [1]"));

    // The spare finishes its start with the edited file: no restore on this reload.
    const qsizetype before = dev.output().size();
    write(QStringLiteral("src/helper.py"), "NAME = 'two'\n");
    QVERIFY2(dev.waitForOutput(QStringLiteral("(from the package snapshot, restored ahead)")),
             qPrintable(dev.output()));
    QVERIFY2(!dev.output().mid(before).contains(QLatin1String("pyodide runtime (")),
             qPrintable(dev.output().mid(before)));
    HttpResult r = httpRequest(dev.port(), "GET", "/");
    QVERIFY2(r.body.endsWith(" v2 two [1]"), r.body.constData());

    // A new top-level import changes the package tier the spare was restored from: the spare
    // is dropped and the reload restores the baseline instead (and makes the new package tier).
    QTRY_VERIFY_WITH_TIMEOUT(dev.output().mid(before).contains(spareReady), 30000);
    const qsizetype beforeImport = dev.output().size();
    write(QStringLiteral("src/helper.py"), "import colorsys\nNAME = 'three'\n");
    QVERIFY2(dev.waitForOutput(QStringLiteral("(from the baseline snapshot)")),
             qPrintable(dev.output().mid(beforeImport)));
    QVERIFY(!dev.output().mid(beforeImport).contains(QLatin1String("restored ahead")));
    r = httpRequest(dev.port(), "GET", "/");
    QVERIFY2(r.body.endsWith(" v2 three [1]"), r.body.constData());
    dev.stop();
    write(QStringLiteral("src/helper.py"), "NAME = 'second'\n");
}

// The studio's hint that an editor holds unsaved changes: the spare is restored before the
// first save, so that save's reload is already quick.
void TestSnapshot::prepareReloadMakesTheFirstSaveQuick() {
    KilnDevProcess dev;
    QVERIFY2(startWithBootPhases(dev), qPrintable(dev.output()));
    const auto reply =
        dev.control().call(kiln::protocol::makeRequest(kiln::protocol::PrepareReloadCommand{}));
    QVERIFY(reply && reply->success);
    QVERIFY2(dev.waitForOutput(QStringLiteral("a spare instance waits for the next reload")),
             qPrintable(dev.output()));
    write(QStringLiteral("src/helper.py"), "NAME = 'prepared'\n");
    QVERIFY2(dev.waitForOutput(QStringLiteral("(from the package snapshot, restored ahead)")),
             qPrintable(dev.output()));
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    QVERIFY2(r.body.endsWith(" v2 prepared [1]"), r.body.constData());
    dev.stop();
    write(QStringLiteral("src/helper.py"), "NAME = 'second'\n");
}

void TestSnapshot::topLevelJsObjectIsNamed() {
    write(QStringLiteral("src/helper.py"), "import js\nNAME = 'held'\nKEEP = js.Object.new()\n");
    Start s = serve();
    QVERIFY2(s.body.endsWith(" v2 held [1]"), s.body.constData());
    QCOMPARE(s.made, QStringList{"dedicated"}); // tried, and said why it could not
    QVERIFY2(s.output.contains(QLatin1String("could not make the dedicated snapshot")) &&
                 s.output.contains(QLatin1String("`KEEP` of module helper")) &&
                 s.output.contains(QLatin1String("Cloudflare")),
             qPrintable(s.output));
    s = serve();
    QCOMPARE(s.restored, QStringLiteral("package"));
    write(QStringLiteral("src/helper.py"), "NAME = 'second'\n");
}

void TestSnapshot::corruptSnapshotIsRebuilt_data() {
    QTest::addColumn<bool>("truncate");
    QTest::newRow("a flipped byte") << false;
    QTest::newRow("cut short") << true;
}

void TestSnapshot::corruptSnapshotIsRebuilt() {
    QFETCH(bool, truncate);
    // The project as it is now has its dedicated snapshot, the newest file (helper.py was
    // written again: a new stamp, so the first start here may make it).
    const int before = int(snapshotFiles().size());
    Start s = serve();
    if (s.restored != QLatin1String("dedicated")) {
        QCOMPARE(s.made, QStringList{"dedicated"});
        QVERIFY(waitForSnapshots(before + 1));
        s = serve();
    }
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
    const int count = int(snapshotFiles().size());
    QFile file(snapshotFiles().first());
    QVERIFY(file.open(QIODevice::ReadWrite));
    if (truncate) {
        QVERIFY(file.resize(file.size() / 3));
    } else {
        QVERIFY(file.seek(file.size() / 2));
        char c = 0;
        QVERIFY(file.getChar(&c));
        QVERIFY(file.seek(file.size() / 2));
        QVERIFY(file.putChar(char(c ^ 0x5a)));
    }
    file.close();
    s = serve();
    QVERIFY2(s.body.endsWith(" v2 second [1]"), s.body.constData());
    QCOMPARE(s.restored, QStringLiteral("package"));
    QCOMPARE(s.made, QStringList{"dedicated"});
    QVERIFY(waitForSnapshots(count)); // the corrupt file was dropped; its rebuild is written
    QCOMPARE(serve().restored, QStringLiteral("dedicated"));
}

void TestSnapshot::corruptCodeCacheIsRecompiled() {
    // The compiled module is written ~1.5 s after the start (what the start ran): keep one
    // kiln dev up until the file and its checksum are there.
    const auto cached = [this] { return cachedFile(QStringLiteral("wasm-*.bin")); };
    {
        KilnDevProcess dev;
        QVERIFY2(dev.start(m_project.path(), m_state.path()), qPrintable(dev.output()));
        for (int i = 0; i < 900 && cached().isEmpty(); ++i)
            QTest::qWait(100);
    }
    const QString module = cached();
    QVERIFY2(!module.isEmpty(), "no compiled module was cached within 90 s");
    Start s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QVERIFY(s.wasmCached);
    QVERIFY(s.wasmReadAhead);

    QFile file(module);
    QVERIFY(file.open(QIODevice::ReadWrite));
    for (qint64 at = file.size() / 8; at < file.size(); at += file.size() / 8) {
        char c = 0;
        QVERIFY(file.seek(at) && file.getChar(&c));
        QVERIFY(file.seek(at) && file.putChar(char(c ^ 0x5a)));
    }
    file.close();
    s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QVERIFY(!s.wasmCached);
    QVERIFY(!s.wasmReadAhead);       // the read-ahead refused the damaged file too
    QVERIFY(!QFile::exists(module)); // dropped, to be written again
}

namespace {

bool copyTree(const QString& from, const QString& to) {
    QDirIterator it(from, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QString target = to + file.mid(from.size());
        if (!QDir().mkpath(QFileInfo(target).absolutePath()) || !QFile::copy(file, target))
            return false;
    }
    return true;
}

} // namespace

void TestSnapshot::corruptPatchedGlueIsRebuilt() {
    // Pyodide's glue, as Kiln patches it, is kept in the cache by a start that lacked it and
    // mapped by later ones. A damaged copy must not reach V8 (it would run it as it is): it is
    // dropped, the glue patched again from the original, and the copy written anew.
    const auto glue = [this] { return cachedFile(QStringLiteral("glue-*.js")); };
    Start s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    const QString path = glue();
    QVERIFY2(!path.isEmpty(), "no patched glue in the cache after a start");
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray good = file.readAll();
    file.close();
    QVERIFY(good.contains("kilnWrapJsFunctions")); // patched, not the npm file
    // A syntax error in the middle of the glue, were it run.
    QVERIFY(file.open(QIODevice::ReadWrite) && file.seek(good.size() / 2) &&
            file.putChar(good.at(good.size() / 2) == '(' ? ')' : '('));
    file.close();
    s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QCOMPARE(glue(), path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll() == good);
}

void TestSnapshot::glueCodeCacheIsUsedOrRefused() {
    // V8's code cache for Pyodide's glue: a damaged file is refused by its checksum before V8
    // sees it; one that passes the checksum but is not V8's (another V8 build's, say) V8
    // refuses: either way the glue compiles from its text and the worker serves.
    // A start reads the glue and its cache ahead, on a thread of its own, while the prelude
    // and worker.mjs load: the same checks and refusals apply there.
    Start s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QCOMPARE(s.glueCache, QStringLiteral("code cache, read ahead"));
    // The glue's is the largest of the JS caches (the prelude's and the modules' are smaller).
    auto files =
        QDir(m_cache.path()).entryInfoList({QStringLiteral("js-*.bin")}, QDir::Files, QDir::Size);
    QVERIFY(!files.isEmpty());
    const QString path = files.first().absoluteFilePath();
    QByteArray good;
    QVERIFY(kiln::CheckedFile::readAll(path, &good));

    QVERIFY(kiln::CheckedFile::write(path, QByteArray(good.size(), 'k')));
    s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QCOMPARE(s.glueCache, QString());

    QVERIFY(kiln::CheckedFile::write(path, good));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadWrite) && file.seek(good.size() / 2) &&
            file.putChar(char(good.at(good.size() / 2) ^ 0x5a)));
    file.close();
    s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QCOMPARE(s.glueCache, QString());
}

void TestSnapshot::corruptRewrittenModuleIsRebuilt() {
    // Pyodide's module with its exports moved into its table (wasmlazyexports.h) is kept in
    // the cache by the start that rewrote it. A damaged copy must not reach V8 (a flipped bit
    // in its code could still validate): it is dropped and rewritten from the original.
    const auto rewritten = [this] { return cachedFile(QStringLiteral("module-*.bin")); };
    Start s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    const QString path = rewritten();
    QVERIFY2(!path.isEmpty(), "no rewritten module in the cache after a start");
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray good = file.readAll();
    file.close();
    QVERIFY(good.startsWith(QByteArray::fromHex("0061736d")) && good.contains("kiln.exports"));
    QVERIFY(file.open(QIODevice::ReadWrite) && file.seek(good.size() / 2) &&
            file.putChar(char(good.at(good.size() / 2) ^ 0x5a)));
    file.close();
    s = serve();
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    // Dropped when read (by the read-ahead or the engine), rewritten, written back.
    for (int i = 0; i < 100 && !QFile::exists(path + QStringLiteral(".xxh3")); ++i)
        QTest::qWait(100);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll() == good);
}

void TestSnapshot::sdkEditMakesANewSnapshot() {
    // A share folder of its own (Pyodide, the SDK), so the SDK can be edited.
    QTemporaryDir share;
    const QString installed = QFileInfo(qEnvironmentVariable("KILN_BIN")).absolutePath() +
                              QStringLiteral("/../share/kiln");
    QVERIFY2(copyTree(QDir(installed).absolutePath(), share.path()), qPrintable(installed));
    qputenv("KILN_SHARE_DIR", share.path().toUtf8());
    const auto snapshots = [this] {
        return QDir(m_cache.path()).entryList({QStringLiteral("file-*.bin.xxh3")}).size();
    };
    const int existing = snapshots();
    Start s = serve(); // a new share folder: new file stamps, a new baseline
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QVERIFY(s.made.contains(QLatin1String("baseline")) && s.restored.isEmpty());
    for (int i = 0; i < 100 && snapshots() < existing + 3; ++i)
        QTest::qWait(100);
    const int before = snapshots();
    s = serve();
    QCOMPARE(s.restored, QStringLiteral("dedicated"));
    QVERIFY(s.made.isEmpty());

    QFile sdk(share.filePath(QStringLiteral("python/workers/_response.py")));
    QVERIFY(sdk.open(QIODevice::Append));
    sdk.write("\n# edited\n");
    sdk.close();
    s = serve();
    qunsetenv("KILN_SHARE_DIR");
    QVERIFY2(startsWithRandom(s.body), s.body.constData());
    QCOMPARE(s.made, (QStringList{"baseline", "package", "dedicated"}));
    QVERIFY(s.restored.isEmpty());
    for (int i = 0; i < 100 && snapshots() < before + 3; ++i)
        QTest::qWait(100);
    QCOMPARE(snapshots(), before + 3);
}

QTEST_GUILESS_MAIN(TestSnapshot)

// Ctrl+C (SIGTERM) in the middle of a boot: the process ends at once, not when the boot does.
// With an empty cache a boot runs Pyodide's own start (~5 s here): the signal comes while it
// is under way, and the process must be gone long before the boot could have finished.
void TestSnapshot::sigtermDuringBootEndsTheProcess() {
    QTemporaryDir emptyCache, state;
    QProcess dev;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("KILN_CACHE_DIR"), emptyCache.path());
    dev.setProcessEnvironment(env);
    dev.setProcessChannelMode(QProcess::MergedChannels);
    dev.start(qEnvironmentVariable("KILN_BIN"),
              {QStringLiteral("dev"), m_project.path(), QStringLiteral("--port"),
               QStringLiteral("0"), QStringLiteral("--persist-to"), state.path(),
               QStringLiteral("--log-level"), QStringLiteral("debug")});
    QVERIFY(dev.waitForStarted(10000));
    QByteArray output;
    // Pyodide's glue has loaded: the runtime's own start (seconds, with nothing cached) follows.
    QTRY_VERIFY_WITH_TIMEOUT((output += dev.readAll()).contains("boot: load pyodide.asm.mjs"),
                             30000);
    QTest::qWait(300);
    QVERIFY2(dev.state() == QProcess::Running, output.constData());
    dev.terminate();
    QVERIFY2(dev.waitForFinished(2000), "still running 2 s after SIGTERM, mid-boot");
    output += dev.readAll();
    QCOMPARE(dev.exitStatus(), QProcess::NormalExit);
    QVERIFY2(!output.contains("Worker ready in"), output.constData()); // it was mid-boot
}

#include "test_snapshot.moc"
