#pragma once

#include "bindings/hostbinding.h"
#include "stores/kvstore.h"

#include <memory>
#include <vector>

namespace kiln {

// The host half of `env.<KV binding>`: ops over KvStore, each a promise settled from a pool
// thread. The JS half (resources/js/bindings/kv.mjs) validates arguments, converts value
// types and shapes results as workerd's KVNamespace does. Ops:
//   kvOpen(namespaceId) -> handle
//   kvGet(handle, key) -> Promise<{value: Uint8Array, metadata: string | null, expiration} | null>
//     (read in place: the promise is already settled when it is returned)
//   kvGetNow(handle, key) -> "s" + text | "jnull" | undefined (a text get for the Python SDK,
//     encoded as the entrypoint helper's callRpc encodes one; undefined: take kvGet)
//   kvPut(handle, key, value: Uint8Array, expiration | null, metadataJson | null)
//   kvDelete(handle, key)
//   kvList(handle, prefix, limit, cursor) -> {keys: [{name, expiration?, metadata?}],
//   list_complete, cursor?}
// Failures reject with "KV <OP> failed: <status> <message>".
class KvBinding : public HostBinding {
public:
    explicit KvBinding(const BindingContext& context)
        : m_async(context.async)
        , m_persistDir(context.persistDir)
        , m_changed(context.changed) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops) override;

private:
    static void opOpen(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opGet(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opGetNow(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opPut(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opDelete(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opList(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<KvStore> store(const v8::FunctionCallbackInfo<v8::Value>& args);

    AsyncOps& m_async;
    QString m_persistDir;
    std::function<void(StoreKind, const QString&, const QString&)> m_changed;
    std::vector<std::shared_ptr<KvStore>> m_stores;
    std::vector<ChangeNotice> m_notices; // per store handle
};

} // namespace kiln
