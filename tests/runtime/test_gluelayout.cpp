// Kiln's edits to Pyodide's glue (runtime/engine/pyodidepatches.cpp) change how the boot fills
// Emscripten's function table and GOT, never what it fills them with: a memory snapshot holds
// table slots as function pointers, and a side module reads GOT values. This runs Pyodide's
// own, unpatched glue in node (tests/runtime/gluelayout-node.mjs) and a real kiln dev on
// tests/runtime/projects/gluelayout, booted and then restored from its snapshot, and compares
// every table slot, the GOT value of every symbol the main module exports and the package map
// Python keeps for ModuleNotFoundError notes (a restore keeps the snapshot's). The one allowed
// difference: the wrappers of Emscripten's JS library functions, which Pyodide compiles one
// module each (a function named "0") and Kiln in one module (named by their place in it).
// Then a side module, linked through ctypes, resolves its imports against the main module,
// on booted and restored starts.

#include "kilndevprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

class TestGlueLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void bootMatchesPyodidesOwnGlue();
    void restoreMatchesPyodidesOwnGlue();
    void sideModuleLinksAgainstTheMainModule_data();
    void sideModuleLinksAgainstTheMainModule();

private:
    void compareWithNode(const QString& expectRestored);
    QJsonObject m_node;
    QTemporaryDir m_cache, m_state;
};

void TestGlueLayout::initTestCase() {
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    const QString bin = qEnvironmentVariable("KILN_BIN");
    const QString source = qEnvironmentVariable("KILN_SOURCE_DIR");
    if (node.isEmpty() || bin.isEmpty() || source.isEmpty())
        QSKIP("needs node on PATH, KILN_BIN and KILN_SOURCE_DIR");
    QProcess run;
    run.start(node, {source + QStringLiteral("/tests/runtime/gluelayout-node.mjs"),
                     QFileInfo(bin).absolutePath() + QStringLiteral("/../share/kiln/pyodide")});
    QVERIFY(run.waitForFinished(120000));
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    m_node = QJsonDocument::fromJson(run.readAllStandardOutput()).object();
    QVERIFY(m_node.value(QStringLiteral("table")).toArray().size() > 8000);
    QVERIFY(m_node.value(QStringLiteral("got")).toObject().size() > 8000);
    qputenv("KILN_CACHE_DIR", m_cache.path().toUtf8());
}

void TestGlueLayout::compareWithNode(const QString& expectRestored) {
    KilnDevProcess dev;
    QVERIFY2(dev.start(qEnvironmentVariable("KILN_SOURCE_DIR") +
                           QStringLiteral("/tests/runtime/projects/gluelayout"),
                       m_state.path(), {QStringLiteral("--log-level"), QStringLiteral("debug")}),
             qPrintable(dev.output()));
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    dev.stop();
    const QString output = dev.output();
    QVERIFY2(r.status == 200, qPrintable(r.body + output));
    if (!expectRestored.isEmpty())
        QVERIFY2(
            output.contains(QStringLiteral("pyodide runtime (%1 snapshot)").arg(expectRestored)),
            qPrintable(output));
    const QJsonObject kiln = QJsonDocument::fromJson(r.body).object();

    const QJsonArray want = m_node.value(QStringLiteral("table")).toArray();
    const QJsonArray got = kiln.value(QStringLiteral("table")).toArray();
    QCOMPARE(got.size(), want.size());
    int wrappers = 0;
    for (qsizetype i = 0; i < want.size(); ++i) {
        const QString a = want.at(i).toString(), b = got.at(i).toString();
        if (a == b) continue;
        // A JS library function's wrapper: same arity, numbered within Kiln's one module.
        const bool wrapper = a.startsWith(QStringLiteral("0/")) &&
                             a.section(QLatin1Char('/'), 1) == b.section(QLatin1Char('/'), 1);
        QVERIFY2(wrapper,
                 qPrintable(QStringLiteral("slot %1: %2 in Pyodide, %3 in Kiln").arg(i).arg(a, b)));
        ++wrappers;
    }
    QVERIFY2(wrappers < 1000, qPrintable(QString::number(wrappers)));

    // The import-name -> package map for ModuleNotFoundError notes: converted on a boot, kept
    // from the snapshot on a restore.
    const QJsonObject wantNotes = m_node.value(QStringLiteral("importNotes")).toObject();
    QVERIFY(wantNotes.size() > 100);
    QCOMPARE(kiln.value(QStringLiteral("importNotes")).toObject(), wantNotes);

    // Module's keys for exports: one the glue names itself (_malloc), two it does not (Kiln
    // answers those when asked).
    const QJsonObject wantKeys = m_node.value(QStringLiteral("moduleKeys")).toObject();
    QCOMPARE(wantKeys.size(), 3);
    for (auto it = wantKeys.begin(); it != wantKeys.end(); ++it)
        QVERIFY2(it.value().isString(), qPrintable(it.key()));
    QCOMPARE(kiln.value(QStringLiteral("moduleKeys")).toObject(), wantKeys);

    const QJsonObject wantGot = m_node.value(QStringLiteral("got")).toObject();
    const QJsonObject gotGot = kiln.value(QStringLiteral("got")).toObject();
    QCOMPARE(gotGot.size(), wantGot.size());
    for (auto it = wantGot.begin(); it != wantGot.end(); ++it)
        QVERIFY2(gotGot.value(it.key()) == it.value(),
                 qPrintable(QStringLiteral("GOT %1: %2 in Pyodide, %3 in Kiln")
                                .arg(it.key())
                                .arg(it.value().toDouble())
                                .arg(gotGot.value(it.key()).toDouble())));
}

void TestGlueLayout::bootMatchesPyodidesOwnGlue() {
    compareWithNode({});
}

void TestGlueLayout::restoreMatchesPyodidesOwnGlue() {
    // The first start made the snapshots in the background; a later start restores one.
    for (int i = 0;
         i < 100 &&
         QDir(m_cache.path()).entryList({QStringLiteral("file-*.bin.xxh3")}, QDir::Files).size() <
             3;
         ++i)
        QTest::qWait(100);
    compareWithNode(QStringLiteral("dedicated"));
}

// A side module (what a package's C extension is) resolves a function, a GOT.func and a
// GOT.mem import against the main module (tests/runtime/projects/sidemodule), on a booted
// start and on a restored one. Linked in the handler, the second start restores the dedicated
// snapshot; linked at the top level, no dedicated snapshot is made (Kiln would not load the
// library again on a restore: the instance would call into nothing), and the second start
// restores the package tier and links it again.
void TestGlueLayout::sideModuleLinksAgainstTheMainModule_data() {
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("restored");
    QTest::newRow("in the handler")
        << QStringLiteral("wrangler.jsonc") << QStringLiteral("dedicated");
    QTest::newRow("at the top level")
        << QStringLiteral("wrangler.toplevel.jsonc") << QStringLiteral("package");
}

void TestGlueLayout::sideModuleLinksAgainstTheMainModule() {
    QFETCH(QString, config);
    QFETCH(QString, restored);
    QTemporaryDir cache, state;
    qputenv("KILN_CACHE_DIR", cache.path().toUtf8());
    const QString project = qEnvironmentVariable("KILN_SOURCE_DIR") +
                            QStringLiteral("/tests/runtime/projects/sidemodule/") + config;
    const bool topLevel = restored == QLatin1String("package");
    for (const bool first : {true, false}) {
        KilnDevProcess dev;
        QVERIFY2(dev.start({}, state.path(),
                           {QStringLiteral("-c"), project, QStringLiteral("--log-level"),
                            QStringLiteral("debug")}),
                 qPrintable(dev.output()));
        const HttpResult r = httpRequest(dev.port(), "GET", "/");
        // Said before the worker was ready, by each start that tried (both, at the top level).
        const int refused = dev.countLogs(QStringLiteral("could not make the dedicated snapshot"));
        dev.stop();
        const QString output = dev.output();
        QVERIFY2(r.status == 200, qPrintable(r.body + output));
        QCOMPARE(QJsonDocument::fromJson(r.body).object(),
                 (QJsonObject{{"strlen", 5}, {"long", 41}, {"none", true}}));
        QCOMPARE(refused, topLevel ? 1 : 0);
        if (first) {
            // The first start's snapshots are written before the second starts.
            const int want = topLevel ? 2 : 3;
            for (int i = 0;
                 i < 100 && QDir(cache.path())
                                    .entryList({QStringLiteral("file-*.bin.xxh3")}, QDir::Files)
                                    .size() < want;
                 ++i)
                QTest::qWait(100);
        } else {
            QVERIFY2(output.contains(QStringLiteral("pyodide runtime (%1 snapshot)").arg(restored)),
                     qPrintable(output));
        }
    }
    qputenv("KILN_CACHE_DIR", m_cache.path().toUtf8());
}

QTEST_GUILESS_MAIN(TestGlueLayout)
#include "test_gluelayout.moc"
