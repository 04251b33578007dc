// The data browsers in the real studio against a real `kiln dev` (offscreen): the Data area
// lists the config's stores; the KV browser shows what the worker wrote as it writes it, and
// a value edited there is what the worker reads on its next request.

#include "copytree.h"
#include "kilnprocess.h"
#include "kvkeysmodel.h"
#include "ui/composerpane.h"
#include "ui/datapane.h"
#include "ui/editorarea.h"
#include "ui/kvbrowser.h"
#include "ui/mainwindow.h"
#include "ui/valueview.h"

#include <QFile>
#include <QLabel>
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

private:
    HttpCallResponse get(const QString& path);
    QTemporaryDir m_project;
    std::unique_ptr<MainWindow> m_window;
};

void TestDataBrowsers::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") +
                         QStringLiteral("/resources/templates/kv-counter"),
                     m_project.path()));
    QFile config(m_project.filePath(QStringLiteral("wrangler.jsonc")));
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QByteArray text = config.readAll().replace("<YOUR_KV_NAMESPACE_ID>", "counts-ns");
    config.close();
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(text);
    config.close();
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
    m_window->composer()->setRequest(request);
    QSignalSpy responded(m_window->composer(), &ComposerPane::responded);
    m_window->composer()->send();
    if (!responded.wait(20000)) return {};
    return responded.first().at(0).value<HttpCallResponse>();
}

void TestDataBrowsers::dataAreaListsTheConfigsStores() {
    const auto& stores = m_window->dataPane()->stores();
    QCOMPARE(stores.size(), size_t(1));
    QCOMPARE(stores[0].binding, QStringLiteral("COUNTS"));
    QCOMPARE(stores[0].kind, StoreKind::Kv);
    QTreeWidget* tree = m_window->dataPane()->tree();
    const auto found =
        tree->findItems(QStringLiteral("COUNTS"), Qt::MatchStartsWith | Qt::MatchRecursive);
    QCOMPARE(found.size(), 1);
    QCOMPARE(found.first()->text(0), QStringLiteral("COUNTS  (counts-ns)"));
}

void TestDataBrowsers::kvBrowserFollowsTheWorkerAndItsEditsReachIt() {
    auto* browser =
        qobject_cast<KvBrowser*>(m_window->openStore(m_window->dataPane()->stores()[0]));
    QVERIFY(browser);
    QCOMPARE(m_window->editors()->currentWidget(), browser);
    QCOMPARE(m_window->openStore(m_window->dataPane()->stores()[0]), browser); // one tab each
    // `kiln dev` made the namespace's file at start; nothing is in it yet.
    QTRY_COMPARE(browser->statusText(), QStringLiteral("0 key(s)"));

    QVERIFY(get(QStringLiteral("/hello")).body.contains("visited 1 time"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 1, 3000);
    QCOMPARE(browser->view()->model()->index(0, 0).data().toString(), QStringLiteral("/hello"));
    QVERIFY(get(QStringLiteral("/other")).body.contains("visited 1 time"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 2, 3000);

    // Pick /hello (a click on its row), see its value, change it, save.
    browser->view()->selectRow(0);
    QTRY_COMPARE(browser->valueView()->text(), QStringLiteral("1"));
    browser->valueView()->setText(QStringLiteral("41"));
    QSignalSpy saved(browser, &KvBrowser::saved);
    browser->save();
    QVERIFY(saved.wait(10000));
    QCOMPARE(saved.first().at(0).toString(), QString());
    QVERIFY(browser->statusText().startsWith(QLatin1String("Saved /hello")));

    // The worker reads what the browser wrote, and its write shows in the browser.
    QVERIFY(get(QStringLiteral("/hello")).body.contains("visited 42 time"));
    QTRY_COMPARE_WITH_TIMEOUT(browser->valueView()->text(), QStringLiteral("42"), 3000);

    // Delete (without the question) takes the key away for the worker too.
    browser->view()->selectRow(1);
    browser->deleteSelected(false);
    QTRY_COMPARE_WITH_TIMEOUT(browser->model()->rowCount(), 1, 3000);
    QVERIFY(get(QStringLiteral("/other")).body.contains("visited 1 time"));
}

QTEST_MAIN(TestDataBrowsers)
#include "test_databrowsers.moc"
