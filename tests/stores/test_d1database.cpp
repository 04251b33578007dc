// D1Database on real SQLite files: parameters of every type, results and meta, batches that
// roll back whole, exec and its line numbers, scripts, and an export that rebuilds the data.
#include "stores/d1answer.h"
#include "stores/d1database.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <thread>

using namespace kiln;

class TestD1Database : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void parametersAndResults();
    void meta();
    void batchRollsBackWhole();
    void execCountsAndNamesTheLine();
    void scriptSeesItsOwnSchema();
    void exportRebuildsTheDatabase();
    void errorsCarrySqlitesMessage();
    void noOtherFileIsReachable();
    void runawayQueryIsInterrupted();
    void cancelledQueryStops();
    void answersForPython_data();
    void answersForPython();
    void answersForPythonCarryMeta();

private:
    std::vector<D1Result> run(const QString& sql, std::vector<SqlValue> params = {});
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<D1Database> m_db;
};

void TestD1Database::init() {
    m_dir = std::make_unique<QTemporaryDir>();
    m_db = std::make_unique<D1Database>(m_dir->filePath(QStringLiteral("d1/db.sqlite")));
    QVERIFY(m_db->open());
    QVERIFY(m_db->exec(
        QStringLiteral("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a, b TEXT)")));
}

void TestD1Database::cleanup() {
    m_db.reset();
    m_dir.reset();
}

std::vector<D1Result> TestD1Database::run(const QString& sql, std::vector<SqlValue> params) {
    auto r = m_db->run({D1Statement{sql, std::move(params)}});
    if (!r) qWarning("%s", qPrintable(r.error()));
    return r.value_or(std::vector<D1Result>{});
}

void TestD1Database::parametersAndResults() {
    const std::vector<SqlValue> values = {SqlValue(), SqlValue(qint64(42)), SqlValue(2.5),
                                          SqlValue(QStringLiteral("'); DROP TABLE t; --")),
                                          SqlValue(QByteArray("\x00\xff", 2))};
    for (const auto& v : values)
        QCOMPARE(run(QStringLiteral("INSERT INTO t (a) VALUES (?)"), {v}).size(), size_t(1));
    auto rows = run(QStringLiteral("SELECT a, typeof(a) AS type FROM t ORDER BY id")).front();
    QCOMPARE(rows.columns, (QStringList{"a", "type"}));
    QCOMPARE(rows.rows.size(), size_t(5));
    QCOMPARE(std::get<QString>(rows.rows[0][1]), QStringLiteral("null"));
    QCOMPARE(std::get<qint64>(rows.rows[1][0]), qint64(42));
    QCOMPARE(std::get<double>(rows.rows[2][0]), 2.5);
    QCOMPARE(std::get<QString>(rows.rows[3][0]),
             QStringLiteral("'); DROP TABLE t; --")); // just a value
    QCOMPARE(std::get<QByteArray>(rows.rows[4][0]), QByteArray("\x00\xff", 2));
    QCOMPARE(std::get<QString>(rows.rows[4][1]), QStringLiteral("blob"));
    // ?NNN picks by number.
    auto numbered = run(QStringLiteral("SELECT ?2 AS second, ?1 AS first"),
                        {SqlValue(qint64(1)), SqlValue(qint64(2))})
                        .front();
    QCOMPARE(std::get<qint64>(numbered.rows[0][0]), qint64(2));
    QCOMPARE(std::get<qint64>(numbered.rows[0][1]), qint64(1));
}

void TestD1Database::meta() {
    auto inserted = run(QStringLiteral("INSERT INTO t (a) VALUES (1), (2), (3)")).front();
    QCOMPARE(inserted.meta.changes, qint64(3));
    QCOMPARE(inserted.meta.lastRowId, qint64(3));
    QVERIFY(inserted.meta.changedDb);
    QCOMPARE(inserted.meta.rowsWritten, qint64(3));
    QVERIFY(inserted.meta.sizeAfter > 0);
    QVERIFY(inserted.meta.durationMs >= 0);
    auto selected = run(QStringLiteral("SELECT * FROM t")).front();
    QCOMPARE(selected.meta.changes, qint64(0));
    QVERIFY(!selected.meta.changedDb);
    QVERIFY(selected.meta.rowsRead >= 3);
}

void TestD1Database::batchRollsBackWhole() {
    auto bad = m_db->run({D1Statement{QStringLiteral("INSERT INTO t (a) VALUES ('kept?')"), {}},
                          D1Statement{QStringLiteral("INSERT INTO missing VALUES (1)"), {}}});
    QVERIFY(!bad);
    QVERIFY2(bad.error().contains(QLatin1String("no such table: missing")),
             qPrintable(bad.error()));
    QCOMPARE(run(QStringLiteral("SELECT count(*) FROM t")).front().rows[0][0], SqlValue(qint64(0)));
    auto good = m_db->run(
        {D1Statement{QStringLiteral("INSERT INTO t (a) VALUES (?)"), {SqlValue(qint64(1))}},
         D1Statement{QStringLiteral("INSERT INTO t (a) VALUES (?)"), {SqlValue(qint64(2))}}});
    QVERIFY(good);
    QCOMPARE(good->size(), size_t(2));
    QCOMPARE(good->at(1).meta.lastRowId, qint64(2));
}

void TestD1Database::execCountsAndNamesTheLine() {
    auto ok = m_db->exec(QStringLiteral(
        "INSERT INTO t (a) VALUES (1);\n-- a comment\nINSERT INTO t (a) VALUES (2);\n"));
    QVERIFY(ok);
    QCOMPARE(ok->count, 2);
    auto bad = m_db->exec(QStringLiteral("INSERT INTO t (a) VALUES (3);\nSELEC 1;"));
    QVERIFY(!bad);
    QVERIFY2(bad.error().startsWith(QLatin1String("D1_EXEC_ERROR: Error in line 2:")),
             qPrintable(bad.error()));
    QVERIFY2(bad.error().contains(QLatin1String("syntax error")), qPrintable(bad.error()));
}

void TestD1Database::scriptSeesItsOwnSchema() {
    auto r = m_db->runScript(
        QStringLiteral("CREATE TABLE u (x); INSERT INTO u VALUES (7); SELECT x FROM u;"));
    QVERIFY(r);
    QCOMPARE(r->size(), size_t(3));
    QCOMPARE(r->at(2).rows[0][0], SqlValue(qint64(7)));
    auto bad = m_db->runScript(QStringLiteral("CREATE TABLE v (x); INSERT INTO nope VALUES (1);"));
    QVERIFY(!bad);
    QVERIFY(
        !m_db->run({D1Statement{QStringLiteral("SELECT * FROM v"), {}}})); // rolled back with it
}

void TestD1Database::exportRebuildsTheDatabase() {
    run(QStringLiteral("INSERT INTO t (a, b) VALUES (?, ?)"),
        {SqlValue(QByteArray("\x01\x02", 2)), SqlValue(QStringLiteral("it's"))});
    run(QStringLiteral("INSERT INTO t (a, b) VALUES (?, ?)"), {SqlValue(0.1), SqlValue()});
    QVERIFY(m_db->exec(QStringLiteral("CREATE INDEX t_b ON t(b)")));
    // Names and values with '%' and quotes survive (the text is not a format string).
    QVERIFY(m_db->exec(QStringLiteral("CREATE TABLE \"we%2i\"\"rd\" (\"c%1\" TEXT); INSERT INTO "
                                      "\"we%2i\"\"rd\" VALUES ('%1 %2 it''s')")));
    auto dump = m_db->dump();
    QVERIFY(dump);
    D1Database copy(m_dir->filePath(QStringLiteral("d1/copy.sqlite")));
    QVERIFY(copy.open());
    QVERIFY2(copy.exec(*dump), qPrintable(*dump));
    auto a = run(QStringLiteral("SELECT * FROM t ORDER BY id")).front().rows;
    auto b =
        copy.run({D1Statement{QStringLiteral("SELECT * FROM t ORDER BY id"), {}}})->front().rows;
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
        for (size_t c = 0; c < a[i].size(); ++c)
            QCOMPARE(a[i][c], b[i][c]);
    // AUTOINCREMENT carries on from where it was.
    auto next = copy.run({D1Statement{QStringLiteral("INSERT INTO t (a) VALUES (1)"), {}}});
    QCOMPARE(next->front().meta.lastRowId, qint64(3));
    QVERIFY(dump->contains(QLatin1String("CREATE INDEX t_b")));
    auto odd = copy.run({D1Statement{QStringLiteral("SELECT \"c%1\" FROM \"we%2i\"\"rd\""), {}}});
    QVERIFY2(odd, qPrintable(*dump));
    QCOMPARE(odd->front().rows[0][0], SqlValue(QStringLiteral("%1 %2 it's")));
}

void TestD1Database::errorsCarrySqlitesMessage() {
    auto r = m_db->run({D1Statement{QStringLiteral("SELECT * FROM nope"), {}}});
    QCOMPARE(r.error(), QStringLiteral("D1_ERROR: no such table: nope: SQLITE_ERROR"));
    QVERIFY(m_db->exec(QStringLiteral("CREATE TABLE u (x UNIQUE); INSERT INTO u VALUES (1)")));
    auto dup = m_db->run({D1Statement{QStringLiteral("INSERT INTO u VALUES (1)"), {}}});
    QCOMPARE(dup.error(),
             QStringLiteral("D1_ERROR: UNIQUE constraint failed: u.x: SQLITE_CONSTRAINT"));
    auto extra = m_db->run(
        {D1Statement{QStringLiteral("SELECT ?"), {SqlValue(qint64(1)), SqlValue(qint64(2))}}});
    QVERIFY(!extra);
}

// ATTACH would let worker code read any SQLite file on the host, VACUUM INTO write one.
void TestD1Database::noOtherFileIsReachable() {
    const QString other = m_dir->filePath(QStringLiteral("other.sqlite"));
    {
        D1Database victim(other);
        QVERIFY(victim.open());
        QVERIFY(victim.exec(
            QStringLiteral("CREATE TABLE secret (x); INSERT INTO secret VALUES ('s3cr3t')")));
    }
    auto attach = m_db->run({{QStringLiteral("ATTACH DATABASE ?1 AS v"), {SqlValue(other)}}});
    QVERIFY(!attach);
    QCOMPARE(attach.error(), QStringLiteral("D1_ERROR: not authorized: SQLITE_AUTH"));
    auto read = m_db->run({{QStringLiteral("SELECT x FROM v.secret"), {}}});
    QVERIFY(!read);
    QVERIFY2(read.error().contains(QLatin1String("no such table: v.secret")),
             qPrintable(read.error()));
    QVERIFY(!m_db->exec(QStringLiteral("ATTACH '%1' AS w").arg(other)));
    QVERIFY(!m_db->runScript(QStringLiteral("ATTACH '%1' AS w; SELECT 1").arg(other)));

    const QString copy = m_dir->filePath(QStringLiteral("copy.sqlite"));
    auto vacuum = m_db->run({{QStringLiteral("VACUUM INTO ?1"), {SqlValue(copy)}}});
    QVERIFY(!vacuum);
    QVERIFY2(vacuum.error().endsWith(QLatin1String("SQLITE_AUTH")), qPrintable(vacuum.error()));
    QVERIFY(!QFile::exists(copy));
    auto extension = m_db->run({{QStringLiteral("SELECT load_extension('/tmp/x')"), {}}});
    QVERIFY(!extension);
    // The database's own statements still run.
    QVERIFY(m_db->run({{QStringLiteral("CREATE TABLE mine (x)"), {}},
                       {QStringLiteral("INSERT INTO mine VALUES (1)"), {}}}));
}

// A query that would run for ever stops at the time limit, and the database serves the next.
void TestD1Database::runawayQueryIsInterrupted() {
    m_db->setTimeLimit(300);
    const QString forever = QStringLiteral(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
    auto r = m_db->run({{forever, {}}});
    QVERIFY(!r);
    QVERIFY2(r.error().startsWith(QLatin1String("D1_ERROR: the query ran past the time limit")) &&
                 r.error().endsWith(QLatin1String("SQLITE_INTERRUPT")),
             qPrintable(r.error()));
    QVERIFY(!m_db->exec(forever));
    QVERIFY(!m_db->runScript(forever));
    // The limit is per call: the next statements run, however many came before.
    auto next = m_db->run({{QStringLiteral("SELECT 42"), {}}});
    QVERIFY2(next, next ? "" : qPrintable(next.error()));
    QCOMPARE(std::get<qint64>(next->front().rows.front().front()), 42);
}

// A query whose caller has gone (the request ended) stops when its cancel flag is set from
// another thread, and says why (not the time limit's message); the next call runs.
void TestD1Database::cancelledQueryStops() {
    const QString forever = QStringLiteral(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n");
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    std::thread canceller([cancel] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        cancel->store(true);
    });
    auto r = m_db->run({{forever, {}}}, cancel);
    canceller.join();
    QVERIFY(!r);
    QVERIFY2(r.error().contains(QLatin1String("the request that issued it ended")),
             qPrintable(r.error()));
    // Already cancelled: run() stops at once too. A flag left unset changes nothing.
    QVERIFY(!m_db->run({{forever, {}}}, cancel));
    auto next =
        m_db->run({{QStringLiteral("SELECT 42"), {}}}, std::make_shared<std::atomic<bool>>(false));
    QVERIFY2(next, next ? "" : qPrintable(next.error()));
}

// D1Answer: the JSON the Python SDK reads; the SDK suite compares it with the JS path's.
void TestD1Database::answersForPython_data() {
    QTest::addColumn<QString>("sql");
    QTest::addColumn<int>("shape");
    QTest::addColumn<QByteArray>("expected"); // empty: no answer (the JS path's)
    const int first = int(D1Answer::Shape::First), raw = int(D1Answer::Shape::Raw);
    QTest::newRow("row") << "SELECT 1 AS a, 'x' AS b, NULL AS c" << first
                         << QByteArray(R"(j{"a":1,"b":"x","c":null})");
    QTest::newRow("none") << "SELECT 1 AS a WHERE 0" << first << QByteArray("jnull");
    QTest::newRow("numbers") << "SELECT 3.0 AS r, -0.0 AS z, 2.5 AS h, 1e-7 AS t" << first
                             << QByteArray(R"(j{"r":3,"z":0,"h":2.5,"t":1e-07})");
    QTest::newRow("escapes") << "SELECT 'q\"b\\' || char(10, 9, 1) || '\u00e9' AS s" << first
                             << QByteArray("j{\"s\":\"q\\\"b\\\\\\n\\t\\u0001\xc3\xa9\"}");
    QTest::newRow("blob") << "SELECT x'00ff' AS b" << raw << QByteArray("j[[[0,255]]]");
    QTest::newRow("raw") << "SELECT 1, 2 UNION ALL SELECT 3, 4" << raw
                         << QByteArray("j[[1,2],[3,4]]");
    QTest::newRow("one index key") << "SELECT 7 AS \"1\"" << first << QByteArray(R"(j{"1":7})");
    QTest::newRow("index keys") << "SELECT 1 AS b, 2 AS \"1\"" << first << QByteArray();
    QTest::newRow("twice") << "SELECT 1 AS a, 2 AS a" << first << QByteArray();
    QTest::newRow("proto") << "SELECT 1 AS __proto__" << first << QByteArray();
    QTest::newRow("unsafe") << "SELECT 9007199254740993 AS n" << raw << QByteArray();
    QTest::newRow("infinite") << "SELECT 1e300 * 1e300 AS n" << raw << QByteArray();
}

void TestD1Database::answersForPython() {
    QFETCH(QString, sql);
    QFETCH(int, shape);
    QFETCH(QByteArray, expected);
    const auto results = run(sql);
    QCOMPARE(results.size(), size_t(1));
    const auto answer = D1Answer::encode(results.front(), D1Answer::Shape(shape));
    QCOMPARE(answer.value_or(QByteArray()), expected);
}

void TestD1Database::answersForPythonCarryMeta() {
    const auto results = run(QStringLiteral("INSERT INTO t (a, b) VALUES (1, 'x') RETURNING id"));
    QCOMPARE(results.size(), size_t(1));
    const auto answer = D1Answer::encode(results.front(), D1Answer::Shape::All);
    QVERIFY(answer);
    QVERIFY2(answer->startsWith(
                 R"(j{"success":true,"results":[{"id":1}],"meta":{"served_by":"kiln","duration":)"),
             answer->constData());
    QVERIFY2(answer->endsWith(R"(,"changes":1,"last_row_id":1,"changed_db":true,"size_after":)" +
                              QByteArray::number(results.front().meta.sizeAfter) +
                              R"(,"rows_read":1,"rows_written":1}})"),
             answer->constData());
}

QTEST_GUILESS_MAIN(TestD1Database)
#include "test_d1database.moc"
