#pragma once

#include "engine/internal/jsruntime.h"

#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-template.h>

#include <initializer_list>

namespace kiln {

struct HostOp {
    const char* name;
    v8::FunctionCallback fn;
};

// Puts each op on `ops` as a function whose callback data is `self` (the object that owns
// the op's state: a binding, the worker instance).
inline void installOpTable(const JsScope& scope, v8::Local<v8::Object> ops, void* self,
                           std::initializer_list<HostOp> table) {
    auto data = v8::External::New(scope.isolate, self);
    for (const auto& op : table) {
        auto fn = v8::FunctionTemplate::New(scope.isolate, op.fn, data)
                      ->GetFunction(scope.context)
                      .ToLocalChecked();
        ops->Set(scope.context, toV8(scope.isolate, op.name), fn).Check();
    }
}

} // namespace kiln
