// CronExpression (runtime/project): Cloudflare's cron syntax, parse errors, and the minutes
// an expression picks, checked against calendar facts worked out by hand (2026-03-10 is a
// Tuesday; 2026 months ending on a weekend: Jan, Feb, May, Oct).

#include "project/cronexpression.h"

#include <QTest>

using kiln::CronExpression;

namespace {

QDateTime utc(const char* iso) {
    QDateTime t = QDateTime::fromString(QLatin1String(iso), Qt::ISODate);
    t.setTimeSpec(Qt::UTC);
    return t;
}

} // namespace

class TestCronExpression : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesValid_data();
    void parsesValid();
    void rejectsInvalid_data();
    void rejectsInvalid();
    void next_data();
    void next();
    void matches_data();
    void matches();
    void impossibleDatesHaveNoNext();
    void nextIsUtcWhateverTheInputZone();
};

void TestCronExpression::parsesValid_data() {
    QTest::addColumn<QString>("text");
    for (const char* text :
         {"* * * * *", "*/30 * * * *", "45 * * * *", "0 17 * * sun", "0 17 * * 1",
          "10 7 * * mon-fri", "10 7 * * 2-6", "0 15 1 * *", "0 18 * * 6L", "0 18 * * friL",
          "59 23 LW * *", "0 9 15W * *", "0 12 L-3 * *", "0 10 * * MON#2", "0 0 * JAN-mar,Dec *",
          "1-30/2 5/6 1,15,L * *", "  0   3 *  * *  ", "0 0 * * L", "0 0 * * SUN-SAT/2"})
        QTest::newRow(text) << QString::fromLatin1(text);
}

void TestCronExpression::parsesValid() {
    QFETCH(QString, text);
    const auto parsed = CronExpression::parse(text);
    QVERIFY2(parsed.has_value(), qPrintable(parsed.has_value() ? QString() : parsed.error()));
    QCOMPARE(parsed->text(), text); // kept as written: it is what controller.cron reports
}

void TestCronExpression::rejectsInvalid_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    const QList<std::pair<const char*, const char*>> rows = {
        {"", "expected 5 fields (minute hour day-of-month month day-of-week), found 0"},
        {"* * * *", "found 4"},
        {"0 * * * * *", "found 6"},
        {"61 * * * *", "minute field: \"61\" is out of range 0-59"},
        {"* 24 * * *", "hour field: \"24\" is out of range 0-23"},
        {"* * 0 * *", "day-of-month field: \"0\" is out of range 1-31"},
        {"* * 32 * *", "day-of-month field: \"32\" is out of range 1-31"},
        {"* * * 13 *", "month field: \"13\" is out of range 1-12 (or JAN-DEC)"},
        {"* * * Foo *", "month field: \"Foo\" is not a number or a name (or JAN-DEC)"},
        // Cloudflare refuses Unix's 0 = Sunday on deploy; say how it counts instead.
        {"0 0 * * 0", "day-of-week field: \"0\" is out of range 1-7 (1 = SUN ... 7 = SAT"},
        {"* * * * 8", "day-of-week field: \"8\" is out of range 1-7"},
        {"* * * * Moo", "day-of-week field: \"Moo\" is not a number or a name"},
        {"* * * * ?", "day-of-week field: \"?\" is not a number or a name"},
        {"x * * * *", "minute field: \"x\" is not a number"},
        {"*/0 * * * *", "minute field: \"*/0\" has a step that is not a number from 1 to 60"},
        {"*/x * * * *", "minute field: \"*/x\" has a step"},
        {"*/5/2 * * * *", "minute field: \"*/5/2\" has more than one '/'"},
        {"5-1 * * * *", "minute field: \"5-1\" is a backwards range"},
        {"1-2-3 * * * *", "minute field: \"1-2-3\" is not a range"},
        {"-5 * * * *", "minute field: \"-5\" is missing a number"},
        {"1,,2 * * * *", "minute field: \"1,,2\" has an empty list item"},
        {"1, * * * *", "minute field: \"1,\" has an empty list item"},
        {"L * * * *", "minute field: \"L\" is not a number"},
        {"* * W * *", "day-of-month field: \"W\" is not a number"},
        {"* * 32W * *", "day-of-month field: \"32\" is out of range 1-31"},
        {"* * L-31 * *", "day-of-month field: \"31\" is out of range 0-30"},
        {"* * * L *", "month field: \"L\" is not a number or a name"},
        {"* * * * 2#6", "day-of-week field: \"6\" is out of range 1-5"},
        {"* * * * 2#", "day-of-week field: \"2#\" is missing a number"},
        {"* * * * 9L", "day-of-week field: \"9\" is out of range 1-7"},
        {"* * * * 1#2#3", "day-of-week field: \"2#3\" is not a number"},
    };
    for (const auto& [text, error] : rows)
        QTest::newRow(*text ? text : "(empty)")
            << QString::fromLatin1(text) << QString::fromLatin1(error);
}

void TestCronExpression::rejectsInvalid() {
    QFETCH(QString, text);
    QFETCH(QString, error);
    const auto parsed = CronExpression::parse(text);
    QVERIFY2(!parsed.has_value(), qPrintable(text));
    QVERIFY2(parsed.error().contains(error), qPrintable(parsed.error()));
}

void TestCronExpression::next_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QDateTime>("after");
    QTest::addColumn<QDateTime>("expected");
    const QList<std::tuple<const char*, const char*, const char*>> rows = {
        // Strictly after: the minute holding `after` never counts, even at :00.000.
        {"* * * * *", "2026-03-10T10:00:00", "2026-03-10T10:01:00"},
        {"* * * * *", "2026-03-10T10:00:59", "2026-03-10T10:01:00"},
        {"*/5 * * * *", "2026-03-10T10:03:00", "2026-03-10T10:05:00"},
        {"*/5 * * * *", "2026-03-10T10:55:10", "2026-03-10T11:00:00"},
        {"1-30/2 * * * *", "2026-03-10T10:29:00", "2026-03-10T11:01:00"},
        {"5/15 * * * *", "2026-03-10T10:36:00", "2026-03-10T10:50:00"},
        {"0 */6 * * *", "2026-03-10T18:00:00", "2026-03-11T00:00:00"},
        {"0 3 * * *", "2026-12-31T03:00:00", "2027-01-01T03:00:00"},
        {"0 0 * jan,JUL *", "2026-02-01T00:00:00", "2026-07-01T00:00:00"},
        // Weekdays: 1 = SUN ... 7 = SAT, names equivalent (Cloudflare's own examples).
        {"0 17 * * sun", "2026-03-10T12:00:00", "2026-03-15T17:00:00"},
        {"0 17 * * 1", "2026-03-10T12:00:00", "2026-03-15T17:00:00"},
        {"10 7 * * mon-fri", "2026-03-13T07:10:00", "2026-03-16T07:10:00"},
        {"10 7 * * 2-6", "2026-03-13T07:10:00", "2026-03-16T07:10:00"},
        {"0 0 * * 7", "2026-03-10T12:00:00", "2026-03-14T00:00:00"},
        {"0 0 * * L", "2026-03-10T12:00:00", "2026-03-14T00:00:00"},
        // Both day fields restricted: either one (the 13th, or any Friday).
        {"0 0 13 * FRI", "2026-03-07T00:00:00", "2026-03-13T00:00:00"},
        {"0 0 13 * FRI", "2026-03-13T00:00:00", "2026-03-20T00:00:00"},
        {"0 0 1 * MON", "2026-03-02T00:00:00", "2026-03-09T00:00:00"},
        {"0 0 1 * MON", "2026-03-30T00:00:00", "2026-04-01T00:00:00"},
        // L, L-n, W, LW.
        {"0 12 L * *", "2026-02-01T00:00:00", "2026-02-28T12:00:00"},
        {"0 12 L * *", "2028-02-01T00:00:00", "2028-02-29T12:00:00"},
        {"0 12 L-2 * *", "2026-02-01T00:00:00", "2026-02-26T12:00:00"},
        {"59 23 LW * *", "2026-01-01T00:00:00", "2026-01-30T23:59:00"}, // Jan 31 is a Saturday
        {"59 23 LW * *", "2026-05-01T00:00:00", "2026-05-29T23:59:00"}, // May 31 is a Sunday
        {"59 23 LW * *", "2026-03-01T00:00:00", "2026-03-31T23:59:00"}, // a Tuesday
        {"0 9 15W * *", "2026-02-01T00:00:00", "2026-02-16T09:00:00"},  // 15th a Sunday
        {"0 9 15W * *", "2026-08-01T00:00:00", "2026-08-14T09:00:00"},  // 15th a Saturday
        {"0 9 15W * *", "2026-04-01T00:00:00", "2026-04-15T09:00:00"},
        {"0 9 1W * *", "2026-07-31T00:00:00", "2026-08-03T09:00:00"},  // never back into July
        {"0 9 31W * *", "2026-04-01T00:00:00", "2026-05-29T09:00:00"}, // no Apr 31; never June
        // nL and n#k.
        {"0 18 * * 6L", "2026-03-01T00:00:00", "2026-03-27T18:00:00"},
        {"0 18 * * friL", "2026-03-01T00:00:00", "2026-03-27T18:00:00"},
        {"0 10 * * MON#2", "2026-03-01T00:00:00", "2026-03-09T10:00:00"},
        {"0 10 * * 5#2", "2026-03-01T00:00:00", "2026-03-12T10:00:00"},
        {"0 0 * * 2#5", "2026-03-01T00:00:00", "2026-03-30T00:00:00"},
        {"0 0 * * 2#5", "2026-03-31T00:00:00", "2026-06-29T00:00:00"},
        // Leap years, 2100 included (not one): the search reaches eight years ahead.
        {"0 0 29 2 *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"},
        {"0 0 29 2 *", "2096-03-01T00:00:00", "2104-02-29T00:00:00"},
        // UTC only: the night European clocks change is an ordinary night.
        {"30 2 * * *", "2026-03-29T01:00:00", "2026-03-29T02:30:00"},
        {"30 2 * * *", "2026-10-25T02:30:00", "2026-10-26T02:30:00"},
    };
    for (const auto& [text, after, expected] : rows)
        QTest::newRow(qPrintable(QStringLiteral("%1 after %2").arg(text, after)))
            << QString::fromLatin1(text) << utc(after) << utc(expected);
}

void TestCronExpression::next() {
    QFETCH(QString, text);
    QFETCH(QDateTime, after);
    QFETCH(QDateTime, expected);
    const auto parsed = CronExpression::parse(text);
    QVERIFY2(parsed.has_value(), qPrintable(parsed.has_value() ? QString() : parsed.error()));
    const QDateTime next = parsed->next(after);
    QCOMPARE(next, expected);
    QCOMPARE(next.timeSpec(), Qt::UTC);
    QVERIFY(parsed->matches(next));
    QVERIFY(!parsed->matches(next.addSecs(-60)) || next.addSecs(-60) <= after);
}

void TestCronExpression::matches_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QDateTime>("minute");
    QTest::addColumn<bool>("expected");
    const QList<std::tuple<const char*, const char*, bool>> rows = {
        {"0 3 * * *", "2026-03-10T03:00:45", true}, // seconds do not matter
        {"0 3 * * *", "2026-03-10T03:01:00", false},
        {"0 3 * * *", "2026-03-10T04:00:00", false},
        {"0 0 13 * FRI", "2026-03-06T00:00:00", true},  // a Friday, not the 13th
        {"0 0 13 * FRI", "2026-04-13T00:00:00", true},  // the 13th, a Monday
        {"0 0 13 * FRI", "2026-03-10T00:00:00", false}, // neither
        // A day-of-week field naming every day restricts nothing: the 13th alone decides.
        {"0 0 13 * 1-7", "2026-03-13T00:00:00", true},
        {"0 0 13 * 1-7", "2026-03-06T00:00:00", false},
        {"0 0 */2 * *", "2026-03-03T00:00:00", true},
        {"0 0 */2 * *", "2026-03-04T00:00:00", false},
        {"0 0 L 2 *", "2027-02-28T00:00:00", true},
        {"0 0 L 2 *", "2028-02-28T00:00:00", false},
        {"0 0 L 2 *", "2028-02-29T00:00:00", true},
        {"0 0 29 2 *", "2028-02-29T00:00:00", true},
        {"* * * DEC SAT", "2026-12-05T15:42:00", true},
        {"* * * DEC SAT", "2026-12-06T15:42:00", false},
        {"* * * DEC SAT", "2026-11-07T15:42:00", false},
    };
    for (const auto& [text, minute, expected] : rows)
        QTest::newRow(qPrintable(QStringLiteral("%1 at %2").arg(text, minute)))
            << QString::fromLatin1(text) << utc(minute) << expected;
}

void TestCronExpression::matches() {
    QFETCH(QString, text);
    QFETCH(QDateTime, minute);
    QFETCH(bool, expected);
    const auto parsed = CronExpression::parse(text);
    QVERIFY2(parsed.has_value(), qPrintable(parsed.has_value() ? QString() : parsed.error()));
    QCOMPARE(parsed->matches(minute), expected);
}

void TestCronExpression::impossibleDatesHaveNoNext() {
    for (const char* text :
         {"0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 FEB *", "0 0 L-30 2 *", "0 0 30W 2 *"}) {
        const auto parsed = CronExpression::parse(QString::fromLatin1(text));
        QVERIFY2(parsed.has_value(), text);
        QVERIFY2(!parsed->next(utc("2026-01-01T00:00:00")).isValid(), text);
    }
    const auto fine = CronExpression::parse(QStringLiteral("0 0 30 2 MON"));
    QVERIFY(fine.has_value()); // either day field: any Monday in February
    QCOMPARE(fine->next(utc("2026-01-01T00:00:00")), utc("2026-02-02T00:00:00"));
    QVERIFY(!fine->next(QDateTime()).isValid());
}

void TestCronExpression::nextIsUtcWhateverTheInputZone() {
    const auto parsed = CronExpression::parse(QStringLiteral("10 7 * * *"));
    QVERIFY(parsed.has_value());
    // 12:00 at UTC+5 is 07:00 UTC: 07:10 UTC the same day, not the next.
    const QDateTime after(QDate(2026, 3, 10), QTime(12, 0), Qt::OffsetFromUTC, 5 * 3600);
    QCOMPARE(parsed->next(after), utc("2026-03-10T07:10:00"));
    const QDateTime local(QDate(2026, 3, 10), QTime(9, 10), Qt::OffsetFromUTC, 2 * 3600);
    QVERIFY(parsed->matches(local));
}

QTEST_GUILESS_MAIN(TestCronExpression)
#include "test_cronexpression.moc"
