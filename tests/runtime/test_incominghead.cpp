// IncomingHead: what the engine hands worker.mjs for a request's head. A head `new Request`
// would take unchanged apart from its normalizations comes checked (ada's href, names lower
// case, values trimmed); a head it would refuse or that ada must be asked about as UTF-8
// (credentials, a forbidden method, a bad name or value, bytes outside printable ASCII) goes
// as sent, for the constructor to check. The same heads over HTTP: test_worker's
// incomingRequestsAsTheConstructorMakesThem.

#include "engine/incominghead.h"

#include <QTest>

using kiln::HttpRequestHead;
using kiln::IncomingHead;

class TestIncomingHead : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fromHead_data();
    void fromHead();
    void clientAddressIsAddedOnce();
};

namespace {

HttpRequestHead head(const QByteArray& method, const QByteArray& target,
                     kiln::HttpHeaders headers) {
    HttpRequestHead h;
    h.method = method;
    h.target = target;
    h.httpVersion = "1.1";
    h.headers = std::move(headers);
    h.peerAddress = QStringLiteral("::ffff:127.0.0.1");
    h.localPort = 8787;
    return h;
}

} // namespace

void TestIncomingHead::fromHead_data() {
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("checked");
    QTest::addColumn<QByteArray>("url");
    QTest::addColumn<QByteArray>("sentName");
    QTest::addColumn<QByteArray>("sentValue");

    QTest::newRow("plain") << QByteArray("GET") << QByteArray("/") << QByteArray("127.0.0.1:8787")
                           << QByteArray("Accept") << QByteArray("*/*") << true
                           << QByteArray("http://127.0.0.1:8787/") << QByteArray("accept")
                           << QByteArray("*/*");
    QTest::newRow("normalized") << QByteArray("PATCH") << QByteArray("/a/../b?x=1")
                                << QByteArray("LocalHost:80") << QByteArray("X-Mixed")
                                << QByteArray(" \tpadded value  ") << true
                                << QByteArray("http://localhost/b?x=1") << QByteArray("x-mixed")
                                << QByteArray("padded value");
    QTest::newRow("no host") << QByteArray("GET") << QByteArray("/p") << QByteArray()
                             << QByteArray("X") << QByteArray("1") << true
                             << QByteArray("http://localhost:8787/p") << QByteArray("x")
                             << QByteArray("1");
    QTest::newRow("latin-1 value")
        << QByteArray("GET") << QByteArray("/") << QByteArray("h") << QByteArray("X-Latin")
        << QByteArray("caf\xe9") << true << QByteArray("http://h/") << QByteArray("x-latin")
        << QByteArray("caf\xe9");
    QTest::newRow("utf-8 target") << QByteArray("GET") << QByteArray("/caf\xc3\xa9")
                                  << QByteArray("h") << QByteArray("X") << QByteArray(" 1 ")
                                  << false << QByteArray("http://h/caf\xc3\xa9") << QByteArray("X")
                                  << QByteArray(" 1 ");
    QTest::newRow("credentials") << QByteArray("GET") << QByteArray("/") << QByteArray("u:p@h")
                                 << QByteArray("X") << QByteArray("1") << false
                                 << QByteArray("http://u:p@h/") << QByteArray("X")
                                 << QByteArray("1");
    QTest::newRow("forbidden method")
        << QByteArray("TRACE") << QByteArray("/") << QByteArray("h") << QByteArray("X")
        << QByteArray("1") << false << QByteArray("http://h/") << QByteArray("X")
        << QByteArray("1");
    QTest::newRow("bad name") << QByteArray("GET") << QByteArray("/") << QByteArray("h")
                              << QByteArray("X Y") << QByteArray("1") << false
                              << QByteArray("http://h/") << QByteArray("X Y") << QByteArray("1");
    QTest::newRow("NUL in value") << QByteArray("GET") << QByteArray("/") << QByteArray("h")
                                  << QByteArray("X") << QByteArray("a\0b", 3) << false
                                  << QByteArray("http://h/") << QByteArray("X")
                                  << QByteArray("a\0b", 3);
    QTest::newRow("invalid URL") << QByteArray("GET") << QByteArray("/") << QByteArray("h:99999")
                                 << QByteArray("X") << QByteArray("1") << false
                                 << QByteArray("http://h:99999/") << QByteArray("X")
                                 << QByteArray("1");
}

void TestIncomingHead::fromHead() {
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, host);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(bool, checked);
    QFETCH(QByteArray, url);
    QFETCH(QByteArray, sentName);
    QFETCH(QByteArray, sentValue);
    kiln::HttpHeaders headers;
    if (!host.isNull()) headers.append({"Host", host});
    headers.append({name, value});
    const IncomingHead in = IncomingHead::from(head(method, target, headers));
    QCOMPARE(in.checked, checked);
    QCOMPARE(in.url, url);
    const int at = host.isNull() ? 0 : 2;
    QCOMPARE(in.headers.size(), at + 4);
    if (!host.isNull()) {
        QCOMPARE(in.headers[0], checked ? QByteArray("host") : QByteArray("Host"));
        QCOMPARE(in.headers[1], host);
    }
    QCOMPARE(in.headers[at], sentName);
    QCOMPARE(in.headers[at + 1], sentValue);
    QCOMPARE(in.headers[at + 2],
             checked ? QByteArray("cf-connecting-ip") : QByteArray("CF-Connecting-IP"));
    QCOMPARE(in.headers[at + 3], QByteArray("127.0.0.1"));
}

void TestIncomingHead::clientAddressIsAddedOnce() {
    const IncomingHead in =
        IncomingHead::from(head("GET", "/", {{"Host", "h"}, {"CF-Connecting-IP", "1.2.3.4"}}));
    QVERIFY(in.checked);
    QCOMPARE(in.headers, (QList<QByteArray>{"host", "h", "cf-connecting-ip", "1.2.3.4"}));
}

QTEST_APPLESS_MAIN(TestIncomingHead)
#include "test_incominghead.moc"
