// KV end to end: Python in a real kiln dev calling env.NS, and `kiln kv key ...` on the same
// files while the server runs.
#include "kilndevprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

class TestKv : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void roundtrip();
    void paging();
    void errors();
    void cliSharesTheData();
    void cliPreviewNamespace();

private:
    QJsonValue getJson(const QByteArray& path);
    QByteArray kvCli(const QStringList& args, int* exitCode = nullptr);
    QString m_project;
    QTemporaryDir m_state;
    KilnDevProcess m_dev;
};

void TestKv::initTestCase() {
    m_project =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/kv");
    QVERIFY2(m_dev.start(m_project, m_state.path()), qPrintable(m_dev.output()));
}

void TestKv::cleanupTestCase() {
    m_dev.stop();
}

QJsonValue TestKv::getJson(const QByteArray& path) {
    const HttpResult r = httpRequest(m_dev.port(), "GET", path);
    if (r.status != 200)
        qWarning("%s -> %d %s\n%s", path.constData(), r.status, r.body.constData(),
                 qPrintable(m_dev.output()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + r.body + "]", &error);
    return doc.array().at(0);
}

QByteArray TestKv::kvCli(const QStringList& args, int* exitCode) {
    QProcess p;
    p.start(qEnvironmentVariable("KILN_BIN"),
            QStringList{QStringLiteral("kv"), QStringLiteral("key")} + args +
                QStringList{QStringLiteral("--binding"), QStringLiteral("NS"), QStringLiteral("-c"),
                            m_project, QStringLiteral("--persist-to"), m_state.path()});
    p.waitForFinished(30000);
    if (exitCode) *exitCode = p.exitCode();
    return p.readAllStandardOutput();
}

void TestKv::roundtrip() {
    const QJsonObject r = getJson("/roundtrip").toObject();
    QCOMPARE(r.value("text").toString(), QStringLiteral("héllo"));
    // Decoded by the host for a text get, by TextDecoder from the bytes: alike.
    QCOMPARE(r.value("odd").toString(),
             QString::fromUtf8("hi €\uFFFD\uFFFD( 😀\uFFFD\uFFFD\uFFFD."));
    QCOMPARE(r.value("odd_js").toString(), r.value("odd").toString());
    QCOMPARE(r.value("same_wrapper").toBool(), true);
    QCOMPARE(r.value("json").toObject().value("a").toArray(), (QJsonArray{1, 2}));
    QCOMPARE(r.value("bytes").toArray(), (QJsonArray{0, 1, 255}));
    QVERIFY(r.value("missing").isNull());
    QCOMPARE(r.value("meta").toObject().value("owner").toString(), QStringLiteral("test"));
    QCOMPARE(r.value("meta_value").toObject().value("a").toArray().size(), 2);
    QCOMPARE(r.value("listed").toArray(), (QJsonArray{"text", "ttl"}));
    QVERIFY(r.value("ttl_in_future").toBool());
    QVERIFY(r.value("complete").toBool());
    QCOMPARE(r.value("bulk").toObject().value("text").toString(), QStringLiteral("héllo"));
    QVERIFY(r.value("bulk").toObject().contains("missing"));
}

void TestKv::paging() {
    const QJsonArray r = getJson("/paging").toArray();
    QCOMPARE(r.at(0).toArray(), (QJsonArray{"p:0", "p:1"}));
    QCOMPARE(r.at(1).toBool(), false);
    QCOMPARE(r.at(2).toArray(), (QJsonArray{"p:2", "p:3"}));
}

void TestKv::errors() {
    const QJsonObject r = getJson("/errors").toObject();
    QCOMPARE(r.value("long key").toString(),
             QStringLiteral("JsException: Error: KV GET failed: 414 UTF-8 encoded length of 513 "
                            "exceeds key length limit of 512."));
    QCOMPARE(r.value("dot").toString(),
             QStringLiteral("JsException: Error: KV PUT failed: 400 Illegal key name \".\". Please "
                            "use a different name."));
    QCOMPARE(r.value("ttl").toString(),
             QStringLiteral("JsException: Error: KV PUT failed: 400 Invalid expiration_ttl of 5. "
                            "Expiration TTL must be at least 60."));
    QCOMPARE(r.value("value type").toString(),
             QStringLiteral("JsException: TypeError: KV put() accepts only strings, ArrayBuffers, "
                            "ArrayBufferViews, and ReadableStreams as values."));
    QVERIFY2(r.value("get type")
                 .toString()
                 .startsWith(QLatin1String("JsException: TypeError: Unknown response type.")),
             qPrintable(r.value("get type").toString()));
    QVERIFY2(r.value("limit").toString().contains(QLatin1String("Invalid key_count_limit of 5000")),
             qPrintable(r.value("limit").toString()));
    // Epoch milliseconds where seconds belong: workerd's 32-bit range check.
    QCOMPARE(r.value("ms expiration").toString(),
             QStringLiteral("JsException: TypeError: Value out of range. Must be between "
                            "-2147483648 and 2147483647 (inclusive)."));
    // The server kept serving.
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/cli").status, 200);
}

void TestKv::cliSharesTheData() {
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/cli").body, QByteArray("absent"));
    int code = -1;
    kvCli({QStringLiteral("put"), QStringLiteral("from-cli"), QStringLiteral("written by the CLI")},
          &code);
    QCOMPARE(code, 0);
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/cli").body, QByteArray("written by the CLI"));
    QCOMPARE(kvCli({QStringLiteral("get"), QStringLiteral("text")}), QByteArray("héllo"));
    const QJsonArray listed =
        QJsonDocument::fromJson(
            kvCli({QStringLiteral("list"), QStringLiteral("--prefix"), QStringLiteral("p:")}))
            .array();
    QCOMPARE(listed.size(), 5);
    QCOMPARE(listed.at(0).toObject().value("name").toString(), QStringLiteral("p:0"));
    kvCli({QStringLiteral("delete"), QStringLiteral("from-cli")}, &code);
    QCOMPARE(code, 0);
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/cli").body, QByteArray("absent"));
    // As wrangler: a missing key prints "Value not found" and succeeds.
    QCOMPARE(kvCli({QStringLiteral("get"), QStringLiteral("from-cli")}, &code),
             QByteArray("Value not found\n"));
    QCOMPARE(code, 0);
    QCOMPARE(kvCli({QStringLiteral("get"), QStringLiteral("text"), QStringLiteral("--text")}),
             QByteArray("héllo\n"));
    kvCli({QStringLiteral("put"), QStringLiteral("late"), QStringLiteral("v"),
           QStringLiteral("--expiration"), QStringLiteral("1675058732043")},
          &code);
    QCOMPARE(code, 1); // beyond 32 bits, as wrangler refuses it
}

// --preview reads the namespace's preview_id, as wrangler does, and fails without one.
void TestKv::cliPreviewNamespace() {
    QTemporaryDir project, state;
    QFile config(project.filePath(QStringLiteral("wrangler.jsonc")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(R"({"name": "p", "main": "src/entry.py", "compatibility_date": "2026-09-08",
 "compatibility_flags": ["python_workers"],
 "kv_namespaces": [{"binding": "NS", "id": "live-id", "preview_id": "preview-id"},
                   {"binding": "BARE", "id": "bare-id"}]})");
    config.close();
    QDir().mkpath(project.filePath(QStringLiteral("src")));
    QFile entry(project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::WriteOnly));
    entry.close();
    const auto cli = [&](const QStringList& args, int* code) {
        QProcess p;
        p.start(qEnvironmentVariable("KILN_BIN"),
                QStringList{QStringLiteral("kv"), QStringLiteral("key")} + args +
                    QStringList{QStringLiteral("-c"), project.path(),
                                QStringLiteral("--persist-to"), state.path()});
        p.waitForFinished(30000);
        *code = p.exitCode();
        return p.readAllStandardOutput() + p.readAllStandardError();
    };
    int code = -1;
    cli({QStringLiteral("put"), QStringLiteral("k"), QStringLiteral("preview value"),
         QStringLiteral("--binding"), QStringLiteral("NS"), QStringLiteral("--preview")},
        &code);
    QCOMPARE(code, 0);
    QCOMPARE(cli({QStringLiteral("get"), QStringLiteral("k"), QStringLiteral("--binding"),
                  QStringLiteral("NS"), QStringLiteral("--preview")},
                 &code),
             QByteArray("preview value"));
    QCOMPARE(cli({QStringLiteral("get"), QStringLiteral("k"), QStringLiteral("--binding"),
                  QStringLiteral("NS")},
                 &code),
             QByteArray("Value not found\n")); // the live namespace is another one
    const QByteArray bare =
        cli({QStringLiteral("get"), QStringLiteral("k"), QStringLiteral("--binding"),
             QStringLiteral("BARE"), QStringLiteral("--preview")},
            &code);
    QCOMPARE(code, 1);
    QVERIFY2(bare.contains("No preview ID found for BARE"), bare.constData());
}

QTEST_GUILESS_MAIN(TestKv)
#include "test_kv.moc"
