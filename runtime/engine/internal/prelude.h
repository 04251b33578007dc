#pragma once

#include "engine/internal/jsruntime.h"

namespace kiln {

// Runs share/kiln/js/prelude.js: the Web API globals, built over the host ops.
bool installPrelude(const JsScope& scope, JsRuntime& runtime);

} // namespace kiln
