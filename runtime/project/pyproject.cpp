#include "project/pyproject.h"

#include "project/tomlreader.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>

namespace kiln {

std::expected<std::optional<PyProject>, ConfigError> readPyProject(const QString& rootDir) {
    const QString path = QDir(rootDir).absoluteFilePath(QStringLiteral("pyproject.toml"));
    QFile f(path);
    if (!f.exists()) return std::optional<PyProject>();
    if (!f.open(QIODevice::ReadOnly))
        return std::unexpected(
            ConfigError{path, 0, 0, QStringLiteral("cannot read: %1").arg(f.errorString())});
    auto doc = TomlReader::parse(f.readAll(), path);
    if (!doc) return std::unexpected(doc.error());

    PyProject out;
    const QJsonValue project = doc->root.value(QLatin1String("project"));
    if (project.isUndefined()) // a tool-only pyproject (e.g. just [tool.ruff]) is fine
        return std::optional<PyProject>(out);
    if (!project.isObject())
        return std::unexpected(
            doc->errorAt(QStringLiteral("/project"), QStringLiteral("[project] must be a table")));
    const QJsonObject table = project.toObject();
    const QJsonValue name = table.value(QLatin1String("name"));
    if (!name.isUndefined() && !name.isString())
        return std::unexpected(doc->errorAt(QStringLiteral("/project/name"),
                                            QStringLiteral("project.name must be a string")));
    out.name = name.toString();

    const QJsonValue deps = table.value(QLatin1String("dependencies"));
    if (!deps.isUndefined() && !deps.isArray())
        return std::unexpected(doc->errorAt(QStringLiteral("/project/dependencies"),
                                            QStringLiteral("project.dependencies must be an "
                                                           "array of strings")));
    const QJsonArray arr = deps.toArray();
    for (qsizetype i = 0; i < arr.size(); ++i) {
        if (!arr.at(i).isString())
            return std::unexpected(doc->errorAt(
                ConfigDocument::childPointer(QStringLiteral("/project/dependencies"), i),
                QStringLiteral("project.dependencies[%1] must be a string").arg(i)));
        out.dependencies << arr.at(i).toString();
    }
    return std::optional<PyProject>(out);
}

} // namespace kiln
