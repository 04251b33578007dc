#pragma once

#include <QString>

namespace kiln::test {

// Copies every file under `from` (hidden ones such as .dev.vars included) to the same
// relative place under `to`, creating folders. False if any file could not be copied.
bool copyTree(const QString& from, const QString& to);

} // namespace kiln::test
