#pragma once

#include "engine/internal/jsruntime.h"

namespace kiln {

// Installs the host side of the JS runtime: the `ops` object (timers, clock, entropy, text
// codecs, structured clone, file reads for the boot modules, logging) and the d8-style
// globals Pyodide's shell path detects (`read`, `readbuffer`, `load`, `print`, `os.system`).
// The JS prelude wraps these into Web APIs and removes the file-reading ones before any
// worker code runs.
void installHostFunctions(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops);
// Cancels the isolate's pending timers; called before the isolate is disposed.
void clearHostTimers(JsRuntime& runtime);
// The clock of `ops.now()` (and of the boot spans): ms since this process first read it.
double hostNowMs();
// The file mapped copy-on-write as an ArrayBuffer's memory (unmapped when the buffer goes),
// where reading it would copy it into fresh memory; an empty handle when it cannot be mapped
// or is shorter than minSize. A "file://" prefix is taken off.
v8::Local<v8::ArrayBuffer> mappedFile(v8::Isolate* isolate, const QString& path, qint64 minSize);
// The same for a cache file CheckedFile vouches for; an empty handle (and the file deleted, to
// be made again) when it does not.
v8::Local<v8::ArrayBuffer> checkedMappedFile(v8::Isolate* isolate, const QString& path);

} // namespace kiln
