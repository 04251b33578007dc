// Protocol behaviour of kiln::HttpServer over real loopback sockets; see test_httpserver.h.
#include "test_httpserver.h"

#include "server/requestlog.h"

#include <QElapsedTimer>
#include <QSignalSpy>

using namespace testutil;

void TestHttpServer::initTestCase() {
    m_handler = std::make_unique<TestHandler>();
    m_server = std::make_unique<kiln::HttpServer>(m_handler.get());
    QString error;
    QVERIFY2(m_server->listen(QHostAddress::LocalHost, 0, &error), qPrintable(error));
    QVERIFY(m_server->port() != 0);
}

void TestHttpServer::init() {
    m_handler->reset();
}

void TestHttpServer::cleanup() {
    // Every callback of every test must have come on the server thread, and the handler's
    // work on its own thread.
    QCOMPARE(m_handler->wrongThread.load(), 0);
}

void TestHttpServer::cleanupTestCase() {
    m_server.reset();
    m_handler.reset();
}

void TestHttpServer::simpleGet() {
    QList<kiln::HttpExchangeRecord> finished;
    QList<quint64> started;
    QObject context;
    connect(m_server.get(), &kiln::HttpServer::exchangeStarted, &context,
            [&](quint64 id, const QByteArray&, const QByteArray&) { started.append(id); });
    connect(m_server.get(), &kiln::HttpServer::exchangeFinished, &context,
            [&](const kiln::HttpExchangeRecord& record) { finished.append(record); });
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/hello?x=1"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->reason, QByteArray("OK"));
    QCOMPARE(r->body, QByteArray("hello GET /hello?x=1"));
    QCOMPARE(r->header("content-type"), QByteArray("text/plain"));
    QVERIFY(r->header("date").endsWith(" GMT"));
    QVERIFY(r->header("content-length").isNull() != r->header("transfer-encoding").isNull());
    QVERIFY(!c.isClosed());
    QVERIFY(spinUntil([&] { return finished.size() == 1; }));
    const kiln::HttpExchangeRecord record = finished.at(0);
    QCOMPARE(started.size(), 1);
    QCOMPARE(record.id, started.at(0));
    QCOMPARE(record.method, QByteArray("GET"));
    QCOMPARE(record.target, QByteArray("/hello?x=1"));
    QCOMPARE(record.status, 200);
    QVERIFY(!record.cancelled);
    QVERIFY(record.totalUs > 0);
    QVERIFY(record.totalUs >= record.queuedUs + record.handlerUs);
    QCOMPARE(record.bytesIn, get("/hello?x=1").size());
    QVERIFY(record.bytesOut > r->body.size());
}

// What the terminal shows per request: escapes intact (QString::arg once turned "%2e" into
// the status), reason phrases for every status the server sends, long targets cut.
void TestHttpServer::requestLogLines() {
    kiln::HttpExchangeRecord r;
    r.method = "GET";
    r.target = "/%2e%2e/%1?q=%25";
    r.status = 404;
    r.totalUs = 2400;
    QCOMPARE(kiln::requestLogLine(r), QStringLiteral("GET /%2e%2e/%1?q=%25 404 Not Found (2ms)"));
    for (auto [status, phrase] : {std::pair{414, "URI Too Long"},
                                  {431, "Request Header Fields Too Large"},
                                  {501, "Not Implemented"},
                                  {505, "HTTP Version Not Supported"},
                                  {417, "Expectation Failed"},
                                  {408, "Request Timeout"}}) {
        r.status = status;
        QVERIFY2(kiln::requestLogLine(r).contains(QString::number(status) + QLatin1Char(' ') +
                                                  QLatin1String(phrase)),
                 qPrintable(kiln::requestLogLine(r)));
    }
    r.cancelled = true;
    QCOMPARE(kiln::requestLogLine(r), QStringLiteral("GET /%2e%2e/%1?q=%25 cancelled (2ms)"));
    r.cancelled = false;
    r.status = 414;
    r.target = "/" + QByteArray(32 * 1024, 'a');
    const QString line = kiln::requestLogLine(r);
    QVERIFY2(line.size() < 300, qPrintable(line));
    QVERIFY(line.contains(QStringLiteral("… (32769 bytes) 414 URI Too Long")));
    r.target = "/a\nGET /forged 200 OK";
    QVERIFY(!kiln::requestLogLine(r).contains(QLatin1Char('\n')));
}

void TestHttpServer::keepAliveManyRequests() {
    Client c(port());
    QVERIFY(c.connected());
    const quint16 localPort = c.socket.localPort();
    for (int i = 0; i < 5; ++i) {
        c.send(get("/hello?i=" + QByteArray::number(i)));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, "hello GET /hello?i=" + QByteArray::number(i));
        QVERIFY(r->header("connection").isNull());
    }
    QVERIFY(!c.isClosed());
    QCOMPARE(c.socket.localPort(), localPort);
    QCOMPARE(m_handler->dispatched.load(), 5);
}

void TestHttpServer::pipeliningKeepsOrder() {
    Client c(port());
    QVERIFY(c.connected());
    // All three in one segment; the first is the slowest to answer.
    c.send(get("/slow?ms=300&id=1") + get("/hello?id=2") + get("/slow?ms=20&id=3"));
    const QByteArray expected[] = {"hello GET /slow?ms=300&id=1", "hello GET /hello?id=2",
                                   "hello GET /slow?ms=20&id=3"};
    for (const QByteArray& body : expected) {
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, body);
    }
    // The next request reached the handler only after the previous one had finished.
    QCOMPARE(m_handler->overlapped.load(), 0);
    QCOMPARE(m_handler->dispatched.load(), 3);
}

void TestHttpServer::chunkedRequestBody() {
    Client c(port());
    QVERIFY(c.connected());
    const QByteArray body = "4\r\nWiki\r\n5;ext=v\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                            "0\r\nX-Trailer: t\r\n\r\n";
    const QByteArray head =
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    // Delivered in awkward pieces: the parser must carry state across reads.
    const QByteArray all = head + body;
    for (qsizetype i = 0; i < all.size(); i += 7) {
        c.send(all.mid(i, 7));
        QTest::qWait(1);
    }
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("Wikipedia in\r\n\r\nchunks."));
    QCOMPARE(r->header("x-body-length"), QByteArray("23"));
    // The connection survives for the next request.
    c.send(get("/hello"));
    const auto r2 = c.read();
    QVERIFY(r2 && r2->complete);
    QCOMPARE(r2->status, 200);
}

void TestHttpServer::expectContinue() {
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
           "Expect: 100-continue\r\n\r\n");
    const auto interim = c.read();
    QVERIFY(interim);
    QCOMPARE(interim->status, 100);
    QVERIFY(c.buffer.isEmpty()); // nothing but the interim response
    c.send("hello");
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("hello"));
    QVERIFY(r->header("connection").isNull());
}

void TestHttpServer::expectContinueNotPulled() {
    // The handler answers without reading: no 100 Continue, and since the client may or may
    // not send its body now, the connection cannot be reused.
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /ignore-body HTTP/1.1\r\nHost: test\r\nContent-Length: 5000\r\n"
           "Expect: 100-continue\r\n\r\n");
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("ignored"));
    QCOMPARE(r->header("connection"), QByteArray("close"));
    QVERIFY(c.waitClosed());
}

void TestHttpServer::chunkedResponse() {
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/chunked"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->header("transfer-encoding"), QByteArray("chunked"));
    QVERIFY(r->header("content-length").isNull());
    QCOMPARE(r->body, QByteArray("part1-part2"));
    QVERIFY(c.buffer.isEmpty());
}

void TestHttpServer::headHasNoBody() {
    Client c(port());
    QVERIFY(c.connected());
    c.send("HEAD /fixed HTTP/1.1\r\nHost: test\r\n\r\n");
    const auto r = c.read(true);
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->header("content-length"), QByteArray("11"));
    // Had any body byte been sent, it would now corrupt the next response.
    c.send(get("/hello"));
    const auto r2 = c.read();
    QVERIFY(r2 && r2->complete);
    QCOMPARE(r2->status, 200);
    QCOMPARE(r2->body, QByteArray("hello GET /hello"));
    QVERIFY(c.buffer.isEmpty());
}

void TestHttpServer::noContentHasNoBody() {
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/nocontent"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 204);
    QCOMPARE(r->header("x-test"), QByteArray("1"));
    QVERIFY(r->header("content-length").isNull());
    QVERIFY(r->header("transfer-encoding").isNull());
    c.send(get("/hello"));
    const auto r2 = c.read();
    QVERIFY(r2 && r2->complete);
    QCOMPARE(r2->status, 200); // not "must not be sent..." parsed as a status line
    QCOMPARE(r2->body, QByteArray("hello GET /hello"));
}

void TestHttpServer::connectionClose() {
    {
        Client c(port());
        QVERIFY(c.connected());
        c.send(get("/hello", "Connection: close\r\n") + get("/hello?never"));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QVERIFY(c.waitClosed());
        QVERIFY(c.buffer.isEmpty()); // the pipelined request after it was not answered
    }
    {
        // The handler asks for the close.
        Client c(port());
        QVERIFY(c.connected());
        c.send(get("/close"));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, QByteArray("bye"));
        QCOMPARE(r->headerCount("connection"), 1);
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QVERIFY(c.waitClosed());
    }
    QCOMPARE(m_handler->dispatched.load(), 2);
}

void TestHttpServer::http10() {
    {
        // No keep-alive, body of unknown length: close-delimited, never chunked.
        Client c(port());
        QVERIFY(c.connected());
        c.send("GET /chunked HTTP/1.0\r\n\r\n");
        QVERIFY(c.waitClosed());
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QVERIFY(r->header("transfer-encoding").isNull());
        QCOMPARE(r->header("connection"), QByteArray("close"));
        QCOMPARE(r->body, QByteArray("part1-part2"));
    }
    {
        Client c(port());
        QVERIFY(c.connected());
        c.send("GET /fixed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->header("connection"), QByteArray("keep-alive"));
        QCOMPARE(r->body, QByteArray("fixed body!"));
        c.send("GET /hello HTTP/1.0\r\n\r\n");
        const auto r2 = c.read();
        QVERIFY(r2 && r2->complete);
        QCOMPARE(r2->body, QByteArray("hello GET /hello"));
        QVERIFY(c.waitClosed());
    }
}

void TestHttpServer::unreadBodyIsDrained() {
    // A small read buffer makes the server stop reading long before the body ends, so the
    // rest really has to be drained after the response.
    TestHandler handler;
    kiln::HttpServerOptions options;
    options.maxBufferedBodyBytes = 16 * 1024;
    options.maxDrainBytes = 1 << 20;
    kiln::HttpServer server(&handler, options);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    {
        Client c(server.port());
        QVERIFY(c.connected());
        c.send("POST /ignore-body HTTP/1.1\r\nHost: test\r\nContent-Length: 524288\r\n\r\n" +
               QByteArray(524288, 'x') + get("/hello?after"));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, QByteArray("ignored"));
        QVERIFY(r->header("connection").isNull());
        const auto r2 = c.read();
        QVERIFY(r2 && r2->complete);
        QCOMPARE(r2->body, QByteArray("hello GET /hello?after"));
        QVERIFY(!c.isClosed());
    }
    {
        // 64 MiB announced, more than is worth draining: the connection is closed instead.
        Client c(server.port());
        QVERIFY(c.connected());
        c.send("POST /ignore-body HTTP/1.1\r\nHost: test\r\nContent-Length: 67108864\r\n\r\n" +
               QByteArray(256 * 1024, 'x'));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, QByteArray("ignored"));
        QVERIFY(c.waitClosed());
    }
    QCOMPARE(handler.wrongThread.load(), 0);
}

void TestHttpServer::contentLengthEnforced() {
    {
        // 5 of 10 promised bytes: the client must see the connection end.
        Client c(port());
        QVERIFY(c.connected());
        c.send(get("/short"));
        QVERIFY(c.waitClosed());
        const auto r = c.read();
        QVERIFY(r);
        QVERIFY(!r->complete);
        QCOMPARE(r->body, QByteArray("12345"));
    }
    {
        // Too many bytes: cut at the Content-Length, connection stays usable.
        Client c(port());
        QVERIFY(c.connected());
        c.send(get("/over") + get("/hello"));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, QByteArray("abc"));
        const auto r2 = c.read();
        QVERIFY(r2 && r2->complete);
        QCOMPARE(r2->body, QByteArray("hello GET /hello"));
    }
}

void TestHttpServer::droppedExchangeGets500() {
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/drop") + get("/hello"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 500);
    const auto r2 = c.read();
    QVERIFY(r2 && r2->complete);
    QCOMPARE(r2->status, 200);
}

void TestHttpServer::callbacksMayHoldTheExchange() {
    // Finishing must not deadlock when dropping the handler's callbacks releases the last
    // reference to the exchange.
    Client c(port());
    QVERIFY(c.connected());
    for (int i = 0; i < 3; ++i) {
        c.send(get("/self-ref"));
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, QByteArray("self"));
    }
}

void TestHttpServer::handlerAbort() {
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/abort"));
    QVERIFY(c.waitClosed());
    QVERIFY(c.buffer.isEmpty());
}

// A thread with a PostBatch hands its calls to the server when the batch flushes, not before;
// they then arrive whole and in order.
void TestHttpServer::postBatchHoldsCallsUntilItFlushes() {
    Client c(port());
    QVERIFY(c.connected());
    QElapsedTimer clock;
    clock.start();
    c.send(get("/batched"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("hello GET /batched"));
    QVERIFY2(clock.elapsed() >= 250, qPrintable(QString::number(clock.elapsed())));
    // The connection goes on as usual.
    c.send(get("/hello"));
    const auto next = c.read();
    QVERIFY(next && next->complete);
    QCOMPARE(next->body, QByteArray("hello GET /hello"));
    // A batch whose thread has nothing else ready to do holds nothing.
    clock.restart();
    c.send(get("/batched-idle"));
    const auto idle = c.read();
    QVERIFY(idle && idle->complete);
    QCOMPARE(idle->body, QByteArray("hello GET /batched-idle"));
    QVERIFY2(clock.elapsed() < 800, qPrintable(QString::number(clock.elapsed())));
}

QTEST_GUILESS_MAIN(TestHttpServer)
