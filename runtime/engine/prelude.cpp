#include "engine/internal/prelude.h"

#include "engine/sharedir.h"

#include <QFile>

#include <v8-exception.h>
#include <v8-object.h>

namespace kiln {

bool installPrelude(const JsScope& scope, JsRuntime& runtime) {
    const QString path = shareDir() + QStringLiteral("/js/prelude.js");
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        scope.isolate->ThrowException(v8::Exception::Error(toV8(
            scope.isolate, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()))));
        return false;
    }
    auto global = scope.context->Global();
    global->Set(scope.context, toV8(scope.isolate, "__kiln_ops"), runtime.ops(scope)).Check();
    return !runtime.runScript(scope, file.readAll(), path).IsEmpty();
}

} // namespace kiln
