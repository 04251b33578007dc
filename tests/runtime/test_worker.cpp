// End-to-end tests of the worker host: a real `kiln dev` on a free loopback port, real
// Pyodide, real HTTP. Limits, error reporting, concurrency, and the workers SDK's own suite
// run inside Kiln.

#include "kilndevprocess.h"
#include "procstatus.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <QThread>
#include <chrono>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kiln::test;

namespace {

QString projectDir(const char* name) {
    return qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/projects/") +
           QLatin1String(name);
}

bool writeFile(const QString& path, const QByteArray& data) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
}

} // namespace

class TestWorker : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sdkSuiteInsideKiln();
    void wranglerStyleArguments();
    void runawayLoopHitsCpuLimit();
    void memoryBlowUpReplacesInstance();
    void idleWorkerGivesBackItsGarbage();
    void syntaxErrorNamesFileAndLine();
    void failingImportNamesModule();
    void nonResponseReturnIsExplained();
    void sleepingRequestDoesNotBlockOthers();
    void largeBodyRoundTrip();
    void incomingRequestsAsTheConstructorMakesThem();
    void gigabyteUploadStreamsThrough();
    void outboundFetchFromPython();
    void savingAFileReloads();
    void requestsAcrossTwentyReloads();
    void reloadWaitsForARequestOnlySoLong();
    void onlyProjectFilesReachTheWorker();
    void unreadOutputNeverStopsServing();
    void endlessStartupIsStopped();
    void savingAFixReplacesAStuckStartup();
};

namespace {

// Peak resident memory of a process in MiB (VmHWM), or -1.
qint64 peakRssMiB(qint64 pid) {
    const qint64 kib = procStatusKiB("VmHWM", pid);
    return kib < 0 ? -1 : kib / 1024;
}

} // namespace

void TestWorker::sdkSuiteInsideKiln() {
    QTemporaryDir project, state;
    const QString suite = qEnvironmentVariable("KILN_SOURCE_DIR") +
                          QStringLiteral("/tests/runtime/python/test_workers_sdk.py");
    QVERIFY(QDir().mkpath(project.filePath(QStringLiteral("src"))));
    QVERIFY(QFile::copy(suite, project.filePath(QStringLiteral("src/test_workers_sdk.py"))));
    QVERIFY(writeFile(
        project.filePath(QStringLiteral("wrangler.jsonc")),
        R"({"name": "sdk", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"], "vars": {"GREETING_FOR_TESTS": "hello"}, "kv_namespaces": [{"binding": "KV", "id": "sdk-kv"}], "d1_databases": [{"binding": "DB", "database_name": "sdk", "database_id": "sdk-d1"}]})"));
    // workers.env works at the top level, as on Cloudflare (and survives the dedicated
    // snapshot that holds this module imported).
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), R"(import json
import workers
from workers import WorkerEntrypoint, Response
import test_workers_sdk

TOP_LEVEL_ENV = workers.env
GREETING = TOP_LEVEL_ENV.GREETING_FOR_TESTS


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        result = await test_workers_sdk.run_all()
        result["top_level"] = [GREETING, TOP_LEVEL_ENV.GREETING_FOR_TESTS]
        return Response(json.dumps(result), headers={"content-type": "application/json"})
)"));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));
    const HttpResult result = httpRequest(dev.port(), "GET", "/");
    QVERIFY2(result.status == 200, qPrintable(QString::fromUtf8(result.body) + dev.output()));
    const QJsonObject summary = QJsonDocument::fromJson(result.body).object();
    QVERIFY2(summary.value(QStringLiteral("failed")).toInt(-1) == 0, result.body.constData());
    QVERIFY2(summary.value(QStringLiteral("passed")).toInt() >= 30, result.body.constData());
    const QJsonArray topLevel = summary.value(QStringLiteral("top_level")).toArray();
    QCOMPARE(topLevel.size(), 2);
    QCOMPARE(topLevel.at(0).toString(), QStringLiteral("hello"));
    QCOMPARE(topLevel.at(1).toString(), QStringLiteral("hello"));
    dev.stop();

    // Started again, the worker comes from the dedicated snapshot, which holds the module's
    // _EnvWrapper: its JS env is found again in the new isolate (named in the snapshot).
    KilnDevProcess again;
    QVERIFY2(again.start(project.path(), state.path()), qPrintable(again.output()));
    const HttpResult second = httpRequest(again.port(), "GET", "/");
    QVERIFY2(second.status == 200, qPrintable(QString::fromUtf8(second.body) + again.output()));
    QVERIFY2(again.logText().contains(QLatin1String("from the dedicated snapshot")),
             qPrintable(again.logText()));
    const QJsonObject restored = QJsonDocument::fromJson(second.body).object();
    QCOMPARE(restored.value(QStringLiteral("failed")).toInt(-1), 0);
    QCOMPARE(restored.value(QStringLiteral("top_level")).toArray(),
             (QJsonArray{QStringLiteral("hello"), QStringLiteral("hello")}));
}

// wrangler's ways of naming the project: `dev -c FILE`, and the global --cwd and -y.
void TestWorker::wranglerStyleArguments() {
    QTemporaryDir state;
    const QString hello =
        qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/examples/hello");
    KilnDevProcess dev;
    QVERIFY2(dev.start(QString(), state.path(),
                       {QStringLiteral("-c"), hello + QStringLiteral("/wrangler.jsonc"),
                        QStringLiteral("-y")}),
             qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").status, 200);
    dev.stop();
    KilnDevProcess fromCwd;
    QVERIFY2(fromCwd.start(QString(), state.path(), {QStringLiteral("--cwd"), hello}),
             qPrintable(fromCwd.output()));
    QCOMPARE(httpRequest(fromCwd.port(), "GET", "/").status, 200);
}

void TestWorker::runawayLoopHitsCpuLimit() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("limits"), state.path()), qPrintable(dev.output()));
    const HttpResult spin = httpRequest(dev.port(), "GET", "/spin");
    QCOMPARE(spin.status, 500);
    QVERIFY2(spin.body.contains("exceeded its CPU time limit"), spin.body.constData());
    QVERIFY2(dev.waitForLog(QStringLiteral("exceeded its CPU time limit")),
             qPrintable(dev.output()));
    // Python was interrupted cleanly: the same instance serves the next request.
    const HttpResult after = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(after.status, 200);
    QCOMPARE(after.body, QByteArray("ok"));
    QVERIFY2(dev.countLogs(QStringLiteral("starting a fresh instance")) == 0,
             qPrintable(dev.logText()));
    // The KeyboardInterrupt that asyncio re-raises out of its loop is not printed again.
    QCOMPARE(dev.countLogs(QStringLiteral("Uncaught (in promise)")), 0);

    // A request that arrives while a loop holds the engine thread waits for it; the log says
    // so while it happens, instead of leaving a person to wonder why it hangs. The second
    // request goes out once the loop has begun: sent together, the server may take either
    // first.
    QTcpSocket spinning, waiting;
    spinning.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
    waiting.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
    QVERIFY(spinning.waitForConnected(5000) && waiting.waitForConnected(5000));
    spinning.write("GET /spin-announced HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(spinning.waitForBytesWritten(5000));
    QVERIFY2(dev.waitForLog(QStringLiteral("spin begins")), qPrintable(dev.logText()));
    waiting.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(waiting.waitForBytesWritten(5000));
    QVERIFY2(dev.waitForLog(QStringLiteral("without yielding; 1 request(s) wait for it (the CPU "
                                           "limit of 300 ms will stop it)")),
             qPrintable(dev.output()));
    QByteArray reply;
    while (waiting.state() == QAbstractSocket::ConnectedState && waiting.waitForReadyRead(30000))
        reply += waiting.readAll();
    QVERIFY2(reply.startsWith("HTTP/1.1 200") && reply.endsWith("ok"),
             qPrintable(QString::fromUtf8(reply) + dev.logText()));
}

void TestWorker::memoryBlowUpReplacesInstance() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("limits"), state.path(),
                       {QStringLiteral("--env"), QStringLiteral("memory"),
                        QStringLiteral("--memory-limit-mb"), QStringLiteral("256")}),
             qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").status, 200);
    const HttpResult grow = httpRequest(dev.port(), "GET", "/grow");
    QCOMPARE(grow.status, 500);
    QVERIFY2(dev.waitForLog(QStringLiteral("memory limit")), qPrintable(dev.output()));
    // A fresh instance: module state (the hoard) starts empty again.
    const HttpResult count = httpRequest(dev.port(), "GET", "/count");
    QCOMPARE(count.status, 200);
    QCOMPARE(count.body, QByteArray("0"));
}

// A worker left idle after its requests collects their JS garbage (V8 would only when it next
// needs the space, which an idle worker never does): the soak's RSS at rest (issue 17).
void TestWorker::idleWorkerGivesBackItsGarbage() {
    QTemporaryDir state;
    KilnDevProcess dev;
    qputenv("KILN_IDLE_COLLECT_MS", "400");
    const bool started = dev.start(projectDir("limits"), state.path(),
                                   {QStringLiteral("--log-level"), QStringLiteral("debug")});
    qunsetenv("KILN_IDLE_COLLECT_MS");
    QVERIFY2(started, qPrintable(dev.output()));
    const QString collected = QStringLiteral("idle: collected the JS heap's garbage");
    // Nothing to collect before a request has come.
    QCOMPARE(dev.countLogs(collected), 0);
    QCOMPARE(httpRequest(dev.port(), "GET", "/hold").body, QByteArray("1000000"));
    QVERIFY2(dev.waitForLog(collected), qPrintable(dev.logText()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/drop").body, QByteArray("dropped"));
    // One collection per idle spell: the second follows the second request.
    QDeadlineTimer deadline(30000);
    while (dev.countLogs(collected) < 2 && !deadline.hasExpired())
        QTest::qWait(50);
    const QStringList lines = dev.logText().split(QLatin1Char('\n')).filter(collected);
    QCOMPARE(lines.size(), 2);
    // "... in N ms (used A -> B MB, held C -> D MB)": the dropped array (~8 MB) went.
    static const QRegularExpression used(QStringLiteral("used ([0-9.]+) -> ([0-9.]+) MB"));
    const auto match = used.match(lines.last());
    QVERIFY2(match.hasMatch(), qPrintable(lines.last()));
    QVERIFY2(match.captured(1).toDouble() - match.captured(2).toDouble() >= 6.0,
             qPrintable(lines.last()));
    QTest::qWait(1500); // idle: no further collection without a request
    QCOMPARE(dev.countLogs(collected), 2);
}

void TestWorker::syntaxErrorNamesFileAndLine() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("badsyntax"), state.path()), qPrintable(dev.output()));
    const HttpResult result = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(result.status, 500);
    QVERIFY2(result.body.contains("SyntaxError"), result.body.constData());
    QVERIFY2(dev.waitForLog(QStringLiteral("badsyntax/src/entry.py\", line 5")),
             qPrintable(dev.output()));
    QVERIFY2(dev.waitForLog(QStringLiteral("SyntaxError: expected ':'")), qPrintable(dev.output()));
    // The import machinery's own frames are noise for the user; they are trimmed.
    QCOMPARE(dev.countLogs(QStringLiteral("<frozen importlib")), 0);
    // The boot failure is the ready event's bootError, and an exception event with the frame.
    QVERIFY2(dev.readyBody()
                 .value(QStringLiteral("bootError"))
                 .toString()
                 .contains(QLatin1String("SyntaxError")),
             qPrintable(dev.output()));
    auto raised = dev.control().waitForEvent(QStringLiteral("exception"));
    QVERIFY2(raised, qPrintable(dev.output()));
    QCOMPARE(raised->body.value(QStringLiteral("type")).toString(), QStringLiteral("SyntaxError"));
    const QJsonArray frames = raised->body.value(QStringLiteral("frames")).toArray();
    QVERIFY(!frames.isEmpty());
    QVERIFY(frames.last()
                .toObject()
                .value(QStringLiteral("file"))
                .toString()
                .endsWith(QLatin1String("badsyntax/src/entry.py")));
    QCOMPARE(frames.last().toObject().value(QStringLiteral("line")).toInt(), 5);
}

void TestWorker::failingImportNamesModule() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("badimport"), state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").status, 500);
    QVERIFY2(dev.waitForLog(QStringLiteral("helpers.py\", line 1")), qPrintable(dev.output()));
    QVERIFY2(dev.waitForLog(QStringLiteral("No module named 'no_such_module_anywhere'")),
             qPrintable(dev.output()));
}

void TestWorker::nonResponseReturnIsExplained() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("badreturn"), state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").status, 500);
    QVERIFY2(dev.waitForLog(QStringLiteral("returned a dict")), qPrintable(dev.output()));
    // The server keeps serving after the error.
    QCOMPARE(httpRequest(dev.port(), "GET", "/").status, 500);
}

void TestWorker::sleepingRequestDoesNotBlockOthers() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("concurrency"), state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("fast")); // booted
    QTcpSocket slow;
    slow.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
    QVERIFY(slow.waitForConnected(5000));
    slow.write("GET /sleep?ms=3000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(slow.waitForBytesWritten(5000));
    QTest::qWait(200); // the slow request is now parked in asyncio.sleep
    const HttpResult fast = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(fast.body, QByteArray("fast"));
    // Ordering, not timing: the slow answer has not arrived when the fast one has.
    QVERIFY2(slow.bytesAvailable() == 0, "the sleeping request answered before the fast one");
    QByteArray slowReply;
    while (slow.state() == QAbstractSocket::ConnectedState && slow.waitForReadyRead(10000))
        slowReply += slow.readAll();
    slowReply += slow.readAll();
    QVERIFY2(slowReply.startsWith("HTTP/1.1 200") && slowReply.contains("slept 3000"),
             slowReply.constData());
}

// The Request a handler gets is what `new Request(url, {method, headers, body})` makes of the
// head, whether the engine checked the head itself (IncomingHead: the constructor's checks
// skipped) or left it to the constructor (bytes outside ASCII, a forbidden method).
void TestWorker::incomingRequestsAsTheConstructorMakesThem() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("incoming"), state.path()), qPrintable(dev.output()));
    const QByteArray port = QByteArray::number(dev.port());
    auto send = [&](const QByteArray& request) {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
        if (!socket.waitForConnected(5000)) return QByteArray("no connection");
        socket.write(request);
        QByteArray reply;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
            reply += socket.readAll();
        return reply + socket.readAll();
    };
    auto seen = [&](const QByteArray& request) {
        const QByteArray reply = send(request);
        return QJsonDocument::fromJson(reply.mid(reply.indexOf("\r\n\r\n") + 4)).object();
    };
    // The JS Request's headers; and (QCOMPARE'd in seen) Python's request.headers and
    // request.method, read before the JS Request, which a request without a body only gets
    // made when asked for: the same either way.
    auto pairs = [](const QJsonObject& seen, const QString& key) {
        QStringList out;
        for (const QJsonValue& pair : seen.value(key).toArray())
            out << pair[0].toString() + QLatin1Char('=') + pair[1].toString();
        return out.join(QLatin1Char(' '));
    };
    auto headers = [&](const QJsonObject& seen) {
        const QString js = pairs(seen, QStringLiteral("headers"));
        return js == pairs(seen, QStringLiteral("py_headers")) &&
                       seen.value(QStringLiteral("method")) ==
                           seen.value(QStringLiteral("py_method"))
                   ? js
                   : QStringLiteral("Python saw otherwise: ") +
                         QString::fromUtf8(QJsonDocument(seen).toJson(QJsonDocument::Compact));
    };

    QJsonObject got = seen("GET /a/../b?x=1 HTTP/1.1\r\nHost: LocalHost:" + port +
                           "\r\nX-Mixed-Case:   padded value  \r\nConnection: close\r\n\r\n");
    QCOMPARE(got.value(QStringLiteral("url")).toString(),
             QStringLiteral("http://localhost:%1/b?x=1").arg(dev.port()));
    QCOMPARE(headers(got), QStringLiteral("cf-connecting-ip=127.0.0.1 connection=close "
                                          "host=LocalHost:%1 x-mixed-case=padded value")
                               .arg(dev.port()));
    QCOMPARE(got.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(got.value(QStringLiteral("cf")).toString(), QStringLiteral("DFW"));
    QCOMPARE(got.value(QStringLiteral("redirect")).toString(), QStringLiteral("follow"));
    QCOMPARE(got.value(QStringLiteral("aborted")).toBool(), false);

    got = seen("GET /wait HTTP/1.1\r\nHost: h\r\nX-Late: 1\r\nConnection: close\r\n\r\n");
    QCOMPARE(headers(got),
             QStringLiteral("cf-connecting-ip=127.0.0.1 connection=close host=h x-late=1"));

    // A request something still holds when its handler ends stays whole: its JS Request is
    // made then, while it can be.
    QVERIFY(send("GET /keep HTTP/1.1\r\nHost: h\r\nX-Kept: yes\r\nConnection: close\r\n\r\n")
                .endsWith("kept"));
    got = seen("GET /kept HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    QCOMPARE(got.value(QStringLiteral("js_url")).toString(), QStringLiteral("http://h/keep"));
    QCOMPARE(got.value(QStringLiteral("url")).toString(), QStringLiteral("http://h/keep"));
    QCOMPARE(pairs(got, QStringLiteral("headers")),
             QStringLiteral("cf-connecting-ip=127.0.0.1 connection=close host=h x-kept=yes"));

    got = seen("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Type: text/x\r\n"
               "Connection: close\r\n\r\nhello");
    QCOMPARE(got.value(QStringLiteral("body")).toString(), QStringLiteral("hello"));
    QCOMPARE(headers(got), QStringLiteral("cf-connecting-ip=127.0.0.1 connection=close "
                                          "content-length=5 content-type=text/x host=h"));

    // A body read before anything asks for the JS Request (one that came whole with the head
    // is read without it): the text its text() gives (a BOM dropped, a bad byte replaced), used
    // once; the JS Request made afterwards, or at the end of a handler whose request is held,
    // has its body used.
    auto post = [&](const QByteArray& path, const QByteArray& body) {
        return "POST " + path +
               " HTTP/1.1\r\nHost: h\r\nContent-Length: " + QByteArray::number(body.size()) +
               "\r\nConnection: close\r\n\r\n" + body;
    };
    const QByteArray odd = "\xef\xbb\xbf"
                           "caf\xc3\xa9 \xff!";
    got = seen(post("/read", odd));
    QCOMPARE(got.value(QStringLiteral("body")).toString(), QStringLiteral("caf\u00e9 \ufffd!"));
    QCOMPARE(seen(post("/p", odd)).value(QStringLiteral("body")),
             got.value(QStringLiteral("body")));
    QCOMPARE(got.value(QStringLiteral("again")).toString(), QStringLiteral("Body already used"));
    QCOMPARE(got.value(QStringLiteral("before")).toBool(true), false);
    QVERIFY(got.value(QStringLiteral("py_used")).toBool());
    QVERIFY(got.value(QStringLiteral("used")).toBool());
    QVERIFY(send(post("/readkeep", "{}")).endsWith("kept"));
    got = seen("GET /kept HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    QCOMPARE(got.value(QStringLiteral("js_url")).toString(), QStringLiteral("http://h/readkeep"));
    QVERIFY(got.value(QStringLiteral("used")).toBool());
    QVERIFY(got.value(QStringLiteral("py_used")).toBool());

    got = seen("PATCH /x%20y HTTP/1.1\r\nHost: h:80\r\nX-Latin: caf\xe9\r\n"
               "CF-Connecting-IP: 1.2.3.4\r\nConnection: close\r\n\r\n");
    QCOMPARE(got.value(QStringLiteral("url")).toString(), QStringLiteral("http://h/x%20y"));
    QCOMPARE(got.value(QStringLiteral("method")).toString(), QStringLiteral("PATCH"));
    QCOMPARE(headers(got), QStringLiteral("cf-connecting-ip=1.2.3.4 connection=close host=h:80 "
                                          "x-latin=caf\u00e9"));

    // Left to the constructor: UTF-8 in the target, a method it refuses.
    got =
        seen("GET /caf\xc3\xa9?\xff HTTP/1.1\r\nHost: h\r\nX-Case: 1\r\nConnection: close\r\n\r\n");
    QCOMPARE(got.value(QStringLiteral("url")).toString(),
             QStringLiteral("http://h/caf%C3%A9?%EF%BF%BD"));
    QCOMPARE(headers(got), QStringLiteral("cf-connecting-ip=127.0.0.1 connection=close host=h "
                                          "x-case=1"));
    const QByteArray trace = send("TRACE / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    QVERIFY2(trace.startsWith("HTTP/1.1 500"), trace.constData());
    QVERIFY2(dev.waitForLog(QStringLiteral("HTTP method is unsupported")),
             qPrintable(dev.output()));
}

void TestWorker::largeBodyRoundTrip() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("concurrency"), state.path()), qPrintable(dev.output()));
    QByteArray body(8 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = static_cast<char>((i * 7 + i / 4096) & 0xff);
    const HttpResult result = httpRequest(dev.port(), "POST", "/echo",
                                          {{"content-type", "application/octet-stream"}}, body);
    QCOMPARE(result.status, 200);
    QCOMPARE(result.header("x-length"), QByteArray::number(body.size()));
    QVERIFY(result.body == body);
}

void TestWorker::gigabyteUploadStreamsThrough() {
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("concurrency"), state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("fast")); // booted
    const qint64 before = peakRssMiB(dev.pid());
    QVERIFY(before > 0);

    constexpr qint64 total = 1024LL * 1024 * 1024;
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("POST /count-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                 "application/octet-stream\r\n"
                 "Content-Length: " +
                 QByteArray::number(total) + "\r\n\r\n");
    const QByteArray block(1024 * 1024, 'k');
    qint64 sent = 0;
    QByteArray reply;
    while (sent < total) {
        // Keep at most a few MiB in flight: the server's flow control is what is under test.
        if (socket.bytesToWrite() < 4 * block.size()) {
            socket.write(block);
            sent += block.size();
        } else {
            QVERIFY2(socket.waitForBytesWritten(30000), "upload stalled");
        }
        if (socket.state() != QAbstractSocket::ConnectedState) break;
    }
    QCOMPARE(sent, total);
    while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(60000))
        reply += socket.readAll();
    reply += socket.readAll();
    QVERIFY2(reply.startsWith("HTTP/1.1 200") &&
                 reply.endsWith("\r\n\r\n" + QByteArray::number(total)),
             reply.right(300).constData());
    const qint64 after = peakRssMiB(dev.pid());
    // A gigabyte went through; the process may grow by buffers, not by the body.
    QVERIFY2(
        after - before < 200,
        qPrintable(QStringLiteral("peak RSS grew from %1 MiB to %2 MiB").arg(before).arg(after)));
}

void TestWorker::outboundFetchFromPython() {
    // A one-shot loopback upstream that echoes what it received.
    QTcpServer upstream;
    QVERIFY(upstream.listen(QHostAddress::LocalHost, 0));
    QByteArray received;
    connect(&upstream, &QTcpServer::newConnection, &upstream, [&] {
        QTcpSocket* socket = upstream.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [&, socket] {
            received += socket->readAll();
            if (!received.contains("\r\n\r\n") || !received.endsWith("from python")) return;
            socket->write(
                "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nX-Served-By: upstream\r\n"
                "Content-Length: 8\r\nConnection: close\r\n\r\nupstream");
            socket->disconnectFromHost();
        });
    });
    QTemporaryDir state;
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir("concurrency"), state.path()), qPrintable(dev.output()));
    // httpRequest blocks this thread, so the upstream needs its own: serve it from a helper
    // loop by polling while the request is in flight.
    HttpResult result;
    QThread* client = QThread::create([&] {
        result = httpRequest(
            dev.port(), "GET",
            "/proxy?url=http://127.0.0.1:" + QByteArray::number(upstream.serverPort()) + "/in");
    });
    client->start();
    while (!client->isFinished())
        QTest::qWait(20);
    delete client;
    QCOMPARE(result.status, 200);
    QCOMPARE(result.body, QByteArray("201 upstream"));
    QCOMPARE(result.header("x-upstream"), QByteArray("upstream"));
    QVERIFY2(received.startsWith("POST /in HTTP/1.1"), received.constData());
    QVERIFY2(received.toLower().contains("x-kiln-test: 1"), received.constData());
}

void TestWorker::savingAFileReloads() {
    QTemporaryDir project, state;
    const QByteArray config =
        R"({"name": "reload", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})";
    auto source = [](const char* text) {
        return QByteArray("from workers import WorkerEntrypoint, Response\n\n\nclass "
                          "Default(WorkerEntrypoint):\n"
                          "    async def fetch(self, request):\n        return Response(\"") +
               text + "\")\n";
    };
    QVERIFY(writeFile(project.filePath(QStringLiteral("wrangler.jsonc")), config));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), source("first")));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("first"));

    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), source("second")));
    auto reload = dev.control().waitForEvent(QStringLiteral("reloadStarted"));
    QVERIFY2(reload, qPrintable(dev.output()));
    QCOMPARE(reload->body.value(QStringLiteral("changed")).toArray().first().toString(),
             QStringLiteral("src/entry.py"));
    // Requests during the reload wait for the new instance rather than failing.
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("second"));

    // A config that no longer parses is reported with its line; the last good version serves.
    QVERIFY(writeFile(project.filePath(QStringLiteral("wrangler.jsonc")),
                      "{\n  \"name\": \"reload\",\n  oops\n}\n"));
    auto failed = dev.control().waitForEvent(
        QStringLiteral("reloadFinished"), 30000, [](const kiln::protocol::Message& m) {
            return !m.body.value(QStringLiteral("ok")).toBool();
        });
    QVERIFY2(failed, qPrintable(dev.output()));
    const QJsonObject error = failed->body.value(QStringLiteral("error")).toObject();
    QVERIFY2(
        error.value(QStringLiteral("file")).toString().endsWith(QLatin1String("wrangler.jsonc")),
        qPrintable(dev.output()));
    QCOMPARE(error.value(QStringLiteral("line")).toInt(), 3);
    QVERIFY2(dev.waitForLog(QStringLiteral("still running the previous version")),
             qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("second"));
}

// Requests sent without pause while the worker reloads twenty times all get an answer from a
// complete version: none fails (one in flight when a save lands finishes on the instance it
// began on), and each save is served once it has reloaded.
void TestWorker::requestsAcrossTwentyReloads() {
    QTemporaryDir project, state;
    auto source = [](int version) {
        return QByteArray("import asyncio\nfrom workers import WorkerEntrypoint, Response\n\n\n"
                          "class Default(WorkerEntrypoint):\n"
                          "    async def fetch(self, request):\n"
                          "        await asyncio.sleep(0.05)\n"
                          "        return Response(\"v") +
               QByteArray::number(version) + "\")\n";
    };
    QVERIFY(writeFile(
        project.filePath(QStringLiteral("wrangler.jsonc")),
        R"({"name": "reloads", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})"));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), source(0)));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));

    std::atomic<bool> stop{false};
    std::atomic<int> answered{0};
    QStringList failures; // written by the client thread only, read after join
    std::thread client([&] {
        while (!stop.load()) {
            const HttpResult r = httpRequest(dev.port(), "GET", "/");
            if (r.status != 200 || !r.body.startsWith("v"))
                failures << QStringLiteral("%1 %2").arg(r.status).arg(QString::fromUtf8(r.body));
            ++answered;
        }
    });
    // The client thread stops on every way out of this function, a failed check included.
    struct Joiner {
        std::atomic<bool>& stop;
        std::thread& thread;
        ~Joiner() {
            stop = true;
            if (thread.joinable()) thread.join();
        }
    } joiner{stop, client};
    qsizetype seen = 0;
    for (int version = 1; version <= 20; ++version) {
        QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), source(version)));
        qsizetype at = -1;
        const auto done =
            dev.control().waitForEvent(QStringLiteral("reloadFinished"), 30000, {}, seen, &at);
        QVERIFY2(done,
                 qPrintable(QStringLiteral("save %1: no reload\n").arg(version) + dev.logText()));
        seen = at + 1;
        QVERIFY2(done->body.value(QStringLiteral("ok")).toBool(), qPrintable(dev.logText()));
        QCOMPARE(httpRequest(dev.port(), "GET", "/").body, "v" + QByteArray::number(version));
    }
    stop = true;
    client.join();
    QVERIFY2(failures.isEmpty(), qPrintable(failures.join(QLatin1Char('\n'))));
    QVERIFY(answered.load() > 20);
}

// A save while a request runs: a short one finishes on the old version; one that outlasts the
// reload's two-second wait is answered with a 500 saying why, and the new version serves.
void TestWorker::reloadWaitsForARequestOnlySoLong() {
    QTemporaryDir project, state;
    auto source = [](const char* version) {
        return QByteArray("import asyncio\nfrom workers import WorkerEntrypoint, Response\n\n\n"
                          "class Default(WorkerEntrypoint):\n"
                          "    async def fetch(self, request):\n"
                          "        seconds = float(request.url.rsplit('=', 1)[1]) if '=' in "
                          "request.url else 0\n"
                          "        await asyncio.sleep(seconds)\n"
                          "        return Response(\"") +
               version + "\")\n";
    };
    QVERIFY(writeFile(
        project.filePath(QStringLiteral("wrangler.jsonc")),
        R"({"name": "drain", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})"));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), source("old")));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));

    qsizetype seen = 0; // messages before this index are about earlier saves
    for (const char* wait : {"0.8", "30"}) {
        const bool cut = QByteArray(wait) == "30";
        QTcpSocket slow;
        slow.connectToHost(QStringLiteral("127.0.0.1"), dev.port());
        QVERIFY(slow.waitForConnected(5000));
        slow.write("GET /?s=" + QByteArray(wait) +
                   " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        QVERIFY(slow.waitForBytesWritten(5000));
        QTest::qWait(200); // taken by the instance
        QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")),
                          source(cut ? "newer" : "new")));
        QByteArray reply;
        while (slow.state() == QAbstractSocket::ConnectedState && slow.waitForReadyRead(20000))
            reply += slow.readAll();
        if (cut) {
            QVERIFY2(reply.startsWith("HTTP/1.1 500") &&
                         reply.contains("the worker was reloaded while the request ran"),
                     reply.constData());
        } else {
            QVERIFY2(reply.startsWith("HTTP/1.1 200") && reply.endsWith("old"), reply.constData());
        }
        QVERIFY(
            dev.control().waitForEvent(QStringLiteral("reloadFinished"), 30000, {}, seen, &seen));
        ++seen;
    }
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("newer"));
}

// A symlink out of the project, and a file too big for a deployed Worker, never reach the
// worker's file system; both are reported, and an in-project symlink still works.
void TestWorker::onlyProjectFilesReachTheWorker() {
    QTemporaryDir outside, project, state;
    QVERIFY(writeFile(outside.filePath(QStringLiteral("secret.txt")), "s3cr3t"));
    QVERIFY(writeFile(
        project.filePath(QStringLiteral("wrangler.jsonc")),
        R"({"name": "files", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})"));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), R"py(import json, os
from workers import WorkerEntrypoint, Response


def read(name):
    try:
        with open(os.path.join(os.path.dirname(__file__), name), "rb") as f:
            return len(f.read())
    except OSError as e:
        return type(e).__name__


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(json.dumps({n: read(n) for n in ("secret.txt", "big.bin", "inside.txt", "data.txt")}))
)py"));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/data.txt")), "12345"));
    QVERIFY(QFile::link(outside.filePath(QStringLiteral("secret.txt")),
                        project.filePath(QStringLiteral("src/secret.txt"))));
    QVERIFY(QFile::link(project.filePath(QStringLiteral("src/data.txt")),
                        project.filePath(QStringLiteral("src/inside.txt"))));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/big.bin")),
                      QByteArray(11 * 1024 * 1024, 'b')));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path()), qPrintable(dev.output()));
    const HttpResult result = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(result.status, 200);
    const QJsonObject found = QJsonDocument::fromJson(result.body).object();
    QCOMPARE(found.value(QStringLiteral("secret.txt")).toString(),
             QStringLiteral("FileNotFoundError"));
    QCOMPARE(found.value(QStringLiteral("big.bin")).toString(),
             QStringLiteral("FileNotFoundError"));
    QCOMPARE(found.value(QStringLiteral("inside.txt")).toInt(), 5);
    QCOMPARE(found.value(QStringLiteral("data.txt")).toInt(), 5);
    QVERIFY2(dev.waitForLog(QStringLiteral("secret.txt is left out of the worker: it resolves to")),
             qPrintable(dev.output()));
    QVERIFY2(dev.waitForLog(QStringLiteral("big.bin (11 MB) is left out of the worker")),
             qPrintable(dev.output()));
}

// kiln's stdout and stderr are a pipe nobody reads (a supervisor that hangs, a paused pager):
// the pipe fills after 64 KB, and the server must keep answering all the same.
void TestWorker::unreadOutputNeverStopsServing() {
    QTemporaryDir project, state;
    QVERIFY(writeFile(
        project.filePath(QStringLiteral("wrangler.jsonc")),
        R"({"name": "noisy", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})"));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")),
                      R"py(from workers import WorkerEntrypoint, Response


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        for i in range(2000):
            print(f"line {i} " + "x" * 200)
        return Response("done")
)py"));
    ControlClient control;
    int out[2];
    QVERIFY(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    const QByteArray bin = qEnvironmentVariable("KILN_BIN").toUtf8();
    const QByteArray projectDir = project.path().toUtf8(), stateDir = state.path().toUtf8();
    const QByteArray fd = QByteArray::number(control.childFd());
    const char* argv[] = {
        bin.constData(),      "dev",          projectDir.constData(), "--port", "0", "--persist-to",
        stateDir.constData(), "--control-fd", fd.constData(),         nullptr};
    pid_t pid = 0;
    QCOMPARE(
        posix_spawn(&pid, bin.constData(), &actions, nullptr, const_cast<char**>(argv), environ),
        0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    control.closeChildFd();
    auto ready = control.waitForEvent(QStringLiteral("ready"), 60000);
    QVERIFY(ready);
    const auto port = static_cast<quint16>(ready->body.value(QStringLiteral("port")).toInt());
    // 20 requests print ~8 MB; nobody reads it. Every request is answered.
    for (int i = 0; i < 20; ++i) {
        const HttpResult result = httpRequest(port, "GET", "/", {}, {}, 60000);
        QVERIFY2(result.status == 200 && result.body == "done",
                 qPrintable(QStringLiteral("request %1: status %2 %3")
                                .arg(i)
                                .arg(result.status)
                                .arg(result.error)));
    }
    // Once the output is read again, it says what was dropped, and new lines flow.
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    QByteArray seen;
    auto drain = [&] {
        char buffer[65536];
        for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;)
            seen.append(buffer, n);
    };
    QDeadlineTimer deadline(30000);
    while (!seen.contains("log lines were dropped") && !deadline.hasExpired()) {
        drain();
        QTest::qWait(20);
    }
    QVERIFY2(seen.contains("log lines were dropped: the output was not being read"),
             seen.right(500).constData());
    QCOMPARE(httpRequest(port, "GET", "/").status, 200);
    deadline.setRemainingTime(30000);
    while (!seen.contains("GET / 200 OK") && !deadline.hasExpired()) {
        drain();
        QTest::qWait(20);
    }
    QVERIFY(seen.contains("GET / 200 OK"));
    // The control channel carried every line too (nobody read it either): it catches up.
    auto stop = control.call(kiln::protocol::Message::request(QStringLiteral("stop")), 120000);
    QVERIFY(stop && stop->success);
    int status = 0;
    QDeadlineTimer exitDeadline(20000);
    while (::waitpid(pid, &status, WNOHANG) == 0 && !exitDeadline.hasExpired()) {
        drain();
        QTest::qWait(20);
    }
    ::close(out[0]);
}

namespace {

const QByteArray kStuckConfig =
    R"({"name": "stuck", "main": "src/entry.py", "compatibility_date": "2026-09-08", "compatibility_flags": ["python_workers"]})";
const QByteArray kStuckEntry =
    "from workers import WorkerEntrypoint, Response\n\nwhile True:\n    pass\n";
const QByteArray kFixedEntry =
    "from workers import WorkerEntrypoint, Response\n\n\nclass Default(WorkerEntrypoint):\n"
    "    async def fetch(self, request):\n        return Response(\"fixed\")\n";

} // namespace

// An endless loop at import time is stopped by the startup CPU limit; the error names the
// file and line, and says which limit.
void TestWorker::endlessStartupIsStopped() {
    QTemporaryDir project, state;
    QVERIFY(writeFile(project.filePath(QStringLiteral("wrangler.jsonc")), kStuckConfig));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), kStuckEntry));
    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), state.path(),
                       {QStringLiteral("--startup-cpu-limit-ms"), QStringLiteral("500")}),
             qPrintable(dev.output()));
    const QString error = dev.readyBody().value(QStringLiteral("bootError")).toString();
    QVERIFY2(error.contains(QLatin1String("startup used more than 500 ms of CPU and was stopped")),
             qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("src/entry.py\", line 4, in <module>")),
             qPrintable(error));
    const HttpResult result = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(result.status, 500);
    QVERIFY(result.body.contains("startup used more than 500 ms"));
    // Saving the fix brings the worker up.
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), kFixedEntry));
    QVERIFY(dev.control().waitForEvent(QStringLiteral("reloadFinished"), 30000,
                                       [](const kiln::protocol::Message& m) {
                                           return m.body.value(QStringLiteral("ok")).toBool();
                                       }));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("fixed"));
}

// A startup that would run for a long time does not hold the dev server hostage: saving a fix
// stops it and the fixed worker starts (the startup limit here is ten minutes).
void TestWorker::savingAFixReplacesAStuckStartup() {
    QTemporaryDir project, state;
    QVERIFY(writeFile(project.filePath(QStringLiteral("wrangler.jsonc")), kStuckConfig));
    QVERIFY(writeFile(project.filePath(QStringLiteral("src/entry.py")), kStuckEntry));
    std::thread fixer([&] {
        std::this_thread::sleep_for(std::chrono::seconds(3));
        writeFile(project.filePath(QStringLiteral("src/entry.py")), kFixedEntry);
    });
    KilnDevProcess dev;
    const bool started =
        dev.start(project.path(), state.path(),
                  {QStringLiteral("--startup-cpu-limit-ms"), QStringLiteral("600000")}, 60000);
    fixer.join();
    QVERIFY2(started, qPrintable(dev.output()));
    QVERIFY2(dev.readyBody().value(QStringLiteral("bootError")).toString().isEmpty(),
             qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("fixed"));
}

QTEST_GUILESS_MAIN(TestWorker)
#include "test_worker.moc"
