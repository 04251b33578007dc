#pragma once

#include <QString>
#include <QStringList>

#include <vector>

namespace kiln {

// CPython's -X importtime, which `kiln profile` reads from a start and the studio draws.
struct ImportTime {
    QString module;
    int depth = 0; // nesting as printed (indentation)
    double selfUs = 0, cumulativeUs = 0;
};

// The lines "import time: SELF | CUMULATIVE | <indent>MODULE"; others are skipped.
std::vector<ImportTime> parseImportTime(const QStringList& lines);

// The imports laid out as a tree on a time line: CPython prints a module when its import
// ends, children first, so a module's children are the deeper lines just before it. Each
// module starts where its first child starts and its children follow one another; roots
// follow one another from 0. (Only durations are known: positions are a layout.)
struct ImportSpan {
    ImportTime import;
    int level = 0;      // 0 for a root
    double startUs = 0; // where it begins on the layout's time line
};
std::vector<ImportSpan> layoutImports(const std::vector<ImportTime>& imports);

} // namespace kiln
