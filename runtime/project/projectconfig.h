#pragma once

#include "project/configerror.h"
#include "project/dotenv.h" // parseDotenv() is part of this module's public API

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <expected>
#include <optional>

namespace kiln {

// Binding declarations, as written in the wrangler file. Ids are kept exactly as given, even
// placeholders like "<YOUR_KV_NAMESPACE_ID>": locally an id is only a name for a state file.
struct KvNamespaceDecl {
    QString binding, id, previewId; // id falls back to the binding name when absent
};
struct D1DatabaseDecl {
    QString binding, databaseName, databaseId; // databaseId falls back to the binding name
    QString migrationsDir; // absolute; "migrations" next to the config by default
};
struct R2BucketDecl {
    QString binding, bucketName; // bucketName falls back to the binding name
};
struct WorkflowDecl {
    QString name, binding, className;
};
struct DurableObjectDecl {
    QString name, className;
};

// Everything `kiln dev` needs to know about a Python Worker project, resolved and validated.
// A plain value: no I/O after loadProject() returns, safe to copy to other threads.
struct ProjectConfig {
    QString rootDir;          // absolute folder of the config file; relative paths start here
    QString configFile;       // absolute path of wrangler.json / .jsonc / .toml
    QString envName;          // the --env that was applied, empty for the top level
    QString name;             // "<name>-<env>" under an env without its own name, as wrangler does
    QString mainFile;         // absolute path of `main`; exists
    QString mainModule;       // its file stem, the module Python imports ("entry")
    QString importRoot;       // absolute folder of mainFile: first on sys.path
    QString pythonModulesDir; // absolute rootDir/python_modules, empty if there is none

    QString compatibilityDate; // "YYYY-MM-DD"
    QStringList compatibilityFlags;

    QJsonObject vars;        // vars with secrets merged over them (secret values are strings)
    QStringList secretNames; // keys that came from .dev.vars / .env (sorted)
    QString secretsFile; // the .dev.vars-style file secrets were read from, first one if several

    std::optional<int> cpuMs; // limits.cpu_ms
    QStringList crons;        // triggers.crons

    QList<KvNamespaceDecl> kvNamespaces;
    QList<D1DatabaseDecl> d1Databases;
    QList<R2BucketDecl> r2Buckets;
    QList<WorkflowDecl> workflows;
    QList<DurableObjectDecl> durableObjects;

    QString pyprojectName;             // [project] name, empty without pyproject.toml
    QStringList pyprojectDependencies; // [project] dependencies, as written

    // What Cloudflare would run for this compatibility date and these flags.
    QString cloudflarePyodideVersion;
    QString cloudflarePythonVersion;
    // True when that is a different line than Kiln's bundled Pyodide (kBundledPyodideVersion
    // in project/compatibility.h); a patch-level difference (314.0.6 vs 314.0.7) is not one.
    // The explanatory message is already in warnings.
    bool pyodideMismatch = false;

    // Things worth telling the user that do not stop the project from running: ignored
    // settings, unsupported binding types, the Pyodide mismatch, several config files, ...
    QStringList warnings;
};

struct LoadOptions {
    QString envName; // wrangler's --env / -e
};

// Loads a project from its folder (looks for wrangler.json, wrangler.jsonc, then wrangler.toml,
// wrangler's order) or from a config file given directly (format by extension). Reads
// .dev.vars / .env secrets, pyproject.toml and notes python_modules/. Every error names
// file:line:column and what to do about it.
std::expected<ProjectConfig, ConfigError> loadProject(const QString& dirOrConfigFile,
                                                      const LoadOptions& options = {});

// Whether `path`, symlinks resolved, lies inside `canonicalDir` (a canonical folder path): the
// rule that keeps worker code to the project's own files. A path that does not exist is not.
bool resolvesInside(const QString& path, const QString& canonicalDir);

} // namespace kiln
