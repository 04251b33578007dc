// WorkflowStore, the durable state behind Workflows: instances with Cloudflare's id rules and
// errors, the step log a replay reads back (attempts, retries, waits), events claimed once,
// restart forgetting steps from a chosen one; all of it still there after reopening.
#include "stores/workflowstore.h"

#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestWorkflowStore : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void instancesAndIds();
    void batchIsWholeOrNothing();
    void statusTimesAndResults();
    void stepsAttemptsAndReplay();
    void waitsAndEvents();
    void restartForgetsFromAStep();
    void survivesReopening();
    void controlFollowsCloudflare();
    void staleRunsCannotWrite();
    void interruptedAttemptsAndRemove();

private:
    QString path() const { return m_dir->filePath(QStringLiteral("workflows/orders.sqlite")); }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<WorkflowStore> m_store;
};

void TestWorkflowStore::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_store = std::make_unique<WorkflowStore>(path());
    QVERIFY(m_store->open());
}

void TestWorkflowStore::instancesAndIds() {
    auto a = m_store->create(QStringLiteral("order-1"), R"({"sku": 7})", 1000);
    QVERIFY(a);
    QCOMPARE(a->status, WorkflowStatus::Queued);
    QCOMPARE(a->params, QByteArray(R"({"sku": 7})"));
    QCOMPARE(a->createdMs, 1000);
    auto duplicate = m_store->create(QStringLiteral("order-1"), {}, 1001);
    QVERIFY(!duplicate);
    QCOMPARE(duplicate.error().code, QStringLiteral("instance.already_exists"));
    QCOMPARE(duplicate.error().message,
             QStringLiteral("Workflow instance with id \"order-1\" already exists"));
    for (const QString& bad : {QStringLiteral("-lead"), QStringLiteral("has space"),
                               QStringLiteral("a/b"), QString(101, QLatin1Char('x'))}) {
        auto refused = m_store->create(bad, {}, 1002);
        QVERIFY2(!refused, qPrintable(bad));
        QCOMPARE(refused.error().message, QStringLiteral("Workflow instance has invalid id"));
    }
    QVERIFY(m_store->create(QString(100, QLatin1Char('x')), {}, 1003));
    auto random = m_store->create({}, {}, 1004);
    QVERIFY(random);
    QCOMPARE(random->id.size(), 36); // a UUID
    QCOMPARE(random->params, QByteArray("{}"));
    auto all = m_store->instances();
    QVERIFY(all && all->size() == 3);
    QCOMPARE(all->front().id, random->id); // newest first
    QVERIFY(all->front().seq > all->back().seq);
    QVERIFY(!*m_store->instance(QStringLiteral("nope")));
}

void TestWorkflowStore::batchIsWholeOrNothing() {
    QVERIFY(m_store->create(QStringLiteral("taken"), {}, 1));
    auto batch =
        m_store->createBatch({{QStringLiteral("b1"), "{}"}, {QStringLiteral("taken"), "{}"}}, 2);
    QVERIFY(!batch);
    QCOMPARE(batch.error().code, QStringLiteral("instance.already_exists"));
    QVERIFY(!*m_store->instance(QStringLiteral("b1"))); // rolled back with the rest
    auto ok =
        m_store->createBatch({{QStringLiteral("b1"), "{}"}, {QStringLiteral("b2"), "[1]"}}, 3);
    QVERIFY(ok && ok->size() == 2);
    QCOMPARE(ok->at(1).params, QByteArray("[1]"));
}

void TestWorkflowStore::statusTimesAndResults() {
    QVERIFY(m_store->create(QStringLiteral("i"), {}, 10));
    QVERIFY(m_store->setStatus(QStringLiteral("i"), WorkflowStatus::Running, 20));
    QVERIFY(m_store->setStatus(QStringLiteral("i"), WorkflowStatus::Waiting, 30));
    QVERIFY(m_store->setWake(QStringLiteral("i"), 90));
    QCOMPARE((*m_store->instance(QStringLiteral("i")))->wakeMs, std::optional<qint64>(90));
    QVERIFY(m_store->setStatus(QStringLiteral("i"), WorkflowStatus::Running, 90));
    QVERIFY(m_store->setStatus(QStringLiteral("i"), WorkflowStatus::Complete, 100,
                               R"({"done": true})"));
    const WorkflowInstance done = **m_store->instance(QStringLiteral("i"));
    QCOMPARE(done.status, WorkflowStatus::Complete);
    QCOMPARE(done.startedMs, 20); // the first time it ran
    QCOMPARE(done.endedMs, 100);
    QCOMPARE(done.output, QByteArray(R"({"done": true})"));
    QVERIFY(!done.wakeMs);
    QVERIFY(m_store->unfinished()->empty());
    QVERIFY(m_store->create(QStringLiteral("j"), {}, 110));
    QVERIFY(m_store->setStatus(QStringLiteral("j"), WorkflowStatus::Errored, 120, {},
                               QStringLiteral("NonRetryableError"), QStringLiteral("bad input")));
    const WorkflowInstance failed = **m_store->instance(QStringLiteral("j"));
    QCOMPARE(failed.errorName, QStringLiteral("NonRetryableError"));
    QCOMPARE(failed.errorMessage, QStringLiteral("bad input"));
    auto missing = m_store->setStatus(QStringLiteral("nope"), WorkflowStatus::Running, 1);
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, QStringLiteral("instance.not_found"));
    QCOMPARE(workflowStatusName(WorkflowStatus::WaitingForPause),
             QStringLiteral("waitingForPause"));
    QCOMPARE(workflowStatusFromName(QStringLiteral("paused")), WorkflowStatus::Paused);
    QCOMPARE(workflowStatusFromName(QStringLiteral("??")), WorkflowStatus::Unknown);
}

// A step that fails once and is retried, then succeeds; the same name met again in the run
// is a second step; a replay finds the completed output by key.
void TestWorkflowStore::stepsAttemptsAndReplay() {
    QVERIFY(m_store->create(QStringLiteral("i"), {}, 0));
    const QString first = WorkflowStore::stepKey(WorkflowStepKind::Do, QStringLiteral("fetch"), 1);
    auto one =
        m_store->beginAttempt(QStringLiteral("i"), WorkflowStepKind::Do, QStringLiteral("fetch"), 1,
                              R"({"retries": {"limit": 2, "delay": 1000}})", 100);
    QCOMPARE(*one, 1);
    QVERIFY(m_store->endAttempt(QStringLiteral("i"), first, 1, 150, false, {},
                                QStringLiteral("Error"), QStringLiteral("timeout"), 1150));
    auto during = m_store->step(QStringLiteral("i"), first);
    QCOMPARE((*during)->state, QStringLiteral("running")); // waiting for its retry
    QCOMPARE(*m_store->beginAttempt(QStringLiteral("i"), WorkflowStepKind::Do,
                                    QStringLiteral("fetch"), 1, {}, 1150),
             2);
    QVERIFY(m_store->endAttempt(QStringLiteral("i"), first, 2, 1200, true, R"({"ok": 1})", {}, {},
                                std::nullopt));
    QVERIFY(m_store->beginAttempt(QStringLiteral("i"), WorkflowStepKind::Do,
                                  QStringLiteral("fetch"), 2, {}, 1300));
    const auto replay = **m_store->step(QStringLiteral("i"), first);
    QCOMPARE(replay.state, QStringLiteral("complete"));
    QCOMPARE(replay.output, QByteArray(R"({"ok": 1})"));
    QCOMPARE(replay.config,
             QByteArray(R"({"retries": {"limit": 2, "delay": 1000}})")); // first kept
    QCOMPARE(replay.attempts.size(), size_t(2));
    QCOMPARE(replay.attempts[0].errorMessage, QStringLiteral("timeout"));
    QCOMPARE(replay.attempts[0].retryAtMs, std::optional<qint64>(1150));
    QVERIFY(replay.attempts[1].success);
    QCOMPARE(replay.startedMs, 100);
    QCOMPARE(replay.endedMs, 1200);
    auto all = *m_store->steps(QStringLiteral("i"));
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[1].count, 2);
    QCOMPARE(all[1].state, QStringLiteral("running")); // in flight when the run stopped
    QVERIFY(
        !*m_store->step(QStringLiteral("i"),
                        WorkflowStore::stepKey(WorkflowStepKind::Do, QStringLiteral("other"), 1)));
    QVERIFY(WorkflowStore::validStepName(QString(256, QLatin1Char('n'))));
    QVERIFY(!WorkflowStore::validStepName(QString(257, QLatin1Char('n'))));
    QVERIFY(!WorkflowStore::validStepName(QStringLiteral("tab\there")));
}

void TestWorkflowStore::waitsAndEvents() {
    QVERIFY(m_store->create(QStringLiteral("i"), {}, 0));
    QVERIFY(m_store->beginWait(QStringLiteral("i"), WorkflowStepKind::Sleep, QStringLiteral("nap"),
                               1, 10, 3600010));
    const QString nap = WorkflowStore::stepKey(WorkflowStepKind::Sleep, QStringLiteral("nap"), 1);
    QCOMPARE((*m_store->step(QStringLiteral("i"), nap))->untilMs, std::optional<qint64>(3600010));
    QCOMPARE((*m_store->step(QStringLiteral("i"), nap))->state, QStringLiteral("waiting"));
    QVERIFY(m_store->endWait(QStringLiteral("i"), nap, 3600010, true, {}, {}, {}));
    QCOMPARE((*m_store->step(QStringLiteral("i"), nap))->state, QStringLiteral("complete"));

    auto missing = m_store->sendEvent(QStringLiteral("nope"), QStringLiteral("approved"), "{}", 1);
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, QStringLiteral("instance.not_found"));
    QVERIFY(m_store->sendEvent(QStringLiteral("i"), QStringLiteral("approved"), R"({"by": "ann"})",
                               20));
    QVERIFY(m_store->sendEvent(QStringLiteral("i"), QStringLiteral("approved"), R"({"by": "bob"})",
                               30));
    const QString wait1 =
        WorkflowStore::stepKey(WorkflowStepKind::WaitForEvent, QStringLiteral("approval"), 1);
    const QString wait2 =
        WorkflowStore::stepKey(WorkflowStepKind::WaitForEvent, QStringLiteral("approval"), 2);
    auto got = m_store->claimEvent(QStringLiteral("i"), QStringLiteral("approved"), wait1);
    QVERIFY(got && *got);
    QCOMPARE((*got)->payload, QByteArray(R"({"by": "ann"})"));
    // A replay of the same wait gets the same event back, not the next one.
    QCOMPARE((*m_store->claimEvent(QStringLiteral("i"), QStringLiteral("approved"), wait1))->seq,
             (*got)->seq);
    QCOMPARE(
        (*m_store->claimEvent(QStringLiteral("i"), QStringLiteral("approved"), wait2))->payload,
        QByteArray(R"({"by": "bob"})"));
    QVERIFY(!*m_store->claimEvent(
        QStringLiteral("i"), QStringLiteral("approved"),
        WorkflowStore::stepKey(WorkflowStepKind::WaitForEvent, QStringLiteral("approval"), 3)));
    QVERIFY(!*m_store->claimEvent(QStringLiteral("i"), QStringLiteral("other"), wait1));
    QCOMPARE(m_store->events(QStringLiteral("i"))->size(), size_t(2));
}

void TestWorkflowStore::restartForgetsFromAStep() {
    QVERIFY(m_store->create(QStringLiteral("i"), {}, 0));
    for (const char* name : {"a", "b", "c"}) {
        const QString key = WorkflowStore::stepKey(WorkflowStepKind::Do, QLatin1String(name), 1);
        QVERIFY(m_store->beginAttempt(QStringLiteral("i"), WorkflowStepKind::Do,
                                      QLatin1String(name), 1, {}, 1));
        QVERIFY(
            m_store->endAttempt(QStringLiteral("i"), key, 1, 2, true, "1", {}, {}, std::nullopt));
    }
    QVERIFY(m_store->sendEvent(QStringLiteral("i"), QStringLiteral("go"), "{}", 3));
    const QString wait =
        WorkflowStore::stepKey(WorkflowStepKind::WaitForEvent, QStringLiteral("w"), 1);
    QVERIFY(m_store->beginWait(QStringLiteral("i"), WorkflowStepKind::WaitForEvent,
                               QStringLiteral("w"), 1, 4, std::nullopt));
    QVERIFY(*m_store->claimEvent(QStringLiteral("i"), QStringLiteral("go"), wait));
    QVERIFY(m_store->forgetSteps(
        QStringLiteral("i"), WorkflowStore::stepKey(WorkflowStepKind::Do, QStringLiteral("b"), 1)));
    auto left = *m_store->steps(QStringLiteral("i"));
    QCOMPARE(left.size(), size_t(1));
    QCOMPARE(left[0].name, QStringLiteral("a"));
    QVERIFY(m_store->events(QStringLiteral("i"))->at(0).consumedBy.isEmpty()); // back in the queue
    QVERIFY(m_store->forgetSteps(QStringLiteral("i")));
    QVERIFY(m_store->steps(QStringLiteral("i"))->empty());
}

void TestWorkflowStore::survivesReopening() {
    QVERIFY(m_store->create(QStringLiteral("i"), R"({"n": 1})", 5));
    QVERIFY(m_store->beginAttempt(QStringLiteral("i"), WorkflowStepKind::Do, QStringLiteral("s"), 1,
                                  {}, 6));
    m_store.reset();
    WorkflowStore again(path());
    QVERIFY(again.open());
    QCOMPARE((*again.instance(QStringLiteral("i")))->params, QByteArray(R"({"n": 1})"));
    QCOMPARE(again.steps(QStringLiteral("i"))->size(), size_t(1));
    QCOMPARE(again.unfinished()->size(), size_t(1));
}

void TestWorkflowStore::controlFollowsCloudflare() {
    const QString id = QStringLiteral("c");
    QVERIFY(m_store->create(id, {}, 0));
    const auto statusOf = [&] { return (*m_store->instance(id))->status; };
    QVERIFY(*m_store->setStatus(id, WorkflowStatus::Running, 1, {}, {}, {}, 1));
    // Running: pause waits for the step in flight; resume before it pauses goes on running.
    QCOMPARE(*m_store->control(id, WorkflowAction::Pause, 2), WorkflowStatus::WaitingForPause);
    QCOMPARE(*m_store->control(id, WorkflowAction::Resume, 3), WorkflowStatus::Running);
    QVERIFY(*m_store->setStatus(id, WorkflowStatus::Waiting, 4, {}, {}, {}, 1));
    QCOMPARE(*m_store->control(id, WorkflowAction::Pause, 5), WorkflowStatus::Paused);
    const qint64 run = (*m_store->instance(id))->run;
    QCOMPARE(*m_store->control(id, WorkflowAction::Resume, 6), WorkflowStatus::Queued);
    QCOMPARE((*m_store->instance(id))->run, run + 1); // a new run begins
    QCOMPARE(*m_store->control(id, WorkflowAction::Terminate, 7), WorkflowStatus::Terminated);
    QCOMPARE((*m_store->instance(id))->endedMs, 7);
    auto again = m_store->control(id, WorkflowAction::Terminate, 8);
    QVERIFY(!again);
    QCOMPARE(again.error().code, QStringLiteral("instance.cannot_terminate"));
    // Restart from a step that never ran: Cloudflare's error, nothing changed.
    auto from =
        m_store->control(id, WorkflowAction::Restart, 9,
                         WorkflowStore::stepKey(WorkflowStepKind::Do, QStringLiteral("x"), 1));
    QVERIFY(!from);
    QCOMPARE(from.error().code, QStringLiteral("instance.cannot_restart"));
    QCOMPARE(from.error().message, QStringLiteral("Step \"x\" not found in execution history"));
    QCOMPARE(statusOf(), WorkflowStatus::Terminated);
    QCOMPARE(*m_store->control(id, WorkflowAction::Restart, 10), WorkflowStatus::Queued);
    QCOMPARE((*m_store->instance(id))->startedMs, 0);
    auto missing = m_store->control(QStringLiteral("nobody"), WorkflowAction::Pause, 11);
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, QStringLiteral("instance.not_found"));
}

void TestWorkflowStore::staleRunsCannotWrite() {
    const QString id = QStringLiteral("s");
    QVERIFY(m_store->create(id, {}, 0));
    QVERIFY(*m_store->setStatus(id, WorkflowStatus::Running, 1, {}, {}, {}, 1));
    QCOMPARE(*m_store->control(id, WorkflowAction::Pause, 2), WorkflowStatus::WaitingForPause);
    // The engine reporting progress does not undo the pause; parking the run does apply.
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Waiting, 3, {}, {}, {}, 1), false);
    QCOMPARE((*m_store->instance(id))->status, WorkflowStatus::WaitingForPause);
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Paused, 4, {}, {}, {}, 1), true);
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Complete, 5, "1", {}, {}, 1), false);
    // Resumed: run 2 is current, run 1 may write nothing more.
    QVERIFY(m_store->control(id, WorkflowAction::Resume, 6));
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Running, 7, {}, {}, {}, 1), false);
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Running, 7, {}, {}, {}, 2), true);
    QCOMPARE(*m_store->setStatus(id, WorkflowStatus::Complete, 8, "42", {}, {}, 2), true);
    QCOMPARE((*m_store->instance(id))->output, QByteArray("42"));
}

void TestWorkflowStore::interruptedAttemptsAndRemove() {
    const QString id = QStringLiteral("k");
    QVERIFY(m_store->create(id, {}, 0));
    const QString key = WorkflowStore::stepKey(WorkflowStepKind::Do, QStringLiteral("s"), 1);
    QCOMPARE(*m_store->beginAttempt(id, WorkflowStepKind::Do, QStringLiteral("s"), 1, {}, 1,
                                    QStringLiteral("/p/src/entry.py:12")),
             1);
    // The process died mid-attempt: the next start closes it as interrupted.
    QCOMPARE(*m_store->closeInterrupted(id, 5), 1);
    QCOMPARE(*m_store->closeInterrupted(id, 6), 0);
    QCOMPARE(*m_store->beginAttempt(id, WorkflowStepKind::Do, QStringLiteral("s"), 1, {}, 7,
                                    QStringLiteral("/p/src/entry.py:99")),
             2);
    const WorkflowStep step = **m_store->step(id, key);
    QCOMPARE(step.attempts.size(), size_t(2));
    QCOMPARE(step.attempts[0].errorName, QLatin1String(kWorkflowInterrupted));
    QCOMPARE(step.attempts[0].endedMs, 5);
    QCOMPARE(step.source, QStringLiteral("/p/src/entry.py:12")); // kept from the first
    QVERIFY(m_store->sendEvent(id, QStringLiteral("go"), "{}", 8));
    QVERIFY(m_store->remove(id));
    QVERIFY(!*m_store->instance(id));
    QVERIFY(m_store->steps(id)->empty());
    QVERIFY(m_store->events(id)->empty());
    QCOMPARE(m_store->remove(id).error().code, QStringLiteral("instance.not_found"));
}

QTEST_MAIN(TestWorkflowStore)
#include "test_workflowstore.moc"
