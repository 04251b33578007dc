// Refusals, limits and timeouts of kiln::HttpServer; see test_httpserver.h.
#include "test_httpserver.h"

#include <QElapsedTimer>
#include <QNetworkInterface>

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace testutil;

namespace {
// Sends `request`, expects one error response with `status`, then the server's close.
void expectRefusal(quint16 port, const QByteArray& request, int status, const QByteArray& cause) {
    Client c(port);
    QVERIFY(c.connected());
    c.send(request);
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, status);
    QCOMPARE(r->header("connection"), QByteArray("close"));
    QCOMPARE(r->header("content-type"), QByteArray("text/plain; charset=utf-8"));
    QVERIFY2(r->body.contains(cause), r->body.constData());
    QVERIFY(c.waitClosed());
}
} // namespace

void TestHttpServer::malformedRequestGets400() {
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: test\r\nBad Header\r\n\r\n", 400,
                  "Invalid header token");
    expectRefusal(port(), "get / HTTP/1.1\r\nHost: test\r\n\r\n", 400, "Invalid method");
    expectRefusal(port(),
                  "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                  400, "Content-Length");
    // Transfer-Encoding with Content-Length is how requests get smuggled.
    expectRefusal(port(),
                  "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  400, "Transfer-Encoding");
    QCOMPARE(m_handler->dispatched.load(), 0);
}

void TestHttpServer::malformedBodyGets400() {
    // The head is fine (dispatched), the chunked body is not: the handler's pull fails, and
    // the server answers 400 on its behalf.
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    QVERIFY(spinUntil([&] { return m_handler->bodyBytes.load() == 3; }));
    c.send("zz\r\n");
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 400);
    QVERIFY2(r->body.contains("chunk size"), r->body.constData());
    QVERIFY(c.waitClosed());
    QVERIFY(spinUntil([&] { return m_handler->bodyError.load(); }));
    QVERIFY2(m_handler->lastBodyError.contains(u"malformed"), qPrintable(m_handler->lastBodyError));
}

// llhttp 8 skips the two bytes after a chunk's data unread; a proxy that reads them differently
// would find another request there (smuggling). They must be CRLF, wherever the reads split.
void TestHttpServer::junkAfterChunkDataGets400() {
    const QByteArray head =
        "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const QByteArray& junk : {QByteArray("XX"), QByteArray("\rX"), QByteArray("X\n")}) {
        Client c(port());
        QVERIFY(c.connected());
        c.send(head + "5\r\nhello" + junk + "3\r\nabc\r\n0\r\n\r\n");
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->status, 400);
        QVERIFY2(r->body.contains("chunk data not followed by CRLF"), r->body.constData());
        QVERIFY(c.waitClosed());
    }
    // The same, with the read ending between the data and the bad byte.
    {
        Client c(port());
        QVERIFY(c.connected());
        c.send(head + "3\r\nabc\r");
        QVERIFY(spinUntil([&] { return m_handler->bodyBytes.load() == 3; }));
        c.send("X0\r\n\r\n");
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->status, 400);
        QVERIFY(c.waitClosed());
    }
    // A correct body split at every byte passes.
    Client c(port());
    QVERIFY(c.connected());
    const QByteArray all = head + "5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n";
    for (const char byte : all) {
        c.send(QByteArray(1, byte));
        QTest::qWait(1);
    }
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("helloabc"));
}

void TestHttpServer::oversizedHeadersGet431() {
    const QByteArray big = "X-Big: " + QByteArray(100 * 1024, 'a') + "\r\n";
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: test\r\n" + big + "\r\n", 431, "too large");
    // Many small headers add up the same way.
    QByteArray many;
    for (int i = 0; i < 2000; ++i)
        many += "X-H" + QByteArray::number(i) + ": " + QByteArray(40, 'v') + "\r\n";
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: test\r\n" + many + "\r\n", 431, "too large");
    expectRefusal(port(), "GET /" + QByteArray(70 * 1024, 'u') + " HTTP/1.1\r\nHost: t\r\n\r\n",
                  414, "too long");
    // Just under the limit is fine.
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/hello", "X-Big: " + QByteArray(60 * 1024, 'a') + "\r\n"));
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(m_handler->dispatched.load(), 1);
}

void TestHttpServer::errorReplyIsNotReset() {
    // The client is still sending a huge head when the server refuses it. Closing with unread
    // input would make the kernel send RST, which some stacks let destroy the reply; the server
    // half-closes and keeps reading instead, so the client sees the 431 and then a clean EOF.
    // (A raw socket: Qt reports a reset and an orderly close the same way.)
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    QVERIFY(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const QByteArray out = "GET / HTTP/1.1\r\nHost: test\r\nX-Big: " + QByteArray(4 << 20, 'a');
    qsizetype sent = 0;
    QByteArray in;
    bool eof = false;
    int error = 0;
    const bool ended = spinUntil([&] {
        if (sent < out.size()) {
            const ssize_t n =
                ::send(fd, out.constData() + sent, size_t(out.size() - sent), MSG_NOSIGNAL);
            if (n > 0) {
                sent += n;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN) {
                error = errno; // a reset shows up here first if we are still sending
                return true;
            }
        }
        char buf[16384];
        for (;;) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) {
                in.append(buf, n);
                continue;
            }
            if (n == 0) return eof = true;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN) return false;
            error = errno;
            return true;
        }
    });
    ::close(fd);
    QVERIFY(ended);
    QVERIFY2(eof, std::strerror(error));
    QVERIFY2(in.startsWith("HTTP/1.1 431 "), in.left(200).constData());
}

void TestHttpServer::unsupportedTransferEncodingGets501() {
    expectRefusal(port(),
                  "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                  "0\r\n\r\n",
                  501, "gzip");
    expectRefusal(port(), "POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: br\r\n\r\n", 501,
                  "br");
    expectRefusal(port(), "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", 501,
                  "CONNECT");
    QCOMPARE(m_handler->dispatched.load(), 0);
}

void TestHttpServer::badVersionGets505() {
    expectRefusal(port(), "GET / HTTP/1.2\r\nHost: test\r\n\r\n", 505, "version");
    expectRefusal(port(), "GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
    expectRefusal(port(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP/2");
    QCOMPARE(m_handler->dispatched.load(), 0);
}

void TestHttpServer::missingHostGets400() {
    expectRefusal(port(), "GET / HTTP/1.1\r\n\r\n", 400, "missing Host");
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "more than one");
    QCOMPARE(m_handler->dispatched.load(), 0);
}

// A Host or target that would change the URL the worker sees is refused, as workerd does; an
// absolute-form target is parsed, its authority taking Host's place (RFC 9112 3.2.2).
void TestHttpServer::hostAndTargetAreValidated() {
    const int before = m_handler->dispatched.load();
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: x/evil\r\n\r\n", 400, "malformed Host");
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "malformed Host");
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: user:pw@x\r\n\r\n", 400, "malformed Host");
    expectRefusal(port(), "GET / HTTP/1.1\r\nHost: x:80a\r\n\r\n", 400, "malformed Host");
    expectRefusal(port(), "GET evil HTTP/1.1\r\nHost: x\r\n\r\n", 400, "url");
    expectRefusal(port(), "GET ftp://x/y HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                  "malformed request target");
    expectRefusal(port(), "GET http://a@b/ HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                  "malformed authority");
    QCOMPARE(m_handler->dispatched.load(), before);

    Client c(port());
    QVERIFY(c.connected());
    c.send("GET http://example.com:81/hello?x=1 HTTP/1.1\r\nHost: ignored\r\n\r\n");
    auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray("hello GET /hello?x=1"));
    c.send("GET /hello HTTP/1.1\r\nHost: [::1]:8787\r\n\r\n");
    r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
}

void TestHttpServer::unknownExpectationGets417() {
    expectRefusal(port(),
                  "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: fries\r\n\r\nx", 417,
                  "100-continue");
}

void TestHttpServer::slowHeadersGet408() {
    TestHandler handler;
    kiln::HttpServerOptions options;
    options.headerTimeoutMs = 300;
    kiln::HttpServer server(&handler, options);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Client c(server.port());
    QVERIFY(c.connected());
    QElapsedTimer t;
    t.start();
    // A slowloris client: a byte now and then, never the end of the head.
    c.send("GET / HTTP/1.1\r\nHost: test\r\n");
    const QByteArray drip = "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (char ch : drip) {
        if (c.isClosed() || !c.buffer.isEmpty()) break;
        c.send(QByteArray(1, ch));
        QTest::qWait(40);
    }
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 408);
    QVERIFY(t.elapsed() >= 300);
    QVERIFY(t.elapsed() < 3000);
    QVERIFY(c.waitClosed());
    QCOMPARE(handler.dispatched.load(), 0);
    QCOMPARE(server.connectionCount(), 0);
}

// A body that stops arriving (or drips a byte every few seconds) ends in 408, not in a
// connection held for ever; a body sent at once is unaffected.
void TestHttpServer::slowBodyGets408() {
    TestHandler handler;
    kiln::HttpServerOptions options;
    options.bodyWindowMs = 300;
    options.minBodyBytesPerWindow = 64;
    kiln::HttpServer server(&handler, options);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    {
        Client c(server.port());
        QVERIFY(c.connected());
        c.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nhello");
        for (int i = 0; i < 100 && !c.isClosed() && c.buffer.isEmpty(); ++i) {
            c.send("x");
            QTest::qWait(40);
        }
        const auto r = c.read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->status, 408);
        QVERIFY2(r->body.contains("the request body stopped arriving"), r->body.constData());
        QVERIFY(c.waitClosed());
    }
    Client fast(server.port());
    QVERIFY(fast.connected());
    fast.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n" +
              QByteArray(100, 'y'));
    const auto r = fast.read();
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body, QByteArray(100, 'y'));
    QTRY_COMPARE(handler.inFlight.load(), 0);
}

void TestHttpServer::idleKeepAliveCloses() {
    TestHandler handler;
    kiln::HttpServerOptions options;
    options.keepAliveTimeoutMs = 300;
    kiln::HttpServer server(&handler, options);
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    Client c(server.port());
    QVERIFY(c.connected());
    c.send("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
    const auto r = c.read();
    QVERIFY(r && r->complete);
    QElapsedTimer t;
    t.start();
    QVERIFY(c.waitClosed(5000));
    QVERIFY(t.elapsed() >= 250);
    QVERIFY(c.buffer.isEmpty()); // closed silently: no 408 for an idle connection
    QVERIFY(spinUntil([&] { return server.connectionCount() == 0; }));
}

void TestHttpServer::listensOnlyOnGivenAddress() {
    QCOMPARE(m_server->address(), QHostAddress(QHostAddress::LocalHost));
    // Any other local address must refuse, IPv6 loopback included.
    QList<QHostAddress> others{QHostAddress(QHostAddress::LocalHostIPv6)};
    for (const QHostAddress& a : QNetworkInterface::allAddresses()) {
        if (!a.isLoopback() && a.protocol() == QAbstractSocket::IPv4Protocol) others.append(a);
    }
    for (const QHostAddress& a : others) {
        QTcpSocket s;
        s.connectToHost(a, port());
        const bool settled = spinUntil(
            [&] {
                return s.state() == QAbstractSocket::ConnectedState ||
                       s.state() == QAbstractSocket::UnconnectedState;
            },
            5000);
        QVERIFY(settled);
        QVERIFY2(s.state() != QAbstractSocket::ConnectedState, qPrintable(a.toString()));
    }
}
