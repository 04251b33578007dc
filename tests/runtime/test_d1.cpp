// D1 end to end: migrations applied with `kiln d1`, then Python in a real kiln dev using
// env.DB, then the CLI reading what the worker wrote (execute --json, export).
#include "kilndevprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

class TestD1 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void types();
    void values();
    void batch();
    void exec();
    void errors();
    void cliSeesTheWorkersData();
    void queryStopsWhenItsClientLeaves_data();
    void queryStopsWhenItsClientLeaves();

private:
    QJsonValue getJson(const QByteArray& path);
    QByteArray d1(const QStringList& args, int* exitCode = nullptr);
    QString m_project;
    QTemporaryDir m_state;
    KilnDevProcess m_dev;
};

QByteArray TestD1::d1(const QStringList& args, int* exitCode) {
    QProcess p;
    p.start(qEnvironmentVariable("KILN_BIN"),
            QStringList{QStringLiteral("d1")} + args +
                QStringList{QStringLiteral("-c"), m_project, QStringLiteral("--persist-to"),
                            m_state.path()});
    p.waitForFinished(30000);
    if (exitCode) *exitCode = p.exitCode();
    return p.readAllStandardOutput();
}

void TestD1::initTestCase() {
    m_project =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/d1");
    QVERIFY(d1({QStringLiteral("migrations"), QStringLiteral("list"), QStringLiteral("DB")})
                .contains("0001_items.sql"));
    int code = -1;
    d1({QStringLiteral("migrations"), QStringLiteral("apply"), QStringLiteral("d1-test"),
        QStringLiteral("--local")},
       &code);
    QCOMPARE(code, 0);
    QVERIFY(d1({QStringLiteral("migrations"), QStringLiteral("list"), QStringLiteral("DB")})
                .contains("No migrations to apply"));
    QVERIFY2(m_dev.start(m_project, m_state.path()), qPrintable(m_dev.output()));
}

void TestD1::cleanupTestCase() {
    m_dev.stop();
}

QJsonValue TestD1::getJson(const QByteArray& path) {
    const HttpResult r = httpRequest(m_dev.port(), "GET", path);
    if (r.status != 200)
        qWarning("%s -> %d %s\n%s", path.constData(), r.status, r.body.constData(),
                 qPrintable(m_dev.output()));
    return QJsonDocument::fromJson("[" + r.body + "]").array().at(0);
}

void TestD1::types() {
    const QJsonObject r = getJson("/types").toObject();
    const QJsonObject meta = r.value("meta").toObject();
    QCOMPARE(meta.value("changes").toInt(), 1);
    QCOMPARE(meta.value("last_row_id").toInt(), 2); // row 1 is the seeded one
    QVERIFY(meta.value("changed_db").toBool());
    QVERIFY(r.value("success").toBool());
    const QJsonObject row = r.value("row").toObject();
    QCOMPARE(row.value("name").toString(), QStringLiteral("widget"));
    QCOMPARE(row.value("price").toDouble(), 2.25);
    QCOMPARE(row.value("qty").toInt(), 7);
    QCOMPARE(row.value("data").toArray(), (QJsonArray{0, 255}));
    QCOMPARE(r.value("count").toInt(), 3);
    QVERIFY(r.value("missing").isNull());
    QCOMPARE(r.value("raw").toArray().at(1).toArray(), (QJsonArray{"widget", 7}));
    QCOMPARE(r.value("named").toArray().at(0).toArray(), (QJsonArray{"name"}));
    QCOMPARE(r.value("names").toArray(), (QJsonArray{"seeded", "widget", "nothing"}));
    QVERIFY(r.value("null").isNull());
}

// Values cross between Python and the host as JSON text: every SQLite type comes back as
// Python sees it through D1 on Cloudflare (a JS number: safe integers as int, else float).
void TestD1::values() {
    const QJsonObject r = getJson("/values").toObject();
    auto check = [&](const char* name, const char* sqlType, const char* pyType,
                     const QJsonValue& value) {
        const QJsonObject v = r.value(QLatin1String(name)).toObject();
        QVERIFY2(v.value("type").toString() == QLatin1String(sqlType), name);
        QVERIFY2(v.value("py").toString() == QLatin1String(pyType),
                 qPrintable(
                     QStringLiteral("%1: %2").arg(QLatin1String(name), v.value("py").toString())));
        QVERIFY2(v.value("value") == value,
                 qPrintable(QStringLiteral("%1: %2").arg(
                     QLatin1String(name),
                     QString::fromUtf8(QJsonDocument(v).toJson(QJsonDocument::Compact)))));
    };
    const QString text = QString::fromUtf8("quote \" backslash \\ newline \n tab \t nul ") +
                         QChar(0) + QString::fromUtf8(" bell \x07 é 😀");
    check("text", "text", "str", text);
    // A large Python int reaches JS as a bigint (Pyodide's to_js, as on Cloudflare), which
    // D1's bind() refuses there as here.
    QCOMPARE(r.value("big").toObject().value("error").toString(),
             QStringLiteral("Error: D1_TYPE_ERROR: Type 'bigint' not supported for value "
                            "'4611686018427387904'"));
    QVERIFY(r.value("neg").toObject().value("error").toString().contains("'bigint'"));
    QVERIFY(r.value("safe").toObject().value("error").toString().contains("'bigint'"));
    check("real", "real", "float", 2.5);
    check("whole_real", "integer", "int", 5); // a whole number binds as INTEGER, as from JS
    check("tiny", "real", "float", 1e-300);
    check("inf", "real", "float", "inf");
    QJsonArray bytes;
    for (int i = 0; i < 256; ++i)
        bytes.append(i);
    check("blob", "blob", "list", bytes);
    check("empty_blob", "blob", "list", QJsonArray());
    check("none", "null", "NoneType", QJsonValue::Null);
    check("true", "integer", "int", 1);
    QCOMPARE(r.value("batch").toArray(),
             (QJsonArray{QJsonArray{text, "text"}, QJsonArray{QJsonArray{1, 2}, "null"},
                         QJsonArray{"-inf", "integer"}}));
    QCOMPARE(r.value("distinct").toInt(), 299 * 300 / 2);
}

void TestD1::batch() {
    const QJsonObject r = getJson("/batch").toObject();
    QCOMPARE(r.value("good").toArray(), (QJsonArray{1, 1}));
    QVERIFY2(
        r.value("bad").toString().contains(QLatin1String("UNIQUE constraint failed: items.name")),
        qPrintable(r.value("bad").toString()));
    QCOMPARE(r.value("b3").toInt(), 0); // the whole batch rolled back
}

void TestD1::exec() {
    const QJsonObject r = getJson("/exec").toObject();
    QCOMPARE(r.value("count").toInt(), 3);
    QVERIFY(r.value("has_duration").toBool());
}

void TestD1::errors() {
    const QJsonObject r = getJson("/errors").toObject();
    QCOMPARE(r.value("sql").toString(),
             QStringLiteral("JsException: Error: D1_ERROR: no such table: nope: SQLITE_ERROR"));
    QCOMPARE(r.value("column").toString(),
             QStringLiteral("JsException: Error: D1_COLUMN_NOTFOUND: Column not found (b)"));
    QVERIFY2(r.value("type").toString().contains(
                 QLatin1String("D1_TYPE_ERROR: Type 'object' not supported")),
             qPrintable(r.value("type").toString()));
}

void TestD1::cliSeesTheWorkersData() {
    const QJsonArray out =
        QJsonDocument::fromJson(
            d1({QStringLiteral("execute"), QStringLiteral("DB"), QStringLiteral("--command"),
                QStringLiteral("SELECT name FROM items WHERE qty = 7"), QStringLiteral("--json")}))
            .array();
    QCOMPARE(out.size(), 1);
    QCOMPARE(
        out.at(0).toObject().value("results").toArray().at(0).toObject().value("name").toString(),
        QStringLiteral("widget"));
    QTemporaryDir outDir;
    const QString dump = outDir.filePath(QStringLiteral("dump.sql"));
    int code = -1;
    d1({QStringLiteral("export"), QStringLiteral("DB"), QStringLiteral("--output"), dump}, &code);
    QCOMPARE(code, 0);
    QFile file(dump);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray sql = file.readAll();
    QVERIFY(sql.contains("CREATE TABLE items"));
    // wrangler's layout: a table's CREATE, then its rows with their column lists.
    QVERIFY2(sql.contains("INSERT INTO \"items\" (\"id\",\"name\",\"price\",\"qty\",\"data\") "
                          "VALUES(2,'widget',2.25,7,X'00ff');"),
             sql.constData());
    QVERIFY(sql.indexOf("CREATE TABLE items") < sql.indexOf("INSERT INTO \"items\""));
    const auto exported = [&](const QStringList& extra) {
        d1(QStringList{QStringLiteral("export"), QStringLiteral("DB"), QStringLiteral("--output"),
                       dump} +
               extra,
           &code);
        QFile again(dump);
        return again.open(QIODevice::ReadOnly) ? again.readAll() : QByteArray();
    };
    const QByteArray schemaOnly = exported({QStringLiteral("--no-data")});
    QVERIFY(schemaOnly.contains("CREATE TABLE items") && !schemaOnly.contains("INSERT INTO"));
    const QByteArray rowsOnly = exported(
        {QStringLiteral("--no-schema"), QStringLiteral("--table"), QStringLiteral("items")});
    QVERIFY(!rowsOnly.contains("CREATE") && rowsOnly.contains("INSERT INTO \"items\""));
    QVERIFY(!rowsOnly.contains("d1_migrations"));
    exported({QStringLiteral("--table"), QStringLiteral("nope")});
    QCOMPARE(code, 1);
    d1({QStringLiteral("execute"), QStringLiteral("DB"), QStringLiteral("--command"),
        QStringLiteral("SELEC oops")},
       &code);
    QCOMPARE(code, 1);
    // With --json the failure is JSON on stdout, as wrangler prints it.
    const QJsonObject failed =
        QJsonDocument::fromJson(
            d1({QStringLiteral("execute"), QStringLiteral("DB"), QStringLiteral("--command"),
                QStringLiteral("SELECT * FROM nope"), QStringLiteral("--json")},
               &code))
            .object();
    QCOMPARE(code, 1);
    const QJsonObject error = failed.value("error").toObject();
    QVERIFY2(error.value("text").toString().contains("no such table: nope"),
             QJsonDocument(failed).toJson().constData());
    QCOMPARE(error.value("kind").toString(), QStringLiteral("error"));
}

void TestD1::queryStopsWhenItsClientLeaves_data() {
    QTest::addColumn<QByteArray>("path");
    QTest::newRow("lone SELECT, engine thread") << QByteArray("/runaway-read");
    QTest::newRow("batch, pool thread") << QByteArray("/runaway-write");
}

// A query that would run until D1's 30 s limit stops as soon as the request that issued it is
// gone (the client closed the connection), so the database and the thread are free for the
// next request at once; the log says why the query stopped.
void TestD1::queryStopsWhenItsClientLeaves() {
    QFETCH(QByteArray, path);
    const qsizetype from = m_dev.control().received().size();
    {
        QTcpSocket client;
        client.connectToHost(QStringLiteral("127.0.0.1"), m_dev.port());
        QVERIFY(client.waitForConnected(5000));
        client.write("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(client.waitForBytesWritten(5000));
        QVERIFY(m_dev.control().waitForEvent(
            QStringLiteral("requestStarted"), 10000,
            [&](const kiln::protocol::Message& m) {
                return m.body.value(QStringLiteral("path")).toString().toUtf8() == path;
            },
            from));
        QTest::qWait(500); // the query is running
    }
    QVERIFY2(m_dev.control().waitForEvent(
                 QStringLiteral("log"), 20000,
                 [](const kiln::protocol::Message& m) {
                     return m.body.value(QStringLiteral("text"))
                         .toString()
                         .contains(QLatin1String("the request that issued it ended"));
                 },
                 from),
             qPrintable(m_dev.output()));
    const HttpResult next = httpRequest(m_dev.port(), "GET", "/errors", {}, {}, 20000);
    QCOMPARE(next.status, 200);
}

QTEST_GUILESS_MAIN(TestD1)
#include "test_d1.moc"
