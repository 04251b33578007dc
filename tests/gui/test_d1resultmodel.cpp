// D1ResultModel, a console statement's rows: QAbstractItemModelTester; values shown as the
// grid shows them (NULL, numbers, one-line text, BLOB sizes) with the raw value a role away;
// CSV as RFC 4180 has it (quotes doubled, fields with commas or line breaks quoted, CRLF).

#include "d1resultmodel.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace kiln;

class TestD1ResultModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void showsAndExports();
    void emptyResult();
};

void TestD1ResultModel::showsAndExports() {
    D1ResultModel model(
        {QStringLiteral("id"), QStringLiteral("text"), QStringLiteral("blob"), QStringLiteral("x")},
        {{qint64(1), QStringLiteral("plain"), QByteArray("\x00\x01", 2), SqlValue()},
         {qint64(2), QStringLiteral("a, \"quoted\"\nline"), QByteArray(2048, 'b'), 2.5}});
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), 4);
    QCOMPARE(model.headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(),
             QStringLiteral("text"));
    QCOMPARE(model.index(0, 3).data().toString(), QStringLiteral("NULL"));
    QCOMPARE(model.index(1, 1).data().toString(), QStringLiteral("a, \"quoted\"\u21b5line"));
    QCOMPARE(model.index(1, 1).data(D1ResultModel::ValueRole).toString(),
             QStringLiteral("a, \"quoted\"\nline"));
    QCOMPARE(model.index(1, 2).data().toString(), QStringLiteral("BLOB (2.0 kB)"));
    QCOMPARE(model.index(1, 3).data().typeId(), QMetaType::QString); // display text, not a number
    QCOMPARE(model.index(1, 3).data().toString(), QStringLiteral("2.5"));
    QCOMPARE(model.index(1, 3).data(D1ResultModel::ValueRole).toDouble(), 2.5);
    QCOMPARE(model.toCsv().left(model.toCsv().indexOf("\r\n")), QByteArray("id,text,blob,x"));
    QCOMPARE(model.toCsv(), QByteArray("id,text,blob,x\r\n"
                                       "1,plain,0x0001,\r\n"
                                       "2,\"a, \"\"quoted\"\"\nline\",0x") +
                                QByteArray(2048, 'b').toHex() + QByteArray(",2.5\r\n"));
}

void TestD1ResultModel::emptyResult() {
    D1ResultModel model({QStringLiteral("n")}, {});
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.toCsv(), QByteArray("n\r\n"));
}

QTEST_MAIN(TestD1ResultModel)
#include "test_d1resultmodel.moc"
