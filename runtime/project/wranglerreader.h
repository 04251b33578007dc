#pragma once

#include "project/configdocument.h"
#include "project/configfields.h"
#include "project/projectconfig.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace kiln {

// Validates a parsed wrangler file and copies its settings into a ProjectConfig, applying a
// wrangler environment (`env.<name>`) the way wrangler does: inheritable keys (main,
// compatibility_*, limits, triggers) fall back to the top level, bindings and vars do not,
// and the name becomes "<name>-<env>". File-system checks (main exists, secrets files) are
// left to loadProject; this class only looks at the document.
class WranglerReader {
public:
    WranglerReader(const ConfigDocument& doc, const QString& envName, const QString& rootDir);

    // Fills name, compatibility*, vars, limits, triggers, bindings and warnings.
    std::optional<ConfigError> read(ProjectConfig& out);

    // `main` as written (relative to the config), and errors located at it / at the flags.
    QString mainEntry() const { return m_mainEntry; }
    ConfigError errorAtMain(const QString& message) const;
    ConfigError errorAtFlags(const QString& message) const;
    // secrets.required, if the config declares it: only these names load from .dev.vars.
    std::optional<QStringList> requiredSecrets() const { return m_requiredSecrets; }

private:
    // A top-level key after applying the selected environment.
    ConfigField field(const QString& key) const;
    // An array of binding objects, each checked to be an object.
    bool bindingArray(const QString& key, ConfigField& where, qsizetype& count);

    bool selectEnv(ProjectConfig& out);
    bool readBasics(ProjectConfig& out);
    bool readCompatibility(ProjectConfig& out);
    bool readLimitsAndTriggers(ProjectConfig& out);
    bool readKv(ProjectConfig& out);
    bool readD1(ProjectConfig& out);
    bool readR2(ProjectConfig& out);
    bool readWorkflows(ProjectConfig& out);
    bool readDurableObjects(ProjectConfig& out);
    bool readSecretsDecl();
    void warnUnsupported(ProjectConfig& out) const;

    const ConfigDocument& m_doc;
    ConfigFields m_fields;
    QString m_envName;
    QString m_rootDir;
    QJsonObject m_env;    // the env.<name> section, if selected and present
    QString m_envPointer; // "/env/<name>" when m_env is in use, else empty
    QString m_mainEntry;
    ConfigField m_mainField;
    ConfigField m_flagsField;
    std::optional<QStringList> m_requiredSecrets;
};

} // namespace kiln
