#pragma once

#include <QString>

namespace kiln {

// One error in a project file. Every loader in runtime/project reports through this type so
// the CLI, the studio's problem list and editor jump-to-line all get the same shape.
// line/column are 1-based; 0 means "the file as a whole" (e.g. it cannot be read).
struct ConfigError {
    QString file;
    int line = 0;
    int column = 0;
    QString message;

    // "file:line:col: message", dropping the parts that are unknown, like compilers do,
    // so terminals and editors can turn it into a link.
    QString toString() const;
};

// A position in a source file, 1-based.
struct SourcePos {
    int line = 0;
    int column = 0;
};

} // namespace kiln
