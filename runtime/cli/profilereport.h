#pragma once

#include "cli/profilerun.h"
#include "project/projectconfig.h"

#include <QJsonObject>

namespace kiln {

// What `kiln profile` found: the samples of every start, summarised per mode and phase
// (median, min, max), the import tree, and deploy checks against Cloudflare's limits; as
// text, JSON, or a Chrome trace-event document (one process per start, phases and imports as
// nested spans).
struct ProfileReport {
    struct Check {
        QString name;
        QString verdict; // "pass", "warn", "fail", "skip"
        QString detail;
        double value = 0, limit = 0;
    };
    ProjectConfig project;
    int runs = 0;
    QString path;
    std::vector<ProfileSample> samples;
    std::vector<ImportTime> imports;
    QStringList notes;

    std::vector<Check> checks() const;
    QString text() const;
    QJsonObject json() const;
    QJsonObject trace() const;
};

// The project's deployable files compressed with zlib, as the upload would be: the main
// module's folder and python_modules, without Kiln's and wrangler's state or caches.
qint64 compressedProjectBytes(const ProjectConfig& project);

} // namespace kiln
