// Every project template the studio offers (resources/templates) runs under a real kiln dev
// and does what its README line promises: each is a complete Cloudflare Python Worker.

#include "copytree.h"
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

class TestTemplates : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyTemplateIsTested();
    void hello();
    void jsonApi();
    void kvCounter();
    void d1Notes();
    void r2Files();
    void scheduled();

private:
    // A fresh copy of the template, its state in a temporary folder.
    bool start(const QString& name, KilnDevProcess& dev);
    QTemporaryDir m_project, m_state;
    QString m_copy;
};

namespace {

QString templatesDir() {
    return qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/resources/templates");
}

const QStringList kTested{QStringLiteral("d1-notes"), QStringLiteral("hello"),
                          QStringLiteral("json-api"), QStringLiteral("kv-counter"),
                          QStringLiteral("r2-files"), QStringLiteral("scheduled")};

} // namespace

bool TestTemplates::start(const QString& name, KilnDevProcess& dev) {
    m_copy = m_project.filePath(name);
    if (!copyTree(templatesDir() + QLatin1Char('/') + name, m_copy)) return false;
    return dev.start(m_copy, m_state.filePath(name));
}

void TestTemplates::everyTemplateIsTested() {
    QStringList found = QDir(templatesDir()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    found.sort();
    QCOMPARE(found, kTested);
    for (const QString& name : found) {
        QVERIFY2(QFile::exists(templatesDir() + QLatin1Char('/') + name +
                               QStringLiteral("/pyproject.toml")),
                 qPrintable(name));
        QVERIFY2(QFile::exists(templatesDir() + QLatin1Char('/') + name +
                               QStringLiteral("/wrangler.jsonc")),
                 qPrintable(name));
    }
}

void TestTemplates::hello() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("hello"), dev), qPrintable(dev.output()));
    const HttpResult r = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(r.status, 200);
    QCOMPARE(r.body, QByteArray("Hello from a Python Worker!\n"));
}

void TestTemplates::jsonApi() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("json-api"), dev), qPrintable(dev.output()));
    const HttpResult created =
        httpRequest(dev.port(), "POST", "/items", {{"content-type", "application/json"}},
                    R"({"name": "second"})");
    QCOMPARE(created.status, 201);
    QCOMPARE(QJsonDocument::fromJson(created.body).object().value(QStringLiteral("id")).toInt(), 2);
    const HttpResult list = httpRequest(dev.port(), "GET", "/items");
    QCOMPARE(QJsonDocument::fromJson(list.body).array().size(), 2);
    QCOMPARE(httpRequest(dev.port(), "GET", "/items/9").status, 404);
    QCOMPARE(httpRequest(dev.port(), "POST", "/items", {}, "[]").status, 400);
}

void TestTemplates::kvCounter() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("kv-counter"), dev), qPrintable(dev.output()));
    httpRequest(dev.port(), "GET", "/page");
    const HttpResult second = httpRequest(dev.port(), "GET", "/page");
    QCOMPARE(second.body, QByteArray("/page has been visited 2 time(s)\n"));
}

void TestTemplates::d1Notes() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("d1-notes"), dev), qPrintable(dev.output()));
    QProcess migrate;
    migrate.start(qEnvironmentVariable("KILN_BIN"),
                  {QStringLiteral("d1"), QStringLiteral("migrations"), QStringLiteral("apply"),
                   QStringLiteral("notes"), QStringLiteral("--local"), QStringLiteral("-c"), m_copy,
                   QStringLiteral("--persist-to"), m_state.filePath(QStringLiteral("d1-notes"))});
    QVERIFY(migrate.waitForFinished(30000));
    QVERIFY2(migrate.exitCode() == 0, migrate.readAll().constData());
    const HttpResult created = httpRequest(dev.port(), "POST", "/", {}, "buy milk");
    QVERIFY2(created.status == 201, created.body.constData());
    const QJsonObject note = QJsonDocument::fromJson(created.body).object();
    QCOMPARE(note.value(QStringLiteral("text")).toString(), QStringLiteral("buy milk"));
    const HttpResult list = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(QJsonDocument::fromJson(list.body).array().size(), 1);
}

void TestTemplates::r2Files() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("r2-files"), dev), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "PUT", "/notes/a.txt", {}, "hello r2").status, 201);
    const HttpResult got = httpRequest(dev.port(), "GET", "/notes/a.txt");
    QCOMPARE(got.body, QByteArray("hello r2"));
    QVERIFY(got.headers.contains(qMakePair(QByteArray("content-type"), QByteArray("text/plain"))));
    QCOMPARE(QJsonDocument::fromJson(httpRequest(dev.port(), "GET", "/").body).array().size(), 1);
    QCOMPARE(httpRequest(dev.port(), "DELETE", "/notes/a.txt").status, 200);
    QCOMPARE(httpRequest(dev.port(), "GET", "/notes/a.txt").status, 404);
}

void TestTemplates::scheduled() {
    KilnDevProcess dev;
    QVERIFY2(start(QStringLiteral("scheduled"), dev), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("last run: never\n"));
    QCOMPARE(httpRequest(dev.port(), "GET", "/__scheduled?cron=*/5+*+*+*+*").status, 200);
    QVERIFY(dev.waitForLog(QStringLiteral("cron */5 * * * * fired")));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("last run: */5 * * * *\n"));
}

QTEST_GUILESS_MAIN(TestTemplates)
#include "test_templates.moc"
