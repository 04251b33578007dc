// Shared fixture of the test_httpserver executable (runtime/server). The server runs on the
// test's main thread; the handler consumes every exchange on its own QThread, as the engine
// will, and checks that each callback arrives on the server thread. Clients are real loopback
// TCP sockets speaking raw bytes. Test methods live in test_httpserver.cpp (protocol),
// test_httpserver_errors.cpp (refusals, limits, timeouts) and test_httpserver_stream.cpp (big
// bodies, flow control, disconnects, many connections).
#pragma once

#include "server/httpserver.h"

#include <QObject>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace testutil {

// Spins the calling thread's event loop until `pred` holds; false on timeout.
bool spinUntil(const std::function<bool()>& pred, int timeoutMs = 10000);
// Resident set size of this process in KiB (/proc/self/status VmRSS).
qint64 rssKiB();
// Byte `offset` of the streamed test pattern.
inline char patternByte(qint64 offset) {
    return char(offset % 251);
}
inline QByteArray get(const QByteArray& target, const QByteArray& extraHeaders = {}) {
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders + "\r\n";
}
quint64 fnv1a(quint64 hash, const char* data, qsizetype size);
constexpr quint64 kFnvSeed = 1469598103934665603ULL;

struct Response {
    int status = 0;
    QByteArray reason;
    kiln::HttpHeaders headers;
    QByteArray body;
    bool complete = false; // framing satisfied (false: cut off by a close)
    QByteArray header(const char* lowerName) const {
        return kiln::httpHeaderValue(headers, lowerName);
    }
    int headerCount(const char* lowerName) const;
};

// A raw HTTP/1.1 client on a loopback socket; reads everything the server sends into buffer.
class Client {
public:
    explicit Client(quint16 port, bool autoRead = true);
    ~Client() { socket.disconnect(); } // the socket's own close must not reach `buffer`
    bool connected();
    void send(const QByteArray& bytes);
    // Waits for one complete response (interim 1xx responses count as one).
    std::optional<Response> read(bool headRequest = false, int timeoutMs = 15000);
    // Waits until the server has closed the connection.
    bool waitClosed(int timeoutMs = 10000);
    bool isClosed() const { return m_closed; }

    QTcpSocket socket;
    QByteArray buffer;

private:
    std::optional<Response> parse(bool headRequest);
    bool m_closed = false;
};

// Consumes exchanges on its own thread; behaviour is chosen by the request path.
class TestHandler : public kiln::HttpHandler {
public:
    TestHandler();
    ~TestHandler() override;
    void handle(std::shared_ptr<kiln::HttpExchange> exchange) override;
    void reset();

    // Runs `fn` on the worker thread; called from server-thread callbacks.
    void toWorker(std::function<void()> fn);
    void onServerThread(); // records a violation unless on the server (main) thread
    void onWorkerThread(); // records a violation unless on the worker thread

    std::atomic<int> wrongThread{0};
    std::atomic<int> dispatched{0};
    std::atomic<int> inFlight{0};   // dispatched, finish() not yet called
    std::atomic<int> overlapped{0}; // a dispatch while another exchange was in flight
    std::atomic<qint64> bodyBytes{0};
    std::atomic<qint64> maxChunk{0};
    std::atomic<qint64> streamProduced{0};
    std::atomic<bool> closedFired{false};
    std::atomic<bool> bodyError{false};
    QString lastBodyError; // written on the worker thread before bodyError is set

private:
    void route(const std::shared_ptr<kiln::HttpExchange>& ex);
    void pullAll(const std::shared_ptr<kiln::HttpExchange>& ex, int delayMs,
                 std::function<void(const QByteArray&, qint64, quint64, const QString&)> done,
                 bool keep);
    void stream(const std::shared_ptr<kiln::HttpExchange>& ex, qint64 total, qint64 offset);
    void finish(const std::shared_ptr<kiln::HttpExchange>& ex);

    QThread m_thread;
    QObject* m_worker;
    QThread* m_serverThread;
    QByteArray m_pattern;
};

} // namespace testutil

class TestHttpServer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    // test_httpserver.cpp
    void simpleGet();
    void keepAliveManyRequests();
    void pipeliningKeepsOrder();
    void chunkedRequestBody();
    void expectContinue();
    void expectContinueNotPulled();
    void chunkedResponse();
    void headHasNoBody();
    void noContentHasNoBody();
    void connectionClose();
    void http10();
    void unreadBodyIsDrained();
    void contentLengthEnforced();
    void droppedExchangeGets500();
    void callbacksMayHoldTheExchange();
    void handlerAbort();
    void postBatchHoldsCallsUntilItFlushes();

    // test_httpserver_errors.cpp
    void malformedRequestGets400();
    void malformedBodyGets400();
    void junkAfterChunkDataGets400();
    void oversizedHeadersGet431();
    void errorReplyIsNotReset();
    void unsupportedTransferEncodingGets501();
    void badVersionGets505();
    void missingHostGets400();
    void hostAndTargetAreValidated();
    void slowBodyGets408();
    void requestLogLines();
    void unknownExpectationGets417();
    void slowHeadersGet408();
    void idleKeepAliveCloses();
    void listensOnlyOnGivenAddress();

    // test_httpserver_stream.cpp
    void largeUploadIsStreamed();
    void largeResponseHonoursBackpressure();
    void clientDisconnectMidBody();
    void clientDisconnectWhileWaiting();
    void manyConcurrentConnections();
    void acceptResumesAfterFdExhaustion();

private:
    quint16 port() const { return m_server->port(); }

    std::unique_ptr<testutil::TestHandler> m_handler;
    std::unique_ptr<kiln::HttpServer> m_server;
};
