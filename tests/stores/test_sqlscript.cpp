// SqlScript splits console text into statements as SQLite reads them, and D1Reader::check
// says, without running anything, whether a statement only reads rows or where it is wrong.
#include "stores/d1database.h"
#include "stores/d1reader.h"
#include "stores/sqlscript.h"

#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestSqlScript : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void splitsWhereSqliteDoes();
    void statementUnderTheCursor();
    void checkWithoutRunning();
};

void TestSqlScript::splitsWhereSqliteDoes() {
    const QString text = QStringLiteral(
        "SELECT 'a;b' AS x;\n"
        "-- a comment; with a semicolon\n"
        "CREATE TRIGGER t AFTER INSERT ON n BEGIN\n  UPDATE n SET x = 1; DELETE FROM m;\nEND;\n"
        "  select 2  ");
    const auto statements = SqlScript::split(text);
    QCOMPARE(statements.size(), size_t(3));
    QCOMPARE(statements[0].sql, QStringLiteral("SELECT 'a;b' AS x"));
    QCOMPARE(statements[0].start, 0);
    QVERIFY(statements[1].sql.startsWith(
        QLatin1String("-- a comment; with a semicolon\nCREATE TRIGGER")));
    QVERIFY(statements[1].sql.endsWith(QLatin1String("END")));
    QCOMPARE(statements[2].sql, QStringLiteral("select 2"));
    QCOMPARE(text.mid(statements[2].start, 8), QStringLiteral("select 2"));
    QCOMPARE(statements[2].end, text.size());
    QVERIFY(SqlScript::split(QStringLiteral("  -- only a comment\n")).empty());
    QVERIFY(SqlScript::split(QString()).empty());
}

void TestSqlScript::statementUnderTheCursor() {
    const QString text = QStringLiteral("SELECT 1;\nSELECT 2;\n\nSELECT 3");
    const auto statements = SqlScript::split(text);
    QCOMPARE(SqlScript::statementAt(statements, 0), 0);
    QCOMPARE(SqlScript::statementAt(statements, text.indexOf(QLatin1String("2"))), 1);
    QCOMPARE(SqlScript::statementAt(statements, text.indexOf(QLatin1String("\n\n")) + 1), 1);
    QCOMPARE(SqlScript::statementAt(statements, text.size()), 2);
    QCOMPARE(SqlScript::statementAt({}, 3), -1);
}

void TestSqlScript::checkWithoutRunning() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("db.sqlite"));
    D1Database db(path);
    QVERIFY(db.open());
    QVERIFY(db.exec(QStringLiteral("CREATE TABLE t (x)")));
    D1Reader reader(path);
    auto select = reader.check(QStringLiteral("SELECT x FROM t"));
    QVERIFY(select && select->readsRows && select->error.isEmpty());
    auto insert = reader.check(QStringLiteral("INSERT INTO t VALUES (1)"));
    QVERIFY(insert && !insert->readsRows && insert->error.isEmpty());
    auto wrong = reader.check(QStringLiteral("SELECT é, nope FROM t"));
    QVERIFY(wrong);
    QCOMPARE(wrong->error, QStringLiteral("no such column: é"));
    QCOMPARE(wrong->errorAt, 7); // characters, not UTF-8 bytes
    auto syntax = reader.check(QStringLiteral("SELEKT 1"));
    QVERIFY(syntax && syntax->error.contains(QLatin1String("syntax error")));
    QCOMPARE(syntax->errorAt, 0);
    // Checking ran nothing: the INSERT above wrote no row.
    QCOMPARE(
        std::get<qint64>(reader.query(QStringLiteral("SELECT count(*) FROM t"), 1)->rows[0][0]),
        qint64(0));
}

QTEST_MAIN(TestSqlScript)
#include "test_sqlscript.moc"
