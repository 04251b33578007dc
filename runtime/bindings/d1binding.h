#pragma once

#include "bindings/hostbinding.h"
#include "stores/d1database.h"

#include <memory>
#include <vector>

namespace kiln {

// The host half of `env.<D1 binding>`: ops over D1Database, settled from a pool thread.
// The JS half (resources/js/d1database.mjs) is workerd's D1Database / D1PreparedStatement.
//   d1Open(databaseId) -> handle
//   d1Run(handle, [[sql, [params]], ...]) -> Promise<[[columns, rows: [[...]], meta], ...]>
//     (meta: [duration, changes, last_row_id, changed_db, size_after, rows_read, rows_written])
//     (several statements: one transaction, rolled back whole on error)
//   d1Answer(handle, sql, [params], shape) -> "j" + JSON text | undefined (a lone read run at
//     once, answered for the Python SDK as stores/d1answer.h writes it; undefined: not run,
//     or no such answer: take d1Run)
//   d1Exec(handle, sql) -> {count, duration}
// Parameters: null/undefined -> NULL, boolean -> 0/1, integral number -> INTEGER, other
// number -> REAL, BigInt -> INTEGER (REAL beyond 64 bits), string -> TEXT, ArrayBuffer or
// view -> BLOB. Results: BLOBs come back as arrays of byte values, as D1 returns them.
class D1Binding : public HostBinding {
public:
    explicit D1Binding(const BindingContext& context)
        : m_async(context.async)
        , m_persistDir(context.persistDir)
        , m_changed(context.changed)
        , m_requestCancel(context.requestCancel) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops) override;

private:
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opRun(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opAnswer(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExec(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<D1Database> database(const v8::FunctionCallbackInfo<v8::Value>& args);

    AsyncOps& m_async;
    QString m_persistDir;
    std::function<void(StoreKind, const QString&, const QString&)> m_changed;
    std::function<D1Database::QueryCancel(const JsScope&)> m_requestCancel;
    // The calling request's cancel flag: its queries stop once it has ended.
    D1Database::QueryCancel cancelFlag(const JsScope& scope) const {
        return m_requestCancel ? m_requestCancel(scope) : nullptr;
    }
    std::vector<std::shared_ptr<D1Database>> m_databases;
};

} // namespace kiln
