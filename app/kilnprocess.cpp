#include "kilnprocess.h"

#include "protocol/commands.h"

#include <QCoreApplication>
#include <QDir>
#include <QTcpServer>

#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kiln {

namespace {

constexpr int kLastLines = 40;
constexpr int kFirstBackoffMs = 500;
constexpr int kMaxBackoffMs = 10000;
// A child that ran this long before dying starts again at the first backoff.
constexpr qint64 kStableMs = 30000;

template <typename Event> bool decode(const protocol::Message& message, Event& out) {
    auto event = Event::fromBody(message.body);
    if (!event) return false;
    out = std::move(*event);
    return true;
}

} // namespace

KilnProcess::KilnProcess(QObject* parent)
    : QObject(parent)
    , m_executable(defaultExecutable()) {
    m_restartTimer.setSingleShot(true);
    connect(&m_restartTimer, &QTimer::timeout, this, &KilnProcess::launch);
}

KilnProcess::~KilnProcess() {
    stop();
}

QString KilnProcess::defaultExecutable() {
    return QCoreApplication::applicationDirPath() + QStringLiteral("/kiln");
}

quint16 KilnProcess::freePort(quint16 from) {
    for (quint32 port = from; port < 65536; ++port) {
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, quint16(port))) return quint16(port);
    }
    return 0;
}

void KilnProcess::setProject(const QString& projectDir, const QString& persistDir) {
    m_projectDir = projectDir;
    m_persistDir = persistDir;
}

void KilnProcess::start() {
    m_restarts = 0;
    m_backoffMs = 0;
    m_restartTimer.stop();
    if (m_process) return;
    launch();
}

void KilnProcess::restart() {
    stop();
    start();
}

void KilnProcess::stop() {
    m_restartTimer.stop();
    if (!m_process) return setState(State::Stopped);
    m_stopping = true;
    send(QString::fromLatin1(protocol::StopCommand::kName));
    if (!m_process->waitForFinished(3000)) {
        m_process->kill();
        m_process->waitForFinished(3000);
    }
    // onFinished has run (queued or direct); make sure the state is final either way.
    m_process.reset();
    m_socket.reset();
    m_stopping = false;
    setState(State::Stopped);
}

bool KilnProcess::send(const QString& command, const QJsonObject& arguments) {
    if (!m_socket || m_socket->state() != QLocalSocket::ConnectedState) return false;
    auto message = protocol::Message::request(command, arguments);
    m_socket->write(m_endpoint.encode(message));
    m_socket->flush();
    return true;
}

void KilnProcess::launch() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) {
        Q_EMIT problem(tr("Cannot create the control channel: %1").arg(std::strerror(errno)));
        return;
    }
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC); // ours; the child inherits only fds[1]
    m_endpoint = protocol::Endpoint();
    m_socket = std::make_unique<QLocalSocket>();
    m_socket->setSocketDescriptor(fds[0]);
    connect(m_socket.get(), &QLocalSocket::readyRead, this, &KilnProcess::onReadyRead);

    m_port = freePort(m_preferredPort);
    m_url.clear();
    m_lastLines.clear();
    m_partialLine.clear();
    QStringList args{QStringLiteral("dev"),          m_projectDir,
                     QStringLiteral("--port"),       QString::number(m_port),
                     QStringLiteral("--control-fd"), QString::number(fds[1])};
    if (!m_persistDir.isEmpty()) args << QStringLiteral("--persist-to") << m_persistDir;
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    connect(m_process.get(), &QProcess::readyReadStandardOutput, this, &KilnProcess::takeOutput);
    connect(m_process.get(), &QProcess::finished, this, &KilnProcess::onFinished);
    setState(State::Starting);
    m_runningFor.start();
    m_process->start(m_executable, args);
    const bool started = m_process->waitForStarted(10000);
    ::close(fds[1]); // the child has its copy: EOF on ours now means the child is gone
    if (!started) {
        Q_EMIT problem(tr("Cannot start %1: %2").arg(m_executable, m_process->errorString()));
        m_process.reset();
        m_socket.reset();
        setState(State::Stopped);
    }
}

void KilnProcess::takeOutput() {
    if (!m_process) return;
    m_partialLine += m_process->readAllStandardOutput();
    qsizetype newline;
    while ((newline = m_partialLine.indexOf('\n')) >= 0) {
        m_lastLines.append(QString::fromUtf8(m_partialLine.left(newline)));
        m_partialLine.remove(0, newline + 1);
        if (m_lastLines.size() > kLastLines) m_lastLines.removeFirst();
    }
}

void KilnProcess::onReadyRead() {
    for (auto& item : m_endpoint.feed(m_socket->readAll())) {
        if (!item)
            Q_EMIT problem(tr("Unreadable message from kiln: %1").arg(item.error()));
        else
            dispatch(*item);
    }
}

void KilnProcess::dispatch(const protocol::Message& message) {
    if (message.type == protocol::MessageType::Response) {
        if (!message.success)
            Q_EMIT problem(tr("kiln refused %1: %2").arg(message.name, message.message));
        return;
    }
    if (message.type != protocol::MessageType::Event) return;
    const QString& name = message.name;
    if (name == QLatin1String(protocol::HelloEvent::kName)) {
        protocol::HelloEvent hello;
        if (!decode(message, hello) || hello.protocol != protocol::kVersion) {
            Q_EMIT problem(tr("The kiln beside this studio (%1) speaks control protocol %2; this "
                              "studio speaks %3. Install matching versions.")
                               .arg(m_executable)
                               .arg(message.body.value(QStringLiteral("protocol")).toInt())
                               .arg(protocol::kVersion));
            return stop();
        }
        send(QString::fromLatin1(protocol::InitializeCommand::kName),
             protocol::InitializeCommand{protocol::kVersion, QStringLiteral("kiln-studio")}
                 .toArguments());
    } else if (name == QLatin1String(protocol::ReadyEvent::kName)) {
        protocol::ReadyEvent ready;
        if (!decode(message, ready)) return;
        m_url = ready.url;
        m_port = quint16(ready.port);
        setState(State::Running);
        Q_EMIT this->ready(ready);
    } else if (name == QLatin1String(protocol::LogEvent::kName)) {
        protocol::LogEvent event;
        if (decode(message, event)) Q_EMIT logged(event);
    } else if (name == QLatin1String(protocol::ExceptionEvent::kName)) {
        protocol::ExceptionEvent event;
        if (decode(message, event)) Q_EMIT exceptionRaised(event);
    } else if (name == QLatin1String(protocol::ReloadFinishedEvent::kName)) {
        protocol::ReloadFinishedEvent event;
        if (decode(message, event)) Q_EMIT reloadFinished(event);
    } else if (name == QLatin1String(protocol::RequestFinishedEvent::kName)) {
        protocol::RequestFinishedEvent event;
        if (decode(message, event)) Q_EMIT requestFinished(event);
    } else if (name == QLatin1String(protocol::StoreChangedEvent::kName)) {
        protocol::StoreChangedEvent event;
        if (decode(message, event)) Q_EMIT storeChanged(event);
    }
}

void KilnProcess::onFinished(int exitCode, QProcess::ExitStatus status) {
    if (m_stopping || !m_process) return;
    takeOutput();
    if (!m_partialLine.isEmpty()) m_lastLines.append(QString::fromUtf8(m_partialLine));
    const QString why = status == QProcess::CrashExit
                            ? tr("kiln was killed by signal %1 (%2)")
                                  .arg(exitCode)
                                  .arg(QString::fromLocal8Bit(strsignal(exitCode)))
                            : tr("kiln exited with code %1").arg(exitCode);
    m_process.release()->deleteLater(); // we are inside its signal
    m_socket.reset();
    setState(State::Crashed);
    m_backoffMs = m_runningFor.elapsed() > kStableMs || m_backoffMs == 0
                      ? kFirstBackoffMs
                      : std::min(m_backoffMs * 2, kMaxBackoffMs);
    ++m_restarts;
    Q_EMIT died(why, m_lastLines, m_backoffMs);
    m_restartTimer.start(m_backoffMs);
}

void KilnProcess::setState(State state) {
    if (m_state == state) return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace kiln
