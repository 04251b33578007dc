// D1TableModel, the D1 browser's grid, over real database files: checked by
// QAbstractItemModelTester; a million-row table shows its first page at once and any page on
// demand; sorting and filters; edits wait for review and apply in one transaction, a bad one
// rolling the whole batch back with SQLite's message; another connection's write shows.

#include "d1tablemodel.h"
#include "stores/d1database.h"
#include "stores/d1reader.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestD1TableModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void millionRowsFirstPageAndAnyPage();
    void sortAndFilter();
    void editsAreReviewedThenAppliedTogether();
    void aRefusedEditRollsTheBatchBack();
    void anotherConnectionsWriteShows();
    void viewsAndWithoutRowidAreReadOnly();

private:
    void exec(const QString& sql);
    QString path() const { return m_dir->filePath(QStringLiteral("d1/db.sqlite")); }
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<D1Database> m_db;
};

void TestD1TableModel::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = std::make_unique<D1Database>(path());
    QVERIFY(m_db->open());
}

void TestD1TableModel::cleanup() {
    m_db.reset();
    m_dir.reset();
}

void TestD1TableModel::exec(const QString& sql) {
    auto r = m_db->exec(sql);
    QVERIFY2(r, qPrintable(r ? QString() : r.error()));
}

void TestD1TableModel::millionRowsFirstPageAndAnyPage() {
    exec(QStringLiteral("CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, n REAL)"));
    exec(QStringLiteral("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE "
                        "i < 1000000) INSERT INTO big SELECT i, 'row ' || i, i * 0.5 FROM s"));
    QElapsedTimer clock;
    clock.start();
    D1TableModel model(path(), QStringLiteral("big"));
    QSignalSpy loaded(&model, &D1TableModel::loaded);
    QVERIFY(loaded.wait(10000));
    qInfo("first page of a 1,000,000-row table after %lld ms", clock.elapsed());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 1000000);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.headerData(1, Qt::Horizontal, Qt::DisplayRole).toString(),
             QStringLiteral("name"));
    QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("row 1"));
    QVERIFY(!model.index(765432, 1).data().isValid()); // not read yet: asked for now
    QTRY_COMPARE(model.index(765432, 1).data().toString(), QStringLiteral("row 765433"));
    QCOMPARE(model.index(765432, 2).data(D1TableModel::ValueRole).toDouble(), 382716.5);
    QCOMPARE(model.index(765432, 0).data(D1TableModel::RowidRole).toLongLong(), 765433);
}

void TestD1TableModel::sortAndFilter() {
    exec(QStringLiteral("CREATE TABLE t (name TEXT, n INTEGER)"));
    exec(QStringLiteral("INSERT INTO t VALUES ('b', 2), ('a', 3), ('c', 1), ('d', NULL)"));
    D1TableModel model(path(), QStringLiteral("t"));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 4);
    model.sort(1, Qt::DescendingOrder);
    QTRY_COMPARE(model.index(0, 0).data().toString(), QStringLiteral("a"));
    QCOMPARE(model.index(3, 1).data().toString(), QStringLiteral("NULL"));
    QVERIFY(model.index(3, 1).data(D1TableModel::IsNullRole).toBool());
    model.setFilters({{QStringLiteral("n"), QStringLiteral("<3")}});
    QTRY_COMPARE(model.rowCount(), 2);
    QTRY_COMPARE(model.index(0, 0).data().toString(), QStringLiteral("b"));
    model.setFilters({});
    QTRY_COMPARE(model.rowCount(), 4);
}

void TestD1TableModel::editsAreReviewedThenAppliedTogether() {
    exec(QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, n INT)"));
    exec(QStringLiteral("INSERT INTO notes VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)"));
    D1TableModel model(path(), QStringLiteral("notes"));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 3);
    QVERIFY(model.readOnlyWhy().isEmpty());
    QVERIFY(model.setData(model.index(0, 1), QStringLiteral("it's one"), Qt::EditRole));
    QVERIFY(model.setData(model.index(0, 2), QStringLiteral("11"), Qt::EditRole));
    model.deleteRows({2});
    model.addRow();
    QCOMPARE(model.pendingCount(), 4);
    QCOMPARE(model.index(0, 1).data().toString(), QStringLiteral("it's one")); // shown pending
    QCOMPARE(
        model.pendingSql(),
        QStringLiteral("UPDATE \"notes\" SET \"text\" = 'it''s one', \"n\" = 11 WHERE rowid = 1;\n"
                       "DELETE FROM \"notes\" WHERE rowid = 3;\n"
                       "INSERT INTO \"notes\" DEFAULT VALUES;"));
    // Nothing is written before it is applied.
    D1Reader reader(path());
    QCOMPARE(
        std::get<QString>(
            reader.query(QStringLiteral("SELECT text FROM notes WHERE id = 1"), 1)->rows[0][0]),
        QStringLiteral("one"));
    model.discardPending(); // the INSERT would fail (text NOT NULL); try again without it
    QVERIFY(model.setData(model.index(0, 1), QStringLiteral("it's one"), Qt::EditRole));
    QVERIFY(model.setData(model.index(0, 2), QStringLiteral("11"), Qt::EditRole));
    model.deleteRows({2});
    QString error = QStringLiteral("unset");
    model.applyPending([&](QString e) { error = e; });
    QTRY_COMPARE(error, QString());
    QCOMPARE(model.pendingCount(), 0);
    QTRY_COMPARE(model.rowCount(), 2);
    auto rows =
        reader.query(QStringLiteral("SELECT text, n, typeof(n) FROM notes ORDER BY id"), 10);
    QVERIFY(rows);
    QCOMPARE(std::get<QString>(rows->rows[0][0]), QStringLiteral("it's one"));
    QCOMPARE(std::get<qint64>(rows->rows[0][1]), qint64(11)); // typed as the column's affinity
    QCOMPARE(rows->rows.size(), size_t(2));
}

void TestD1TableModel::aRefusedEditRollsTheBatchBack() {
    exec(QStringLiteral("CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE)"));
    exec(QStringLiteral("INSERT INTO u VALUES (1, 'a@x'), (2, 'b@x')"));
    D1TableModel model(path(), QStringLiteral("u"));
    QTRY_COMPARE(model.rowCount(), 2);
    QVERIFY(model.setData(model.index(0, 1), QStringLiteral("new@x"), Qt::EditRole));
    QVERIFY(model.setData(model.index(1, 1), QStringLiteral("new@x"), Qt::EditRole)); // clash
    QString error;
    model.applyPending([&](QString e) { error = e; });
    QTRY_VERIFY(!error.isEmpty());
    QVERIFY2(error.contains(QLatin1String("UNIQUE constraint failed")), qPrintable(error));
    QCOMPARE(model.pendingCount(), 2); // kept, to fix and apply again
    D1Reader reader(path());
    auto rows = reader.query(QStringLiteral("SELECT email FROM u ORDER BY id"), 10);
    QCOMPARE(std::get<QString>(rows->rows[0][0]), QStringLiteral("a@x")); // first edit undone
}

void TestD1TableModel::anotherConnectionsWriteShows() {
    exec(QStringLiteral("CREATE TABLE t (x)"));
    exec(QStringLiteral("INSERT INTO t VALUES (1)"));
    D1TableModel model(path(), QStringLiteral("t"));
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_COMPARE(model.rowCount(), 1);
    D1Database other(path());
    QVERIFY(other.open());
    QVERIFY(
        other.exec(QStringLiteral("INSERT INTO t VALUES (2); UPDATE t SET x = 10 WHERE x = 1")));
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 2, 2000);
    QTRY_COMPARE_WITH_TIMEOUT(model.index(0, 0).data().toString(), QStringLiteral("10"), 2000);
}

void TestD1TableModel::viewsAndWithoutRowidAreReadOnly() {
    exec(QStringLiteral("CREATE TABLE k (a TEXT PRIMARY KEY, b) WITHOUT ROWID"));
    exec(QStringLiteral("INSERT INTO k VALUES ('x', 1)"));
    exec(QStringLiteral("CREATE VIEW v AS SELECT a FROM k"));
    for (const QString& name : {QStringLiteral("k"), QStringLiteral("v")}) {
        D1TableModel model(path(), name);
        QTRY_COMPARE(model.rowCount(), 1);
        QVERIFY(!model.readOnlyWhy().isEmpty());
        QVERIFY(!(model.flags(model.index(0, 0)) & Qt::ItemIsEditable));
        QVERIFY(!model.setData(model.index(0, 0), QStringLiteral("y"), Qt::EditRole));
        model.deleteRows({0});
        QCOMPARE(model.pendingCount(), 0);
    }
    D1TableModel missing(path(), QStringLiteral("nope"));
    QTRY_VERIFY(!missing.error().isEmpty());
    QVERIFY2(missing.error().contains(QLatin1String("no such table")), qPrintable(missing.error()));
}

QTEST_MAIN(TestD1TableModel)
#include "test_d1tablemodel.moc"
