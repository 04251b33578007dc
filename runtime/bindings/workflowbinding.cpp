#include "bindings/workflowbinding.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"
#include "stores/statelayout.h"
#include "stores/workflowjson.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

WorkflowBinding* self(Args args) {
    return static_cast<WorkflowBinding*>(args.Data().As<v8::External>()->Value());
}

QJsonObject ok(const QJsonValue& value = QJsonValue::Null) {
    return {{QStringLiteral("ok"), value}};
}

QJsonObject fail(const QString& code, const QString& message) {
    return {{QStringLiteral("error"),
             QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}};
}

QJsonObject fail(const WorkflowError& error) {
    return fail(error.code, error.message);
}

QJsonObject failInternal(const QString& message) {
    return fail(QStringLiteral("internal"), message);
}

// A JSON value as stored text (absent: empty, which the store keeps as NULL).
QByteArray text(const QJsonObject& a, const char* name) {
    const QJsonValue v = a.value(QLatin1String(name));
    if (v.isUndefined()) return {};
    if (v.isString()) return v.toString().toUtf8(); // already JSON text
    return QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
}

QString str(const QJsonObject& a, const char* name) {
    return a.value(QLatin1String(name)).toString();
}

qint64 ms(const QJsonObject& a, const char* name) {
    return qint64(a.value(QLatin1String(name)).toDouble());
}

std::optional<qint64> optionalMs(const QJsonObject& a, const char* name) {
    const QJsonValue v = a.value(QLatin1String(name));
    if (!v.isDouble()) return std::nullopt;
    return qint64(v.toDouble());
}

WorkflowStepKind kindOf(const QString& name) {
    if (name == QLatin1String("sleep")) return WorkflowStepKind::Sleep;
    if (name == QLatin1String("waitForEvent")) return WorkflowStepKind::WaitForEvent;
    return WorkflowStepKind::Do;
}

std::optional<WorkflowAction> actionOf(const QString& name) {
    if (name == QLatin1String("pause")) return WorkflowAction::Pause;
    if (name == QLatin1String("resume")) return WorkflowAction::Resume;
    if (name == QLatin1String("terminate")) return WorkflowAction::Terminate;
    if (name == QLatin1String("restart")) return WorkflowAction::Restart;
    return std::nullopt;
}

} // namespace

void WorkflowBinding::Hooks::report(const QString& instance, const QString& what,
                                    const QString& step, const QString& detail) const {
    if (changed) changed(StoreKind::Workflow, workflow, instance);
    if (activity && !what.isEmpty())
        activity(WorkflowActivity{workflow, instance, what, step, detail});
}

void WorkflowBinding::opOpen(Args args) {
    auto* binding = self(args);
    auto* isolate = args.GetIsolate();
    const QString name = toQString(isolate, args[0]);
    auto store =
        std::make_shared<WorkflowStore>(StateLayout(binding->m_persistDir).workflowFile(name));
    if (auto r = store->open(); !r)
        return void(isolate->ThrowException(v8::Exception::Error(toV8(isolate, r.error()))));
    binding->m_stores.push_back(std::move(store));
    binding->m_names.push_back(name);
    args.GetReturnValue().Set(int(binding->m_stores.size() - 1));
}

// The store and hooks of the handle an op's first argument names; null (a TypeError thrown)
// for a bad one.
std::shared_ptr<WorkflowStore> WorkflowBinding::storeOf(Args args, Hooks* hooks) {
    auto* isolate = args.GetIsolate();
    const int handle = args[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(-1);
    if (handle < 0 || handle >= int(m_stores.size())) {
        isolate->ThrowException(v8::Exception::TypeError(toV8(isolate, "Illegal invocation")));
        return nullptr;
    }
    *hooks = Hooks{m_changed, m_activity, m_names[size_t(handle)]};
    return m_stores[size_t(handle)];
}

v8::Local<v8::String> WorkflowBinding::jsonText(v8::Isolate* isolate, const QJsonObject& reply) {
    const QByteArray json = QJsonDocument(reply).toJson(QJsonDocument::Compact);
    return v8::String::NewFromUtf8(isolate, json.constData(), v8::NewStringType::kNormal,
                                   int(json.size()))
        .ToLocalChecked();
}

void WorkflowBinding::opCall(Args args) {
    Hooks hooks;
    auto store = self(args)->storeOf(args, &hooks);
    if (!store) return;
    auto* isolate = args.GetIsolate();
    const QJsonObject a = QJsonDocument::fromJson(encodeUtf8(isolate, args[2])).object();
    args.GetReturnValue().Set(
        jsonText(isolate, call(*store, hooks, toQString(isolate, args[1]), a)));
}

void WorkflowBinding::opWrite(Args args) {
    Hooks hooks;
    auto store = self(args)->storeOf(args, &hooks);
    if (!store) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    const QJsonObject a = QJsonDocument::fromJson(encodeUtf8(isolate, args[2])).object();
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope,
        [store, hooks, op = toQString(isolate, args[1]), a] { return call(*store, hooks, op, a); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver, QJsonObject reply) {
            resolver->Resolve(s.context, jsonText(s.isolate, reply)).Check();
        }));
}

// Every op: its arguments by name, what it answers.
QJsonObject WorkflowBinding::call(WorkflowStore& store, const Hooks& hooks, const QString& op,
                                  const QJsonObject& a) {
    const QString id = str(a, "id");
    const qint64 now = ms(a, "now");
    if (op == QLatin1String("create")) { // {instances: [{id?, params}], now} -> [instance]
        std::vector<std::pair<QString, QByteArray>> batch;
        for (const QJsonValue& v : a.value(QStringLiteral("instances")).toArray())
            batch.emplace_back(v[QStringLiteral("id")].toString(), text(v.toObject(), "params"));
        auto made = store.createBatch(batch, now);
        if (!made) return fail(made.error());
        QJsonArray out;
        for (const WorkflowInstance& i : *made) {
            out.append(workflowInstanceJson(i));
            hooks.report(i.id, QStringLiteral("status"), {}, QStringLiteral("queued"));
        }
        return ok(out);
    }
    if (op == QLatin1String("instance")) { // {id} -> instance | null
        auto found = store.instance(id);
        if (!found) return failInternal(found.error());
        return ok(*found ? QJsonValue(workflowInstanceJson(**found)) : QJsonValue());
    }
    if (op == QLatin1String("unfinished")) { // {} -> [instance], oldest first
        auto all = store.unfinished();
        if (!all) return failInternal(all.error());
        QJsonArray out;
        for (const WorkflowInstance& i : *all)
            out.append(workflowInstanceJson(i));
        return ok(out);
    }
    if (op == QLatin1String("setStatus")) { // {id, status, run, output?, error?, now} -> applied
        const QJsonObject error = a.value(QStringLiteral("error")).toObject();
        const QString status = str(a, "status");
        auto r = store.setStatus(id, workflowStatusFromName(status), now, text(a, "output"),
                                 error.value(QStringLiteral("name")).toString(),
                                 error.value(QStringLiteral("message")).toString(),
                                 optionalMs(a, "run"));
        if (!r) return fail(r.error());
        if (*r) hooks.report(id, QStringLiteral("status"), {}, status);
        return ok(*r);
    }
    if (op == QLatin1String("setWake")) { // {id, wake: ms | null}
        if (auto r = store.setWake(id, optionalMs(a, "wake")); !r) return failInternal(r.error());
        return ok();
    }
    if (op == QLatin1String("control")) { // {id, action, from?, now} -> status
        const auto action = actionOf(str(a, "action"));
        if (!action) return fail(QStringLiteral("internal"), QStringLiteral("unknown action"));
        auto r = store.control(id, *action, now, str(a, "from"));
        if (!r) return fail(r.error());
        hooks.report(id, QStringLiteral("status"), {}, workflowStatusName(*r));
        return ok(workflowStatusName(*r));
    }
    if (op == QLatin1String("step")) { // {id, key} -> step | null
        auto found = store.step(id, str(a, "key"));
        if (!found) return failInternal(found.error());
        return ok(*found ? QJsonValue(workflowStepJson(**found)) : QJsonValue());
    }
    if (op == QLatin1String("beginAttempt")) { // {id, name, count, config, now} -> attempt
        const QString name = str(a, "name");
        const int count = a.value(QStringLiteral("count")).toInt();
        auto r = store.beginAttempt(id, WorkflowStepKind::Do, name, count, text(a, "config"), now,
                                    str(a, "source"));
        if (!r) return failInternal(r.error());
        hooks.report(id, QStringLiteral("stepStarted"),
                     WorkflowStore::stepKey(WorkflowStepKind::Do, name, count));
        return ok(*r);
    }
    if (op == QLatin1String("endAttempt")) {
        // {id, key, attempt, success, output?, error?, retryAt?, now}
        const QJsonObject error = a.value(QStringLiteral("error")).toObject();
        const bool success = a.value(QStringLiteral("success")).toBool();
        const auto retryAt = optionalMs(a, "retryAt");
        const QString message = error.value(QStringLiteral("message")).toString();
        if (auto r =
                store.endAttempt(id, str(a, "key"), a.value(QStringLiteral("attempt")).toInt(), now,
                                 success, text(a, "output"),
                                 error.value(QStringLiteral("name")).toString(), message, retryAt);
            !r)
            return failInternal(r.error());
        hooks.report(id,
                     success   ? QStringLiteral("stepFinished")
                     : retryAt ? QStringLiteral("stepRetrying")
                               : QStringLiteral("stepFailed"),
                     str(a, "key"), message);
        return ok();
    }
    if (op == QLatin1String("beginWait")) { // {id, type, name, count, until?, now}
        const WorkflowStepKind kind = kindOf(str(a, "type"));
        const QString name = str(a, "name");
        const int count = a.value(QStringLiteral("count")).toInt();
        if (auto r = store.beginWait(id, kind, name, count, now, optionalMs(a, "until"),
                                     str(a, "source"));
            !r)
            return failInternal(r.error());
        hooks.report(id, QStringLiteral("stepStarted"), WorkflowStore::stepKey(kind, name, count));
        return ok();
    }
    if (op == QLatin1String("endWait")) { // {id, key, success, output?, error?, now}
        const QJsonObject error = a.value(QStringLiteral("error")).toObject();
        const bool success = a.value(QStringLiteral("success")).toBool();
        if (auto r = store.endWait(id, str(a, "key"), now, success, text(a, "output"),
                                   error.value(QStringLiteral("name")).toString(),
                                   error.value(QStringLiteral("message")).toString());
            !r)
            return failInternal(r.error());
        hooks.report(id, success ? QStringLiteral("stepFinished") : QStringLiteral("stepFailed"),
                     str(a, "key"), error.value(QStringLiteral("message")).toString());
        return ok();
    }
    if (op == QLatin1String("sendEvent")) { // {id, type, payload, now} -> seq
        auto r = store.sendEvent(id, str(a, "type"), text(a, "payload"), now);
        if (!r) return fail(r.error());
        hooks.report(id, {});
        return ok(double(*r));
    }
    if (op == QLatin1String("claimEvent")) { // {id, type, key} -> event | null
        auto r = store.claimEvent(id, str(a, "type"), str(a, "key"));
        if (!r) return failInternal(r.error());
        return ok(*r ? QJsonValue(workflowEventJson(**r)) : QJsonValue());
    }
    if (op == QLatin1String("closeInterrupted")) { // {id, now} -> count
        auto r = store.closeInterrupted(id, now);
        if (!r) return failInternal(r.error());
        return ok(*r);
    }
    if (op == QLatin1String("dataVersion")) { // {} -> number
        auto r = store.dataVersion();
        if (!r) return failInternal(r.error());
        return ok(double(*r));
    }
    return fail(QStringLiteral("internal"), QStringLiteral("unknown workflow op ") + op);
}

void WorkflowBinding::install(const JsScope& scope, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, this,
                   {{"wfOpen", opOpen}, {"wfCall", opCall}, {"wfWrite", opWrite}});
}

} // namespace kiln
