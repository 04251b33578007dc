#pragma once

#include "protocol/endpoint.h"
#include "protocol/events.h"

#include <QElapsedTimer>
#include <QLocalSocket>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace kiln {

// The supervised `kiln dev` child of one open project, and the studio's end of its control
// channel (a socketpair handed over as --control-fd). Events arrive as signals; the studio
// never reads the child's output for meaning, only keeps its last lines to say why it died.
// A child that exits on its own (crash, SIGKILL, out of memory) is restarted with backoff;
// closing the channel (or this object going away) makes the child stop, so none is orphaned.
class KilnProcess : public QObject {
    Q_OBJECT
public:
    enum class State { Stopped, Starting, Running, Crashed };
    Q_ENUM(State)

    explicit KilnProcess(QObject* parent = nullptr);
    ~KilnProcess() override;

    // The `kiln` executable (default: the one beside this program).
    void setExecutable(const QString& path) { m_executable = path; }
    const QString& executable() const { return m_executable; }
    void setProject(const QString& projectDir, const QString& persistDir = {});
    const QString& persistDir() const { return m_persistDir; }
    void setPreferredPort(quint16 port) { m_preferredPort = port; }

    void start();
    void stop();
    void restart();
    // Sends a command; false when no child is connected.
    bool send(const QString& command, const QJsonObject& arguments = {});

    State state() const { return m_state; }
    QString url() const { return m_url; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    const QString& projectDir() const { return m_projectDir; }
    // How many times the child was restarted after dying on its own.
    int restarts() const { return m_restarts; }

    // The first port at or after `from` that nobody listens on (127.0.0.1).
    static quint16 freePort(quint16 from);
    // The kiln beside the running program.
    static QString defaultExecutable();

Q_SIGNALS:
    void stateChanged(kiln::KilnProcess::State state);
    void ready(const kiln::protocol::ReadyEvent& event);
    void logged(const kiln::protocol::LogEvent& event);
    void exceptionRaised(const kiln::protocol::ExceptionEvent& event);
    void reloadFinished(const kiln::protocol::ReloadFinishedEvent& event);
    void requestFinished(const kiln::protocol::RequestFinishedEvent& event);
    void storeChanged(const kiln::protocol::StoreChangedEvent& event);
    // The child ended without being asked: why (exit code or signal), its last output lines,
    // and in how many ms it will be started again.
    void died(const QString& why, const QStringList& lastLines, int restartInMs);
    // Something the studio itself has to say about the child (bad protocol version, cannot
    // start the executable).
    void problem(const QString& text);

private:
    void launch();
    void onReadyRead();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void dispatch(const protocol::Message& message);
    void setState(State state);
    void takeOutput();

    QString m_executable;
    QString m_projectDir;
    QString m_persistDir;
    quint16 m_preferredPort = 8787;
    quint16 m_port = 0;
    QString m_url;
    State m_state = State::Stopped;
    std::unique_ptr<QProcess> m_process;
    std::unique_ptr<QLocalSocket> m_socket;
    protocol::Endpoint m_endpoint;
    QStringList m_lastLines;
    QByteArray m_partialLine;
    bool m_stopping = false;
    int m_restarts = 0;
    int m_backoffMs = 0;
    QElapsedTimer m_runningFor;
    QTimer m_restartTimer;
};

} // namespace kiln
