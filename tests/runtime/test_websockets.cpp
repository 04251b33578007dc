// Server-side WebSockets end to end: a real `kiln dev` serving tests/runtime/projects/websockets,
// and Qt's own WebSocket client (QWebSocket, an implementation independent of Kiln's) on
// loopback: the raw WebSocketPair API, the ASGI adapter, workerd's errors, the limits, and what
// a reload or a vanished client does to an open socket.

#include "copytree.h"
#include "kilndevprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace kiln::test;

namespace {

QString projectDir() {
    return qEnvironmentVariable("KILN_SOURCE_DIR") +
           QStringLiteral("/tests/runtime/projects/websockets");
}

// A QWebSocket that keeps every message it receives from the moment it opens (the first may
// ride in with the 101).
struct Client : QWebSocket {
    QStringList received; // text, or binary as "bin:" + hex
    Client() {
        QObject::connect(this, &QWebSocket::textMessageReceived, this,
                         [this](const QString& m) { received << m; });
        QObject::connect(this, &QWebSocket::binaryMessageReceived, this,
                         [this](const QByteArray& m) { received << "bin:" + m.toHex(); });
    }
};

// A client connected to `path`, or null with the reason in `why`.
std::unique_ptr<Client> connectTo(quint16 port, const QString& path, QString* why) {
    auto ws = std::make_unique<Client>();
    QSignalSpy connected(ws.get(), &QWebSocket::connected);
    ws->open(QUrl(QStringLiteral("ws://127.0.0.1:%1%2").arg(port).arg(path)));
    if (!connected.wait(30000)) {
        *why = ws->errorString();
        return nullptr;
    }
    return ws;
}

// The next `n` messages, waiting up to 30 s.
QStringList messages(Client& ws, int n) {
    QDeadlineTimer deadline(30000);
    while (ws.received.size() < n && !deadline.hasExpired())
        QTest::qWait(10);
    QStringList out = ws.received.mid(0, n);
    ws.received.remove(0, out.size());
    return out;
}

bool waitClosed(QWebSocket& ws) {
    if (ws.state() == QAbstractSocket::UnconnectedState) return true;
    QSignalSpy gone(&ws, &QWebSocket::disconnected);
    return gone.wait(30000);
}

} // namespace

class TestWebSockets : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase() { m_dev.stop(); }
    void rawPairEchoesAndCloses();
    void asgiAppEchoesAndCloses();
    void clientCloseReachesTheWorker();
    void vanishedClientIs1006();
    void misuseGetsWorkerdErrors();
    void plainRequestCannotGetASocket();
    void oversizedMessageIs1009();
    void invalidUtf8Is1007();
    void reloadClosesWith1001();
    void shutdownClosesWith1001(); // last: it stops kiln dev

private:
    QString events() { return QString::fromUtf8(httpRequest(m_dev.port(), "GET", "/events").body); }
    QTemporaryDir m_project, m_state;
    KilnDevProcess m_dev;
};

void TestWebSockets::initTestCase() {
    // A copy: reloadClosesWith1001 edits the source.
    QVERIFY(copyTree(projectDir(), m_project.path()));
    QVERIFY2(m_dev.start(m_project.path(), m_state.path()), qPrintable(m_dev.output()));
}

void TestWebSockets::rawPairEchoesAndCloses() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/raw"), &why);
    QVERIFY2(ws, qPrintable(why));
    // Sent by the worker before its 101 went out: delivered first.
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("hello")});
    ws->sendTextMessage(QStringLiteral("hi ünïcode"));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("echo:hi ünïcode")});
    ws->sendBinaryMessage(QByteArray("\x01\x02\x03", 3));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("bin:030201")});
    ws->sendTextMessage(QStringLiteral("bye")); // the worker closes with 4000
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 4000);
    QCOMPARE(ws->closeReason(), QStringLiteral("bye to you"));
    // The client's reply reached the worker as a clean close; readyState is CLOSED (3), as
    // web_socket_auto_reply_to_close has it at this compatibility date.
    QTRY_VERIFY_WITH_TIMEOUT(events().contains(QStringLiteral("raw close 4000")), 10000);
    QVERIFY2(events().contains(QStringLiteral("raw close 4000 bye to you True 3")),
             qPrintable(events()));
}

void TestWebSockets::asgiAppEchoesAndCloses() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/asgi"), &why);
    QVERIFY2(ws, qPrintable(why));
    ws->sendTextMessage(QStringLiteral("one"));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("text=one")});
    ws->sendBinaryMessage(QByteArray("\xff\x00", 2));
    QCOMPARE(messages(*ws, 1),
             QStringList{QStringLiteral("bin:") + QByteArray("bytes=\xff\x00", 8).toHex()});
    ws->sendTextMessage(QStringLiteral("")); // empty messages are messages
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("text=")});
    ws->sendTextMessage(QStringLiteral("close please"));
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 4001);
    QCOMPARE(ws->closeReason(), QStringLiteral("app-close"));
}

void TestWebSockets::clientCloseReachesTheWorker() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/asgi"), &why);
    QVERIFY2(ws, qPrintable(why));
    const int before = events().count(QStringLiteral("asgi disconnect 1000"));
    ws->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("done"));
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 1000); // the close handshake completed
    QTRY_COMPARE_WITH_TIMEOUT(events().count(QStringLiteral("asgi disconnect 1000")), before + 1,
                              10000);
}

void TestWebSockets::vanishedClientIs1006() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/raw"), &why);
    QVERIFY2(ws, qPrintable(why));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("hello")});
    ws->abort(); // TCP gone without a close frame
    QTRY_VERIFY2_WITH_TIMEOUT(events().contains(QStringLiteral("raw close 1006  False")),
                              qPrintable(events()), 10000);
    // The server keeps serving.
    QCOMPARE(httpRequest(m_dev.port(), "GET", "/nowhere").status, 404);
}

void TestWebSockets::misuseGetsWorkerdErrors() {
    const HttpResult r = httpRequest(m_dev.port(), "GET", "/misuse");
    QCOMPARE(r.status, 200);
    const QStringList lines = QString::fromUtf8(r.body).split(QLatin1Char('\n'));
    const QStringList expected{
        "send before accept: TypeError: You must call one of accept() or state.acceptWebSocket() "
        "on this WebSocket before sending messages.",
        "101 without socket: RangeError: Failed to construct 'Response': The status provided "
        "(101) is outside the range [200, 599].",
        "socket with 200: RangeError: Responses with a WebSocket must have status code 101.",
        "close 1005: InvalidAccessError: Invalid WebSocket close code: 1005.",
        "long reason: SyntaxError: WebSocket close reason must not be longer than 123 bytes when "
        "UTF-8 encoded.",
        "send after close: TypeError: Can't call WebSocket send() after close().",
        "pair has 2 ends, readyState 1",
    };
    QCOMPARE(lines, expected);
}

void TestWebSockets::plainRequestCannotGetASocket() {
    // A 101 with a WebSocket for a request without Upgrade: websocket is workerd's TypeError:
    // a 500 and the error in the log.
    const HttpResult r = httpRequest(m_dev.port(), "GET", "/raw");
    QCOMPARE(r.status, 500);
    QVERIFY(m_dev.waitForLog(QStringLiteral("did not contain the header \"Upgrade: websocket\"")));
}

void TestWebSockets::oversizedMessageIs1009() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/asgi"), &why);
    QVERIFY2(ws, qPrintable(why));
    ws->setOutgoingFrameSize(1 << 20);
    ws->sendBinaryMessage(QByteArray((32 << 20) + 1, 'x')); // one byte over workerd's 32 MiB
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 1009);
    // The server keeps serving, and other sockets work.
    auto again = connectTo(m_dev.port(), QStringLiteral("/asgi"), &why);
    QVERIFY2(again, qPrintable(why));
    again->sendTextMessage(QStringLiteral("still here"));
    QCOMPARE(messages(*again, 1), QStringList{QStringLiteral("text=still here")});
}

// QWebSocket cannot send a text message that is not UTF-8: a raw handshake and frame instead.
void TestWebSockets::invalidUtf8Is1007() {
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_dev.port());
    QVERIFY(socket.waitForConnected(10000));
    socket.write(
        "GET /asgi HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray in;
    while (!in.contains("\r\n\r\n") && socket.waitForReadyRead(30000))
        in += socket.readAll();
    // RFC 6455's own example key and answer.
    QVERIFY2(in.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), in.constData());
    in = in.mid(in.indexOf("\r\n\r\n") + 4);
    const char mask[4] = {1, 2, 3, 4};
    QByteArray frame("\x81\x82", 2); // FIN + text, masked, 2 bytes
    frame.append(mask, 4);
    frame.append(char(0xff ^ 1)).append(char(0xfe ^ 2)); // 0xff 0xfe: never UTF-8
    socket.write(frame);
    while (in.size() < 4 && socket.waitForReadyRead(30000))
        in += socket.readAll();
    QCOMPARE(quint8(in[0]), quint8(0x88));              // FIN + close
    QCOMPARE(in.mid(2, 2).toHex(), QByteArray("03ef")); // status 1007
}

void TestWebSockets::reloadClosesWith1001() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/raw"), &why);
    QVERIFY2(ws, qPrintable(why));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("hello")});
    QFile entry(m_project.filePath(QStringLiteral("src/entry.py")));
    QVERIFY(entry.open(QIODevice::Append));
    entry.write("\n# edited\n");
    entry.close();
    // The instance that owned the socket is replaced: "going away", the client may
    // reconnect to the new one.
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 1001);
    auto again = connectTo(m_dev.port(), QStringLiteral("/raw"), &why);
    QVERIFY2(again, qPrintable(why));
    QCOMPARE(messages(*again, 1), QStringList{QStringLiteral("hello")});
}

void TestWebSockets::shutdownClosesWith1001() {
    QString why;
    auto ws = connectTo(m_dev.port(), QStringLiteral("/raw"), &why);
    QVERIFY2(ws, qPrintable(why));
    QCOMPARE(messages(*ws, 1), QStringList{QStringLiteral("hello")});
    m_dev.stop(); // SIGTERM, as Ctrl+C: the client hears why instead of a bare EOF
    QVERIFY(waitClosed(*ws));
    QCOMPARE(int(ws->closeCode()), 1001);
    QCOMPARE(ws->closeReason(), QStringLiteral("kiln is shutting down"));
}

QTEST_GUILESS_MAIN(TestWebSockets)
#include "test_websockets.moc"
