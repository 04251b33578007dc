// The request composer on its own against a local streaming server: a 100 MB response streams
// in without freezing the window (the event loop keeps running; only the head is held), and
// what a person sees reports the size.

#include "ui/composerpane.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

using namespace kiln;

namespace {

// Serves one chunked response of `total` bytes per connection, on a thread of its own so the
// test's event loop is the composer's alone.
class StreamingServer : public QThread {
public:
    explicit StreamingServer(qint64 total)
        : m_total(total) {}
    quint16 port() const { return m_port.load(); }

protected:
    void run() override {
        QTcpServer server;
        server.listen(QHostAddress::LocalHost);
        m_port = server.serverPort();
        if (!server.waitForNewConnection(30000)) return;
        QTcpSocket* socket = server.nextPendingConnection();
        while (!socket->canReadLine())
            socket->waitForReadyRead(1000);
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n");
        const QByteArray chunk(64 * 1024, 'x');
        const QByteArray framed = QByteArray::number(chunk.size(), 16) + "\r\n" + chunk + "\r\n";
        for (qint64 sent = 0; sent < m_total; sent += chunk.size()) {
            socket->write(framed);
            while (socket->bytesToWrite() > 1024 * 1024)
                socket->waitForBytesWritten(1000);
        }
        socket->write("0\r\n\r\n");
        socket->waitForBytesWritten(5000);
        socket->waitForDisconnected(5000);
    }

private:
    qint64 m_total;
    std::atomic<quint16> m_port{0};
};

} // namespace

class TestComposer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void hundredMegabytesStreamWithoutFreezing();
};

void TestComposer::hundredMegabytesStreamWithoutFreezing() {
    constexpr qint64 kTotal = 100LL << 20;
    StreamingServer server(kTotal);
    server.start();
    QTRY_VERIFY(server.port() != 0);
    ComposerPane composer;
    composer.resize(900, 700);
    composer.show();
    HttpCallRequest request;
    request.url = QUrl(QStringLiteral("http://127.0.0.1:%1/big").arg(server.port()));
    composer.setRequest(request);

    // The longest the event loop went without running a 5 ms timer while the body arrived.
    QElapsedTimer clock;
    qint64 last = 0, longestGapMs = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, &ticker, [&] {
        const qint64 now = clock.elapsed();
        longestGapMs = std::max(longestGapMs, now - last);
        last = now;
    });
    QSignalSpy responded(&composer, &ComposerPane::responded);
    clock.start();
    ticker.start(5);
    composer.send();
    QVERIFY(responded.wait(120000));
    ticker.stop();
    server.wait();

    const auto response = responded.takeFirst().at(0).value<HttpCallResponse>();
    QCOMPARE(response.status, 200);
    QCOMPARE(response.bodyBytes, kTotal);
    QVERIFY(response.truncated);
    QCOMPARE(response.body.size(), HttpCallResponse::kMaxHeldBytes);
    QVERIFY2(composer.statusText().contains(QLatin1String("100.0 MB")),
             qPrintable(composer.statusText()));
    QVERIFY2(composer.bodyText().endsWith(QLatin1String("more not shown")),
             qPrintable(composer.bodyText().right(80)));
    qInfo("100 MB in %lld ms; the event loop's longest pause: %lld ms", clock.elapsed(),
          longestGapMs);
    QVERIFY2(longestGapMs <= 100, qPrintable(QString::number(longestGapMs)));
}

QTEST_MAIN(TestComposer)
#include "test_composer.moc"
