#include "stores/statelayout.h"

#include "project/projectconfig.h"

#include <QDir>

namespace kiln {

StateLayout::StateLayout(QString root)
    : m_root(std::move(root)) {}

QString StateLayout::defaultRoot(const QString& projectRootDir) {
    return projectRootDir + QStringLiteral("/.kiln/state");
}

StateLayout StateLayout::forProject(const ProjectConfig& project, const QString& persistTo) {
    return StateLayout(persistTo.isEmpty() ? defaultRoot(project.rootDir)
                                           : QDir(persistTo).absolutePath());
}

QString StateLayout::safeName(QString id) {
    id.replace(QLatin1Char('/'), QLatin1Char('_'))
        .replace(QLatin1Char('\\'), QLatin1Char('_'))
        .replace(QChar(0), QLatin1Char('_'));
    if (id.isEmpty() || id == QLatin1String(".") || id == QLatin1String(".."))
        id.prepend(QLatin1Char('_'));
    return id;
}

QString StateLayout::entry(const char* kind, const QString& id) const {
    return m_root + QLatin1Char('/') + QLatin1String(kind) + QLatin1Char('/') + safeName(id);
}

QString StateLayout::kvFile(const QString& namespaceId) const {
    return entry("kv", namespaceId) + QStringLiteral(".sqlite");
}

QString StateLayout::d1File(const QString& databaseId) const {
    return entry("d1", databaseId) + QStringLiteral(".sqlite");
}

QString StateLayout::r2Dir(const QString& bucketName) const {
    return entry("r2", bucketName);
}

QString StateLayout::workflowFile(const QString& workflowName) const {
    return entry("workflows", workflowName) + QStringLiteral(".sqlite");
}

std::vector<StoreLocation> StateLayout::locations(const ProjectConfig& project) const {
    std::vector<StoreLocation> out;
    for (const auto& ns : project.kvNamespaces)
        out.push_back({ns.binding, StoreKind::Kv, ns.id, kvFile(ns.id), false, {}});
    for (const auto& db : project.d1Databases)
        out.push_back({db.binding, StoreKind::D1, db.databaseId, d1File(db.databaseId), false, {}});
    for (const auto& bucket : project.r2Buckets)
        out.push_back({bucket.binding,
                       StoreKind::R2,
                       bucket.bucketName,
                       r2Dir(bucket.bucketName),
                       false,
                       {}});
    for (const auto& flow : project.workflows)
        out.push_back(
            {flow.binding, StoreKind::Workflow, flow.name, workflowFile(flow.name), false, {}});
    return out;
}

} // namespace kiln
