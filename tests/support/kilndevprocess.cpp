#include "kilndevprocess.h"

#include <QDeadlineTimer>
#include <QJsonObject>
#include <QTcpSocket>

namespace kiln::test {

KilnDevProcess::~KilnDevProcess() {
    stop();
}

bool KilnDevProcess::start(const QString& projectDir, const QString& persistDir,
                           const QStringList& extraArgs, int timeoutMs) {
    m_output.clear();
    m_port = 0;
    m_ready = {};
    m_control = std::make_unique<ControlClient>();
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    QStringList args{QStringLiteral("dev")};
    if (!projectDir.isEmpty()) args << projectDir; // else the caller says where (-c FILE)
    args << QStringLiteral("--port") << QStringLiteral("0") << QStringLiteral("--persist-to")
         << persistDir << QStringLiteral("--control-fd") << QString::number(m_control->childFd());
    m_process.start(qEnvironmentVariable("KILN_BIN"), args + extraArgs);
    const bool started = m_process.waitForStarted(10000);
    m_control->closeChildFd(); // the child has its copy: EOF now means the child is gone
    if (!started) {
        m_output = "cannot start " + qEnvironmentVariable("KILN_BIN").toUtf8() + ": " +
                   m_process.errorString().toUtf8();
        return false;
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (auto ready = m_control->waitForEvent(QStringLiteral("ready"), 100)) {
            m_ready = ready->body;
            m_port = static_cast<quint16>(m_ready.value(QStringLiteral("port")).toInt());
            return m_port != 0;
        }
        output();
        if (m_process.state() == QProcess::NotRunning) return false;
    }
    return false;
}

void KilnDevProcess::killHard() {
    if (m_process.state() == QProcess::NotRunning) return;
    m_process.kill(); // SIGKILL on Unix
    m_process.waitForFinished(10000);
    output();
}

void KilnDevProcess::stop() {
    if (m_process.state() == QProcess::NotRunning) return;
    m_process.terminate();
    if (!m_process.waitForFinished(15000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    output();
}

QString KilnDevProcess::output() {
    m_output += m_process.readAll();
    return QString::fromUtf8(m_output);
}

bool KilnDevProcess::waitForOutput(const QString& text, int timeoutMs) {
    QDeadlineTimer deadline(timeoutMs);
    while (!output().contains(text)) {
        if (deadline.hasExpired() || m_process.state() == QProcess::NotRunning)
            return output().contains(text);
        m_process.waitForReadyRead(50);
    }
    return true;
}

bool KilnDevProcess::waitForLog(const QString& text, int timeoutMs) {
    return m_control &&
           m_control
               ->waitForEvent(
                   QStringLiteral("log"), timeoutMs,
                   [&](const protocol::Message& m) {
                       return m.body.value(QStringLiteral("text")).toString().contains(text);
                   })
               .has_value();
}

int KilnDevProcess::countLogs(const QString& text) {
    if (!m_control) return 0;
    m_control->poll();
    int count = 0;
    for (const auto& m : m_control->received())
        count += m.name == QLatin1String("log") &&
                 m.body.value(QStringLiteral("text")).toString().contains(text);
    return count;
}

QByteArray HttpResult::header(const QByteArray& name) const {
    for (const auto& [key, value] : headers)
        if (key.compare(name, Qt::CaseInsensitive) == 0) return value;
    return {};
}

namespace {

// Decodes a chunked body; returns false if it is malformed or incomplete.
bool dechunk(const QByteArray& raw, QByteArray* out) {
    qsizetype pos = 0;
    for (;;) {
        const qsizetype eol = raw.indexOf("\r\n", pos);
        if (eol < 0) return false;
        bool ok = false;
        const qsizetype size =
            raw.mid(pos, eol - pos).split(';').first().trimmed().toLongLong(&ok, 16);
        if (!ok) return false;
        pos = eol + 2;
        if (size == 0) return true;
        if (raw.size() < pos + size + 2) return false;
        out->append(raw.constData() + pos, size);
        pos += size + 2;
    }
}

} // namespace

HttpResult httpRequest(quint16 port, const QByteArray& method, const QByteArray& target,
                       const QList<QPair<QByteArray, QByteArray>>& headers, const QByteArray& body,
                       int timeoutMs) {
    HttpResult result;
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(5000)) {
        result.error = socket.errorString();
        return result;
    }
    QByteArray request = method + ' ' + target +
                         " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
                         "\r\nConnection: close\r\n";
    for (const auto& [name, value] : headers)
        request += name + ": " + value + "\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH")
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    request += "\r\n";
    socket.write(request);
    socket.write(body);
    QByteArray raw;
    QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(100);
        raw += socket.readAll();
    }
    raw += socket.readAll();
    const qsizetype headEnd = raw.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        result.error = deadline.hasExpired() ? QStringLiteral("timed out")
                                             : QStringLiteral("no response head");
        return result;
    }
    const QList<QByteArray> lines = raw.left(headEnd).split('\n');
    result.status = lines.value(0).split(' ').value(1).toInt();
    bool chunked = false;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) continue;
        result.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        if (line.left(colon).trimmed().toLower() == "transfer-encoding" &&
            line.toLower().contains("chunked"))
            chunked = true;
    }
    const QByteArray rawBody = raw.mid(headEnd + 4);
    if (chunked) {
        if (!dechunk(rawBody, &result.body))
            result.error = QStringLiteral("malformed chunked body");
    } else {
        result.body = rawBody;
    }
    return result;
}

QString KilnDevProcess::logText() {
    if (!m_control) return {};
    m_control->poll();
    QStringList lines;
    for (const auto& m : m_control->received())
        if (m.type == protocol::MessageType::Event && m.name == QLatin1String("log"))
            lines.append(m.body.value(QStringLiteral("text")).toString());
    return lines.join(QLatin1Char('\n'));
}

} // namespace kiln::test
