#pragma once

#include "project/configerror.h"

#include <QString>
#include <QStringList>

#include <expected>
#include <optional>

namespace kiln {

// The parts of pyproject.toml Kiln uses: [project] name and dependencies (PEP 621), which
// pywrangler installs into python_modules/. Everything else in the file is ignored.
struct PyProject {
    QString name;
    QStringList dependencies; // requirement strings as written ("httpx>=0.27")
};

// Reads <rootDir>/pyproject.toml; std::nullopt when there is none (that is fine).
std::expected<std::optional<PyProject>, ConfigError> readPyProject(const QString& rootDir);

} // namespace kiln
