// Big bodies, flow control, disconnects and many connections; see test_httpserver.h.
#include "test_httpserver.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QTimer>

#include <cstring>

#include <cerrno>

#include <fcntl.h>
#include <sys/resource.h>

using namespace testutil;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true; // ASan's quarantine keeps freed memory resident: RSS says nothing
#else
constexpr bool kAsan = false;
#endif

bool matchesPattern(const char* data, qsizetype size, qint64 offset) {
    static const QByteArray pattern = [] {
        QByteArray p;
        for (int i = 0; i < 251 * 64; ++i)
            p.append(patternByte(i));
        return p;
    }();
    while (size > 0) {
        const qsizetype start = qsizetype(offset % 251);
        const qsizetype n = qMin(size, pattern.size() - start);
        if (std::memcmp(data, pattern.constData() + start, size_t(n)) != 0) return false;
        data += n;
        size -= n;
        offset += n;
    }
    return true;
}

} // namespace

void TestHttpServer::largeUploadIsStreamed() {
    // 256 MiB, generated on the fly, into a handler that is slower than the network (it waits
    // 1 ms between pulls): the server must push back instead of buffering the upload.
    constexpr qint64 total = 256LL << 20;
    Client c(port());
    QVERIFY(c.connected());
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (qsizetype i = 0; i < block.size(); ++i)
        block[i] = char((i * 7) ^ (i >> 9));

    const qint64 rssBefore = rssKiB();
    qint64 rssPeak = rssBefore;
    QTimer sampler;
    QObject::connect(&sampler, &QTimer::timeout, &sampler,
                     [&] { rssPeak = qMax(rssPeak, rssKiB()); });
    sampler.start(20);

    QElapsedTimer elapsed;
    elapsed.start();
    c.send("POST /count?delay=1 HTTP/1.1\r\nHost: test\r\nContent-Length: " +
           QByteArray::number(total) + "\r\n\r\n");
    qint64 sent = 0;
    quint64 hash = kFnvSeed;
    const auto pump = [&] {
        // The same QByteArray is queued again and again (shared, not copied): the client
        // side holds at most a few MiB.
        while (sent < total && c.socket.bytesToWrite() < (4 << 20)) {
            const qint64 n = qMin<qint64>(block.size(), total - sent);
            const QByteArray piece = n == block.size() ? block : block.left(n);
            c.socket.write(piece);
            hash = fnv1a(hash, piece.constData(), piece.size());
            sent += n;
        }
    };
    QObject::connect(&c.socket, &QTcpSocket::bytesWritten, &c.socket, pump);
    pump();
    const auto r = c.read(false, 240000);
    sampler.stop();
    qInfo("uploaded %lld MiB in %lld ms", total >> 20, elapsed.elapsed());
    QVERIFY(r && r->complete);
    QCOMPARE(r->status, 200);
    QCOMPARE(r->body,
             "count=" + QByteArray::number(total) + " fnv=" + QByteArray::number(hash, 16));

    const kiln::HttpServerOptions defaults;
    const qint64 maxChunk = m_handler->maxChunk.load();
    qInfo("largest body chunk handed to the handler: %lld KiB", maxChunk / 1024);
    QVERIFY2(maxChunk <= defaults.maxBufferedBodyBytes + 64 * 1024, "flow control let it pile up");
    const qint64 growthKiB = rssPeak - rssBefore;
    qInfo("RSS before %lld KiB, peak %lld KiB, growth %lld KiB", rssBefore, rssPeak, growthKiB);
    if (!kAsan) QVERIFY2(growthKiB < 40 * 1024, "memory grew with the upload");
}

void TestHttpServer::largeResponseHonoursBackpressure() {
    constexpr qint64 total = 256LL << 20;
    Client c(port(), false);
    c.socket.setReadBufferSize(64 * 1024); // the client reads nothing for now
    QVERIFY(c.connected());
    c.send(get("/stream?bytes=" + QByteArray::number(total)));
    spinUntil([] { return false; }, 1000); // not qWait(): it sleeps between event batches
    // Only what fits in the socket buffers plus the server's ~1 MiB high-water mark may have
    // been produced while nobody was reading.
    const qint64 stalled = m_handler->streamProduced.load();
    qInfo("produced while the client was not reading: %lld KiB", stalled / 1024);
    QVERIFY(stalled > 0);
    QVERIFY2(stalled < (32LL << 20), "the producer was not held back");

    QByteArray head;
    bool headDone = false;
    qint64 received = 0;
    bool corrupt = false;
    const auto drain = [&] {
        QByteArray data = c.socket.readAll();
        if (!headDone) {
            head += data;
            const qsizetype end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            data = head.mid(end + 4);
            head.truncate(end);
            headDone = true;
        }
        corrupt = corrupt || !matchesPattern(data.constData(), data.size(), received);
        received += data.size();
    };
    QObject::connect(&c.socket, &QTcpSocket::readyRead, &c.socket, drain);
    QElapsedTimer elapsed;
    elapsed.start();
    drain();
    QVERIFY(spinUntil([&] { return received >= total || c.isClosed(); }, 240000));
    qInfo("downloaded %lld MiB in %lld ms", total >> 20, elapsed.elapsed());
    QCOMPARE(received, total);
    QVERIFY(!corrupt);
    QVERIFY(head.contains("\r\nContent-Length: " + QByteArray::number(total)));
    QCOMPARE(m_handler->streamProduced.load(), total);

    // The same through chunked framing, with writes big enough to be shared, not copied.
    Client c2(port());
    QVERIFY(c2.connected());
    constexpr qint64 total2 = 24LL << 20;
    c2.send(get("/stream?chunked=1&bytes=" + QByteArray::number(total2)));
    const auto r = c2.read(false, 120000);
    QVERIFY(r && r->complete);
    QCOMPARE(r->header("transfer-encoding"), QByteArray("chunked"));
    QCOMPARE(r->body.size(), total2);
    QVERIFY(matchesPattern(r->body.constData(), r->body.size(), 0));
}

void TestHttpServer::clientDisconnectMidBody() {
    Client c(port());
    QVERIFY(c.connected());
    c.send("POST /wait-close HTTP/1.1\r\nHost: test\r\nContent-Length: 1048576\r\n\r\n" +
           QByteArray(100 * 1024, 'x'));
    QVERIFY(spinUntil([&] { return m_handler->bodyBytes.load() == 100 * 1024; }));
    c.socket.abort();
    QVERIFY(
        spinUntil([&] { return m_handler->bodyError.load() && m_handler->closedFired.load(); }));
    QVERIFY2(m_handler->lastBodyError.contains(u"closed"), qPrintable(m_handler->lastBodyError));
    QVERIFY(spinUntil([&] { return m_server->connectionCount() == 0; }));
}

void TestHttpServer::clientDisconnectWhileWaiting() {
    Client c(port());
    QVERIFY(c.connected());
    c.send(get("/wait"));
    QVERIFY(spinUntil([&] { return m_handler->dispatched.load() == 1; }));
    QTest::qWait(50);
    QVERIFY(!m_handler->closedFired.load());
    c.socket.disconnectFromHost();
    QVERIFY(spinUntil([&] { return m_handler->closedFired.load(); }));
    QVERIFY(spinUntil([&] { return m_server->connectionCount() == 0; }));
}

void TestHttpServer::manyConcurrentConnections() {
    constexpr int count = 300;
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < count; ++i)
        clients.push_back(std::make_unique<Client>(port()));
    QVERIFY(spinUntil([&] {
        return std::all_of(clients.begin(), clients.end(), [](const auto& c) {
            return c->socket.state() == QAbstractSocket::ConnectedState;
        });
    }));
    QVERIFY(spinUntil([&] { return m_server->connectionCount() == count; }));
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < count; ++i)
            clients[i]->send(get("/hello?i=" + QByteArray::number(i)));
        for (int i = 0; i < count; ++i) {
            const auto r = clients[i]->read();
            QVERIFY(r && r->complete);
            QCOMPARE(r->body, "hello GET /hello?i=" + QByteArray::number(i));
        }
    }
    QCOMPARE(m_handler->dispatched.load(), 2 * count);
    clients.clear();
    QVERIFY(spinUntil([&] { return m_server->connectionCount() == 0; }));
}

void TestHttpServer::acceptResumesAfterFdExhaustion() {
    // With no descriptor left, accept() fails: the server must neither give up accepting nor
    // spin. Clients queue in the backlog meanwhile and are served once descriptors are free.
    QVERIFY(spinUntil([&] { return m_server->connectionCount() == 0; }));
    rlimit original{};
    QVERIFY(::getrlimit(RLIMIT_NOFILE, &original) == 0);
    // The limit caps descriptor numbers: put it where exactly five free numbers lie below it,
    // one for each client socket, so the server's accept() has none left.
    int limit = -1;
    for (int fd = 0, free = 0; fd < int(original.rlim_cur); ++fd) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF && ++free == 6) {
            limit = fd;
            break;
        }
    }
    QVERIFY(limit > 0);
    rlimit tight = original;
    tight.rlim_cur = rlim_t(limit);
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &tight) == 0);
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(std::make_unique<Client>(port()));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("accept failed")));
    spinUntil([] { return false; }, 300);
    QVERIFY(::setrlimit(RLIMIT_NOFILE, &original) == 0);
    for (int i = 0; i < 5; ++i) {
        QVERIFY(clients[i]->connected());
        clients[i]->send(get("/hello?fd=" + QByteArray::number(i)));
    }
    for (int i = 0; i < 5; ++i) {
        const auto r = clients[i]->read();
        QVERIFY(r && r->complete);
        QCOMPARE(r->body, "hello GET /hello?fd=" + QByteArray::number(i));
    }
}
