#pragma once

#include "bindings/hostbinding.h"
#include "stores/workflowstore.h"

#include <QJsonObject>

#include <memory>
#include <vector>

namespace kiln {

// The host half of Workflows: the JS engine (resources/js/workflows.mjs) keeps each run's
// log in a WorkflowStore through these ops, which answer at once (a step's record must be
// on disk before its body runs, so a kill -9 re-runs at most the step in flight):
//   wfOpen(workflowName) -> handle
//   wfCall(handle, op, argsJson) -> resultJson: {ok: value} or {error: {code, message}}
// The ops (arguments by name) are listed in workflowbinding.cpp; each write reports the
// instance through the store-changed hook and, for steps and statuses, the activity hook.
class WorkflowBinding : public HostBinding {
public:
    explicit WorkflowBinding(const BindingContext& context)
        : m_changed(context.changed)
        , m_activity(context.workflowActivity)
        , m_persistDir(context.persistDir) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops) override;

private:
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opCall(const v8::FunctionCallbackInfo<v8::Value>& args);
    QJsonObject call(size_t handle, const QString& op, const QJsonObject& a);
    void report(size_t handle, const QString& instance, const QString& what,
                const QString& step = {}, const QString& detail = {});

    std::function<void(StoreKind, const QString&, const QString&)> m_changed;
    std::function<void(const WorkflowActivity&)> m_activity;
    QString m_persistDir;
    std::vector<std::shared_ptr<WorkflowStore>> m_stores;
    std::vector<QString> m_names; // per handle
};

} // namespace kiln
