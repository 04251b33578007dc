// The control channel end to end: a real `kiln dev --control-fd` child, driven as the studio
// drives it. Every event a person's tools rely on is checked field by field.
#include "kilndevprocess.h"

#include "protocol/commands.h"
#include "protocol/events.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <utility>

using namespace kiln;
using namespace kiln::protocol;
using namespace kiln::test;

namespace {

const QByteArray kConfig = R"({
  "name": "control",
  "main": "src/entry.py",
  "compatibility_date": "2026-09-08",
  "compatibility_flags": ["python_workers"],
  "triggers": {"crons": ["*/7 * * * *"]},
  "kv_namespaces": [{"binding": "CACHE", "id": "cache-ns"}],
  "d1_databases": [{"binding": "DB", "database_name": "db", "database_id": "db-id"}]
})";

QByteArray source(const char* greeting) {
    return QByteArray(R"py(import asyncio
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path == "boom":
            return 1 / 0
        if path == "boom-later":
            await asyncio.sleep(0)
            return 1 / 0
        if path == "print":
            print("printed from python")
            return Response("printed")
        if path == "kv":
            await self.env.CACHE.put("greeting", "hi")
            return Response("stored")
        if path == "d1":
            await self.env.DB.exec("CREATE TABLE IF NOT EXISTS notes (body TEXT)")
            await self.env.DB.prepare("INSERT INTO notes VALUES (?)").bind("x").run()
            return Response("inserted")
        if path == "slow":
            await asyncio.sleep(5)
        return Response(")py") +
           greeting + R"py(")

    async def scheduled(self, controller, env, ctx):
        print(f"cron {controller.cron} ran")
)py";
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(bytes) == bytes.size();
}

QString str(const Message& m, const char* field) {
    return m.body.value(QLatin1String(field)).toString();
}
double num(const Message& m, const char* field) {
    return m.body.value(QLatin1String(field)).toDouble();
}

} // namespace

class TestControl : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void helloThenReady();
    void requestEvents();
    void cancelledRequest();
    void logSources();
    void exceptionFrames();
    void storeChanges();
    void reloadWithSyntaxErrorAndFix();
    void commands();
    void badInput();
    void stopEndsTheProcess();
    void closingTheChannelEndsTheProcess();
    void unixSocketByPath();
    void badControlAddress();

private:
    std::optional<Message> after(const QString& event, qsizetype from,
                                 const std::function<bool(const Message&)>& match = {},
                                 int timeoutMs = 30000) {
        return m_dev.control().waitForEvent(event, timeoutMs, match, from);
    }
    qsizetype mark() {
        m_dev.control().poll();
        return m_dev.control().received().size();
    }

    QTemporaryDir m_project;
    QTemporaryDir m_state;
    KilnDevProcess m_dev;
};

void TestControl::initTestCase() {
    QVERIFY(writeFile(m_project.filePath(QStringLiteral("wrangler.jsonc")), kConfig));
    QVERIFY(writeFile(m_project.filePath(QStringLiteral("src/entry.py")), source("hello")));
    QVERIFY2(m_dev.start(m_project.path(), m_state.path()), qPrintable(m_dev.output()));
}

void TestControl::cleanupTestCase() {
    m_dev.stop();
}

void TestControl::helloThenReady() {
    const auto& received = m_dev.control().received();
    QVERIFY(!received.isEmpty());
    const Message& hello = received.first();
    QCOMPARE(hello.name, QStringLiteral("hello"));
    QCOMPARE(hello.seq, 1);
    auto body = HelloEvent::fromBody(hello.body);
    QVERIFY2(body, body ? "" : qPrintable(body.error()));
    QCOMPARE(body->protocol, kVersion);
    QCOMPARE(body->pid, m_dev.pid());
    QCOMPARE(QDir(body->projectDir).canonicalPath(), QDir(m_project.path()).canonicalPath());
    QCOMPARE(QDir(body->stateDir).canonicalPath(), QDir(m_state.path()).canonicalPath());

    auto ready = ReadyEvent::fromBody(m_dev.readyBody());
    QVERIFY2(ready, ready ? "" : qPrintable(ready.error()));
    QCOMPARE(ready->port, int(m_dev.port()));
    QCOMPARE(ready->url, QStringLiteral("http://127.0.0.1:%1").arg(m_dev.port()));
    QVERIFY(ready->bootMs > 0);
    QVERIFY2(ready->bootError.isEmpty(), qPrintable(ready->bootError));
    // "Ready on" is printed once the worker can answer, not when the socket opens.
    QVERIFY2(m_dev.waitForOutput(QStringLiteral("Ready on http://127.0.0.1:")),
             qPrintable(m_dev.output()));
    // The banner names every binding, as wrangler's does.
    QVERIFY2(m_dev.output().contains(QStringLiteral("env.CACHE (KV namespace cache-ns)")),
             qPrintable(m_dev.output()));
    QVERIFY2(m_dev.output().contains(QStringLiteral("env.DB (D1 database db, id db-id)")),
             qPrintable(m_dev.output()));
    const QString out = m_dev.output();
    QVERIFY2(out.indexOf(QStringLiteral("Worker ready in")) <
                 out.indexOf(QStringLiteral("Ready on")),
             qPrintable(out));

    // The boot phases came before ready, each with a start and a duration.
    QStringList phases;
    for (const auto& m : received) {
        if (m.name == QLatin1String("bootPhase")) {
            auto phase = BootPhaseEvent::fromBody(m.body);
            QVERIFY2(phase, phase ? "" : qPrintable(phase.error()));
            QVERIFY(phase->durationMs >= 0);
            phases << phase->name;
        }
        if (m.name == QLatin1String("ready")) break;
    }
    QVERIFY2(phases.contains(QStringLiteral("import main module")),
             qPrintable(phases.join(QLatin1Char(','))));
}

void TestControl::requestEvents() {
    const qsizetype from = mark();
    const HttpResult result = httpRequest(m_dev.port(), "GET", "/path?q=%2e%2e");
    QCOMPARE(result.status, 200);
    QCOMPARE(result.body, QByteArray("hello"));
    auto started = after(QStringLiteral("requestStarted"), from);
    QVERIFY(started);
    QCOMPARE(str(*started, "method"), QStringLiteral("GET"));
    QCOMPARE(str(*started, "path"), QStringLiteral("/path?q=%2e%2e"));
    const qint64 id = qint64(num(*started, "id"));
    QVERIFY(id > 0);
    auto finished = after(QStringLiteral("requestFinished"), from,
                          [&](const Message& m) { return qint64(num(m, "id")) == id; });
    QVERIFY(finished);
    auto event = RequestFinishedEvent::fromBody(finished->body);
    QVERIFY2(event, event ? "" : qPrintable(event.error()));
    QCOMPARE(event->status, 200);
    QCOMPARE(event->path, QStringLiteral("/path?q=%2e%2e"));
    QVERIFY(!event->cancelled);
    QVERIFY(event->bytesIn > 20);
    QVERIFY(event->bytesOut > result.body.size());
    QVERIFY(event->handlerMs > 0);
    QVERIFY(event->queuedMs >= 0);
    QVERIFY(event->totalMs >= event->handlerMs);
    // The request log line is a log event too, source "request", '%' escapes intact.
    auto line = after(QStringLiteral("log"), from, [](const Message& m) {
        return str(m, "source") == QLatin1String("request");
    });
    QVERIFY(line);
    QVERIFY2(str(*line, "text").startsWith(QLatin1String("GET /path?q=%2e%2e 200 OK (")),
             qPrintable(str(*line, "text")));
}

void TestControl::cancelledRequest() {
    const qsizetype from = mark();
    {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), m_dev.port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(socket.waitForBytesWritten(5000));
        QVERIFY(after(QStringLiteral("requestStarted"), from));
        QTest::qWait(200);
        socket.abort(); // the client gives up
    }
    auto finished = after(QStringLiteral("requestFinished"), from, [](const Message& m) {
        return str(m, "path") == QLatin1String("/slow");
    });
    QVERIFY(finished);
    QCOMPARE(finished->body.value(QStringLiteral("cancelled")).toBool(), true);
    QCOMPARE(num(*finished, "status"), 0.0);
    QVERIFY2(m_dev.waitForOutput(QStringLiteral("GET /slow cancelled (")),
             qPrintable(m_dev.output()));
}

void TestControl::logSources() {
    const qsizetype from = mark();
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/print").body, QByteArray("printed"));
    auto line = after(QStringLiteral("log"), from, [](const Message& m) {
        return str(m, "text") == QLatin1String("printed from python");
    });
    QVERIFY(line);
    auto event = LogEvent::fromBody(line->body);
    QVERIFY2(event, event ? "" : qPrintable(event.error()));
    QCOMPARE(event->source, LogSource::Print);
    QCOMPARE(event->level, LogLevel::Log);
    QVERIFY(event->time > 1.7e12);
}

void TestControl::exceptionFrames() {
    // At once, and after the handler first waited (its Task then stays in Python until the
    // failure is handed to the host).
    for (const auto& [path, line] : {std::pair{"/boom", 9}, std::pair{"/boom-later", 12}}) {
        const qsizetype from = mark();
        QCOMPARE(httpRequest(m_dev.port(), "GET", path).status, 500);
        auto raised = after(QStringLiteral("exception"), from);
        QVERIFY(raised);
        auto event = ExceptionEvent::fromBody(raised->body);
        QVERIFY2(event, event ? "" : qPrintable(event.error()));
        QCOMPARE(event->type, QStringLiteral("ZeroDivisionError"));
        QCOMPARE(event->message, QStringLiteral("division by zero"));
        QVERIFY(!event->frames.empty());
        const TraceFrame& last = event->frames.back();
        QVERIFY2(last.file.endsWith(QLatin1String("src/entry.py")), qPrintable(last.file));
        QCOMPARE(last.line, line);
        QCOMPARE(last.function, QStringLiteral("fetch"));
        QVERIFY(last.inProject);
        QVERIFY(event->text.contains(QLatin1String("Traceback")));
        // Kiln's dispatcher re-raises the error; its frame is not the user's business.
        QVERIFY2(!event->text.contains(QLatin1String("_kiln_host")), qPrintable(event->text));
        QVERIFY2(
            event->text.contains(QStringLiteral("src/entry.py\", line %1, in fetch").arg(line)),
            qPrintable(event->text));
    }
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/").status, 200); // still serving
}

void TestControl::storeChanges() {
    qsizetype from = mark();
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/kv").body, QByteArray("stored"));
    auto kv = after(QStringLiteral("storeChanged"), from);
    QVERIFY(kv);
    QCOMPARE(str(*kv, "binding"), QStringLiteral("CACHE"));
    QCOMPARE(str(*kv, "kind"), QStringLiteral("kv"));
    QCOMPARE(str(*kv, "key"), QStringLiteral("greeting"));

    from = mark();
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/d1").body, QByteArray("inserted"));
    auto d1 = after(QStringLiteral("storeChanged"), from,
                    [](const Message& m) { return str(m, "table") == QLatin1String("notes"); });
    QString seen;
    for (qsizetype i = from; i < m_dev.control().received().size(); ++i)
        if (m_dev.control().received().at(i).name == QLatin1String("storeChanged"))
            seen += QString::fromUtf8(QJsonDocument(m_dev.control().received().at(i).body)
                                          .toJson(QJsonDocument::Compact));
    QVERIFY2(d1,
             qPrintable(QStringLiteral("no storeChanged event naming the D1 table; got: ") + seen));
    QCOMPARE(str(*d1, "binding"), QStringLiteral("DB"));
    QCOMPARE(str(*d1, "kind"), QStringLiteral("d1"));
}

void TestControl::reloadWithSyntaxErrorAndFix() {
    const QString entry = m_project.filePath(QStringLiteral("src/entry.py"));
    qsizetype from = mark();
    QVERIFY(writeFile(entry, "from workers import Response\n\n\ndef broken(:\n    pass\n"));
    auto started = after(QStringLiteral("reloadStarted"), from);
    QVERIFY(started);
    const QJsonArray changed = started->body.value(QStringLiteral("changed")).toArray();
    QVERIFY2(!changed.isEmpty() && changed.first().toString().endsWith(QLatin1String("entry.py")),
             QJsonDocument(started->body).toJson().constData());
    auto finished = after(QStringLiteral("reloadFinished"), from);
    QVERIFY(finished);
    auto failed = ReloadFinishedEvent::fromBody(finished->body);
    QVERIFY2(failed, failed ? "" : qPrintable(failed.error()));
    QVERIFY(!failed->ok);
    QVERIFY(failed->error);
    QVERIFY2(failed->error->file.endsWith(QLatin1String("src/entry.py")),
             qPrintable(failed->error->file));
    QCOMPARE(failed->error->line, 4);
    QVERIFY2(failed->error->message.startsWith(QLatin1String("SyntaxError")),
             qPrintable(failed->error->message));
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/").status, 500);

    from = mark();
    QVERIFY(writeFile(entry, source("fixed")));
    finished = after(QStringLiteral("reloadFinished"), from);
    QVERIFY(finished);
    auto fixed = ReloadFinishedEvent::fromBody(finished->body);
    QVERIFY2(fixed && fixed->ok, QJsonDocument(finished->body).toJson().constData());
    QVERIFY(fixed->durationMs > 0);
    QVERIFY(!fixed->error);
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/").body, QByteArray("fixed"));

    // A config that stops parsing: reported with file, line and column; the old version serves.
    from = mark();
    const QString config = m_project.filePath(QStringLiteral("wrangler.jsonc"));
    QVERIFY(writeFile(config, "{\n  \"name\": \"control\",\n  oops\n}\n"));
    finished = after(QStringLiteral("reloadFinished"), from);
    QVERIFY(finished);
    auto bad = ReloadFinishedEvent::fromBody(finished->body);
    QVERIFY(bad && !bad->ok && bad->error);
    QVERIFY(bad->error->file.endsWith(QLatin1String("wrangler.jsonc")));
    QCOMPARE(bad->error->line, 3);
    QVERIFY(bad->error->column > 0);
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/").body, QByteArray("fixed"));
    from = mark();
    QVERIFY(writeFile(config, kConfig));
    QVERIFY(after(QStringLiteral("reloadFinished"), from,
                  [](const Message& m) { return m.body.value(QStringLiteral("ok")).toBool(); }));
}

void TestControl::commands() {
    ControlClient& control = m_dev.control();
    // reload: answered, then the reload's own events.
    qsizetype from = mark();
    auto reply = control.call(makeRequest(ReloadCommand{}));
    QVERIFY(reply && reply->success);
    QCOMPARE(reply->name, QStringLiteral("reload"));
    auto started = after(QStringLiteral("reloadStarted"), from);
    QVERIFY(started);
    QVERIFY(started->body.value(QStringLiteral("changed")).toArray().isEmpty());
    QVERIFY(after(QStringLiteral("reloadFinished"), from,
                  [](const Message& m) { return m.body.value(QStringLiteral("ok")).toBool(); }));

    // triggerScheduled: answered once the handler ran; its print arrives as a log event.
    from = mark();
    reply = control.call(makeRequest(TriggerScheduledCommand{QStringLiteral("*/7 * * * *")}));
    QVERIFY(reply);
    QVERIFY2(reply->success, qPrintable(reply->message));
    QVERIFY(after(QStringLiteral("log"), from, [](const Message& m) {
        return str(m, "text") == QLatin1String("cron */7 * * * * ran");
    }));

    // setLogLevel: below the threshold nothing is sent.
    reply = control.call(makeRequest(SetLogLevelCommand{LogLevel::Error}));
    QVERIFY(reply && reply->success);
    from = mark();
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/print").status, 200);
    QVERIFY(after(QStringLiteral("requestFinished"), from));
    QVERIFY(!after(QStringLiteral("log"), from, {}, 300));
    reply = control.call(makeRequest(SetLogLevelCommand{LogLevel::Log}));
    QVERIFY(reply && reply->success);

    // Bad commands are answered, never ignored.
    reply = control.call(Message::request(QStringLiteral("frobnicate")));
    QVERIFY(reply && !reply->success);
    QCOMPARE(reply->message, QStringLiteral("unknown command 'frobnicate'"));
    reply = control.call(
        Message::request(QStringLiteral("setLogLevel"),
                         QJsonObject{{QStringLiteral("level"), QStringLiteral("loud")}}));
    QVERIFY(reply && !reply->success);
    QVERIFY2(reply->message.contains(QLatin1String("level")), qPrintable(reply->message));
    reply = control.call(Message::request(QStringLiteral("triggerScheduled")));
    QVERIFY(reply && !reply->success);
    QVERIFY2(reply->message.contains(QLatin1String("cron")), qPrintable(reply->message));
    InitializeCommand future;
    future.protocol = kVersion + 1;
    reply = control.call(makeRequest(future));
    QVERIFY(reply && !reply->success);
    QVERIFY2(reply->message.contains(QLatin1String("not supported")), qPrintable(reply->message));
    InitializeCommand current;
    current.client = QStringLiteral("test_control");
    reply = control.call(makeRequest(current));
    QVERIFY(reply && reply->success);
    QCOMPARE(reply->body.value(QStringLiteral("protocol")).toInt(), kVersion);
}

void TestControl::badInput() {
    ControlClient& control = m_dev.control();
    auto isError = [](const Message&) { return true; };
    qsizetype from = mark();
    control.writeRaw("Content-Length: 9\r\n\r\nnot json!");
    auto error = after(QStringLiteral("error"), from, isError);
    QVERIFY(error);
    QVERIFY(!str(*error, "message").isEmpty());
    from = mark();
    control.writeRaw("Content-Length: 999999999999\r\n\r\n");
    QVERIFY(after(QStringLiteral("error"), from, isError));
    // The host keeps reading after both: the next request is answered. (The oversized frame's
    // body never comes; the reader is told to skip it, so start a fresh client-side stream by
    // checking the server still answers HTTP and its events still flow.)
    from = mark();
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/").status, 200);
    QVERIFY(after(QStringLiteral("requestFinished"), from));
    QVERIFY(m_dev.isRunning());
}

void TestControl::stopEndsTheProcess() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(m_project.path(), state.path()), qPrintable(dev.output()));
    auto reply = dev.control().call(makeRequest(StopCommand{}));
    QVERIFY(reply && reply->success);
    QTRY_VERIFY_WITH_TIMEOUT(!dev.isRunning(), 10000);
}

void TestControl::closingTheChannelEndsTheProcess() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(m_project.path(), state.path()), qPrintable(dev.output()));
    dev.control().close();
    QTRY_VERIFY_WITH_TIMEOUT(!dev.isRunning(), 10000);
    QVERIFY2(dev.output().contains(QLatin1String("control channel closed")),
             qPrintable(dev.output()));
}

// `--control unix:PATH`: kiln connects to a socket the client listens on.
void TestControl::unixSocketByPath() {
    QTemporaryDir dir, state;
    QLocalServer server;
    const QString path = dir.filePath(QStringLiteral("control.sock"));
    QVERIFY(server.listen(path));
    QProcess kiln;
    kiln.setProcessChannelMode(QProcess::MergedChannels);
    kiln.start(qEnvironmentVariable("KILN_BIN"),
               {QStringLiteral("dev"), m_project.path(), QStringLiteral("--port"),
                QStringLiteral("0"), QStringLiteral("--persist-to"), state.path(),
                QStringLiteral("--control"), QStringLiteral("unix:") + path});
    QVERIFY(kiln.waitForStarted(10000));
    QVERIFY2(server.waitForNewConnection(30000), kiln.readAll().constData());
    QLocalSocket* socket = server.nextPendingConnection();
    Endpoint endpoint;
    QList<Message> received;
    QDeadlineTimer deadline(60000);
    auto has = [&](const char* name) {
        return std::any_of(received.begin(), received.end(),
                           [&](const Message& m) { return m.name == QLatin1String(name); });
    };
    while (!has("ready") && !deadline.hasExpired()) {
        socket->waitForReadyRead(100);
        for (auto& item : endpoint.feed(socket->readAll()))
            if (item) received.append(*item);
    }
    QVERIFY2(has("ready"), kiln.readAll().constData());
    QCOMPARE(received.first().name, QStringLiteral("hello"));
    Message stop = makeRequest(StopCommand{});
    socket->write(endpoint.encode(stop));
    QVERIFY(socket->waitForBytesWritten(5000));
    QVERIFY(kiln.waitForFinished(10000));
    QCOMPARE(kiln.exitCode(), 0);
}

// A control address that cannot work is an error naming it, before anything starts.
void TestControl::badControlAddress() {
    QTemporaryDir state;
    for (const QStringList& extra :
         {QStringList{QStringLiteral("--control"), QStringLiteral("tcp:1234")},
          QStringList{QStringLiteral("--control-fd"), QStringLiteral("987")},
          QStringList{QStringLiteral("--control"), QStringLiteral("unix:/nonexistent/dir/sock")}}) {
        QProcess kiln;
        kiln.setProcessChannelMode(QProcess::MergedChannels);
        kiln.start(qEnvironmentVariable("KILN_BIN"),
                   QStringList{QStringLiteral("dev"), m_project.path(), QStringLiteral("--port"),
                               QStringLiteral("0"), QStringLiteral("--persist-to"), state.path()} +
                       extra);
        QVERIFY(kiln.waitForFinished(20000));
        const QString out = QString::fromUtf8(kiln.readAll());
        QCOMPARE(kiln.exitCode(), 1);
        QVERIFY2(out.contains(extra.first()), qPrintable(out));
    }
}

QTEST_GUILESS_MAIN(TestControl)
#include "test_control.moc"
