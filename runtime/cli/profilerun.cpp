#include "cli/profilerun.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace kiln {

namespace {

quint16 freePort() {
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

// utime + stime of every thread, and the peak resident set, from /proc.
void processCost(qint64 pid, double* cpuMs, double* peakRssMb) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray text = stat.readAll();
        // Fields after the ")" that ends the command name: utime and stime are 14 and 15.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 13)
            *cpuMs = double(fields[11].toLongLong() + fields[12].toLongLong()) * 1000.0 /
                     double(sysconf(_SC_CLK_TCK));
    }
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (status.open(QIODevice::ReadOnly))
        for (const QByteArray& line : status.readAll().split('\n'))
            if (line.startsWith("VmHWM:"))
                *peakRssMb = line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
}

} // namespace

void endWithParent(QProcess& process) {
    process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
}

ProfileSample profileOnce(const ProfileRunOptions& o) {
    ProfileSample s;
    s.mode = o.mode;
    QTemporaryDir state;
    const quint16 port = freePort();
    QProcessEnvironment env = o.env;
    if (o.importTime) env.insert(QStringLiteral("KILN_PYTHON_IMPORTTIME"), QStringLiteral("1"));
    QProcess process;
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    endWithParent(process);
    QElapsedTimer clock;
    clock.start();
    process.start(o.kiln, {QStringLiteral("dev"), o.project, QStringLiteral("--port"),
                           QString::number(port), QStringLiteral("--ip"),
                           QStringLiteral("127.0.0.1"), QStringLiteral("--persist-to"),
                           state.path(), QStringLiteral("--log-level"), QStringLiteral("debug")});
    if (!process.waitForStarted(10000)) {
        s.error = QStringLiteral("cannot start %1: %2").arg(o.kiln, process.errorString());
        return s;
    }
    // Connect as soon as it listens; the server holds the request until the worker is ready.
    QByteArray response;
    while (clock.elapsed() < o.timeoutMs && process.state() == QProcess::Running) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(50)) {
            QThread::msleep(2);
            continue;
        }
        if (s.acceptMs == 0) s.acceptMs = double(clock.nsecsElapsed()) / 1e6;
        socket.write("GET " + o.path.toUtf8() +
                     " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        while (socket.waitForReadyRead(int(std::max<qint64>(1, o.timeoutMs - clock.elapsed()))))
            response += socket.readAll();
        if (!response.isEmpty()) break;
    }
    if (!response.isEmpty()) {
        s.firstResponseMs = double(clock.nsecsElapsed()) / 1e6;
        s.status = response.mid(9, 3).toInt();
        processCost(process.processId(), &s.cpuMs, &s.peakRssMb);
    }
    QElapsedTimer exit;
    exit.start();
    process.terminate();
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(5000);
    }
    s.exitMs = double(exit.nsecsElapsed()) / 1e6;
    s.output = QString::fromUtf8(process.readAll());

    static const QRegularExpression phase(
        QStringLiteral(R"(boot: (.+) ([\d.]+) ms \(at ([\d.]+) ms\))"));
    static const QRegularExpression ready(QStringLiteral(R"(Worker ready in ([\d.]+) ms)"));
    static const QRegularExpression memory(
        QStringLiteral(R"(boot figures: snapshot (\d+) bytes, wasm memory (\d+) bytes)"));
    QStringList importLines;
    for (const QString& line : s.output.split(QLatin1Char('\n'))) {
        if (const auto m = phase.match(line); m.hasMatch())
            s.phases.push_back({m.captured(1), m.captured(3).toDouble(), m.captured(2).toDouble()});
        else if (const auto r = ready.match(line); r.hasMatch() && s.readyMs == 0)
            s.readyMs = r.captured(1).toDouble();
        else if (const auto f = memory.match(line); f.hasMatch()) {
            s.snapshotMb = f.captured(1).toDouble() / (1024 * 1024);
            s.wasmMemoryMb = f.captured(2).toDouble() / (1024 * 1024);
        } else if (line.contains(QLatin1String("import time:")))
            importLines << line;
    }
    s.imports = parseImportTime(importLines);
    s.bootStartMs = std::max(0.0, s.firstResponseMs - s.readyMs);
    for (auto& p : s.phases)
        p.startMs += s.bootStartMs;
    if (response.isEmpty())
        s.error = QStringLiteral("no HTTP response within %1 s").arg(o.timeoutMs / 1000);
    else if (s.status != 200)
        s.error = QStringLiteral("GET %1 answered %2").arg(o.path).arg(s.status);
    return s;
}

} // namespace kiln
