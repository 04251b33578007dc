#pragma once

#include "engine/asyncops.h"
#include "stores/d1database.h"

#include <memory>
#include <vector>

namespace kiln {

// The host half of `env.<D1 binding>`: ops over D1Database, settled from a pool thread.
// The JS half (resources/js/d1database.mjs) is workerd's D1Database / D1PreparedStatement.
//   d1Open(databaseId) -> handle
//   d1Run(handle, [[sql, [params]], ...], syncReads) -> Promise<[{columns, rows: [[...]], meta}, ...]>
//     (several statements: one transaction, rolled back whole on error; with syncReads, a
//     lone SELECT answers the array itself, at once)
//   d1Exec(handle, sql) -> {count, duration}
// Parameters: null/undefined -> NULL, boolean -> 0/1, integral number -> INTEGER, other
// number -> REAL, string -> TEXT, ArrayBuffer or view -> BLOB. Results: BLOBs come back as
// arrays of byte values, as D1 returns them.
class D1Binding {
public:
    D1Binding(AsyncOps& async, QString persistDir) : m_async(async), m_persistDir(std::move(persistDir)) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops);

private:
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opRun(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExec(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<D1Database> database(const v8::FunctionCallbackInfo<v8::Value>& args);

    AsyncOps& m_async;
    QString m_persistDir;
    std::vector<std::shared_ptr<D1Database>> m_databases;
};

} // namespace kiln
