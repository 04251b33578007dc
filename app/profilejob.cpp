#include "profilejob.h"

#include <QJsonDocument>
#include <QRegularExpression>

namespace kiln {

ProfileJob::ProfileJob(QObject* parent)
    : QObject(parent) {}

ProfileJob::~ProfileJob() {
    cancel();
}

void ProfileJob::start(const QString& kiln, const QString& projectDir, int runs) {
    cancel();
    m_runs = runs;
    m_err.clear();
    m_cancelled = false;
    m_process = std::make_unique<QProcess>();
    connect(m_process.get(), &QProcess::readyReadStandardError, this, &ProfileJob::readProgress);
    connect(m_process.get(), &QProcess::finished, this, &ProfileJob::done);
    const QString trace = m_dir.filePath(QStringLiteral("trace-next.json"));
    m_process->start(kiln, {QStringLiteral("profile"), projectDir, QStringLiteral("--runs"),
                            QString::number(runs), QStringLiteral("--json"),
                            QStringLiteral("--trace"), trace});
    Q_EMIT progress(0, 3 * runs + 2, tr("Starting %1 profile…").arg(kiln));
}

void ProfileJob::cancel() {
    if (!running()) return;
    m_cancelled = true;
    m_process->terminate(); // kiln profile's own children end with it (SIGTERM)
    if (!m_process->waitForFinished(3000)) m_process->kill();
}

namespace {

// kiln profile's modes, in the order it runs them.
int modeIndex(const QString& mode) {
    if (mode == QLatin1String("no caches")) return 0;
    if (mode == QLatin1String("code cache")) return 1;
    return 2;
}

} // namespace

// The CLI's status line: "priming the code cache…", "<mode>: start i of n…", "timing Python
// imports…" (rewritten in place with \r).
void ProfileJob::readProgress() {
    m_err += m_process->readAllStandardError();
    const QList<QByteArray> parts = m_err.split('\r');
    const QString line =
        QString::fromUtf8(parts.last().isEmpty() && parts.size() > 1 ? parts[parts.size() - 2]
                                                                     : parts.last())
            .remove(QStringLiteral("\033[K"))
            .trimmed();
    if (line.isEmpty()) return;
    static const QRegularExpression startOf(QStringLiteral(R"(^(.+): start (\d+) of (\d+))"));
    const int total = 3 * m_runs + 2;
    int done = 0;
    if (const auto m = startOf.match(line); m.hasMatch())
        done = 1 + modeIndex(m.captured(1)) * m_runs + m.captured(2).toInt() - 1;
    else if (line.startsWith(QLatin1String("timing Python imports")))
        done = total - 1;
    Q_EMIT progress(done, total, line);
}

void ProfileJob::done(int exitCode, QProcess::ExitStatus status) {
    const QByteArray out = m_process->readAllStandardOutput();
    m_err += m_process->readAllStandardError();
    if (m_cancelled) return Q_EMIT failed(tr("Cancelled"));
    if (status != QProcess::NormalExit || exitCode != 0) {
        QString text = QString::fromUtf8(m_err).remove(QStringLiteral("\033[K"));
        text = text.mid(text.lastIndexOf(QLatin1Char('\r')) + 1).trimmed();
        return Q_EMIT failed(text.isEmpty() ? tr("kiln profile exited with %1").arg(exitCode)
                                            : text);
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(out, &error);
    if (error.error != QJsonParseError::NoError)
        return Q_EMIT failed(tr("kiln profile printed no JSON: %1").arg(error.errorString()));
    // Kept until the next run finishes, for "Export Trace".
    const QString kept = m_dir.filePath(QStringLiteral("trace.json"));
    QFile::remove(kept);
    if (QFile::rename(m_dir.filePath(QStringLiteral("trace-next.json")), kept)) m_traceFile = kept;
    Q_EMIT progress(3 * m_runs + 2, 3 * m_runs + 2, tr("Done"));
    Q_EMIT finished(ProfileResult::fromJson(doc.object()));
}

} // namespace kiln
