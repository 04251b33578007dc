#include "project/devsecrets.h"

#include "project/dotenv.h"

#include <QDir>
#include <QFileInfo>

namespace kiln {

std::expected<DevSecrets, ConfigError> loadDevSecrets(const QString& rootDir,
                                                      const QString& envName) {
    const QDir root(rootDir);
    auto existing = [&](const QString& name) {
        const QString path = root.absoluteFilePath(name);
        return QFileInfo(path).isFile() ? path : QString();
    };

    QStringList files;
    const QString devVarsEnv = envName.isEmpty() ? QString() : existing(".dev.vars." + envName);
    const QString devVars = existing(QStringLiteral(".dev.vars"));
    if (!devVarsEnv.isEmpty()) {
        files << devVarsEnv; // per-environment .dev.vars replace the generic one entirely
    } else if (!devVars.isEmpty()) {
        files << devVars;
    } else {
        QStringList names{QStringLiteral(".env")};
        if (!envName.isEmpty()) names << ".env." + envName;
        names << QStringLiteral(".env.local");
        if (!envName.isEmpty()) names << ".env." + envName + ".local";
        for (const QString& name : std::as_const(names)) {
            const QString path = existing(name);
            if (!path.isEmpty()) files << path;
        }
    }

    DevSecrets out;
    out.files = files;
    for (const QString& file : std::as_const(files)) {
        auto parsed = parseDotenv(file);
        if (!parsed) return std::unexpected(parsed.error());
        for (auto it = parsed->cbegin(); it != parsed->cend(); ++it)
            out.values.insert(it.key(), it.value()); // later (more specific) files win
    }
    return out;
}

} // namespace kiln
