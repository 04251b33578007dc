#include "bindings/r2binding.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"
#include "stores/statelayout.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <functional>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-json.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

R2Binding* self(Args args) {
    return static_cast<R2Binding*>(args.Data().As<v8::External>()->Value());
}

JsScope scopeOf(Args args) {
    return JsScope{args.GetIsolate(), args.GetIsolate()->GetCurrentContext()};
}

int intArg(Args args, int i) {
    return args[i]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(-1);
}

QJsonObject jsonArg(Args args, int i) {
    if (!args[i]->IsString()) return {};
    return QJsonDocument::fromJson(toQString(args.GetIsolate(), args[i]).toUtf8()).object();
}

QJsonObject objectJson(const R2ObjectInfo& o) {
    return QJsonObject{
        {QStringLiteral("key"), QString::fromUtf8(o.key)},
        {QStringLiteral("version"), o.version},
        {QStringLiteral("size"), double(o.size)},
        {QStringLiteral("etag"), o.etag},
        {QStringLiteral("uploaded"), double(o.uploadedMs)},
        {QStringLiteral("httpMetadata"), QJsonDocument::fromJson(o.httpMetadata).object()},
        {QStringLiteral("customMetadata"), QJsonDocument::fromJson(o.customMetadata).object()},
        {QStringLiteral("checksums"), QJsonDocument::fromJson(o.checksums).object()},
    };
}

v8::Local<v8::Value> parsed(const JsScope& s, const QJsonObject& object) {
    const QByteArray text = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return v8::JSON::Parse(s.context, toV8(s.isolate, QString::fromUtf8(text))).ToLocalChecked();
}

void reject(const JsScope& s, v8::Local<v8::Promise::Resolver> resolver, const char* op,
            const R2Error& e) {
    const QString text =
        QStringLiteral("%1: %2 (%3)").arg(QLatin1String(op), e.message).arg(e.code);
    resolver->Reject(s.context, v8::Exception::Error(toV8(s.isolate, text))).Check();
}

R2Conditions conditionsOf(const QJsonObject& j) {
    R2Conditions c;
    auto tags = [](const QJsonValue& v) {
        QStringList out;
        if (v.isString()) out << v.toString();
        for (const auto& t : v.toArray())
            out << t.toString();
        return out;
    };
    c.etagMatches = tags(j.value(QStringLiteral("etagMatches")));
    c.etagDoesNotMatch = tags(j.value(QStringLiteral("etagDoesNotMatch")));
    if (j.contains(QStringLiteral("uploadedBefore")))
        c.uploadedBeforeMs =
            static_cast<qint64>(j.value(QStringLiteral("uploadedBefore")).toDouble());
    if (j.contains(QStringLiteral("uploadedAfter")))
        c.uploadedAfterMs =
            static_cast<qint64>(j.value(QStringLiteral("uploadedAfter")).toDouble());
    return c;
}

// Resolves with the object as parsed JSON, or null.
auto settleObject(const char* op) {
    return [op](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
                std::expected<std::optional<R2ObjectInfo>, R2Error>&& r) {
        if (!r) return reject(s, resolver, op, r.error());
        resolver
            ->Resolve(s.context,
                      *r ? parsed(s, objectJson(**r)) : v8::Local<v8::Value>(v8::Null(s.isolate)))
            .Check();
    };
}

auto settleVoid(const char* op) {
    return [op](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
                std::expected<void, R2Error>&& r) {
        if (!r) return reject(s, resolver, op, r.error());
        resolver->Resolve(s.context, v8::Undefined(s.isolate)).Check();
    };
}

} // namespace

std::shared_ptr<R2Bucket> R2Binding::bucket(Args args) {
    const int handle = intArg(args, 0);
    if (handle < 0 || handle >= static_cast<int>(m_buckets.size())) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "Illegal invocation")));
        return nullptr;
    }
    return m_buckets[static_cast<size_t>(handle)];
}

std::shared_ptr<R2Upload> R2Binding::takeUpload(Args args, int index) {
    auto node = m_uploads.extract(intArg(args, index));
    if (!node) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "the upload is already finished")));
        return nullptr;
    }
    return node.mapped();
}

void R2Binding::opOpen(Args args) {
    auto* binding = self(args);
    const QString name = toQString(args.GetIsolate(), args[0]);
    auto b = std::make_shared<R2Bucket>(StateLayout(binding->m_persistDir).r2Dir(name));
    if (auto r = b->open(); !r) {
        args.GetIsolate()->ThrowException(v8::Exception::Error(toV8(args.GetIsolate(), r.error())));
        return;
    }
    binding->m_buckets.push_back(std::move(b));
    binding->m_notices.push_back({binding->m_changed, StoreKind::R2, name});
    args.GetReturnValue().Set(static_cast<int>(binding->m_buckets.size() - 1));
}

void R2Binding::opUploadBegin(Args args) {
    auto* binding = self(args);
    auto b = binding->bucket(args);
    if (!b) return;
    auto upload = b->beginUpload(args[1]->BooleanValue(args.GetIsolate()));
    if (!upload) {
        args.GetIsolate()->ThrowException(
            v8::Exception::Error(toV8(args.GetIsolate(), upload.error().message)));
        return;
    }
    const int id = binding->m_nextId++;
    binding->m_uploads.emplace(id, std::shared_ptr<R2Upload>(std::move(*upload)));
    args.GetReturnValue().Set(id);
}

void R2Binding::opUploadWrite(Args args) {
    auto* binding = self(args);
    auto it = binding->m_uploads.find(intArg(args, 0));
    if (it == binding->m_uploads.end() || !args[1]->IsArrayBufferView()) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "bad upload write")));
        return;
    }
    auto upload = it->second;
    const bool last = args[2]->IsTrue();
    auto view = args[1].As<v8::ArrayBufferView>();
    std::function<bool()> work;
    if (view->ByteLength() >= R2Upload::kParallelHashBytes) {
        // Large pieces are read where they lie: the backing store (an ArrayBuffer, or the
        // wasm heap under a Python bytes object) stays alive until the work is done.
        auto store = view->Buffer()->GetBackingStore();
        const char* data = static_cast<const char*>(store->Data()) + view->ByteOffset();
        const auto size = static_cast<qsizetype>(view->ByteLength());
        work = [upload, store, data, size, last] { return upload->append(data, size, last); };
    } else {
        work = [upload, chunk = bytesOf(view), last] {
            return upload->append(chunk.constData(), chunk.size(), last);
        };
    }
    args.GetReturnValue().Set(binding->m_async.run(
        scopeOf(args), std::move(work),
        [upload](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver, bool&& ok) {
            if (!ok) return reject(s, resolver, "put", R2Error{10001, upload->error()});
            resolver->Resolve(s.context, v8::Undefined(s.isolate)).Check();
        }));
}

void R2Binding::opUploadAbort(Args args) {
    self(args)->m_uploads.erase(intArg(args, 0));
}

void R2Binding::opPut(Args args) {
    auto* binding = self(args);
    auto b = binding->bucket(args);
    auto upload = b ? binding->takeUpload(args, 1) : nullptr;
    if (!upload) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[2]);
    const QJsonObject j = jsonArg(args, 3);
    R2PutOptions options;
    options.httpMetadata = QJsonDocument(j.value(QStringLiteral("httpMetadata")).toObject())
                               .toJson(QJsonDocument::Compact);
    options.customMetadata = QJsonDocument(j.value(QStringLiteral("customMetadata")).toObject())
                                 .toJson(QJsonDocument::Compact);
    options.onlyIf = conditionsOf(j.value(QStringLiteral("onlyIf")).toObject());
    options.md5 = QByteArray::fromHex(j.value(QStringLiteral("md5")).toString().toLatin1());
    options.sha1 = QByteArray::fromHex(j.value(QStringLiteral("sha1")).toString().toLatin1());
    options.sha256 = QByteArray::fromHex(j.value(QStringLiteral("sha256")).toString().toLatin1());
    args.GetReturnValue().Set(binding->m_async.run(
        scopeOf(args),
        [b, upload, key, options, notice = noticeFor(binding->m_notices, args)] {
            auto r = b->put(key, *upload, options);
            if (r && *r) notice(QString::fromUtf8(key));
            return r;
        },
        settleObject("put")));
}

void R2Binding::opHead(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args), [b, key] { return b->head(key); }, settleObject("head")));
}

void R2Binding::opGet(Args args) {
    auto* binding = self(args);
    auto b = binding->bucket(args);
    if (!b) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const QJsonObject r = jsonArg(args, 2);
    R2Range range;
    if (r.contains(QStringLiteral("offset")))
        range.offset = static_cast<qint64>(r.value(QStringLiteral("offset")).toDouble());
    if (r.contains(QStringLiteral("length")))
        range.length = static_cast<qint64>(r.value(QStringLiteral("length")).toDouble());
    if (r.contains(QStringLiteral("suffix")))
        range.suffix = static_cast<qint64>(r.value(QStringLiteral("suffix")).toDouble());
    const R2Conditions onlyIf = conditionsOf(jsonArg(args, 3));
    using Got =
        std::expected<std::optional<std::pair<R2ObjectInfo, std::optional<R2Body>>>, R2Error>;
    auto work = [b, key, range, onlyIf] {
        return std::make_shared<Got>(b->get(key, range, onlyIf));
    };
    auto settle = [binding](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
                            std::shared_ptr<Got>&& got) {
        if (!*got) return reject(s, resolver, "get", got->error());
        if (!**got) return void(resolver->Resolve(s.context, v8::Null(s.isolate)).Check());
        auto& [info, body] = ***got;
        QJsonObject out{{QStringLiteral("object"), objectJson(info)}};
        if (body) {
            const int id = binding->m_nextId++;
            out.insert(QStringLiteral("body"), id);
            out.insert(QStringLiteral("offset"), double(body->offset()));
            out.insert(QStringLiteral("length"), double(body->remaining()));
            binding->m_bodies.emplace(id, std::make_shared<R2Body>(std::move(*body)));
        }
        resolver->Resolve(s.context, parsed(s, out)).Check();
    };
    // An index lookup (the blob opens at the first read): done in place, as a KV get is,
    // rather than with two thread hops. With args[4] the answer itself comes back, not a
    // promise: a Python await of a promise costs more than the lookup.
    auto promise = binding->m_async.runNow(scopeOf(args), std::move(work), std::move(settle));
    if (!args[4]->IsTrue()) return args.GetReturnValue().Set(promise);
    if (promise->State() == v8::Promise::kRejected) {
        promise->MarkAsHandled();
        return void(args.GetIsolate()->ThrowException(promise->Result()));
    }
    args.GetReturnValue().Set(promise->Result());
}

void R2Binding::opRead(Args args) {
    auto* binding = self(args);
    auto it = binding->m_bodies.find(intArg(args, 0));
    if (it == binding->m_bodies.end()) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "the body is closed")));
        return;
    }
    auto body = it->second;
    const qint64 max = std::clamp<qint64>(intArg(args, 1), 1, 16 << 20);
    args.GetReturnValue().Set(binding->m_async.run(
        scopeOf(args), [body, max] { return body->read(max); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<QByteArray, QString>&& chunk) {
            if (!chunk) return reject(s, resolver, "get", R2Error{10001, chunk.error()});
            if (chunk->isEmpty())
                return void(resolver->Resolve(s.context, v8::Null(s.isolate)).Check());
            resolver->Resolve(s.context, toUint8Array(s.isolate, *chunk)).Check();
        }));
}

void R2Binding::opReadInto(Args args) {
    auto* binding = self(args);
    auto it = binding->m_bodies.find(intArg(args, 0));
    if (it == binding->m_bodies.end() || !args[1]->IsArrayBufferView()) {
        args.GetIsolate()->ThrowException(
            v8::Exception::TypeError(toV8(args.GetIsolate(), "the body is closed")));
        return;
    }
    R2Body& body = *it->second;
    auto view = args[1].As<v8::ArrayBufferView>();
    auto store = view->Buffer()->GetBackingStore();
    char* data = static_cast<char*>(store->Data()) + view->ByteOffset();
    const qint64 n = body.read(data, qint64(view->ByteLength()));
    if (n < 0) {
        args.GetIsolate()->ThrowException(v8::Exception::Error(
            toV8(args.GetIsolate(), "get: could not read the object's bytes (10001)")));
        return;
    }
    args.GetReturnValue().Set(static_cast<double>(n));
}

void R2Binding::opBodyClose(Args args) {
    self(args)->m_bodies.erase(intArg(args, 0));
}

void R2Binding::opDelete(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    std::vector<QByteArray> keys;
    if (args[1]->IsArray()) {
        auto list = args[1].As<v8::Array>();
        auto context = args.GetIsolate()->GetCurrentContext();
        for (uint32_t i = 0; i < list->Length(); ++i)
            keys.push_back(encodeUtf8(args.GetIsolate(), list->Get(context, i).ToLocalChecked()));
    }
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args),
        [b, keys, notice = noticeFor(self(args)->m_notices, args)] {
            auto r = b->remove(keys);
            if (r) notice(keys.size() == 1 ? QString::fromUtf8(keys.front()) : QString());
            return r;
        },
        settleVoid("delete")));
}

void R2Binding::opList(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    const QJsonObject j = jsonArg(args, 1);
    R2ListOptions options;
    options.prefix = j.value(QStringLiteral("prefix")).toString().toUtf8();
    options.delimiter = j.value(QStringLiteral("delimiter")).toString().toUtf8();
    options.cursor = j.value(QStringLiteral("cursor")).toString().toUtf8();
    options.startAfter = j.value(QStringLiteral("startAfter")).toString().toUtf8();
    options.limit = j.value(QStringLiteral("limit")).toInt(1000);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args), [b, options] { return b->list(options); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<R2ListResult, R2Error>&& r) {
            if (!r) return reject(s, resolver, "list", r.error());
            QJsonArray objects, prefixes;
            for (const auto& o : r->objects)
                objects.append(objectJson(o));
            for (const auto& p : r->delimitedPrefixes)
                prefixes.append(QString::fromUtf8(p));
            QJsonObject out{{QStringLiteral("objects"), objects},
                            {QStringLiteral("delimitedPrefixes"), prefixes},
                            {QStringLiteral("truncated"), r->truncated}};
            if (r->truncated) out.insert(QStringLiteral("cursor"), QString::fromLatin1(r->cursor));
            resolver->Resolve(s.context, parsed(s, out)).Check();
        }));
}

void R2Binding::opMultipartCreate(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const QJsonObject j = jsonArg(args, 2);
    const QByteArray http = QJsonDocument(j.value(QStringLiteral("httpMetadata")).toObject())
                                .toJson(QJsonDocument::Compact);
    const QByteArray custom = QJsonDocument(j.value(QStringLiteral("customMetadata")).toObject())
                                  .toJson(QJsonDocument::Compact);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args), [b, key, http, custom] { return b->createMultipart(key, http, custom); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<QString, R2Error>&& r) {
            if (!r) return reject(s, resolver, "createMultipartUpload", r.error());
            resolver->Resolve(s.context, toV8(s.isolate, *r)).Check();
        }));
}

void R2Binding::opMultipartPart(Args args) {
    auto* binding = self(args);
    auto b = binding->bucket(args);
    auto upload = b ? binding->takeUpload(args, 4) : nullptr;
    if (!upload) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const QString uploadId = toQString(args.GetIsolate(), args[2]);
    const int part = intArg(args, 3);
    args.GetReturnValue().Set(binding->m_async.run(
        scopeOf(args),
        [b, key, uploadId, part, upload] { return b->uploadPart(key, uploadId, part, *upload); },
        [](const JsScope& s, v8::Local<v8::Promise::Resolver> resolver,
           std::expected<QString, R2Error>&& r) {
            if (!r) return reject(s, resolver, "uploadPart", r.error());
            resolver->Resolve(s.context, toV8(s.isolate, *r)).Check();
        }));
}

void R2Binding::opMultipartComplete(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const QString uploadId = toQString(args.GetIsolate(), args[2]);
    std::vector<std::pair<int, QString>> parts;
    for (const auto& p :
         QJsonDocument::fromJson(toQString(args.GetIsolate(), args[3]).toUtf8()).array())
        parts.emplace_back(p.toArray().at(0).toInt(), p.toArray().at(1).toString());
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args),
        [b, key, uploadId, parts, notice = noticeFor(self(args)->m_notices, args)]()
            -> std::expected<std::optional<R2ObjectInfo>, R2Error> {
            auto r = b->completeMultipart(key, uploadId, parts);
            if (!r) return std::unexpected(r.error());
            notice(QString::fromUtf8(key));
            return std::optional<R2ObjectInfo>(std::move(*r));
        },
        settleObject("completeMultipartUpload")));
}

void R2Binding::opMultipartAbort(Args args) {
    auto b = self(args)->bucket(args);
    if (!b) return;
    const QByteArray key = encodeUtf8(args.GetIsolate(), args[1]);
    const QString uploadId = toQString(args.GetIsolate(), args[2]);
    args.GetReturnValue().Set(self(args)->m_async.run(
        scopeOf(args), [b, key, uploadId] { return b->abortMultipart(key, uploadId); },
        settleVoid("abortMultipartUpload")));
}

void R2Binding::install(const JsScope& scope, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, this,
                   {
                       {"r2Open", opOpen},
                       {"r2UploadBegin", opUploadBegin},
                       {"r2UploadWrite", opUploadWrite},
                       {"r2UploadAbort", opUploadAbort},
                       {"r2Put", opPut},
                       {"r2Head", opHead},
                       {"r2Get", opGet},
                       {"r2Read", opRead},
                       {"r2ReadInto", opReadInto},
                       {"r2BodyClose", opBodyClose},
                       {"r2Delete", opDelete},
                       {"r2List", opList},
                       {"r2MultipartCreate", opMultipartCreate},
                       {"r2MultipartPart", opMultipartPart},
                       {"r2MultipartComplete", opMultipartComplete},
                       {"r2MultipartAbort", opMultipartAbort},
                   });
}

} // namespace kiln
