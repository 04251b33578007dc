#include "bindings/kvbinding.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"
#include "stores/statelayout.h"

#include <QDateTime>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

KvBinding* self(Args args) {
    return static_cast<KvBinding*>(args.Data().As<v8::External>()->Value());
}

qint64 nowSeconds() {
    return QDateTime::currentSecsSinceEpoch();
}

v8::Local<v8::String> str(v8::Isolate* isolate, const QByteArray& utf8) {
    return v8::String::NewFromUtf8(isolate, utf8.constData(), v8::NewStringType::kNormal,
                                   static_cast<int>(utf8.size()))
        .ToLocalChecked();
}

QString errorText(const char* op, const KvError& error) {
    return QStringLiteral("KV %1 failed: %2 %3")
        .arg(QLatin1String(op))
        .arg(error.status)
        .arg(error.message);
}

void reject(const JsScope& s, v8::Local<v8::Promise::Resolver> resolver, const char* op,
            const KvError& error) {
    resolver->Reject(s.context, v8::Exception::Error(toV8(s.isolate, errorText(op, error))))
        .Check();
}

// Settles a promise whose op answers nothing on success.
auto settleVoid(const char* op) {
    return [op](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
                std::expected<void, KvError>&& r) {
        if (!r) return reject(s, resolver, op, r.error());
        resolver->Resolve(s.context, v8::Undefined(s.isolate)).Check();
    };
}

} // namespace

std::shared_ptr<KvStore> KvBinding::store(Args args) {
    const int handle = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(-1);
    if (handle < 0 || handle >= static_cast<int>(m_stores.size())) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "Illegal invocation")));
        return nullptr;
    }
    return m_stores[static_cast<size_t>(handle)];
}

void KvBinding::opOpen(Args args) {
    auto* binding = self(args);
    const QString id = toQString(args.GetIsolate(), args[0]);
    auto kv = std::make_shared<KvStore>(StateLayout(binding->m_persistDir).kvFile(id));
    if (auto r = kv->open(); !r) {
        args.GetIsolate()->ThrowException(v8::Exception::Error(toV8(args.GetIsolate(), r.error())));
        return;
    }
    binding->m_stores.push_back(std::move(kv));
    binding->m_notices.push_back({binding->m_changed, StoreKind::Kv, id});
    args.GetReturnValue().Set(static_cast<int>(binding->m_stores.size() - 1));
}

// `prefix` + what TextDecoder("utf-8").decode(value) gives; empty past V8's longest string.
static v8::MaybeLocal<v8::String> decodedText(v8::Isolate* isolate, const QByteArray& value,
                                              const QByteArray& prefix = {}) {
    const qsizetype skip = value.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    if (prefix.isEmpty())
        return v8::String::NewFromUtf8(isolate, value.constData() + skip,
                                       v8::NewStringType::kNormal,
                                       static_cast<int>(value.size() - skip));
    QByteArray whole;
    whole.reserve(prefix.size() + value.size() - skip);
    whole.append(prefix).append(value.constData() + skip, value.size() - skip);
    return v8::String::NewFromUtf8(isolate, whole.constData(), v8::NewStringType::kNormal,
                                   static_cast<int>(whole.size()));
}

// [value, metadata: string | null, expiration: number | null]: an array made whole (named
// fields cost a property transition each through the API). `value` is a Uint8Array, or with
// `text` the string TextDecoder("utf-8").decode would give (a leading BOM dropped, ill-formed
// sequences as U+FFFD): a text read makes no buffer for JS to decode.
static v8::Local<v8::Array> entryToJs(const JsScope& s, const KvEntry& entry, bool text) {
    v8::Local<v8::Value> value;
    if (text) {
        v8::Local<v8::String> decoded;
        if (decodedText(s.isolate, entry.value).ToLocal(&decoded)) value = decoded;
    }
    if (value.IsEmpty()) // bytes asked for, or text past V8's longest string: JS decodes (and
                         // throws)
        value = toUint8Array(s.isolate, entry.value);
    v8::Local<v8::Value> fields[] = {
        value,
        entry.metadata.isEmpty() ? v8::Local<v8::Value>(v8::Null(s.isolate))
                                 : v8::Local<v8::Value>(str(s.isolate, entry.metadata)),
        entry.expiration
            ? v8::Local<v8::Value>(v8::Number::New(s.isolate, double(*entry.expiration)))
            : v8::Local<v8::Value>(v8::Null(s.isolate))};
    return v8::Array::New(s.isolate, fields, 3);
}

// A read is a few microseconds of SQLite: done in place, not on a pool thread; the promise
// returned is already settled.
void KvBinding::opGet(Args args) {
    auto kv = self(args)->store(args);
    if (!kv) return;
    const JsScope scope{args.GetIsolate(), args.GetIsolate()->GetCurrentContext()};
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const bool text = args[2]->IsTrue();
    args.GetReturnValue().Set(self(args)->m_async.runNow(
        scope, [kv, key] { return kv->get(key, nowSeconds()); },
        [text](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
               std::expected<std::optional<KvEntry>, KvError>&& r) {
            if (!r) return reject(s, resolver, "GET", r.error());
            resolver
                ->Resolve(s.context, *r ? v8::Local<v8::Value>(entryToJs(s, **r, text))
                                        : v8::Local<v8::Value>(v8::Null(s.isolate)))
                .Check();
        }));
}

// kvGetNow(handle, key): a text get answered for the Python SDK in one op, as the entrypoint
// helper's callRpc encodes a fulfilled one: "s" + the text, "jnull" when there is none.
// undefined when the read fails or the text does not fit a JS string: the caller then gets it
// the JS way, which answers that itself.
void KvBinding::opGetNow(Args args) {
    auto kv = self(args)->store(args);
    if (!kv) return;
    auto* isolate = args.GetIsolate();
    const auto r = kv->get(encodeUtf8(isolate, args[1]), nowSeconds());
    if (!r) return;
    if (!*r) return args.GetReturnValue().Set(str(isolate, "jnull"));
    v8::Local<v8::String> answer;
    if (decodedText(isolate, (*r)->value, "s").ToLocal(&answer)) args.GetReturnValue().Set(answer);
}

void KvBinding::opPut(Args args) {
    auto kv = self(args)->store(args);
    if (!kv) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    const QByteArray key = encodeUtf8(isolate, args[1]);
    const QByteArray value = bytesOf(args[2]);
    std::optional<qint64> expiration;
    if (args[3]->IsNumber()) expiration = static_cast<qint64>(args[3].As<v8::Number>()->Value());
    const QByteArray metadata = args[4]->IsString() ? encodeUtf8(isolate, args[4]) : QByteArray();
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope,
        [kv, key, value, expiration, metadata, notice = noticeFor(self(args)->m_notices, args)] {
            auto r = kv->put(key, value, expiration, metadata, nowSeconds());
            if (r) notice(QString::fromUtf8(key));
            return r;
        },
        settleVoid("PUT")));
}

void KvBinding::opDelete(Args args) {
    auto kv = self(args)->store(args);
    if (!kv) return;
    const JsScope scope{args.GetIsolate(), args.GetIsolate()->GetCurrentContext()};
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope,
        [kv, key, notice = noticeFor(self(args)->m_notices, args)] {
            auto r = kv->remove(key);
            if (r) notice(QString::fromUtf8(key));
            return r;
        },
        settleVoid("DELETE")));
}

void KvBinding::opList(Args args) {
    auto kv = self(args)->store(args);
    if (!kv) return;
    auto* isolate = args.GetIsolate();
    const JsScope scope{isolate, isolate->GetCurrentContext()};
    const QByteArray prefix = args[1]->IsString() ? encodeUtf8(isolate, args[1]) : QByteArray();
    const int limit = args[2]->Int32Value(scope.context).FromMaybe(KvStore::kMaxListLimit);
    const QByteArray cursor = args[3]->IsString() ? encodeUtf8(isolate, args[3]) : QByteArray();
    args.GetReturnValue().Set(self(args)->m_async.run(
        scope,
        [kv, prefix, limit, cursor] { return kv->list(prefix, limit, cursor, nowSeconds()); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<KvListResult, KvError>&& r) {
            if (!r) return reject(s, resolver, "LIST", r.error());
            auto keys = v8::Array::New(s.isolate, static_cast<int>(r->keys.size()));
            for (size_t i = 0; i < r->keys.size(); ++i) {
                const auto& k = r->keys[i];
                auto item = v8::Object::New(s.isolate);
                setField(s, item, "name", str(s.isolate, k.name));
                if (k.expiration)
                    setField(s, item, "expiration",
                             v8::Number::New(s.isolate, double(*k.expiration)));
                if (!k.metadata.isEmpty())
                    setField(s, item, "metadata", str(s.isolate, k.metadata));
                keys->Set(s.context, static_cast<uint32_t>(i), item).Check();
            }
            auto out = v8::Object::New(s.isolate);
            setField(s, out, "keys", keys);
            setField(s, out, "list_complete", v8::Boolean::New(s.isolate, r->complete));
            if (!r->complete) setField(s, out, "cursor", str(s.isolate, r->cursor));
            resolver->Resolve(s.context, out).Check();
        }));
}

void KvBinding::install(const JsScope& scope, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, this,
                   {
                       {"kvOpen", opOpen},
                       {"kvGet", opGet},
                       {"kvGetNow", opGetNow},
                       {"kvPut", opPut},
                       {"kvDelete", opDelete},
                       {"kvList", opList},
                   });
}

} // namespace kiln
