#pragma once

#include "protocol/importtime.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <map>
#include <vector>

namespace kiln {

// What `kiln profile --json` reports, as values for the studio's profiler pane: per mode
// (no code cache, code cache) the process figures and the boot phases in order, the Python
// import tree, and the deploy checks.
struct ProfileResult {
    struct Figure {
        double median = 0, min = 0, max = 0;
    };
    struct Phase {
        QString name;
        double startMs = 0, durationMs = 0;
    };
    struct Mode {
        QString name;
        std::map<QString, Figure> figures; // "first 200", "CPU at first 200", ...
        std::vector<Phase> phases;
    };
    struct Check {
        QString name, verdict, detail;
    };
    std::vector<Mode> modes;
    std::vector<ImportTime> imports; // -X importtime order: children before their parent
    std::vector<Check> checks;
    QDateTime when;

    static ProfileResult fromJson(const QJsonObject& report);
    const Mode* mode(const QString& name) const;
};

// One profile run in the project's history (`.kiln/profiles.json`): when, and the first-200
// median per mode, to chart cold start across edits.
struct ProfileHistory {
    struct Entry {
        QDateTime when;
        std::map<QString, double> firstResponseMs; // by mode
    };
    std::vector<Entry> entries;

    static ProfileHistory load(const QString& file);
    bool save(const QString& file) const;
    void add(const ProfileResult& result);
};

} // namespace kiln
