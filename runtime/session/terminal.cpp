#include "session/terminal.h"

#include "project/projectconfig.h"
#include "session/terminalwriter.h"

#include <QJsonValue>

#include <cstdio>
#include <mutex>

namespace kiln {

namespace {

void writeLine(FILE* out, const QString& text) {
    TerminalWriter::instance().write(out, text.toUtf8());
}

} // namespace

void terminalBanner(const ProjectConfig& project) {
    writeLine(stdout, QStringLiteral("kiln %1 · %2 (%3)")
                          .arg(QStringLiteral(KILN_VERSION), project.name, project.configFile));
    QStringList vars;
    for (const auto& kv : project.kvNamespaces)
        vars << QStringLiteral("  env.%1 (KV namespace %2)").arg(kv.binding, kv.id);
    for (const auto& db : project.d1Databases)
        vars << QStringLiteral("  env.%1 (D1 database %2, id %3)")
                    .arg(db.binding, db.databaseName, db.databaseId);
    for (const auto& bucket : project.r2Buckets)
        vars << QStringLiteral("  env.%1 (R2 bucket %2)").arg(bucket.binding, bucket.bucketName);
    for (auto it = project.vars.begin(); it != project.vars.end(); ++it) {
        const bool secret = project.secretNames.contains(it.key());
        vars << QStringLiteral("  env.%1 (%2)")
                    .arg(it.key(),
                         secret ? QStringLiteral("hidden") : it.value().toVariant().toString());
    }
    if (!vars.isEmpty())
        writeLine(stdout, QStringLiteral("Your worker has access to the following bindings:\n") +
                              vars.join(QLatin1Char('\n')));
}

void terminalFlush(int ms) {
    TerminalWriter::instance().flush(ms);
}

void terminalInfo(const QString& text) {
    writeLine(stdout, QStringLiteral("[kiln:info] ") + text);
}
void terminalWarning(const QString& text) {
    writeLine(stderr, QStringLiteral("▲ [WARNING] ") + text);
}
void terminalError(const QString& text) {
    writeLine(stderr, QStringLiteral("✘ [ERROR] ") + text);
}
void terminalRequest(const QString& text) {
    writeLine(stdout, QStringLiteral("[kiln:info] ") + text);
}

void terminalLog(LogLevel level, const QString& text) {
    // As console.* in workerd: warnings and errors to stderr.
    writeLine(level >= LogLevel::Warn ? stderr : stdout, text);
}

} // namespace kiln
