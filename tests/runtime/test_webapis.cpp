// Runs the Web API scripts in tests/runtime/js/ with `kiln js` and fails on any failed check.
// Each script prints "ok - ..." / "not ok - ..." per check and a final "# N passed, M failed".
// A loopback HTTP server (and, when openssl is available, two HTTPS ones with self-signed
// certificates, one of them trusted through KILN_EXTRA_CA_CERTS) runs in this process for
// the fetch() checks; scripts learn the addresses from globalThis.KILN_TEST_SERVER, set by a
// generated wrapper module that then imports them.

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <memory>

namespace {

QString jsString(const QString& text) {
    const QByteArray json = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(json.mid(1, json.size() - 2)); // drop the array's brackets
}

struct HttpRequest {
    QByteArray method;
    QByteArray target;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;

    QByteArray header(const QByteArray& name) const {
        for (const auto& [n, v] : headers)
            if (n.compare(name, Qt::CaseInsensitive) == 0) return v;
        return {};
    }
};

// A deliberately small HTTP/1.1 server: one request per connection (it answers with
// "Connection: close"), Content-Length request bodies only (which is what Qt sends).
class TestServer : public QObject {
public:
    explicit TestServer(QTcpServer* server)
        : m_server(server) {
        m_server->setParent(this);
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &TestServer::accept);
    }

    bool listen() { return m_server->listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server->serverPort(); }

private:
    void accept() {
        while (QTcpSocket* socket = m_server->nextPendingConnection()) {
            auto buffer = std::make_shared<QByteArray>();
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
                *buffer += socket->readAll();
                HttpRequest request;
                if (parse(*buffer, &request)) {
                    buffer->clear();
                    route(socket, request);
                }
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    static bool parse(const QByteArray& buffer, HttpRequest* request) {
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) return false;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        const QList<QByteArray> start = lines.value(0).trimmed().split(' ');
        request->method = start.value(0);
        request->target = start.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                request->headers.append(
                    {lines[i].left(colon).trimmed(), lines[i].mid(colon + 1).trimmed()});
        }
        const qsizetype length = request->header("content-length").toLongLong();
        if (buffer.size() < headerEnd + 4 + length) return false;
        request->body = buffer.mid(headerEnd + 4, length);
        return true;
    }

    static void respond(QTcpSocket* socket, int status, const QByteArray& reason,
                        const QByteArray& body, const QList<QByteArray>& extraHeaders = {},
                        bool withBody = true) {
        QByteArray out =
            "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\nConnection: close\r\n";
        for (const QByteArray& h : extraHeaders)
            out += h + "\r\n";
        if (status != 204 && status != 304)
            out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        out += "\r\n";
        if (withBody) out += body;
        socket->write(out);
        socket->disconnectFromHost();
    }

    static void writeChunk(QTcpSocket* socket, const QByteArray& data) {
        socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    }

    void route(QTcpSocket* socket, const HttpRequest& request) {
        const QUrl url(QString::fromLatin1(request.target));
        const QUrlQuery query(url);
        const QString path = url.path();
        const bool head = request.method == "HEAD";
        if (path == QLatin1String("/plain")) {
            respond(socket, 200, "OK", "hello world", {"Content-Type: text/plain"}, !head);
        } else if (path == QLatin1String("/chunked")) {
            socket->write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: "
                          "text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
            for (const char* part : {"chunk1-", "chunk2-", "chunk3"})
                writeChunk(socket, part);
            socket->write("0\r\n\r\n");
            socket->disconnectFromHost();
        } else if (path == QLatin1String("/big")) {
            QByteArray body(1024 * 1024, Qt::Uninitialized);
            for (qsizetype i = 0; i < body.size(); ++i)
                body[i] = static_cast<char>(i % 251);
            respond(socket, 200, "OK", body, {"Content-Type: application/octet-stream"});
        } else if (path == QLatin1String("/slow")) {
            // 30 ticks, 100 ms apart: the whole body takes 3 s, the first tick comes at once.
            socket->write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: "
                          "text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
            writeChunk(socket, "tick 0\n");
            auto* timer = new QTimer(socket);
            auto ticks = std::make_shared<int>(1);
            auto finished = std::make_shared<bool>(false);
            connect(socket, &QTcpSocket::disconnected, this, [this, finished] {
                if (!*finished) ++m_slowAborted;
            });
            connect(timer, &QTimer::timeout, socket, [this, socket, timer, ticks, finished] {
                if (socket->state() != QAbstractSocket::ConnectedState) return timer->stop();
                writeChunk(socket, "tick " + QByteArray::number((*ticks)++) + "\n");
                if (*ticks == 30) {
                    timer->stop();
                    *finished = true;
                    ++m_slowCompleted;
                    socket->write("0\r\n\r\n");
                    socket->disconnectFromHost();
                }
            });
            timer->start(100);
        } else if (path == QLatin1String("/slow-headers")) {
            QTimer::singleShot(2000, socket, [socket] { respond(socket, 200, "OK", "late"); });
        } else if (path == QLatin1String("/echo")) {
            QJsonObject headers;
            for (const auto& [n, v] : request.headers)
                headers.insert(QString::fromLatin1(n).toLower(), QString::fromLatin1(v));
            const QJsonObject echo{{"method", QString::fromLatin1(request.method)},
                                   {"path", QString::fromLatin1(request.target)},
                                   {"headers", headers},
                                   {"body", QString::fromUtf8(request.body)},
                                   {"bodyLength", request.body.size()}};
            respond(socket, 200, "OK", QJsonDocument(echo).toJson(QJsonDocument::Compact),
                    {"Content-Type: application/json"});
        } else if (path == QLatin1String("/echo-raw")) {
            respond(socket, 200, "OK", request.body,
                    {"Content-Type: " + request.header("content-type")});
        } else if (path == QLatin1String("/redirect")) {
            const int status = query.queryItemValue(QStringLiteral("status")).toInt();
            const QByteArray to =
                query.queryItemValue(QStringLiteral("to"), QUrl::FullyDecoded).toLatin1();
            respond(socket, status ? status : 302, "Redirect", "redirecting", {"Location: " + to});
        } else if (path == QLatin1String("/loop")) {
            respond(socket, 302, "Found", "again", {"Location: /loop"});
        } else if (path == QLatin1String("/status")) {
            const int code = query.queryItemValue(QStringLiteral("code")).toInt();
            QList<QByteArray> extra;
            if (code == 401) extra.append("WWW-Authenticate: Basic realm=\"kiln\"");
            respond(socket, code, "Status",
                    code == 204 ? QByteArray() : "status " + QByteArray::number(code), extra);
        } else if (path == QLatin1String("/set-cookie")) {
            respond(socket, 200, "OK", "cookies",
                    {"Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; Path=/", "X-Multi: one",
                     "X-Multi: two"});
        } else if (path == QLatin1String("/stats")) {
            const QJsonObject stats{{"slowAborted", m_slowAborted},
                                    {"slowCompleted", m_slowCompleted}};
            respond(socket, 200, "OK", QJsonDocument(stats).toJson(QJsonDocument::Compact),
                    {"Content-Type: application/json"});
        } else {
            respond(socket, 404, "Not Found", "no route " + request.target);
        }
    }

    QTcpServer* m_server;
    int m_slowAborted = 0;
    int m_slowCompleted = 0;
};

} // namespace

class TestWebApis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void runScript_data();
    void runScript();

private:
    bool startHttps();

    QString m_kiln;
    QString m_scriptDir;
    QTemporaryDir m_temp;
    std::unique_ptr<TestServer> m_http;
    std::unique_ptr<TestServer> m_https;
    std::unique_ptr<TestServer> m_untrusted;
    QString m_trustedCert;
};

void TestWebApis::initTestCase() {
    m_kiln = qEnvironmentVariable("KILN_BIN");
    QVERIFY2(QFile::exists(m_kiln), "KILN_BIN must name the kiln binary");
    m_scriptDir = qEnvironmentVariable("KILN_SOURCE_DIR") + QStringLiteral("/tests/runtime/js");
    QVERIFY2(QDir(m_scriptDir).exists(), "KILN_SOURCE_DIR must name the source tree");
    QVERIFY(m_temp.isValid());
    m_http = std::make_unique<TestServer>(new QTcpServer);
    QVERIFY(m_http->listen());
    if (!startHttps()) qInfo("no openssl or TLS backend: the HTTPS check is skipped");
}

// Two HTTPS listeners with throwaway self-signed certificates for 127.0.0.1: kiln trusts the
// first through KILN_EXTRA_CA_CERTS, and must refuse the second.
bool TestWebApis::startHttps() {
    if (!QSslSocket::supportsSsl() ||
        QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty())
        return false;
    auto makeServer = [this](const QString& name) -> std::unique_ptr<TestServer> {
        const QString key = m_temp.filePath(name + QStringLiteral("-key.pem"));
        const QString cert = m_temp.filePath(name + QStringLiteral("-cert.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                       "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key,
                       "-out", cert});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0) return nullptr;
        QFile keyFile(key), certFile(cert);
        if (!keyFile.open(QIODevice::ReadOnly) || !certFile.open(QIODevice::ReadOnly))
            return nullptr;
        auto* server = new QSslServer;
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setLocalCertificate(QSslCertificate(certFile.readAll()));
        config.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Rsa));
        server->setSslConfiguration(config);
        auto result = std::make_unique<TestServer>(server);
        return result->listen() ? std::move(result) : nullptr;
    };
    m_https = makeServer(QStringLiteral("trusted"));
    m_untrusted = makeServer(QStringLiteral("untrusted"));
    if (!m_https || !m_untrusted) {
        m_https.reset();
        m_untrusted.reset();
        return false;
    }
    m_trustedCert = m_temp.filePath(QStringLiteral("trusted-cert.pem"));
    return true;
}

void TestWebApis::runScript_data() {
    QTest::addColumn<QString>("script");
    const QStringList scripts =
        QDir(m_scriptDir).entryList({QStringLiteral("*.mjs")}, QDir::Files, QDir::Name);
    for (const QString& name : scripts)
        if (!name.startsWith(QLatin1Char('_'))) // _harness.mjs and other helpers
            QTest::newRow(qPrintable(name)) << m_scriptDir + QLatin1Char('/') + name;
    QVERIFY(!scripts.isEmpty());
}

void TestWebApis::runScript() {
    QFETCH(QString, script);
    // The wrapper hands the script its servers, then imports it.
    const QString wrapper =
        m_temp.filePath(QFileInfo(script).completeBaseName() + QStringLiteral("_run.mjs"));
    QFile file(wrapper);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    auto origin = [](const std::unique_ptr<TestServer>& server) {
        return server ? QStringLiteral("\"https://127.0.0.1:%1\"").arg(server->port())
                      : QStringLiteral("null");
    };
    file.write(QStringLiteral("globalThis.KILN_TEST_SERVER = { http: \"http://127.0.0.1:%1\", "
                              "https: %2, httpsUntrusted: %3 };\n"
                              "await import(%4);\n")
                   .arg(m_http->port())
                   .arg(origin(m_https), origin(m_untrusted),
                        jsString(QUrl::fromLocalFile(script).toString()))
                   .toUtf8());
    file.close();

    // Run asynchronously: the test servers live on this thread's event loop.
    QProcess kiln;
    kiln.setProgram(m_kiln);
    kiln.setArguments({QStringLiteral("js"), wrapper});
    if (!m_trustedCert.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("KILN_EXTRA_CA_CERTS"), m_trustedCert);
        kiln.setProcessEnvironment(env);
    }
    QEventLoop loop;
    connect(&kiln, &QProcess::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(90000, &loop, &QEventLoop::quit);
    kiln.start();
    QVERIFY2(kiln.waitForStarted(), qPrintable(kiln.errorString()));
    loop.exec();
    if (kiln.state() != QProcess::NotRunning) {
        kiln.kill();
        kiln.waitForFinished();
        QFAIL(qPrintable(QStringLiteral("timed out; output so far:\n") +
                         QString::fromUtf8(kiln.readAllStandardOutput())));
    }
    const QString out = QString::fromUtf8(kiln.readAllStandardOutput());
    const QString err = QString::fromUtf8(kiln.readAllStandardError());
    const QStringList lines = out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList failures;
    int checks = 0;
    QString summary;
    for (const QString& line : lines) {
        if (line.startsWith(QLatin1String("ok - ")))
            ++checks;
        else if (line.startsWith(QLatin1String("not ok - ")))
            failures.append(line), ++checks;
        else if (line.startsWith(QLatin1String("# ")))
            summary = line;
    }
    qInfo("%s: %d checks, %s", qPrintable(QFileInfo(script).fileName()), checks,
          qPrintable(summary));
    QVERIFY2(failures.isEmpty(),
             qPrintable(failures.join(QLatin1Char('\n')) + QStringLiteral("\nstderr:\n") + err));
    QVERIFY2(kiln.exitStatus() == QProcess::NormalExit && kiln.exitCode() == 0,
             qPrintable(QStringLiteral("exit code %1; stderr:\n%2").arg(kiln.exitCode()).arg(err)));
    QVERIFY2(
        summary == QStringLiteral("# %1 passed, 0 failed").arg(checks),
        qPrintable(QStringLiteral("no or wrong summary line (%1); stderr:\n%2").arg(summary, err)));
    QVERIFY2(checks > 0, "the script ran no checks");
}

QTEST_MAIN(TestWebApis)
#include "test_webapis.moc"
