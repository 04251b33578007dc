#pragma once

#include "controlclient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <memory>

namespace kiln::test {

// A real `kiln dev` child on a free loopback port (the binary from KILN_BIN), started with a
// control channel (`--control-fd`) as the studio starts it: the port comes from its `ready`
// event. Its stdout and stderr are collected together, as a person would see them.
class KilnDevProcess {
public:
    ~KilnDevProcess();

    // Starts and waits for the `ready` event; false with the output explaining why.
    bool start(const QString& projectDir, const QString& persistDir,
               const QStringList& extraArgs = {}, int timeoutMs = 60000);
    void stop();
    // SIGKILL, as a crash or `kill -9` ends it: no shutdown code runs. Waits for the exit.
    void killHard();
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    ControlClient& control() { return *m_control; }
    // The `ready` event's body (url, port, bootMs, bootError).
    const QJsonObject& readyBody() const { return m_ready; }
    QString output();
    // Waits until the output contains `text` (or the process ends): what a person would see.
    bool waitForOutput(const QString& text, int timeoutMs = 30000);
    // Waits for a `log` event (any level or source) whose text contains `text`.
    bool waitForLog(const QString& text, int timeoutMs = 30000);
    // How many `log` events so far contain `text`.
    int countLogs(const QString& text);
    // Every `log` event's text so far, one per line (for failure messages).
    QString logText();

private:
    QProcess m_process;
    std::unique_ptr<ControlClient> m_control;
    QJsonObject m_ready;
    QByteArray m_output;
    quint16 m_port = 0;
};

struct HttpResult {
    int status = 0;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
    QString error;
    QByteArray header(const QByteArray& name) const;
};

// One HTTP/1.1 request on a fresh loopback connection (Connection: close), read to the end.
HttpResult httpRequest(quint16 port, const QByteArray& method, const QByteArray& target,
                       const QList<QPair<QByteArray, QByteArray>>& headers = {},
                       const QByteArray& body = {}, int timeoutMs = 60000);

} // namespace kiln::test
