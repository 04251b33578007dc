#include "engine/scriptrunner.h"

#include "engine/internal/jsruntime.h"
#include "engine/internal/prelude.h"

#include <QFileInfo>

#include <v8-exception.h>
#include <v8-promise.h>

#include <cstdio>

namespace kiln {

void writeLogLine(LogLevel level, const QString& text) {
    FILE* out = level >= LogLevel::Warn ? stderr : stdout;
    const QByteArray bytes = text.toUtf8();
    fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), out);
    fputc('\n', out);
    fflush(out);
}

int runScriptFile(const QString& path) {
    EventLoop loop;
    loop.setExitWhenIdle(true);
    bool failed = false;
    JsRuntime runtime(loop, {[&](LogLevel level, LogSource, const QString& text) {
                                 if (level == LogLevel::Error &&
                                     text.startsWith(QLatin1String("Uncaught")))
                                     failed = true;
                                 writeLogLine(level, text);
                             },
                             0,
                             {}});
    {
        v8::HandleScope handles(runtime.isolate());
        JsScope scope{runtime.isolate(), runtime.context()};
        v8::Context::Scope contextScope(scope.context);
        v8::TryCatch tryCatch(scope.isolate);
        if (!installPrelude(scope, runtime)) {
            runtime.reportException(scope, tryCatch);
            return 1;
        }
        v8::Local<v8::Promise> done;
        if (!runtime.runModule(scope, QFileInfo(path).absoluteFilePath()).ToLocal(&done)) {
            runtime.reportException(scope, tryCatch);
            return 1;
        }
    }
    // The module ran outside a loop task: its checkpoint, before any timer it set can run.
    runtime.performMicrotaskCheckpoint();
    loop.run();
    return failed ? 1 : 0;
}

} // namespace kiln
