#pragma once

#include "project/configerror.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <expected>

namespace kiln {

// Local secrets, chosen the way `wrangler dev` chooses them (Cloudflare docs, "Environment
// variables and secrets" for local development):
//  - .dev.vars wins: with an env, .dev.vars.<env> alone if it exists, else .dev.vars alone;
//  - otherwise every .env file that exists is merged, most specific winning:
//    .env.<env>.local > .env.local > .env.<env> > .env
struct DevSecrets {
    QMap<QString, QString> values;
    QStringList files; // absolute paths read, least specific first; empty when none exist
};

std::expected<DevSecrets, ConfigError> loadDevSecrets(const QString& rootDir,
                                                      const QString& envName);

} // namespace kiln
