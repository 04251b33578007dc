#pragma once

#include <QString>

namespace kiln {

// Where Kiln's runtime data lives (<prefix>/share/kiln: js/, python/, pyodide/).
// KILN_SHARE_DIR overrides; otherwise it is found beside the executable, which covers
// both the build tree (build/dev/bin/kiln → build/dev/share/kiln) and an install.
QString shareDir();

} // namespace kiln
