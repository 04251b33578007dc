// File > Import Wrangler State in the real studio: a project that `wrangler dev` ran before
// (tests/fixtures/wrangler-state) gets its KV, D1 and R2 data copied into Kiln's state while
// `kiln dev` runs it, and the worker reads the imported data at once.

#include "copytree.h"
#include "editor/codeeditor.h"
#include "kilnprocess.h"
#include "kvkeysmodel.h"
#include "r2objectsmodel.h"
#include "ui/composerpane.h"
#include "ui/d1browser.h"
#include "ui/datapane.h"
#include "ui/kvbrowser.h"
#include "ui/mainwindow.h"
#include "ui/r2browser.h"
#include "ui/sqlconsole.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestWranglerImport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void importThenTheWorkerReadsIt();
};

void TestWranglerImport::importThenTheWorkerReadsIt() {
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir project;
    QVERIFY(kiln::test::copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") +
                                     QStringLiteral("/tests/fixtures/wrangler-state"),
                                 project.path()));
    // The same bindings, served by a Python worker this time.
    QFile config(project.filePath(QStringLiteral("wrangler.jsonc")));
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(R"({"name": "fixture", "main": "src/entry.py", "compatibility_date": "2025-09-01",
      "compatibility_flags": ["python_workers"],
      "kv_namespaces": [{"binding": "KV", "id": "fixture-kv"}],
      "d1_databases": [{"binding": "DB", "database_name": "fixture-db", "database_id": "fixture-d1"}],
      "r2_buckets": [{"binding": "BUCKET", "bucket_name": "fixture-bucket"}]})");
    config.close();
    QFile entry(project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::WriteOnly));
    entry.write(
        "from workers import Response, WorkerEntrypoint\n\n\n"
        "class Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n"
        "        greeting = await self.env.KV.get('greeting')\n"
        "        row = await self.env.DB.prepare('SELECT count(*) AS n FROM notes').first()\n"
        "        readme = await self.env.BUCKET.get('docs/readme.txt')\n"
        "        return Response(f'{greeting} / {row.n} notes / {await readme.text()}')\n");
    entry.close();

    MainWindow window;
    window.runtime()->setExecutable(qEnvironmentVariable("KILN_BIN"));
    QVERIFY(window.openProject(project.path(), true));
    window.show();
    QTRY_VERIFY_WITH_TIMEOUT(window.runtime()->state() == KilnProcess::State::Running, 60000);

    // Before importing: wrangler's stores are listed and open read-only, as they are.
    const auto& stores = window.dataPane()->stores();
    QCOMPARE(stores.size(), size_t(6));
    QVERIFY(stores[3].wrangler && stores[4].wrangler && stores[5].wrangler);
    auto* theirs = qobject_cast<KvBrowser*>(window.openStore(stores[3]));
    QVERIFY(theirs && theirs->model()->readOnly());
    QTRY_VERIFY(theirs->model()->rowCount() >= 3);
    QVERIFY2(theirs->statusText().contains(QLatin1String("read-only")),
             qPrintable(theirs->statusText()));
    QString refused;
    theirs->model()->put("x", "y", std::nullopt, {}, [&](QString e) { refused = e; });
    QVERIFY(refused.contains(QLatin1String("read-only")));
    auto* theirD1 = qobject_cast<D1Browser*>(window.openStore(stores[4]));
    QVERIFY(theirD1);
    theirD1->console()->editor()->setText(
        QStringLiteral("SELECT count(*) FROM notes; DELETE FROM notes;"));
    QSignalSpy ran(theirD1->console(), &SqlConsole::finished);
    theirD1->console()->runAll();
    QVERIFY(ran.wait(10000));
    QVERIFY2(theirD1->console()->statusText().contains(QLatin1String("read-only")),
             qPrintable(theirD1->console()->statusText()));
    auto* theirR2 = qobject_cast<R2Browser*>(window.openStore(stores[5]));
    QVERIFY(theirR2 && theirR2->model()->readOnly());
    QTRY_COMPARE(theirR2->model()->rowCount(), 2); // bin/ and docs/

    QSignalSpy imported(window.dataPane(), &DataPane::imported);
    window.dataPane()->importWranglerState(project.filePath(QStringLiteral(".wrangler/state/v3")),
                                           false);
    QVERIFY(imported.wait(30000));
    QCOMPARE(imported.first().at(2).toString(), QString());
    const QStringList done = imported.first().at(0).toStringList();
    QCOMPARE(done.size(), 3);
    QVERIFY2(done.at(1) == QLatin1String("D1 DB: 1 tables"),
             qPrintable(done.join(QLatin1Char('|'))));
    QVERIFY(imported.first().at(1).toStringList().isEmpty());

    HttpCallRequest request;
    request.url = QUrl(QStringLiteral("/"));
    window.composer()->setRequest(request);
    QSignalSpy responded(window.composer(), &ComposerPane::responded);
    window.composer()->send();
    QVERIFY(responded.wait(20000));
    QCOMPARE(responded.first().at(0).value<HttpCallResponse>().body,
             QByteArray("hello from wrangler / 2 notes / R2 text"));

    auto* kv = qobject_cast<KvBrowser*>(window.openStore(window.dataPane()->stores()[0]));
    QVERIFY(kv);
    QTRY_VERIFY(kv->model()->rowCount() >= 3); // "temp" expires an hour after the fixture was made
    QCOMPARE(kv->model()->index(0, 0).data().toString(), QStringLiteral("greeting"));
    window.runtime()->stop();
}

QTEST_MAIN(TestWranglerImport)
#include "test_wranglerimport.moc"
