#pragma once

#include "bindings/hostbinding.h"
#include "stores/workflowstore.h"

#include <QJsonObject>

#include <memory>
#include <vector>

namespace kiln {

// The host half of Workflows: the JS engine (resources/js/workflows.mjs) keeps each run's
// log in a WorkflowStore through these ops:
//   wfOpen(workflowName) -> handle
//   wfCall(handle, op, argsJson) -> resultJson            reads, answered at once
//   wfWrite(handle, op, argsJson) -> Promise<resultJson>  writes, fsynced on a pool thread
// A result is {ok: value} or {error: {code, message}}. The engine awaits each write before
// what depends on it (a step's record is on disk before its body runs, so a kill -9 re-runs
// at most the step in flight) and queues them in order. The ops (arguments by name) are
// listed in workflowbinding.cpp; each write reports the instance through the store-changed
// hook and, for steps and statuses, the activity hook.
class WorkflowBinding : public HostBinding {
public:
    explicit WorkflowBinding(const BindingContext& context)
        : m_async(context.async)
        , m_changed(context.changed)
        , m_activity(context.workflowActivity)
        , m_persistDir(context.persistDir) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops) override;

private:
    // What a write reports, copied into pool-thread work (never the binding itself).
    struct Hooks {
        std::function<void(StoreKind, const QString&, const QString&)> changed;
        std::function<void(const WorkflowActivity&)> activity;
        QString workflow;
        void report(const QString& instance, const QString& what, const QString& step = {},
                    const QString& detail = {}) const;
    };
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opCall(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opWrite(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<WorkflowStore> storeOf(const v8::FunctionCallbackInfo<v8::Value>& args,
                                           Hooks* hooks);
    static v8::Local<v8::String> jsonText(v8::Isolate* isolate, const QJsonObject& reply);
    static QJsonObject call(WorkflowStore& store, const Hooks& hooks, const QString& op,
                            const QJsonObject& a);

    AsyncOps& m_async;
    std::function<void(StoreKind, const QString&, const QString&)> m_changed;
    std::function<void(const WorkflowActivity&)> m_activity;
    QString m_persistDir;
    std::vector<std::shared_ptr<WorkflowStore>> m_stores;
    std::vector<QString> m_names; // per handle
};

} // namespace kiln
