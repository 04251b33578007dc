#pragma once

#include "engine/internal/asyncops.h"
#include "engine/workeroptions.h"
#include "stores/workflowtypes.h"

#include <atomic>
#include <memory>
#include <vector>

namespace kiln {

// What every binding gets from the worker instance that owns it.
struct BindingContext {
    AsyncOps& async;
    QString persistDir; // a StateLayout root
    // Called after a write commits (pool thread or engine thread); may be empty.
    std::function<void(StoreKind kind, const QString& id, const QString& key)> changed;
    // A workflow step or instance moved (pool thread or engine thread); may be empty.
    std::function<void(const WorkflowActivity&)> workflowActivity;
    // The cancel flag of the request the running JS belongs to (set once that request has
    // ended without its response: the client went away), or null outside any request.
    std::function<std::shared_ptr<const std::atomic<bool>>(const JsScope&)> requestCancel;
};

// Reports the writes of one opened store: the binding's `changed` hook bound to its kind and
// id. Copied into pool-thread work; calling it with no hook set does nothing.
struct ChangeNotice {
    std::function<void(StoreKind, const QString&, const QString&)> changed;
    StoreKind kind = StoreKind::Kv;
    QString id;
    void operator()(const QString& keyOrTable) const {
        if (changed) changed(kind, id, keyOrTable);
    }
};

// The notice of the store whose handle is an op's first argument (none for a bad handle: the
// op itself rejects it).
inline ChangeNotice noticeFor(const std::vector<ChangeNotice>& notices,
                              const v8::FunctionCallbackInfo<v8::Value>& args) {
    const int handle = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(-1);
    return handle >= 0 && handle < static_cast<int>(notices.size()) ? notices[size_t(handle)]
                                                                    : ChangeNotice{};
}

// The host half of one kind of `env.X` object: puts its ops on the `ops` object at boot.
// Internal to kiln_runtime (it names V8 types).
class HostBinding {
public:
    virtual ~HostBinding() = default;
    virtual void install(const JsScope& scope, v8::Local<v8::Object> ops) = 0;
};

// Every binding kind, made for one instance (bindingregistry.cpp lists them). An explicit list
// rather than static self-registration: the linker drops unreferenced objects of a static
// library, and a registrar in one would silently never run.
std::vector<std::unique_ptr<HostBinding>> makeHostBindings(const BindingContext& context);

} // namespace kiln
