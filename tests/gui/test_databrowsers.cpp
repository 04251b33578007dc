// The data browsers in the real studio against a real `kiln dev` on examples/notes
// (offscreen): the Data area lists the config's stores; the KV browser shows what the worker
// wrote as it writes it, and a value edited there is what the worker reads next; the D1
// browser's console runs queries, its grid edits a row the worker then returns.

#include "copytree.h"
#include "d1tablemodel.h"
#include "editor/codeeditor.h"
#include "kilnprocess.h"
#include "kvkeysmodel.h"
#include "r2objectsmodel.h"
#include "ui/composerpane.h"
#include "ui/d1browser.h"
#include "ui/d1migrationsview.h"
#include "ui/d1schemadialog.h"
#include "ui/d1tableview.h"
#include "ui/datapane.h"
#include "ui/editorarea.h"
#include "ui/kvbrowser.h"
#include "ui/mainwindow.h"
#include "ui/r2browser.h"
#include "ui/sqlconsole.h"
#include "ui/valueview.h"

#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace kiln;
using kiln::test::copyTree;

class TestDataBrowsers : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void dataAreaListsTheConfigsStores();
    void kvBrowserFollowsTheWorkerAndItsEditsReachIt();
    void d1ConsoleAndGridEditsReachTheWorker();
    void consoleFormatsSql();
    void migrationsListedAndApplied();
    void schemaDialogChangesTheTable();
    void r2BrowserUploadsWhatTheWorkerServes();
    void anotherProjectClosesTheseTabs();

private:
    HttpCallResponse get(const QString& path);
    QTemporaryDir m_project;
    std::unique_ptr<MainWindow> m_window;
};

void TestDataBrowsers::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/notes"),
                     m_project.path()));
    m_window = std::make_unique<MainWindow>();
    m_window->runtime()->setExecutable(qEnvironmentVariable("KILN_BIN"));
    QVERIFY(m_window->openProject(m_project.path()));
    m_window->resize(1366, 768);
    m_window->show();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->runtime()->state() == KilnProcess::State::Running, 60000);
}

void TestDataBrowsers::cleanupTestCase() {
    if (m_window) m_window->runtime()->stop();
    m_window.reset();
}

HttpCallResponse TestDataBrowsers::get(const QString& path) {
    HttpCallRequest request;
    request.url = QUrl(path);
    if (path.startsWith(QLatin1String("PUT "))) {
        request.method = "PUT";
        request.url = QUrl(path.section(QLatin1Char(' '), 1, 1));
        request.body = path.section(QLatin1Char(' '), 2).toUtf8();
        request.headers.append(qMakePair(QByteArray("content-type"), QByteArray("text/plain")));
    }
    if (path.startsWith(QLatin1String("POST "))) {
        request.method = "POST";
        request.url = QUrl(path.section(QLatin1Char(' '), 1, 1));
        request.body = path.section(QLatin1Char(' '), 2).toUtf8();
    }
    m_window->composer()->setRequest(request);
    QSignalSpy responded(m_window->composer(), &ComposerPane::responded);
    m_window->composer()->send();
    if (!responded.wait(20000)) return {};
    return responded.first().at(0).value<HttpCallResponse>();
}

void TestDataBrowsers::dataAreaListsTheConfigsStores() {
    const auto& stores = m_window->dataPane()->stores();
    QCOMPARE(stores.size(), size_t(3));
    QCOMPARE(stores[0].binding, QStringLiteral("VIEWS"));
    QCOMPARE(stores[0].kind, StoreKind::Kv);
    QCOMPARE(stores[1].kind, StoreKind::D1);
    QCOMPARE(stores[2].kind, StoreKind::R2);
    QTreeWidget* tree = m_window->dataPane()->tree();
    const auto found =
        tree->findItems(QStringLiteral("VIEWS"), Qt::MatchStartsWith | Qt::MatchRecursive);
    QCOMPARE(found.size(), 1);
    QCOMPARE(found.first()->text(0), QStringLiteral("VIEWS  (notes-views)"));
}

void TestDataBrowsers::kvBrowserFollowsTheWorkerAndItsEditsReachIt() {
    auto* browser =
        qobject_cast<KvBrowser*>(m_window->openStore(m_window->dataPane()->stores()[0]));
    QVERIFY(browser);
    QCOMPARE(m_window->editors()->currentWidget(), browser);
    QCOMPARE(m_window->openStore(m_window->dataPane()->stores()[0]), browser); // one tab each
    QTRY_VERIFY(browser->statusText() == QLatin1String("0 key(s)") ||
                browser->statusText().startsWith(QLatin1String("No data yet")));

    QCOMPARE(get(QStringLiteral("POST /notes first")).status, 201);
    QCOMPARE(get(QStringLiteral("POST /notes second")).status, 201);
    QVERIFY(get(QStringLiteral("/notes/1")).body.contains("\"views\": 1"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 1, 3000);
    QCOMPARE(browser->view()->model()->index(0, 0).data().toString(), QStringLiteral("views:1"));
    QVERIFY(get(QStringLiteral("/notes/2")).body.contains("\"views\": 1"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 2, 3000);

    // Pick views:1 (a click on its row), see its value, change it, save.
    browser->view()->selectRow(0);
    QTRY_COMPARE(browser->valueView()->text(), QStringLiteral("1"));
    browser->valueView()->setText(QStringLiteral("41"));
    QSignalSpy saved(browser, &KvBrowser::saved);
    browser->save();
    QVERIFY(saved.wait(10000));
    QCOMPARE(saved.first().at(0).toString(), QString());
    QVERIFY(browser->statusText().startsWith(QLatin1String("Saved views:1")));

    // The worker reads what the browser wrote, and its write shows in the browser.
    QVERIFY(get(QStringLiteral("/notes/1")).body.contains("\"views\": 42"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->valueView()->text(), QStringLiteral("42"), 3000);

    // Metadata being typed is not overwritten when the worker changes the key meanwhile.
    auto* metadata = browser->findChild<QLineEdit*>(QStringLiteral("kvMetadata"));
    QVERIFY(metadata);
    QTest::keyClicks(metadata, QStringLiteral("{\"note\": 1}"));
    QSignalSpy refreshed(browser->model(), &KvKeysModel::loaded);
    QVERIFY(get(QStringLiteral("/notes/1")).body.contains("\"views\": 43"));
    QTRY_VERIFY(!refreshed.isEmpty()); // the re-read after the worker's write (often during get)
    // One more read through the same loader: its answer comes after any the browser asked for.
    bool flushed = false;
    browser->model()->loadValue("views:1", [&](auto) { flushed = true; });
    QTRY_VERIFY(flushed);
    QCOMPARE(metadata->text(), QStringLiteral("{\"note\": 1}"));
    QCOMPARE(browser->valueView()->text(), QStringLiteral("42")); // left as the person saw it

    // Delete (without the question) takes the key away for the worker too.
    browser->view()->selectRow(1);
    browser->deleteSelected(false);
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 1, 3000);
    QVERIFY(get(QStringLiteral("/notes/2")).body.contains("\"views\": 1"));
}

void TestDataBrowsers::d1ConsoleAndGridEditsReachTheWorker() {
    auto* browser =
        qobject_cast<D1Browser*>(m_window->openStore(m_window->dataPane()->stores()[1]));
    QVERIFY(browser);
    QTRY_VERIFY(!browser->schemaTree()
                     ->findItems(QStringLiteral("notes"), Qt::MatchExactly | Qt::MatchRecursive)
                     .isEmpty());

    // The console: two statements, each with its result tab, and the summary.
    SqlConsole* console = browser->console();
    console->editor()->setText(
        QStringLiteral("INSERT INTO notes (text) VALUES ('from the console');\nSELECT id, text "
                       "FROM notes ORDER BY id;"));
    QSignalSpy finished(console, &SqlConsole::finished);
    console->runAll();
    QVERIFY(finished.wait(10000));
    QVERIFY2(console->statusText().startsWith(QLatin1String("2 statement(s)")),
             qPrintable(console->statusText()));
    QCOMPARE(console->results()->count(), 2); // Summary + the SELECT's rows
    auto* grid = qobject_cast<QTableView*>(console->results()->widget(1));
    QVERIFY(grid);
    QCOMPARE(grid->model()->rowCount(), 3);
    QCOMPARE(grid->model()->index(2, 1).data().toString(), QStringLiteral("from the console"));
    QVERIFY(get(QStringLiteral("/notes/3")).body.contains("from the console"));

    // An error stops the run and is marked at its line.
    console->editor()->setText(QStringLiteral("SELECT 1;\nSELECT nope FROM notes;"));
    finished.clear();
    console->runAll();
    QVERIFY(finished.wait(10000));
    QVERIFY2(console->statusText().contains(QLatin1String("line 2, column 8")),
             qPrintable(console->statusText()));
    QCOMPARE(console->editor()->errorLine(), 2);

    // The grid: edit a cell, apply (the review step skipped), the worker returns the edit.
    D1TableView* table = browser->openTable(QStringLiteral("notes"));
    QTRY_COMPARE(table->model()->rowCount(), 3);
    QTRY_COMPARE(table->model()->index(0, 1).data().toString(), QStringLiteral("first"));
    QVERIFY(table->model()->setData(table->model()->index(0, 1), QStringLiteral("edited"),
                                    Qt::EditRole));
    QSignalSpy applied(table, &D1TableView::applied);
    table->apply(false);
    QVERIFY(applied.wait(10000));
    QCOMPARE(applied.first().at(0).toString(), QString());
    QVERIFY(get(QStringLiteral("/notes/1")).body.contains("\"text\": \"edited\""));
}

// Format goes through sqlparse (Debian's python3-sqlparse) and is one undo step.
void TestDataBrowsers::consoleFormatsSql() {
    if (!QFileInfo::exists(QStringLiteral("/usr/lib/python3/dist-packages/sqlparse/__main__.py")) &&
        QStandardPaths::findExecutable(QStringLiteral("sqlformat")).isEmpty())
        QSKIP("no SQL formatter (installers/bootstrap.sh installs python3-sqlparse)");
    auto* browser =
        qobject_cast<D1Browser*>(m_window->openStore(m_window->dataPane()->stores()[1]));
    QVERIFY(browser);
    SqlConsole* console = browser->console();
    const QString original = QStringLiteral("select id,text from notes where id=1");
    console->editor()->setText(original);
    QSignalSpy finished(console, &SqlConsole::finished);
    console->format();
    QVERIFY(finished.wait(10000));
    // Keywords upper-cased, one clause a line.
    QCOMPARE(console->editor()->text().trimmed(),
             QStringLiteral("SELECT id,text\nFROM notes\nWHERE id=1"));
    console->editor()->undo();
    QCOMPARE(console->editor()->text(), original);
}

// The config's migrations folder: 0001_notes.sql is pending (the worker made the table
// itself); Apply Pending runs `kiln d1 migrations apply` and it is recorded as applied.
void TestDataBrowsers::migrationsListedAndApplied() {
    auto* browser =
        qobject_cast<D1Browser*>(m_window->openStore(m_window->dataPane()->stores()[1]));
    QVERIFY(browser && browser->migrations());
    D1MigrationsView* migrations = browser->migrations();
    QCOMPARE(migrations->list()->topLevelItemCount(), 1);
    QCOMPARE(migrations->list()->topLevelItem(0)->text(0), QStringLiteral("0001_notes.sql"));
    QCOMPARE(migrations->list()->topLevelItem(0)->text(1), QStringLiteral("pending"));
    QSignalSpy applied(migrations, &D1MigrationsView::applied);
    migrations->applyPending();
    QVERIFY(applied.wait(30000));
    QVERIFY2(applied.first().at(0).toBool(), qPrintable(migrations->statusText()));
    QCOMPARE(migrations->list()->topLevelItem(0)->text(1), QStringLiteral("applied"));
    QCOMPARE(migrations->pendingCount(), 0);
    QVERIFY(get(QStringLiteral("/notes")).status == 200); // the worker is unharmed
}

// The schema dialog composes the statement it shows; the browser runs it through the
// store code; the schema tree and the worker see the new column; a refused change says why.
void TestDataBrowsers::schemaDialogChangesTheTable() {
    auto* browser =
        qobject_cast<D1Browser*>(m_window->openStore(m_window->dataPane()->stores()[1]));
    QVERIFY(browser);
    QTRY_VERIFY(browser->columns().contains(QStringLiteral("notes")));
    D1SchemaDialog dialog(browser->columns(), {}, QStringLiteral("notes"));
    dialog.setOperation(D1SchemaDialog::AddColumn);
    dialog.setField(QStringLiteral("definition"),
                    QStringLiteral("pinned INTEGER NOT NULL DEFAULT 0"));
    QCOMPARE(dialog.sql(),
             QStringLiteral("ALTER TABLE \"notes\" ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"));
    dialog.setOperation(D1SchemaDialog::CreateIndex);
    dialog.setField(QStringLiteral("name"), QStringLiteral("by text"));
    dialog.setField(QStringLiteral("table"), QStringLiteral("notes"));
    dialog.setField(QStringLiteral("columns"), QStringLiteral("text, created"));
    dialog.setField(QStringLiteral("unique"), QStringLiteral("1"));
    QCOMPARE(
        dialog.sql(),
        QStringLiteral("CREATE UNIQUE INDEX \"by text\" ON \"notes\" (\"text\", \"created\");"));

    QSignalSpy changed(browser, &D1Browser::schemaChanged);
    browser->runSchemaChange(
        QStringLiteral("ALTER TABLE \"notes\" ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;"));
    QVERIFY(changed.wait(10000));
    QCOMPARE(changed.first().at(0).toString(), QString());
    QTRY_VERIFY(
        browser->columns().value(QStringLiteral("notes")).contains(QStringLiteral("pinned")));
    QVERIFY(get(QStringLiteral("/notes")).status == 200);
    changed.clear();
    browser->runSchemaChange(QStringLiteral("ALTER TABLE \"notes\" DROP COLUMN \"nope\";"));
    QVERIFY(changed.wait(10000));
    QVERIFY2(changed.first().at(0).toString().contains(QLatin1String("no such column")),
             qPrintable(changed.first().at(0).toString()));
    QVERIFY(browser->statusText().startsWith(QLatin1String("Not changed:")));
}

// The R2 browser: the worker's upload shows as a folder; its object previews; a file the
// browser uploads is what the worker serves (with its content type); a delete reaches it.
void TestDataBrowsers::r2BrowserUploadsWhatTheWorkerServes() {
    auto* browser =
        qobject_cast<R2Browser*>(m_window->openStore(m_window->dataPane()->stores()[2]));
    QVERIFY(browser);
    QCOMPARE(get(QStringLiteral("PUT /files/docs/hello.txt hello from the worker")).status, 201);
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 1, 3000);
    QCOMPARE(browser->view()->model()->index(0, 0).data().toString(), QStringLiteral("docs/"));
    browser->enterFolder("docs/");
    QCOMPARE(browser->breadcrumbs(), QStringList({"FILES", "docs"}));
    QTRY_COMPARE(browser->model()->rowCount(), 1);
    browser->view()->selectRow(0);
    QTRY_COMPARE(browser->preview()->text(), QStringLiteral("hello from the worker"));
    QVERIFY2(browser->details().contains(QLatin1String("\"contentType\":\"text/plain\"")),
             qPrintable(browser->details()));

    QTemporaryDir files;
    const QString local = files.filePath(QStringLiteral("data.json"));
    QFile file(local);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"uploaded": "by the studio"})");
    file.close();
    QSignalSpy idle(browser, &R2Browser::idle);
    browser->uploadFiles({local});
    QVERIFY(idle.wait(20000));
    QCOMPARE(browser->statusText(), QStringLiteral("Done"));
    const HttpCallResponse served = get(QStringLiteral("/files/docs/data.json"));
    QCOMPARE(served.body, QByteArray(R"({"uploaded": "by the studio"})"));
    QCOMPARE(served.header("content-type"), QByteArray("application/json"));
    QTRY_COMPARE(browser->model()->rowCount(), 2);

    // Download both into a folder, then delete both; the worker no longer finds them.
    browser->view()->selectAll();
    idle.clear();
    browser->downloadSelected(files.path());
    QVERIFY(idle.wait(20000));
    QFile back(files.filePath(QStringLiteral("hello.txt")));
    QVERIFY(back.open(QIODevice::ReadOnly));
    QCOMPARE(back.readAll(), QByteArray("hello from the worker"));
    idle.clear();
    browser->deleteSelected(false);
    QVERIFY(idle.wait(20000));
    QCOMPARE(get(QStringLiteral("/files/docs/data.json")).status, 404);
    QTRY_COMPARE(browser->model()->rowCount(), 0);
}

// Opening another project closes the last one's editors and browsers (their stores are
// not the new project's), and the Data area lists the new project's stores.
void TestDataBrowsers::anotherProjectClosesTheseTabs() {
    QVERIFY(m_window->editors()->count() >= 3); // entry.py, KV: VIEWS, D1: DB
    QPointer<QWidget> browser = m_window->openStore(m_window->dataPane()->stores()[0]);
    QTemporaryDir hello;
    QVERIFY(copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/hello"),
                     hello.path()));
    QVERIFY(m_window->openProject(hello.path(), false));
    QCOMPARE(m_window->editors()->count(), 1);
    QVERIFY(m_window->editors()->current()->path().endsWith(QLatin1String("src/entry.py")));
    QTRY_VERIFY(browser.isNull()); // deleted, not only hidden
    QVERIFY(m_window->dataPane()->stores().empty());
}

QTEST_MAIN(TestDataBrowsers)
#include "test_databrowsers.moc"
