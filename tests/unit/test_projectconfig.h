// Shared fixture of the test_projectconfig executable (runtime/project). The test methods
// are spread over test_projectconfig.cpp (formats, envs, real projects), test_projecterrors.cpp
// (what users see when a file is wrong) and test_projectsecrets.cpp (.dev.vars/.env, pyproject,
// python_modules, Pyodide table). Every test writes real files into a QTemporaryDir.
#pragma once

#include "project/compatibility.h"
#include "project/projectconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QObject>
#include <QTemporaryDir>
#include <QTest>

namespace testutil {

inline bool writeFile(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

inline const QByteArray kMinimalJsonc = R"({
  "name": "app",
  "main": "src/entry.py",
  "compatibility_date": "2026-06-15",
  "compatibility_flags": ["python_workers"]
})";

// A project folder with src/entry.py and the given config file; empty on failure.
inline QString project(QTemporaryDir& tmp, const QString& configName, const QByteArray& config) {
    const QString root = tmp.path();
    if (!writeFile(root + "/src/entry.py", "print('hi')\n") ||
        !writeFile(root + "/" + configName, config))
        return {};
    return root;
}

// The error loadProject() reports, or a sentinel that fails every assertion on it.
inline kiln::ConfigError loadError(const QString& dir, const kiln::LoadOptions& opts = {}) {
    auto r = kiln::loadProject(dir, opts);
    if (r) return kiln::ConfigError{QString(), 0, 0, QStringLiteral("<loaded without error>")};
    return r.error();
}

} // namespace testutil

class TestProjectConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // test_projectconfig.cpp
    void jsoncCommentsAndTrailingCommas();
    void plainJson();
    void tomlAllFields();
    void configPrecedence();
    void configFileGivenDirectly();
    void envSectionsJsonc();
    void envSectionsToml();
    void unknownEnv();
    void unknownCompatibilityFlag();
    void placeholderIds();
    void conformanceProjects();
    // test_projecterrors.cpp
    void malformedJsonc_data();
    void malformedJsonc();
    void malformedToml();
    void missingMainFile();
    void mainOutsideTheProject();
    void missingCompatibilityFlag();
    void compatibilityDateRules();
    void wrongTypes_data();
    void wrongTypes();
    void errorToString();
    // test_projectsecrets.cpp
    void dotenvParsing();
    void dotenvErrors_data();
    void dotenvErrors();
    void secretsOverrideVars();
    void dotEnvFallbackAndMerge();
    void devVarsPerEnvironment();
    void requiredSecrets();
    void pyproject();
    void pythonModules();
    void pyodideTable();
};
