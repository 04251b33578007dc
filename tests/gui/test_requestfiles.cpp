// `.http` request files (REST Client / JetBrains format) with variables and environments, and
// cURL import and export: the composer's documents, without a window.

#include "curlcommand.h"
#include "httpdocument.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln;

class TestRequestFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesTheRestClientFormat();
    void roundTrips();
    void variablesAndEnvironments();
    void bodyFromAFile();
    void curlImport();
    void curlErrors();
    void curlExportReadsBack();
};

namespace {

const char* kSample = R"(@host = {{base}}
@token = secret-{{user}}

### Say hello
# @name hello
GET {{host}}/?name=kiln HTTP/1.1
Accept: text/plain

###
// @name create
POST {{host}}/echo
Content-Type: application/json
Authorization: Bearer {{token}}

{
  "title": "{{missing}}"
}

### upload
PUT {{host}}/files/a.bin
Content-Type: application/octet-stream

< ./payload.bin

###
https://example.com/bare
)";

} // namespace

void TestRequestFiles::parsesTheRestClientFormat() {
    const HttpFile file = HttpFile::parse(QString::fromUtf8(kSample));
    QCOMPARE(file.variables.size(), 2);
    QCOMPARE(file.variables.at(0).first, QStringLiteral("host"));
    QCOMPARE(file.requests.size(), 4);
    const HttpFileRequest& hello = file.requests.at(0);
    QCOMPARE(hello.name, QStringLiteral("hello"));
    QCOMPARE(hello.title, QStringLiteral("Say hello"));
    QCOMPARE(hello.method, QByteArray("GET"));
    QCOMPARE(hello.url, QStringLiteral("{{host}}/?name=kiln"));
    QCOMPARE(hello.headers.size(), 1);
    QCOMPARE(hello.line, 6);
    const HttpFileRequest& create = file.requests.at(1);
    QCOMPARE(create.name, QStringLiteral("create"));
    QCOMPARE(create.headers.size(), 2);
    QCOMPARE(create.body, QStringLiteral("{\n  \"title\": \"{{missing}}\"\n}"));
    QCOMPARE(file.requests.at(2).bodyFile, QStringLiteral("./payload.bin"));
    QCOMPARE(file.requests.at(2).title, QStringLiteral("upload"));
    QCOMPARE(file.requests.at(3).method, QByteArray("GET"));
    QCOMPARE(file.requests.at(3).url, QStringLiteral("https://example.com/bare"));
    // The request a line belongs to: from its request line to the next one.
    QCOMPARE(file.requestAt(1), &file.requests.at(0)); // before any: the first
    QCOMPARE(file.requestAt(8), &file.requests.at(0));
    QCOMPARE(file.requestAt(11), &file.requests.at(1));
    QCOMPARE(file.requestAt(100), &file.requests.at(3));
    QVERIFY(!HttpFile::parse(QString()).requestAt(1));
}

void TestRequestFiles::roundTrips() {
    const HttpFile first = HttpFile::parse(QString::fromUtf8(kSample));
    const QString written = first.serialize();
    const HttpFile second = HttpFile::parse(written);
    QCOMPARE(second.serialize(), written);
    QCOMPARE(second.variables, first.variables);
    QCOMPARE(second.requests.size(), first.requests.size());
    for (int i = 0; i < first.requests.size(); ++i) {
        const auto& a = first.requests.at(i);
        const auto& b = second.requests.at(i);
        QCOMPARE(b.name, a.name);
        QCOMPARE(b.title, a.title);
        QCOMPARE(b.method, a.method);
        QCOMPARE(b.url, a.url);
        QCOMPARE(b.headers, a.headers);
        QCOMPARE(b.body, a.body);
        QCOMPARE(b.bodyFile, a.bodyFile);
    }
}

void TestRequestFiles::variablesAndEnvironments() {
    auto envs = HttpEnvironments::parse(R"({
        "$shared": {"user": "ada", "base": "http://shared"},
        "dev": {"base": "http://127.0.0.1:8787"},
        "prod": {"base": "https://api.example.com", "user": "grace"}})");
    QVERIFY2(envs, envs ? "" : qPrintable(envs.error()));
    QCOMPARE(envs->names(), (QStringList{QStringLiteral("dev"), QStringLiteral("prod")}));
    const HttpFile file = HttpFile::parse(QString::fromUtf8(kSample));

    auto dev =
        resolveRequest(file, file.requests.at(1), envs->variables(QStringLiteral("dev")), {});
    QVERIFY(dev);
    QCOMPARE(dev->url.toString(), QStringLiteral("http://127.0.0.1:8787/echo"));
    QCOMPARE(dev->method, QByteArray("POST"));
    QCOMPARE(dev->headers.at(1).second, QByteArray("Bearer secret-ada"));
    QVERIFY2(dev->body.contains("{{missing}}"), dev->body.constData()); // unknown: left visible

    auto prod =
        resolveRequest(file, file.requests.at(1), envs->variables(QStringLiteral("prod")), {});
    QCOMPARE(prod->url.toString(), QStringLiteral("https://api.example.com/echo"));
    QCOMPARE(prod->headers.at(1).second, QByteArray("Bearer secret-grace"));

    QVERIFY(!HttpEnvironments::parse("{not json"));
    QVERIFY(HttpEnvironments::parse("{not json")
                .error()
                .contains(QLatin1String("http-client.env.json")));
}

void TestRequestFiles::bodyFromAFile() {
    QTemporaryDir dir;
    QFile payload(dir.filePath(QStringLiteral("payload.bin")));
    QVERIFY(payload.open(QIODevice::WriteOnly));
    payload.write(QByteArray("\x00\x01\xff", 3));
    payload.close();
    const HttpFile file = HttpFile::parse(QString::fromUtf8(kSample));
    auto r = resolveRequest(file, file.requests.at(2),
                            {{QStringLiteral("base"), QStringLiteral("http://x")}}, dir.path());
    QVERIFY2(r, r ? "" : qPrintable(r.error()));
    QCOMPARE(r->body, QByteArray("\x00\x01\xff", 3));
    QFile::remove(payload.fileName());
    auto missing = resolveRequest(file, file.requests.at(2), {}, dir.path());
    QVERIFY(!missing);
    QVERIFY2(missing.error().contains(QLatin1String("payload.bin")), qPrintable(missing.error()));
}

void TestRequestFiles::curlImport() {
    // As Chrome's "Copy as cURL (bash)" writes it.
    auto r = parseCurl(QStringLiteral("curl 'http://127.0.0.1:8787/echo?x=1' \\\n"
                                      "  -H 'accept: application/json' \\\n"
                                      "  -H \"X-Quote: it's \\\"fine\\\"\" \\\n"
                                      "  --data-raw '{\"a\":\"b c\"}' \\\n"
                                      "  --compressed"));
    QVERIFY2(r, r ? "" : qPrintable(r.error()));
    QCOMPARE(r->method, QByteArray("POST")); // data implies POST
    QCOMPARE(r->url.toString(), QStringLiteral("http://127.0.0.1:8787/echo?x=1"));
    QCOMPARE(r->headers.at(0), qMakePair(QByteArray("accept"), QByteArray("application/json")));
    QCOMPARE(r->headers.at(1).second, QByteArray("it's \"fine\""));
    QCOMPARE(r->body, QByteArray("{\"a\":\"b c\"}"));
    QCOMPARE(r->headers.at(2).first, QByteArray("Content-Type"));

    auto put = parseCurl(QStringLiteral("curl -X PUT --json '[1]' -u ada:pw https://e.example/x"));
    QVERIFY(put);
    QCOMPARE(put->method, QByteArray("PUT"));
    QCOMPARE(put->body, QByteArray("[1]"));
    QVERIFY(put->headers.contains(
        qMakePair(QByteArray("Authorization"), QByteArray("Basic YWRhOnB3"))));
    QVERIFY(put->headers.contains(
        qMakePair(QByteArray("Content-Type"), QByteArray("application/json"))));
    QCOMPARE(parseCurl(QStringLiteral("curl -I http://h/"))->method, QByteArray("HEAD"));
}

void TestRequestFiles::curlErrors() {
    QVERIFY(
        parseCurl(QStringLiteral("wget http://x")).error().contains(QLatin1String("not a curl")));
    QVERIFY(parseCurl(QStringLiteral("curl 'http://x"))
                .error()
                .contains(QLatin1String("unterminated")));
    QVERIFY(parseCurl(QStringLiteral("curl --upload-file f http://x"))
                .error()
                .contains(QLatin1String("--upload-file")));
    QVERIFY(
        parseCurl(QStringLiteral("curl -H")).error().contains(QLatin1String("-H needs a value")));
    QVERIFY(parseCurl(QStringLiteral("curl -s")).error().contains(QLatin1String("no URL")));
}

void TestRequestFiles::curlExportReadsBack() {
    HttpCallRequest request;
    request.method = "PATCH";
    request.url = QUrl(QStringLiteral("http://127.0.0.1:8787/items/1?q=a b"));
    request.headers = {{"Content-Type", "application/json"}, {"X-Note", "it's here"}};
    request.body = "{\"name\": \"O'Brien\"}";
    const QString command = toCurl(request);
    auto back = parseCurl(command);
    QVERIFY2(back, qPrintable(command));
    QCOMPARE(back->method, request.method);
    QCOMPARE(back->url, request.url);
    QCOMPARE(back->headers, request.headers);
    QCOMPARE(back->body, request.body);
}

QTEST_GUILESS_MAIN(TestRequestFiles)
#include "test_requestfiles.moc"
