// Cron Triggers while `kiln dev` runs: CronScheduler on an injected clock (a day's schedule,
// clock jumps and sleeps in seconds of real time), then one real `kiln dev` firing its
// `* * * * *` trigger at a real minute boundary.

#include "kilndevprocess.h"
#include "server/cronscheduler.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using kiln::CronScheduler;
using namespace kiln::test;

namespace {

QDateTime utc(const char* iso) {
    QDateTime t = QDateTime::fromString(QLatin1String(iso), Qt::ISODate);
    t.setTimeSpec(Qt::UTC);
    return t;
}

// Wall-clock time that runs at real speed from a chosen instant and can be set (jump) at any
// moment, as a suspended laptop or an NTP step would.
class FakeClock {
public:
    explicit FakeClock(const QDateTime& start) { set(start); }
    void set(const QDateTime& now) {
        m_start = now;
        m_elapsed.start();
    }
    QDateTime now() const { return m_start.addMSecs(m_elapsed.elapsed()); }
    CronScheduler::Clock function() const {
        return [this] { return now(); };
    }

private:
    QDateTime m_start;
    QElapsedTimer m_elapsed;
};

struct Fire {
    QString cron;
    QDateTime minute;
    bool operator==(const Fire&) const = default;
};

// Found by QCOMPARE through ADL, so a failure shows what fired.
char* toString(const Fire& fire) {
    return QTest::toString(
        QStringLiteral("\"%1\" at %2").arg(fire.cron, fire.minute.toString(Qt::ISODateWithMs)));
}

// A scheduler recording what fired and what it warned about.
struct Harness {
    explicit Harness(const QStringList& crons)
        : scheduler(
              crons,
              [this](const QString& cron, const QDateTime& minute) {
                  fired << Fire{cron, minute};
              },
              [this](const QString& message) { warnings << message; }) {}
    QList<Fire> fired;
    QStringList warnings;
    CronScheduler scheduler;
};

const QStringList kCrons = {QStringLiteral("* * * * *"), QStringLiteral("0 10 * * *"),
                            QStringLiteral("*/5 * * * *"), QStringLiteral("30 * * * *"),
                            QStringLiteral("0 10 * * *")};

} // namespace

class TestCrons : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void firesEachMatchingExpressionOncePerMinute();
    void skipsMissedMinutesAfterSleepOrJump();
    void smallStepBackDoesNotRepeatAMinute();
    void invalidExpressionsWarnOnceAndAreIgnored();
    void kilnDevFiresAtTheMinute();
};

void TestCrons::firesEachMatchingExpressionOncePerMinute() {
    FakeClock clock(utc("2026-03-10T09:59:59.700"));
    Harness h(kCrons);
    h.scheduler.setClock(clock.function());
    // The default 30 s re-check would miss this test's timing: the first run must come from
    // the timer armed for the minute boundary itself.
    h.scheduler.start();
    QCOMPARE(h.scheduler.nextDue(), utc("2026-03-10T10:00:00"));
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 3, 5000);
    QTest::qWait(300); // still inside 10:00: nothing fires twice
    const QDateTime ten = utc("2026-03-10T10:00:00");
    const QList<Fire> expected = {{kCrons[0], ten}, {kCrons[1], ten}, {kCrons[2], ten}};
    QCOMPARE(h.fired, expected);
    QCOMPARE(h.scheduler.nextDue(), utc("2026-03-10T10:01:00"));
    QVERIFY(h.warnings.isEmpty());

    h.scheduler.setMaxWaitMs(20);
    clock.set(utc("2026-03-10T10:00:59.800"));
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 4, 5000);
    QTest::qWait(300);
    QCOMPARE(h.fired.size(), 4);
    QCOMPARE(h.fired.last(), (Fire{kCrons[0], utc("2026-03-10T10:01:00")}));
}

void TestCrons::skipsMissedMinutesAfterSleepOrJump() {
    FakeClock clock(utc("2026-03-10T09:59:59.800"));
    Harness h(kCrons);
    h.scheduler.setClock(clock.function());
    h.scheduler.setMaxWaitMs(20);
    QSignalSpy missed(&h.scheduler, &CronScheduler::missed);
    h.scheduler.start();
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 3, 5000);

    // Three hours pass in one step (a suspended laptop): 189 due minutes are skipped, not
    // replayed; only 13:10, the first due minute after waking, runs.
    clock.set(utc("2026-03-10T13:09:59.600"));
    QTRY_COMPARE_WITH_TIMEOUT(missed.size(), 1, 5000);
    QCOMPARE(missed[0][0].toDateTime(), utc("2026-03-10T10:01:00"));
    QCOMPARE(missed[0][1].toDateTime(), utc("2026-03-10T13:10:00"));
    QCOMPARE(h.fired.size(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 5, 5000);
    QTest::qWait(300);
    const QDateTime woke = utc("2026-03-10T13:10:00");
    QCOMPARE(h.fired.size(), 5);
    QCOMPARE(h.fired[3], (Fire{kCrons[0], woke}));
    QCOMPARE(h.fired[4], (Fire{kCrons[2], woke}));

    // Woken a little late but still inside the due minute: that minute still runs.
    clock.set(utc("2026-03-10T13:11:20"));
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 6, 5000);
    QCOMPARE(h.fired[5], (Fire{kCrons[0], utc("2026-03-10T13:11:00")}));
    QCOMPARE(missed.size(), 1);
}

void TestCrons::smallStepBackDoesNotRepeatAMinute() {
    FakeClock clock(utc("2026-03-10T09:59:59.800"));
    Harness h({QStringLiteral("* * * * *")});
    h.scheduler.setClock(clock.function());
    h.scheduler.setMaxWaitMs(20);
    h.scheduler.start();
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 1, 5000);

    // An NTP step of two seconds back, just after 10:00 ran: 10:00 comes round again on the
    // wall clock but must not run again.
    clock.set(utc("2026-03-10T09:59:58.500"));
    QTest::qWait(2000);
    QCOMPARE(h.fired.size(), 1);
    QCOMPARE(h.scheduler.nextDue(), utc("2026-03-10T10:01:00"));

    // The clock set back by an hour: the schedule follows the new time.
    clock.set(utc("2026-03-10T08:59:59.800"));
    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 2, 5000);
    QCOMPARE(h.fired[1].minute, utc("2026-03-10T09:00:00"));
}

void TestCrons::invalidExpressionsWarnOnceAndAreIgnored() {
    FakeClock clock(utc("2026-03-10T09:59:59.800"));
    Harness h({QStringLiteral("61 * * * *"), QStringLiteral("* * * * *"),
               QStringLiteral("0 0 30 2 *"), QStringLiteral("0 0 * * 0")});
    h.scheduler.setClock(clock.function());
    h.scheduler.setMaxWaitMs(20);
    QCOMPARE(h.warnings.size(), 2);
    QVERIFY2(h.warnings[0].contains(QStringLiteral("\"61 * * * *\" ignored: minute field: \"61\"")),
             qPrintable(h.warnings[0]));
    QVERIFY2(h.warnings[1].contains(QStringLiteral("\"0 0 * * 0\" ignored: day-of-week field")),
             qPrintable(h.warnings[1]));
    h.scheduler.start();
    QCOMPARE(h.warnings.size(), 3);
    QVERIFY2(h.warnings[2].contains(QStringLiteral("\"0 0 30 2 *\" ignored: it never fires")),
             qPrintable(h.warnings[2]));
    QCOMPARE(h.scheduler.crons(), QStringList{QStringLiteral("* * * * *")});

    QTRY_COMPARE_WITH_TIMEOUT(h.fired.size(), 1, 5000);
    QTest::qWait(200); // dozens of re-checks: no warning repeats
    QCOMPARE(h.warnings.size(), 3);
    QCOMPARE(h.fired[0], (Fire{QStringLiteral("* * * * *"), utc("2026-03-10T10:00:00")}));

    // Nothing left that can fire: no timer, no due minute.
    Harness none({QStringLiteral("0 0 30 2 *"), QStringLiteral("bad")});
    none.scheduler.start();
    QVERIFY(!none.scheduler.nextDue().isValid());
    QCOMPARE(none.warnings.size(), 2);
}

void TestCrons::kilnDevFiresAtTheMinute() {
    QTemporaryDir state;
    KilnDevProcess dev;
    const QString project =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/crons");
    QVERIFY2(dev.start(project, state.path()), qPrintable(dev.output()));
    QVERIFY2(dev.waitForLog(QStringLiteral("cron triggers (UTC): \"* * * * *\""), 10000),
             qPrintable(dev.output()));
    QCOMPARE(dev.countLogs(QStringLiteral("cron \"61 * * * *\" ignored: minute field")), 1);
    // Correctness, not timing: the next minute boundary is at most 60 s away.
    QVERIFY2(dev.waitForLog(QStringLiteral("scheduled \"* * * * *\" ok"), 70000),
             qPrintable(dev.output()));
    QCOMPARE(dev.countLogs(QStringLiteral("cron fired * * * * *")), 1);
    // And a person sees the same lines in the terminal, in order.
    QVERIFY(dev.waitForOutput(QStringLiteral("scheduled \"* * * * *\" ok"), 5000));
    const QString output = dev.output();
    QVERIFY2(output.indexOf(QStringLiteral("cron fired * * * * *")) <
                 output.indexOf(QStringLiteral("scheduled \"* * * * *\" ok")),
             qPrintable(output));
}

QTEST_GUILESS_MAIN(TestCrons)
#include "test_crons.moc"
