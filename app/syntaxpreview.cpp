#include "syntaxpreview.h"

#include <QStandardPaths>

namespace kiln {

SyntaxPreview::SyntaxPreview(QObject* parent)
    : QObject(parent)
    , m_tool(QStandardPaths::findExecutable(QStringLiteral("kate-syntax-highlighter"))) {}

SyntaxPreview::~SyntaxPreview() {
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
        m_process->waitForFinished(1000);
    }
}

QString SyntaxPreview::syntaxFor(const QByteArray& contentType) {
    const QByteArray type = contentType.toLower();
    const std::pair<const char*, const char*> table[] = {
        {"json", "JSON"}, {"html", "HTML"}, {"css", "CSS"},       {"javascript", "JavaScript"},
        {"xml", "XML"},   {"svg", "XML"},   {"python", "Python"}, {"markdown", "Markdown"},
        {"yaml", "YAML"}, {"toml", "TOML"}, {"sql", "SQL"},
    };
    for (const auto& [needle, syntax] : table)
        if (type.contains(needle)) return QString::fromLatin1(syntax);
    return {};
}

void SyntaxPreview::highlight(const QString& syntax, const QByteArray& text, bool dark,
                              std::function<void(const QString& html)> done) {
    const quint64 generation = ++m_generation;
    if (m_process) { // superseded: its answer would be stale
        m_process->disconnect(this);
        m_process->kill();
        m_process.release()->deleteLater();
    }
    if (!available() || syntax.isEmpty()) return done({});
    m_process = std::make_unique<QProcess>();
    QProcess* process = m_process.get();
    connect(process, &QProcess::finished, this,
            [this, process, generation, done](int code, QProcess::ExitStatus status) {
                if (generation != m_generation) return;
                const QString html = code == 0 && status == QProcess::NormalExit
                                         ? QString::fromUtf8(process->readAllStandardOutput())
                                         : QString();
                m_process.release()->deleteLater();
                done(html);
            });
    connect(process, &QProcess::errorOccurred, this,
            [this, generation, done](QProcess::ProcessError error) {
                if (error != QProcess::FailedToStart || generation != m_generation) return;
                m_process.release()->deleteLater();
                done({});
            });
    process->start(m_tool,
                   {QStringLiteral("--stdin"), QStringLiteral("-s"), syntax, QStringLiteral("-t"),
                    dark ? QStringLiteral("Breeze Dark") : QStringLiteral("Breeze Light"),
                    QStringLiteral("-f"), QStringLiteral("html")});
    process->write(text);
    process->closeWriteChannel();
}

} // namespace kiln
