#include "project/projectconfig.h"

#include "project/compatibility.h"
#include "project/devsecrets.h"
#include "project/jsoncparser.h"
#include "project/knownflags.h"
#include "project/pyproject.h"
#include "project/tomlreader.h"
#include "project/wranglerreader.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace kiln {

namespace {

// wrangler's findWranglerConfig order: wrangler.json, then wrangler.jsonc, then wrangler.toml.
const QStringList kConfigNames = {QStringLiteral("wrangler.json"), QStringLiteral("wrangler.jsonc"),
                                  QStringLiteral("wrangler.toml")};

std::expected<QString, ConfigError> locateConfig(const QString& dirOrFile, QStringList& warnings) {
    const QFileInfo info(dirOrFile);
    if (!info.exists())
        return std::unexpected(
            ConfigError{dirOrFile, 0, 0, QStringLiteral("no such file or directory")});
    if (info.isFile()) return info.absoluteFilePath();

    const QDir dir(info.absoluteFilePath());
    QStringList found;
    for (const QString& name : kConfigNames)
        if (QFileInfo(dir.absoluteFilePath(name)).isFile()) found << name;
    if (found.isEmpty())
        return std::unexpected(ConfigError{
            dir.absolutePath(), 0, 0,
            QStringLiteral("no wrangler.json, wrangler.jsonc or wrangler.toml here; run kiln in "
                           "the folder of a Worker project or pass its config file")});
    if (found.size() > 1)
        warnings << QStringLiteral("found %1; using %2, as wrangler does")
                        .arg(found.join(QLatin1String(" and ")), found.first());
    return dir.absoluteFilePath(found.first());
}

std::expected<ConfigDocument, ConfigError> parseConfigFile(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return std::unexpected(
            ConfigError{path, 0, 0, QStringLiteral("cannot read: %1").arg(f.errorString())});
    const QByteArray bytes = f.readAll();
    if (path.endsWith(QLatin1String(".toml"), Qt::CaseInsensitive))
        return TomlReader::parse(bytes, path);
    return JsoncParser::parse(QString::fromUtf8(bytes), path);
}

QString flagsExample(const QString& configFile) {
    return configFile.endsWith(QLatin1String(".toml"))
               ? QStringLiteral("compatibility_flags = [\"python_workers\"]")
               : QStringLiteral("\"compatibility_flags\": [\"python_workers\"]");
}

std::optional<ConfigError> resolveMain(const WranglerReader& reader, ProjectConfig& out) {
    const QString entry = reader.mainEntry();
    out.mainFile = QDir::cleanPath(QDir(out.rootDir).absoluteFilePath(entry));
    const QFileInfo main(out.mainFile);
    if (!main.exists())
        return reader.errorAtMain(
            QStringLiteral("main \"%1\" does not exist (looked for %2)").arg(entry, out.mainFile));
    if (!main.isFile())
        return reader.errorAtMain(QStringLiteral("main \"%1\" is not a file").arg(entry));
    // Only the project's own files reach the worker: a main elsewhere (or a symlink to one)
    // would make another folder of the machine the import root.
    const QString root = QFileInfo(out.rootDir).canonicalFilePath();
    if (!resolvesInside(out.mainFile, root))
        return reader.errorAtMain(
            QStringLiteral("main \"%1\" is outside the project folder %2 (it resolves to %3); "
                           "only the project's own files reach the worker")
                .arg(entry, root, main.canonicalFilePath()));
    out.mainModule = main.completeBaseName();
    out.importRoot = main.absolutePath();

    if (main.suffix() != QLatin1String("py")) {
        out.warnings
            << QStringLiteral("main \"%1\" is not a .py file; Kiln runs Python Workers").arg(entry);
        return std::nullopt;
    }
    // Cloudflare refuses a Python module without the flag; refusing here too keeps a project
    // that works in Kiln from failing on deploy.
    if (!pythonWorkersEnabled(out.compatibilityFlags))
        return reader.errorAtFlags(
            QStringLiteral("main \"%1\" is a Python module, which needs the \"python_workers\" "
                           "compatibility flag; add %2 to the configuration")
                .arg(entry, flagsExample(out.configFile)));
    return std::nullopt;
}

// A flag workerd does not know fails the upload on Cloudflare; here it is named, then ignored.
void warnUnknownFlags(ProjectConfig& out) {
    for (const QString& flag : out.compatibilityFlags)
        if (!knownCompatibilityFlag(flag))
            out.warnings << QStringLiteral("compatibility flag \"%1\" is not one workerd knows; "
                                           "Cloudflare refuses an upload that names it (\"No such "
                                           "compatibility flag\"), and Kiln ignores it")
                                .arg(flag);
}

void choosePyodide(ProjectConfig& out) {
    const QDate date = QDate::fromString(out.compatibilityDate, Qt::ISODate);
    const PyodideRelease cf = cloudflarePyodideRelease(date, out.compatibilityFlags);
    out.cloudflarePyodideVersion = cf.pyodideVersion;
    out.cloudflarePythonVersion = cf.pythonVersion;
    out.pyodideMismatch = !sameLineAsBundled(cf);
    if (!out.pyodideMismatch) return;
    const QString advice =
        out.compatibilityFlags.contains(QLatin1String("no_python_workers_314"))
            ? QStringLiteral("Remove no_python_workers_314 to use Cloudflare's Python 3.14.")
            : QStringLiteral("A compatibility_date of 2026-09-08 or later selects Cloudflare's "
                             "Python 3.14.");
    out.warnings << QStringLiteral("with compatibility_date %1 and compatibility_flags [%2] "
                                   "Cloudflare runs Pyodide %3 (Python %4, selected by %5); Kiln "
                                   "runs Pyodide %6 (Python %7), so behaviour and python_modules "
                                   "wheels may differ. %8")
                        .arg(out.compatibilityDate,
                             out.compatibilityFlags.join(QLatin1String(", ")), cf.pyodideVersion,
                             cf.pythonVersion, cf.flag, QLatin1String(kBundledPyodideVersion),
                             QLatin1String(kBundledPythonVersion), advice);
}

std::optional<ConfigError> mergeSecrets(const WranglerReader& reader, const QString& envName,
                                        ProjectConfig& out) {
    auto secrets = loadDevSecrets(out.rootDir, envName);
    if (!secrets) return secrets.error();
    QMap<QString, QString> values = secrets->values;
    if (const auto required = reader.requiredSecrets()) {
        // secrets.required: only declared names are loaded; a missing one is worth a warning.
        for (auto it = values.begin(); it != values.end();)
            it = required->contains(it.key()) ? std::next(it) : values.erase(it);
        for (const QString& name : *required)
            if (!values.contains(name))
                out.warnings << QStringLiteral("secret %1 is listed in secrets.required but not "
                                               "set in .dev.vars or .env")
                                    .arg(name);
    }
    out.secretsFile = secrets->files.value(0);
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        out.vars.insert(it.key(), it.value()); // secrets are always strings and override vars
        out.secretNames << it.key();
    }
    return std::nullopt; // QMap iteration is sorted, so secretNames is too
}

} // namespace

std::expected<ProjectConfig, ConfigError> loadProject(const QString& dirOrConfigFile,
                                                      const LoadOptions& options) {
    ProjectConfig out;
    auto configPath = locateConfig(dirOrConfigFile, out.warnings);
    if (!configPath) return std::unexpected(configPath.error());
    out.configFile = *configPath;
    out.rootDir = QFileInfo(out.configFile).absolutePath();
    out.envName = options.envName;

    auto doc = parseConfigFile(out.configFile);
    if (!doc) return std::unexpected(doc.error());

    WranglerReader reader(*doc, options.envName, out.rootDir);
    if (auto err = reader.read(out)) return std::unexpected(*err);
    if (out.name.isEmpty()) out.name = QFileInfo(out.rootDir).fileName();
    if (auto err = resolveMain(reader, out)) return std::unexpected(*err);
    warnUnknownFlags(out);
    if (QFileInfo(out.mainFile).suffix() == QLatin1String("py")) choosePyodide(out);
    if (auto err = mergeSecrets(reader, options.envName, out)) return std::unexpected(*err);

    auto pyproject = readPyProject(out.rootDir);
    if (!pyproject) return std::unexpected(pyproject.error());
    if (*pyproject) {
        out.pyprojectName = (*pyproject)->name;
        out.pyprojectDependencies = (*pyproject)->dependencies;
    }

    const QString modules = QDir(out.rootDir).absoluteFilePath(QStringLiteral("python_modules"));
    if (QFileInfo(modules).isDir()) out.pythonModulesDir = modules;
    return out;
}

bool resolvesInside(const QString& path, const QString& canonicalDir) {
    const QString resolved = QFileInfo(path).canonicalFilePath();
    return !resolved.isEmpty() && !canonicalDir.isEmpty() &&
           resolved.startsWith(canonicalDir + QLatin1Char('/'));
}

} // namespace kiln
