#pragma once

#include <QString>

namespace kiln {

// Whether workerd knows `flag` as a compatibility flag (to enable or to disable something).
bool knownCompatibilityFlag(const QString& flag);

} // namespace kiln
