// File > Import Wrangler State in the real studio: a project that `wrangler dev` ran before
// (tests/fixtures/wrangler-state) gets its KV, D1 and R2 data copied into Kiln's state while
// `kiln dev` runs it, and the worker reads the imported data at once.

#include "copytree.h"
#include "kilnprocess.h"
#include "kvkeysmodel.h"
#include "ui/composerpane.h"
#include "ui/datapane.h"
#include "ui/kvbrowser.h"
#include "ui/mainwindow.h"

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
