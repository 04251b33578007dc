#pragma once

#include "engine/asyncops.h"
#include "stores/kvstore.h"

#include <memory>
#include <vector>

namespace kiln {

// The host half of `env.<KV binding>`: ops over KvStore, each a promise settled from a pool
// thread. The JS half (resources/js/bindings/kv.mjs) validates arguments, converts value
// types and shapes results as workerd's KVNamespace does. Ops:
//   kvOpen(namespaceId) -> handle
//   kvGet(handle, key, sync) -> Promise<{value: Uint8Array, metadata: string | null, expiration} | null>
//     (sync true: the entry or null itself, at once)
//   kvPut(handle, key, value: Uint8Array, expiration | null, metadataJson | null)
//   kvDelete(handle, key)
//   kvList(handle, prefix, limit, cursor) -> {keys: [{name, expiration?, metadata?}], list_complete, cursor?}
// Failures reject with "KV <OP> failed: <status> <message>".
class KvBinding {
public:
    KvBinding(AsyncOps& async, QString persistDir) : m_async(async), m_persistDir(std::move(persistDir)) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops);

private:
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opGet(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opGetText(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opPut(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opDelete(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opList(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<KvStore> store(const v8::FunctionCallbackInfo<v8::Value>& args);

    AsyncOps& m_async;
    QString m_persistDir;
    std::vector<std::shared_ptr<KvStore>> m_stores;
};

} // namespace kiln
