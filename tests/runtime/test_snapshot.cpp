// The baseline snapshot (Pyodide booted with the SDK and the stdlib it needs imported, its
// wasm memory kept in the code cache folder) in a real kiln dev: the first start makes it, the
// next restores it and serves; a project edit keeps using it (the project is not in it), an
// edit of an SDK file makes a new one (the SDK is); two restored
// processes do not share a random sequence (reseeded before the first request); a snapshot
// with a flipped byte or cut short is not trusted: it is rebuilt and the worker serves; so is a
// compiled wasm module in the code cache with a flipped byte (V8 would run its machine code).
// The JS glue's code cache is written after the first start.

#include "kilndevprocess.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

class TestSnapshot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void firstStartMakesNextRestores();
    void restoresAreReseeded();
    void corruptSnapshotIsRebuilt_data();
    void corruptSnapshotIsRebuilt();
    void corruptCodeCacheIsRecompiled();
    void sdkEditMakesANewSnapshot();

private:
    // Starts, answers GET /, stops; the body, whether the snapshot was restored or made, and
    // whether the wasm came from the code cache.
    QByteArray serve(bool* restored = nullptr, bool* made = nullptr, bool* wasmCached = nullptr);
    QString snapshotFile() const;
    bool waitForSnapshot();
    QTemporaryDir m_cache, m_project, m_state;
};

void TestSnapshot::initTestCase() {
    qputenv("KILN_CACHE_DIR", m_cache.path().toUtf8()); // inherited by every kiln dev here
    qunsetenv("KILN_NO_CODE_CACHE");
    QDir().mkpath(m_project.filePath(QStringLiteral("src")));
    QFile config(m_project.filePath(QStringLiteral("wrangler.jsonc")));
    QFile entry(m_project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(config.open(QIODevice::WriteOnly) && entry.open(QIODevice::WriteOnly));
    config.write(R"({"name": "snap", "main": "src/entry.py", "compatibility_date": "2026-09-08",
 "compatibility_flags": ["python_workers"]})");
    entry.write("import random\nfrom workers import Response, WorkerEntrypoint\n\n\n"
                "class Default(WorkerEntrypoint):\n    async def fetch(self, request):\n"
                "        return Response(repr(random.random()))\n");
}

QByteArray TestSnapshot::serve(bool* restored, bool* made, bool* wasmCached) {
    KilnDevProcess dev;
    if (!dev.start(m_project.path(), m_state.path(),
                   {QStringLiteral("--log-level"), QStringLiteral("debug")}))
        return "failed to start: " + dev.output().toUtf8();
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    dev.stop();
    const QString out = dev.output();
    if (restored) *restored = out.contains(QLatin1String("pyodide runtime (baseline snapshot)"));
    if (made) *made = out.contains(QLatin1String("make baseline snapshot"));
    if (wasmCached) *wasmCached = out.contains(QLatin1String("compile wasm (code cache)"));
    return r.status == 200 ? r.body : "status " + QByteArray::number(r.status) + ": " + r.body;
}

QString TestSnapshot::snapshotFile() const {
    // The largest cached file: tens of MB of wasm memory (the stdlib cache is a few MB).
    QString best;
    qint64 size = 0;
    for (const QFileInfo& f : QDir(m_cache.path()).entryInfoList({QStringLiteral("file-*.bin")}))
        if (f.size() > size) {
            size = f.size();
            best = f.absoluteFilePath();
        }
    return size > 10 * 1024 * 1024 ? best : QString();
}

// Written in the background after the start that made it: wait for the file and its sidecar.
bool TestSnapshot::waitForSnapshot() {
    for (int i = 0; i < 200; ++i) {
        const QString file = snapshotFile();
        if (!file.isEmpty() && QFile::exists(file + QStringLiteral(".xxh3"))) return true;
        QTest::qWait(100);
    }
    return false;
}

void TestSnapshot::firstStartMakesNextRestores() {
    bool restored = true, made = false;
    QByteArray body = serve(&restored, &made);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(!restored);
    QVERIFY(made);
    QVERIFY(waitForSnapshot());
    // V8's code cache of Pyodide's JS glue, with the functions the boot compiled, is stored
    // beside it once the worker is up.
    const QStringList glue =
        QDir(m_cache.path()).entryList({QStringLiteral("js-*.bin.xxh3")}, QDir::Files);
    QCOMPARE(glue.size(), 1);
    body = serve(&restored, &made);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(restored);
    QVERIFY(!made);
    // The project is not in the baseline: an edit keeps the snapshot and shows at once.
    QFile entry(m_project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::Append));
    entry.write("\nEDITED = True\n");
    entry.close();
    body = serve(&restored, &made);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(restored);
}

void TestSnapshot::restoresAreReseeded() {
    QVERIFY(waitForSnapshot());
    bool a = false, b = false;
    const QByteArray first = serve(&a), second = serve(&b);
    QVERIFY(a && b);
    QVERIFY2(first != second, first.constData()); // the same memory, not the same sequence
}

void TestSnapshot::corruptSnapshotIsRebuilt_data() {
    QTest::addColumn<bool>("truncate");
    QTest::newRow("a flipped byte") << false;
    QTest::newRow("cut short") << true;
}

void TestSnapshot::corruptSnapshotIsRebuilt() {
    QFETCH(bool, truncate);
    QVERIFY(waitForSnapshot());
    QFile file(snapshotFile());
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
    bool restored = true, made = false;
    const QByteArray body = serve(&restored, &made);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(!restored);
    QVERIFY(made);
    QVERIFY(waitForSnapshot());
    QVERIFY(serve(&restored).startsWith("0."));
    QVERIFY(restored);
}

void TestSnapshot::corruptCodeCacheIsRecompiled() {
    // V8 hands the compiled module over once every function has its optimised code, seconds
    // after the start: keep one kiln dev up until the file and its checksum are there.
    const auto cached = [this] {
        const auto files =
            QDir(m_cache.path()).entryInfoList({QStringLiteral("wasm-*.bin")}, QDir::Files);
        return files.size() == 1 &&
                       QFile::exists(files.first().absoluteFilePath() + QStringLiteral(".xxh3"))
                   ? files.first().absoluteFilePath()
                   : QString();
    };
    {
        KilnDevProcess dev;
        QVERIFY2(dev.start(m_project.path(), m_state.path()), qPrintable(dev.output()));
        for (int i = 0; i < 900 && cached().isEmpty(); ++i)
            QTest::qWait(100);
    }
    const QString module = cached();
    QVERIFY2(!module.isEmpty(), "no compiled module was cached within 90 s");
    bool fromCache = false;
    QByteArray body = serve(nullptr, nullptr, &fromCache);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(fromCache);

    QFile file(module);
    QVERIFY(file.open(QIODevice::ReadWrite));
    for (qint64 at = file.size() / 8; at < file.size(); at += file.size() / 8) {
        char c = 0;
        QVERIFY(file.seek(at) && file.getChar(&c));
        QVERIFY(file.seek(at) && file.putChar(char(c ^ 0x5a)));
    }
    file.close();
    body = serve(nullptr, nullptr, &fromCache);
    QVERIFY2(body.startsWith("0."), body.constData());
    QVERIFY(!fromCache);
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
    bool restored = true, made = false;
    QVERIFY(serve(&restored, &made).startsWith("0."));
    QVERIFY(made && !restored);
    const int before = snapshots();
    QVERIFY(serve(&restored, &made).startsWith("0."));
    QVERIFY(restored && !made);

    QFile sdk(share.filePath(QStringLiteral("python/workers/_response.py")));
    QVERIFY(sdk.open(QIODevice::Append));
    sdk.write("\n# edited\n");
    sdk.close();
    QVERIFY(serve(&restored, &made).startsWith("0."));
    qunsetenv("KILN_SHARE_DIR");
    QVERIFY(made && !restored);
    for (int i = 0; i < 100 && snapshots() == before; ++i)
        QTest::qWait(100);
    QCOMPARE(snapshots(), before + 1);
}

QTEST_GUILESS_MAIN(TestSnapshot)
#include "test_snapshot.moc"
