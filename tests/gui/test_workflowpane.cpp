// The workflow pane in the real studio against a real `kiln dev` on examples/orders
// (offscreen): the Data area lists the workflow; its timeline draws a retried step's failed
// attempts red with the error on hover and the waits between them hatched; a running wait
// grows as time passes; the pane's buttons pause, resume, send the event, restart from a
// step, create and delete instances, and the running worker follows each. Its models pass
// QAbstractItemModelTester.

#include "copytree.h"
#include "editor/codeeditor.h"
#include "kilndevprocess.h"
#include "kilnprocess.h"
#include "ui/datapane.h"
#include "ui/editorarea.h"
#include "ui/mainwindow.h"
#include "ui/workflowbrowser.h"
#include "ui/workflowtimeline.h"
#include "workflowdocument.h"
#include "workflowinstancesmodel.h"
#include "workflowstepsmodel.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace kiln;
using kiln::test::copyTree;

class TestWorkflowPane : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void timelineDrawsRetriesAndErrors();
    void runningWaitGrowsAndControlsReachTheWorker();
    void restartFromStepCreateAndDelete();
    void searchZoomAndCompare();

private:
    QString post(const QByteArray& path, const QByteArray& body);
    QString status(const QString& id);
    int stepRow(const QString& name) const;
    QTemporaryDir m_project;
    std::unique_ptr<MainWindow> m_window;
    WorkflowBrowser* m_browser = nullptr;
    QString m_retried;
};

void TestWorkflowPane::initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(copyTree(qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/orders"),
                     m_project.path()));
    m_window = std::make_unique<MainWindow>();
    m_window->runtime()->setExecutable(qEnvironmentVariable("KILN_BIN"));
    QVERIFY(m_window->openProject(m_project.path()));
    m_window->resize(1366, 768);
    m_window->show();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->runtime()->state() == KilnProcess::State::Running, 60000);
    // The Data area lists the workflow; opening it gives the pane.
    StoreLocation flow;
    for (const StoreLocation& s : m_window->dataPane()->stores())
        if (s.kind == StoreKind::Workflow) flow = s;
    QCOMPARE(flow.binding, QStringLiteral("ORDERS"));
    QCOMPARE(flow.id, QStringLiteral("orders"));
    m_browser = qobject_cast<WorkflowBrowser*>(m_window->openStore(flow));
    QVERIFY(m_browser);
    new QAbstractItemModelTester(m_browser->document()->instances(),
                                 QAbstractItemModelTester::FailureReportingMode::QtTest, this);
    new QAbstractItemModelTester(m_browser->document()->steps(),
                                 QAbstractItemModelTester::FailureReportingMode::QtTest, this);
}

void TestWorkflowPane::cleanupTestCase() {
    m_window->runtime()->stop();
    m_window.reset();
}

QString TestWorkflowPane::post(const QByteArray& path, const QByteArray& body) {
    const auto r = kiln::test::httpRequest(m_window->runtime()->port(), "POST", path,
                                           {{"content-type", "application/json"}}, body);
    return QJsonDocument::fromJson(r.body).object().value(QStringLiteral("id")).toString();
}

QString TestWorkflowPane::status(const QString& id) {
    const int row = m_browser->document()->instances()->rowOf(id);
    return row < 0 ? QString()
                   : workflowStatusName(m_browser->document()->instances()->instance(row).status);
}

int TestWorkflowPane::stepRow(const QString& name) const {
    const WorkflowStepsModel* steps = m_browser->document()->steps();
    for (int r = 0; r < steps->rowCount(); ++r)
        if (steps->step(r).name == name) return r;
    return -1;
}

void TestWorkflowPane::timelineDrawsRetriesAndErrors() {
    m_retried = post("/orders", R"({"items":[{"sku":"mug","qty":2,"cents":1250}],"declines":2})");
    QVERIFY(!m_retried.isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(status(m_retried), QStringLiteral("complete"), 30000);
    m_browser->selectInstances({m_retried});
    QTRY_COMPARE_WITH_TIMEOUT(m_browser->document()->steps()->rowCount(), 6, 5000);
    QVERIFY(m_browser->countsText().contains(QLatin1String("1 complete")));
    const int charge = stepRow(QStringLiteral("charge card"));
    QVERIFY(charge >= 0);
    WorkflowTimeline* timeline = m_browser->timeline();
    timeline->fit();
    const auto segments = timelineSegments(m_browser->document()->steps()->step(charge), 0);
    QCOMPARE(int(segments.size()), 5);
    QCOMPARE(segments[0].kind, TimelineSegment::AttemptFailed);
    QCOMPARE(segments[1].kind, TimelineSegment::RetryWait);
    QCOMPARE(segments[2].kind, TimelineSegment::AttemptFailed);
    QCOMPARE(segments[3].kind, TimelineSegment::RetryWait);
    QCOMPARE(segments[4].kind, TimelineSegment::AttemptSucceeded);
    QVERIFY(segments[0].text.contains(QLatin1String("RuntimeError: card declined by the issuer")));
    // What a person sees: the failed attempt's bar is red, the wait after it is hatched (red
    // lines on the row's background), the last attempt green.
    const QImage image = timeline->viewport()->grab().toImage();
    const QRect failed = timeline->segmentRect(charge, 0);
    QVERIFY2(failed.width() >= 1, "the failed attempt has no bar");
    const QColor red = image.pixelColor(failed.center());
    QVERIFY2(red.red() > 180 && red.green() < 110, qPrintable(red.name()));
    const QRect wait = timeline->segmentRect(charge, 1);
    QVERIFY2(wait.width() >= 8, qPrintable(QStringLiteral("retry wait %1 px").arg(wait.width())));
    int reddish = 0, plain = 0;
    for (int x = wait.left() + 2; x < wait.right() - 1; ++x) {
        const QColor c = image.pixelColor(x, wait.center().y());
        (c.red() > 180 && c.green() < 110 ? reddish : plain)++;
    }
    QVERIFY2(reddish > 0 && plain > 0, "the retry wait is not hatched");
    const QColor green = image.pixelColor(timeline->segmentRect(charge, 4).center());
    QVERIFY2(green.green() > 130 && green.red() < 120, qPrintable(green.name()));
    // The hit test under the failed bar finds it (the tooltip's text).
    QCOMPARE(timeline->segmentAt(failed.center()), std::make_pair(charge, 0));
    // Choosing the step shows its output, config and the line that declared it.
    timeline->selectRow(charge);
    const QString details = m_browser->details()->toPlainText();
    QVERIFY2(details.contains(QLatin1String("\"charged\": true")), qPrintable(details));
    QVERIFY(details.contains(QLatin1String("\"backoff\": \"exponential\"")));
    QVERIFY(details.contains(QLatin1String("Attempt 1 failed: RuntimeError")));
    QVERIFY(details.contains(QLatin1String("src/entry.py:")));
    // Double-clicking the step opens the editor on the line that declared it.
    QTest::mouseDClick(timeline->viewport(), Qt::LeftButton, {}, failed.center());
    QTRY_VERIFY(m_window->editors()->current() &&
                m_window->editors()->current()->path().endsWith(QLatin1String("src/entry.py")));
    int line = 0, index = 0;
    m_window->editors()->current()->getCursorPosition(&line, &index);
    QVERIFY2(m_window->editors()->current()->text(line).contains(QLatin1String("charge card")),
             qPrintable(m_window->editors()->current()->text(line)));
}

void TestWorkflowPane::runningWaitGrowsAndControlsReachTheWorker() {
    const QString id =
        post("/orders", R"({"items":[{"sku":"cup","qty":1,"cents":900}],"approval":true})");
    QTRY_COMPARE_WITH_TIMEOUT(status(id), QStringLiteral("waiting"), 30000);
    m_browser->selectInstances({id});
    QTRY_VERIFY(stepRow(QStringLiteral("manager approval")) >= 0);
    const int wait = stepRow(QStringLiteral("manager approval"));
    WorkflowTimeline* timeline = m_browser->timeline();
    // A fixed window, so the growing bar grows on screen.
    const qint64 start = m_browser->document()->steps()->timeRange().first;
    timeline->setView(start - 500, 20000);
    const auto barOf = [&] {
        const auto s =
            timelineSegments(m_browser->document()->steps()->step(wait), timeline->now());
        return s.empty() ? QRect() : timeline->segmentRect(wait, 0);
    };
    QCOMPARE(timelineSegments(m_browser->document()->steps()->step(wait), 0).front().kind,
             TimelineSegment::EventWait);
    const int before = barOf().width();
    QTRY_VERIFY_WITH_TIMEOUT(barOf().width() > before + 5, 5000);

    // Pause from the pane: the engine parks the run, an event sent meanwhile waits.
    m_browser->findChild<QToolButton*>(QStringLiteral("wfPause"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(status(id), QStringLiteral("paused"), 10000);
    m_browser->sendEvent(QStringLiteral("approval"), R"({"ok": true})");
    QTRY_VERIFY(m_browser->statusText().contains(QLatin1String("Send event: done")));
    QTest::qWait(800);
    QCOMPARE(status(id), QStringLiteral("paused"));
    m_browser->findChild<QToolButton*>(QStringLiteral("wfResume"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(status(id), QStringLiteral("complete"), 20000);
    const auto r =
        kiln::test::httpRequest(m_window->runtime()->port(), "GET", "/orders/" + id.toUtf8());
    QVERIFY2(r.body.contains("\"total\": 900"), r.body.constData());
}

void TestWorkflowPane::restartFromStepCreateAndDelete() {
    // Restart the retried order from its cool-down: the steps before it are kept.
    m_browser->selectInstances({m_retried});
    QTRY_VERIFY(m_browser->document()->steps()->instances() == QStringList{m_retried} &&
                stepRow(QStringLiteral("cool down")) >= 0);
    const int charge = stepRow(QStringLiteral("charge card"));
    const qint64 chargeStart = m_browser->document()->steps()->step(charge).startedMs;
    const qint64 coolStart =
        m_browser->document()->steps()->step(stepRow(QStringLiteral("cool down"))).startedMs;
    m_browser->timeline()->selectRow(stepRow(QStringLiteral("cool down")));
    auto* restartFrom = m_browser->findChild<QToolButton*>(QStringLiteral("wfRestartFrom"));
    QVERIFY(restartFrom->isEnabled());
    restartFrom->click();
    QTRY_VERIFY2_WITH_TIMEOUT(
        stepRow(QStringLiteral("cool down")) >= 0 &&
            m_browser->document()->steps()->step(stepRow(QStringLiteral("cool down"))).startedMs >
                coolStart,
        qPrintable(m_browser->statusText()), 20000);
    QTRY_COMPARE_WITH_TIMEOUT(status(m_retried), QStringLiteral("complete"), 20000);
    QCOMPARE(m_browser->document()->steps()->step(stepRow(QStringLiteral("charge card"))).startedMs,
             chargeStart);

    // Create from the pane: the running worker picks the instance up and runs it.
    m_browser->createInstance(QStringLiteral("from-studio"),
                              R"({"items":[{"sku":"bowl","qty":4,"cents":300}]})");
    QTRY_COMPARE_WITH_TIMEOUT(status(QStringLiteral("from-studio")), QStringLiteral("complete"),
                              30000);
    m_browser->createInstance(QStringLiteral("from-studio"), "{}");
    QTRY_VERIFY(m_browser->statusText().contains(QLatin1String("instance.already_exists")));
    // Terminate refuses a finished instance, with Cloudflare's words.
    m_browser->selectInstances({QStringLiteral("from-studio")});
    m_browser->control(WorkflowAction::Terminate);
    QTRY_VERIFY(m_browser->statusText().contains(QLatin1String("instance.cannot_terminate")));
    // Delete it.
    m_browser->deleteSelected(false);
    QTRY_COMPARE(m_browser->document()->instances()->rowOf(QStringLiteral("from-studio")), -1);
}

void TestWorkflowPane::searchZoomAndCompare() {
    // Two instances on one axis: each step once per instance, labelled by instance.
    const QString other = post("/orders", R"({"items":[{"sku":"jar","qty":1,"cents":400}]})");
    QTRY_COMPARE_WITH_TIMEOUT(status(other), QStringLiteral("complete"), 30000);
    m_browser->selectInstances({m_retried, other});
    QTRY_COMPARE(m_browser->document()->steps()->rowCount(), 12);
    WorkflowTimeline* timeline = m_browser->timeline();
    timeline->setFilter(QStringLiteral("CHARGE"));
    QCOMPARE(timeline->visibleRows(), 2);
    timeline->setFilter({});
    QCOMPARE(timeline->visibleRows(), 12);
    timeline->fit();
    const qint64 span = timeline->viewSpan();
    timeline->zoomIn();
    QCOMPARE(timeline->viewSpan(), span / 2);
    timeline->zoomOut();
    QVERIFY(qAbs(timeline->viewSpan() - span) <= 1);
    // Dragging pans.
    const qint64 start = timeline->viewStart();
    const QPoint from(WorkflowTimeline::kLabelWidth + 200, WorkflowTimeline::kAxisHeight + 5);
    QTest::mousePress(timeline->viewport(), Qt::LeftButton, {}, from);
    QTest::mouseMove(timeline->viewport(), from + QPoint(100, 0));
    QTest::mouseRelease(timeline->viewport(), Qt::LeftButton, {}, from + QPoint(100, 0));
    QVERIFY(timeline->viewStart() < start);
    // The status filter keeps only what matches.
    m_browser->setStatusFilter(QStringLiteral("complete"));
    QVERIFY(m_browser->instancesView()->model()->rowCount() >= 3);
    m_browser->setStatusFilter(QStringLiteral("errored"));
    QCOMPARE(m_browser->instancesView()->model()->rowCount(), 0);
    m_browser->setStatusFilter({});
}

QTEST_MAIN(TestWorkflowPane)
#include "test_workflowpane.moc"
