// R2 end to end: Python in a real kiln dev using env.BUCKET, a 64 MiB body streamed from the
// HTTP request into R2 and back out, and `kiln r2 object ...` on the same bucket.
#include "kilndevprocess.h"
#include "procstatus.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

class TestR2 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void objects();
    void wholeBodies();
    void multipart();
    void errors();
    void bodiesStreamThroughTheWorker();
    void cliSharesTheBucket();

private:
    QJsonValue getJson(const QByteArray& path);
    QByteArray r2(const QStringList& args, int* exitCode = nullptr, const QByteArray& input = {});
    QString m_project;
    QTemporaryDir m_state;
    QTemporaryDir m_cwd; // the r2 CLI's working folder
    KilnDevProcess m_dev;
};

void TestR2::initTestCase() {
    m_project =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/r2");
    QVERIFY2(m_dev.start(m_project, m_state.path()), qPrintable(m_dev.output()));
}

void TestR2::cleanupTestCase() {
    m_dev.stop();
}

QJsonValue TestR2::getJson(const QByteArray& path) {
    const HttpResult r = httpRequest(m_dev.port(), "GET", path);
    if (r.status != 200)
        qWarning("%s -> %d %s\n%s", path.constData(), r.status, r.body.constData(),
                 qPrintable(m_dev.output()));
    return QJsonDocument::fromJson("[" + r.body + "]").array().at(0);
}

QByteArray TestR2::r2(const QStringList& args, int* exitCode, const QByteArray& input) {
    QProcess p;
    p.setWorkingDirectory(m_cwd.path()); // where `get` writes a file named after the key
    p.start(qEnvironmentVariable("KILN_BIN"),
            QStringList{QStringLiteral("r2"), QStringLiteral("object")} + args +
                QStringList{QStringLiteral("-c"), m_project, QStringLiteral("--persist-to"),
                            m_state.path()});
    p.waitForStarted();
    if (!input.isEmpty()) p.write(input);
    p.closeWriteChannel();
    p.waitForFinished(60000);
    if (exitCode) *exitCode = p.exitCode();
    return p.readAllStandardOutput();
}

void TestR2::objects() {
    const QJsonObject r = getJson("/objects").toObject();
    const QJsonObject put = r.value("put").toObject();
    QCOMPARE(put.value("key").toString(), QStringLiteral("docs/a.txt"));
    QCOMPARE(put.value("size").toInt(), 11);
    QCOMPARE(put.value("etag_len").toInt(), 32);
    QVERIFY(put.value("http_etag").toBool());
    QCOMPARE(r.value("text").toString(), QStringLiteral("hello world"));
    QCOMPARE(r.value("content_type").toString(), QStringLiteral("text/plain"));
    QCOMPARE(r.value("owner").toString(), QStringLiteral("py"));
    QCOMPARE(r.value("ranged").toString(), QStringLiteral("world"));
    QCOMPARE(r.value("range").toObject().value("offset").toInt(), 6);
    QCOMPARE(r.value("suffix").toString(), QStringLiteral("rld"));
    QCOMPARE(r.value("head_size").toInt(), 11);
    QVERIFY(!r.value("head_has_body").toBool());
    QCOMPARE(r.value("listed").toArray(), (QJsonArray{"docs/a.txt", "docs/b.bin"}));
    QCOMPARE(r.value("listed_meta").toArray().at(0).toObject().value("owner").toString(),
             QStringLiteral("py"));
    QCOMPARE(r.value("prefixes").toArray(), (QJsonArray{"docs/sub/"}));
    QVERIFY(!r.value("truncated").toBool());
    QVERIFY(!r.value("not_modified_has_body").toBool());
    QVERIFY(r.value("skipped").isNull());
    QCOMPARE(r.value("after_delete").toArray(), (QJsonArray{"docs/a.txt", "docs/sub/c.txt"}));
    QVERIFY(r.value("missing").isNull());
}

void TestR2::wholeBodies() {
    const QJsonObject r = getJson("/whole").toObject();
    QCOMPARE(r.value("same").toBool(), true);
    QCOMPARE(r.value("size").toInteger(), qint64(256 * (3 * 4096 + 7)));
    QCOMPARE(r.value("etag").toBool(), true); // MD5, hashed on its own thread
    QCOMPARE(r.value("ranged").toBool(), true);
    // As JSON.parse and Pyodide would give it: 1.0 -> 1, beyond 2^53 -> float.
    QCOMPARE(r.value("json").toObject(),
             (QJsonObject{{"a", QJsonArray{1, 2.5, 1, QJsonValue::Null, 9007199254740992.0}},
                          {"b", QString::fromUtf8("é")}}));
    QCOMPARE(r.value("text").toString(),
             QString::fromUtf8("{\"a\": [1, 2.5, 1.0, null, 9007199254740993], \"b\": \"é\"}"));
    // A body being streamed cannot also be read whole, as in workerd.
    QCOMPARE(r.value("first_chunk").toBool(), true);
    const QString used =
        QStringLiteral("JsException: TypeError: Body has already been used. It can only be used "
                       "once. Use tee() first if you need to read it twice.");
    QCOMPARE(r.value("streamed_then_whole").toString(), used);
    QCOMPARE(r.value("again").toString(), used);
    QCOMPARE(r.value("lone").toArray(), (QJsonArray{97, 0xef, 0xbf, 0xbd, 98}));
    // 40 whole reads of 3 MiB: each freed when dropped (the wasm heap does not grow).
    QCOMPARE(r.value("heap_growth").toInteger(), 0);
}

void TestR2::multipart() {
    const QJsonObject r = getJson("/multipart").toObject();
    QCOMPARE(r.value("size").toInt(), 5 * 1024 * 1024 + 3);
    QCOMPARE(r.value("etag_suffix").toString(), QStringLiteral("2"));
    QCOMPARE(r.value("tail").toString(), QStringLiteral("aend"));
}

void TestR2::errors() {
    const QJsonObject r = getJson("/errors").toObject();
    QCOMPARE(
        r.value("long key").toString(),
        QStringLiteral("JsException: Error: put: The specified object name is not valid. (10020)"));
    QCOMPARE(
        r.value("bad range").toString(),
        QStringLiteral("JsException: Error: get: The requested range is not satisfiable (10039)"));
    QCOMPARE(r.value("bad md5").toString(),
             QStringLiteral("JsException: Error: put: The MD5 checksum you specified did not match "
                            "what we received. (10037)"));
}

void TestR2::bodiesStreamThroughTheWorker() {
    QByteArray body(64 << 20, '\0');
    for (qsizetype i = 0; i < body.size(); i += 4096)
        body[i] = static_cast<char>(i / 4096);
    const qint64 before = procStatusKiB("VmRSS", m_dev.pid());
    const HttpResult put =
        httpRequest(m_dev.port(), "PUT", "/stream/big.bin",
                    {{"content-type", "application/octet-stream"}}, body, 120000);
    QCOMPARE(put.status, 200);
    QCOMPARE(QJsonDocument::fromJson(put.body).object().value("size").toDouble(),
             double(body.size()));
    const HttpResult got = httpRequest(m_dev.port(), "GET", "/stream/big.bin", {}, {}, 120000);
    QCOMPARE(got.status, 200);
    QCOMPARE(got.body.size(), body.size());
    QVERIFY(QCryptographicHash::hash(got.body, QCryptographicHash::Sha256) ==
            QCryptographicHash::hash(body, QCryptographicHash::Sha256));
    const qint64 growth = procStatusKiB("VmRSS", m_dev.pid()) - before;
    qInfo("kiln dev RSS grew by %lld KiB over a 64 MiB put and get",
          static_cast<long long>(growth));
    QVERIFY2(
        growth < 48 * 1024,
        qPrintable(QStringLiteral("the server held the body: RSS grew by %1 KiB").arg(growth)));
}

void TestR2::cliSharesTheBucket() {
    int code = -1;
    r2({QStringLiteral("put"), QStringLiteral("r2-test/from-cli.txt"), QStringLiteral("--pipe"),
        QStringLiteral("--content-type"), QStringLiteral("text/plain")},
       &code, "written by the CLI");
    QCOMPARE(code, 0);
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/stream/from-cli.txt").body,
             QByteArray("written by the CLI"));
    QCOMPARE(
        r2({QStringLiteral("get"), QStringLiteral("BUCKET/docs/a.txt"), QStringLiteral("--pipe")}),
        QByteArray("hello world"));
    // As wrangler: without --file or --pipe, a file named after the key (folders made).
    QCOMPARE(r2({QStringLiteral("get"), QStringLiteral("r2-test/docs/a.txt")}, &code),
             QByteArray("Downloading \"docs/a.txt\" from \"r2-test\".\n"));
    QCOMPARE(code, 0);
    QFile written(m_cwd.filePath(QStringLiteral("docs/a.txt")));
    QVERIFY(written.open(QIODevice::ReadOnly));
    QCOMPARE(written.readAll(), QByteArray("hello world"));
    // A key that would write outside the folder is refused, not followed.
    r2({QStringLiteral("put"), QStringLiteral("r2-test/../escape.txt"), QStringLiteral("--pipe")},
       &code, "x");
    QCOMPARE(code, 0);
    r2({QStringLiteral("get"), QStringLiteral("r2-test/../escape.txt")}, &code);
    QCOMPARE(code, 1);
    QVERIFY(!QFileInfo::exists(m_cwd.filePath(QStringLiteral("../escape.txt"))));
    const QJsonArray listed =
        QJsonDocument::fromJson(r2({QStringLiteral("list"), QStringLiteral("r2-test"),
                                    QStringLiteral("--prefix"), QStringLiteral("docs/")}))
            .array();
    QCOMPARE(listed.size(), 2);
    r2({QStringLiteral("delete"), QStringLiteral("r2-test/from-cli.txt")}, &code);
    QCOMPARE(code, 0);
    r2({QStringLiteral("get"), QStringLiteral("r2-test/from-cli.txt")}, &code);
    QCOMPARE(code, 1);
}

QTEST_GUILESS_MAIN(TestR2)
#include "test_r2.moc"
