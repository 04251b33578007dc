#pragma once

#include "profileresult.h"

#include <QObject>
#include <QProcess>
#include <QTemporaryDir>

#include <memory>

namespace kiln {

// One `kiln profile --json --trace` run for the profiler pane, out of process like every
// start it measures: progress from its status line, the result as a value, cancellable.
class ProfileJob : public QObject {
    Q_OBJECT
public:
    explicit ProfileJob(QObject* parent = nullptr);
    ~ProfileJob() override;

    void start(const QString& kiln, const QString& projectDir, int runs);
    void cancel();
    bool running() const { return m_process && m_process->state() != QProcess::NotRunning; }
    // The trace of the last finished run (Chrome trace-event JSON), empty before one.
    QString traceFile() const { return m_traceFile; }

Q_SIGNALS:
    void progress(int done, int total, const QString& text);
    void finished(const kiln::ProfileResult& result);
    void failed(const QString& error);

private:
    void readProgress();
    void done(int exitCode, QProcess::ExitStatus status);

    std::unique_ptr<QProcess> m_process;
    QTemporaryDir m_dir;
    QString m_traceFile;
    QByteArray m_err;
    int m_runs = 0;
    bool m_cancelled = false;
};

} // namespace kiln
