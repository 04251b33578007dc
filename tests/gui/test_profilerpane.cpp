// The profiler pane on a copy of examples/hello (offscreen): one `kiln profile` run through
// the pane, then what a person sees: the waterfall's bars per mode with the longest phase in
// red, the import icicle whose project module opens the editor's file, the deploy checks as
// PASS rows, the history kept in .kiln/profiles.json and charted, the exported trace.

#include "copytree.h"
#include "ui/importicicle.h"
#include "ui/phasewaterfall.h"
#include "ui/profilerpane.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace kiln;

class TestProfilerPane : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void profilesAndShows();
};

void TestProfilerPane::profilesAndShows() {
    QTemporaryDir project;
    QVERIFY(kiln::test::copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") +
                                     QStringLiteral("/examples/hello"),
                                 project.path()));
    ProfilerPane pane(qEnvironmentVariable("KILN_BIN"), project.path(),
                      {project.filePath(QStringLiteral("src"))});
    pane.resize(1100, 700);
    pane.show();
    QSignalSpy done(&pane, &ProfilerPane::finished);
    pane.run(1);
    QVERIFY(pane.running());
    QVERIFY(done.wait(300000));
    QVERIFY2(pane.result().modes.size() == 5, qPrintable(pane.statusText()));
    QVERIFY(pane.statusText().contains(QLatin1String("first 200 in")));

    // The waterfall: a bar per phase of each mode; the longest (the Pyodide boot) red.
    PhaseWaterfall* waterfall = pane.waterfall();
    pane.tabs()->setCurrentIndex(0);
    QTest::qWait(50);
    const auto& cold = pane.result().modes[0];
    QCOMPARE(cold.name, QStringLiteral("no caches"));
    QVERIFY(cold.phases.size() >= 6);
    int longest = 0;
    for (int i = 0; i < int(cold.phases.size()); ++i) {
        QVERIFY(!waterfall->barRect(0, i).isEmpty());
        if (cold.phases[size_t(i)].durationMs > cold.phases[size_t(longest)].durationMs)
            longest = i;
    }
    QCOMPARE(cold.phases[size_t(longest)].name, QStringLiteral("pyodide runtime"));
    const QImage image = waterfall->grab().toImage();
    const QColor red = image.pixelColor(waterfall->barRect(0, longest).center());
    QVERIFY2(red.red() > 180 && red.green() < 100, qPrintable(red.name()));
    // Each mode has its whole-start bar and its phases (no timing compared: that is the
    // bench's job).
    for (int mode = 0; mode < 5; ++mode) {
        QVERIFY(!waterfall->barRect(mode, -1).isEmpty());
        QVERIFY(!waterfall->barRect(mode, 0).isEmpty());
    }

    // The icicle: the main module, clickable to its file.
    ImportIcicle* icicle = pane.icicle();
    pane.tabs()->setCurrentIndex(1);
    QTest::qWait(50);
    QVERIFY(icicle->nodeCount() > 10);
    const QRect entry = icicle->moduleRect(QStringLiteral("entry"));
    QVERIFY(!entry.isEmpty());
    QSignalSpy open(&pane, &ProfilerPane::openFile);
    QTest::mouseClick(icicle, Qt::LeftButton, {}, entry.center());
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.at(0).at(0).toString(), project.filePath(QStringLiteral("src/entry.py")));

    // Deploy checks.
    QTreeWidget* checks = pane.checks();
    QCOMPARE(checks->topLevelItemCount(), 3);
    QCOMPARE(checks->topLevelItem(0)->text(0), QStringLiteral("startup CPU"));
    QCOMPARE(checks->topLevelItem(0)->text(1), QStringLiteral("PASS"));
    QCOMPARE(checks->topLevelItem(1)->text(1), QStringLiteral("PASS"));

    // The history is on disk, and a new pane reads it back.
    QCOMPARE(int(pane.history().entries.size()), 1);
    ProfilerPane again(qEnvironmentVariable("KILN_BIN"), project.path(), {});
    QCOMPARE(int(again.history().entries.size()), 1);
    QVERIFY(again.history().entries[0].firstResponseMs.count(QStringLiteral("dedicated snapshot")));

    // The exported trace is trace-event JSON.
    const QString trace = project.filePath(QStringLiteral("exported.json"));
    QVERIFY(pane.exportTrace(trace));
    QFile file(trace);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(QJsonDocument::fromJson(file.readAll()).object().value("traceEvents").isArray());
}

QTEST_MAIN(TestProfilerPane)
#include "test_profilerpane.moc"
