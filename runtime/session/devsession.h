#pragma once

#include "protocol/loglevel.h"

#include <QHostAddress>
#include <QObject>
#include <QString>

#include <expected>
#include <memory>

namespace kiln {

struct DevSessionOptions {
    QString projectPath = QStringLiteral("."); // folder or config file
    QString envName;                           // --env
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 8787; // 0: any free port
    QString persistTo;   // empty: the project's default state folder
    int memoryLimitMb = 512;
    int startupCpuLimitMs = 30000;     // CPU for one run of startup code (imports, top level)
    LogLevel logLevel = LogLevel::Log; // terminal and control-channel log threshold
    QString control;                   // "fd:N" or "unix:PATH"; empty: none
};

// One `kiln dev` session: the project, its worker, the HTTP server, cron triggers, the file
// watcher that reloads, and the control channel that reports all of it and takes commands.
// `kiln dev` is argument parsing plus start(); the studio drives the same object through the
// channel. Lives on the thread that runs the Qt event loop (the server's thread).
class DevSession : public QObject {
    Q_OBJECT
public:
    explicit DevSession(DevSessionOptions options, QObject* parent = nullptr);
    ~DevSession() override;

    // Loads the project, opens the control channel, listens and boots the worker. The error
    // (also printed) names the file, line and cause.
    std::expected<void, QString> start();
    // Reloads project and worker, as a saved file does.
    void reload(const QStringList& changed = {});
    quint16 port() const;
    // Stops listening and hands the control channel what is queued for it (a `stop` command's
    // response), before the process exits without tearing the isolate down.
    void finish();

Q_SIGNALS:
    // A `stop` command or the control channel closing: the caller ends the event loop.
    void stopRequested();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kiln
