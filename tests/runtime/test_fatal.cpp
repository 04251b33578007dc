// Faults that end the Python interpreter, not just a request: os._exit() in a handler, in
// background work or at import, and recursion deep enough to overflow the stack. Each must
// end in an answer that names the cause and a fresh instance that serves the next request
// (before, os._exit froze the instance for good and deep recursion was reported as a memory
// limit). A real kiln dev, real Pyodide.

#include "kilndevprocess.h"

#include <QDir>
#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace kiln::test;

namespace {

QString projectDir() {
    return qEnvironmentVariable("KILN_SOURCE_DIR") +
           QStringLiteral("/tests/runtime/projects/fatal");
}

// A request that stays in flight while the test does something else.
struct OpenRequest {
    QTcpSocket socket;
    bool send(quint16 port, const QByteArray& target) {
        socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        if (!socket.waitForConnected(5000)) return false;
        socket.write("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        return socket.waitForBytesWritten(5000);
    }
    QByteArray reply(int timeoutMs = 30000) {
        QByteArray all;
        while (socket.state() == QAbstractSocket::ConnectedState &&
               socket.waitForReadyRead(timeoutMs))
            all += socket.readAll();
        return all + socket.readAll();
    }
};

} // namespace

class TestFatal : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void osExitInHandlerAnswersEveryRequestInFlight();
    void osExitInBackgroundWorkStartsAFreshInstance();
    void osExitAtImportNamesFileAndLine();
    void deepRecursionIsReportedAsSuch();
    void sysExitIsAnOrdinaryException();

private:
    QTemporaryDir m_state;
};

void TestFatal::init() {
    QVERIFY(m_state.isValid());
}

void TestFatal::osExitInHandlerAnswersEveryRequestInFlight() {
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir(), m_state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("1"));
    OpenRequest parked; // awaiting a 30 s sleep when the interpreter ends
    QVERIFY(parked.send(dev.port(), "/slow"));
    QVERIFY(dev.control().waitForEvent(
        QStringLiteral("requestStarted"), 10000, [](const kiln::protocol::Message& m) {
            return m.body.value(QStringLiteral("path")) == QLatin1String("/slow");
        }));

    const HttpResult exited = httpRequest(dev.port(), "GET", "/exit", {}, {}, 20000);
    QCOMPARE(exited.status, 500);
    QVERIFY2(exited.body.contains("os._exit(3) was called"), exited.body.constData());
    const QByteArray reply = parked.reply();
    QVERIFY2(reply.startsWith("HTTP/1.1 500") && reply.contains("os._exit(3) was called"),
             reply.constData());

    // The log names where it happened, as a traceback the studio can mark.
    QVERIFY2(dev.waitForLog(QStringLiteral("src/entry.py\", line 12, in leave")),
             qPrintable(dev.output()));
    QVERIFY(dev.countLogs(QStringLiteral("src/entry.py\", line 25, in fetch")) > 0);
    QCOMPARE(dev.countLogs(QStringLiteral("Uncaught (in promise)")), 0);
    // A fresh instance: its module state starts again.
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("1"));
}

void TestFatal::osExitInBackgroundWorkStartsAFreshInstance() {
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir(), m_state.path()), qPrintable(dev.output()));
    const HttpResult first = httpRequest(dev.port(), "GET", "/later-exit");
    QCOMPARE(first.status, 200);
    QCOMPARE(first.body, QByteArray("answered first"));
    QVERIFY2(dev.waitForLog(QStringLiteral("os._exit(5) was called; starting a fresh instance")),
             qPrintable(dev.output()));
    QVERIFY(dev.countLogs(QStringLiteral("line 44, in exit_soon")) > 0);
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("1"));
}

void TestFatal::osExitAtImportNamesFileAndLine() {
    QTemporaryDir project;
    QVERIFY(QDir().mkpath(project.filePath(QStringLiteral("src"))));
    QFile config(project.filePath(QStringLiteral("wrangler.jsonc")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write(R"({"name": "x", "main": "src/entry.py", "compatibility_date": "2026-09-08",
                     "compatibility_flags": ["python_workers"]})");
    config.close();
    QFile entry(project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::WriteOnly));
    entry.write("import os\n\n\nos._exit(7)\n");
    entry.close();

    KilnDevProcess dev;
    QVERIFY2(dev.start(project.path(), m_state.path()), qPrintable(dev.output()));
    const QString error = dev.readyBody().value(QStringLiteral("bootError")).toString();
    QVERIFY2(error.contains(QLatin1String("src/entry.py\", line 4, in <module>")),
             qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("os._exit(7)")), qPrintable(error));
    QVERIFY2(!error.contains(QLatin1String("<frozen")), qPrintable(error));
    const HttpResult result = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(result.status, 500);
    QVERIFY2(result.body.contains("line 4"), result.body.constData());
}

void TestFatal::deepRecursionIsReportedAsSuch() {
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir(), m_state.path()), qPrintable(dev.output()));
    const HttpResult deep = httpRequest(dev.port(), "GET", "/deep", {}, {}, 120000);
    QCOMPARE(deep.status, 500);
    QVERIFY2(deep.body.contains("the stack overflowed"), deep.body.constData());
    QVERIFY2(!deep.body.contains("memory"), deep.body.constData());
    QVERIFY2(dev.waitForLog(QStringLiteral("RecursionError: the stack overflowed")),
             qPrintable(dev.output()));
    QCOMPARE(dev.countLogs(QStringLiteral("memory limit")), 0);
    const HttpResult after = httpRequest(dev.port(), "GET", "/");
    QCOMPARE(after.status, 200);
    QCOMPARE(after.body, QByteArray("1"));
}

// sys.exit() raises SystemExit, an exception like any other: the instance lives on, and
// asyncio's copy of it escaping the event loop is not printed a second time.
void TestFatal::sysExitIsAnOrdinaryException() {
    KilnDevProcess dev;
    QVERIFY2(dev.start(projectDir(), m_state.path()), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/sys-exit").status, 500);
    QVERIFY2(dev.waitForLog(QStringLiteral("SystemExit: 4")), qPrintable(dev.output()));
    QCOMPARE(httpRequest(dev.port(), "GET", "/").body, QByteArray("2"));
    QCOMPARE(dev.countLogs(QStringLiteral("Uncaught (in promise)")), 0);
    QCOMPARE(dev.countLogs(QStringLiteral("SystemExit: 4")), 1);
}

QTEST_GUILESS_MAIN(TestFatal)
#include "test_fatal.moc"
