// LogModel and LogFilterModel without a window: the ring buffer, traceback frames as links,
// and the filter, each checked by QAbstractItemModelTester as rows come and go.

#include "logfiltermodel.h"
#include "logmodel.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace kiln;

class TestLogModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ringDropsTheOldest();
    void projectFramesBecomeLinks();
    void filterByLevelSourceAndText();
};

void TestLogModel::ringDropsTheOldest() {
    LogModel model(nullptr, 1000);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int i = 0; i < 2500; ++i)
        model.append(LogLevel::Log, LogSource::Print, QStringLiteral("line %1").arg(i));
    QCOMPARE(model.rowCount(), 1000);
    QCOMPARE(model.index(0).data(LogModel::TextRole).toString(), QStringLiteral("line 1500"));
    QCOMPARE(model.index(999).data(LogModel::TextRole).toString(), QStringLiteral("line 2499"));
    // What the view shows: time, source, text.
    QVERIFY2(model.index(999).data().toString().endsWith(QLatin1String("  print   line 2499")),
             qPrintable(model.index(999).data().toString()));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestLogModel::projectFramesBecomeLinks() {
    LogModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.append(
        LogLevel::Error, LogSource::Kiln,
        QStringLiteral("Traceback (most recent call last):\n"
                       "  File \"/lib/python3.14/site-packages/_kiln_host.py\", line 9, in "
                       "handle_fetch\n"
                       "  File \"/proj/src/entry.py\", line 12, in fetch\n"
                       "  File \"/proj/src/util.py\", line 3, in helper\n"
                       "ZeroDivisionError: division by zero"),
        QStringLiteral("/proj"));
    const QVariantList frames = model.index(0).data(LogModel::FramesRole).toList();
    QCOMPARE(frames.size(), 2); // only the project's
    QCOMPARE(frames.last().toMap().value(QStringLiteral("file")).toString(),
             QStringLiteral("/proj/src/util.py"));
    QCOMPARE(frames.last().toMap().value(QStringLiteral("line")).toInt(), 3);
    QVERIFY(model.index(0).data(Qt::ToolTipRole).toString().contains(QLatin1String("util.py:3")));
    model.append(LogLevel::Log, LogSource::Print, QStringLiteral("plain"), QStringLiteral("/proj"));
    QVERIFY(model.index(1).data(LogModel::FramesRole).toList().isEmpty());
}

void TestLogModel::filterByLevelSourceAndText() {
    LogModel model;
    LogFilterModel filter;
    filter.setSourceModel(&model);
    QAbstractItemModelTester tester(&filter,
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.append(LogLevel::Debug, LogSource::Kiln, QStringLiteral("debug detail"));
    model.append(LogLevel::Log, LogSource::Print, QStringLiteral("hello from print"));
    model.append(LogLevel::Warn, LogSource::Console, QStringLiteral("careful"));
    model.append(LogLevel::Error, LogSource::Request, QStringLiteral("GET / 500"));
    QCOMPARE(filter.rowCount(), 4);
    filter.setMinimumLevel(LogLevel::Warn);
    QCOMPARE(filter.rowCount(), 2);
    filter.setSourceShown(LogSource::Request, false);
    QCOMPARE(filter.rowCount(), 1);
    QCOMPARE(filter.index(0, 0).data(LogModel::TextRole).toString(), QStringLiteral("careful"));
    filter.setSourceShown(LogSource::Request, true);
    filter.setMinimumLevel(LogLevel::Debug);
    filter.setText(QStringLiteral("HELLO"));
    QCOMPARE(filter.rowCount(), 1);
    // Rows appended while filtered arrive through the proxy.
    model.append(LogLevel::Log, LogSource::Print, QStringLiteral("hello again"));
    QCOMPARE(filter.rowCount(), 2);
}

QTEST_GUILESS_MAIN(TestLogModel)
#include "test_logmodel.moc"
