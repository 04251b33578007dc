#pragma once

#include "bindings/hostbinding.h"
#include "stores/r2bucket.h"

#include <map>
#include <memory>
#include <vector>

namespace kiln {

// The host half of `env.<R2 binding>`: ops over R2Bucket, settled from pool threads, with
// bodies streamed both ways in chunks (uploads to a temporary file, downloads from the
// blob), so no object is ever whole in memory. Objects come back as JSON text that the JS
// half (resources/js/r2bucket.mjs) turns into R2Object / R2ObjectBody.
//   r2Open(bucket) -> handle
//   r2UploadBegin(handle, withSha1) -> upload; r2UploadAbort(upload)
//   r2UploadWrite(upload, bytes, last) -> Promise: pieces of 1 MiB and more are hashed and
//     written from where they lie, without a copy (the caller leaves them unchanged until
//     the promise settles); with last, the file is synced too
//   r2ReadInto(body, view) -> bytes read into the view, at once (0 at the end): for a body
//     read whole (arrayBuffer(), or straight into a Python bytearray)
//   r2Put(handle, upload, key, optionsJson) -> Promise<objectJson | null>
//   r2Head(handle, key) -> Promise<objectJson | null>
//   r2Get(handle, key, rangeJson, onlyIfJson, now) -> Promise<{object, body: id | null, offset,
//   length} | null>
//     (with now, that value itself, done on the calling thread)
//   r2Read(body, maxBytes) -> Promise<Uint8Array | null at the end>; r2BodyClose(body)
//   r2Delete(handle, [keys]) ; r2List(handle, optionsJson) -> Promise<json>
//   r2MultipartCreate/Part/Complete/Abort
// Failures reject with "<op>: <message> (<code>)", as workerd's R2 errors read.
class R2Binding : public HostBinding {
public:
    explicit R2Binding(const BindingContext& context)
        : m_async(context.async)
        , m_persistDir(context.persistDir)
        , m_changed(context.changed) {}
    void install(const JsScope& scope, v8::Local<v8::Object> ops) override;

private:
    using Args = const v8::FunctionCallbackInfo<v8::Value>&;
    static void opOpen(Args args);
    static void opUploadBegin(Args args);
    static void opUploadWrite(Args args);
    static void opUploadAbort(Args args);
    static void opPut(Args args);
    static void opHead(Args args);
    static void opGet(Args args);
    static void opRead(Args args);
    static void opReadInto(Args args);
    static void opBodyClose(Args args);
    static void opDelete(Args args);
    static void opList(Args args);
    static void opMultipartCreate(Args args);
    static void opMultipartPart(Args args);
    static void opMultipartComplete(Args args);
    static void opMultipartAbort(Args args);
    std::shared_ptr<R2Bucket> bucket(Args args);
    std::shared_ptr<R2Upload> takeUpload(Args args, int index);

    AsyncOps& m_async;
    QString m_persistDir;
    std::function<void(StoreKind, const QString&, const QString&)> m_changed;
    std::vector<std::shared_ptr<R2Bucket>> m_buckets;
    std::vector<ChangeNotice> m_notices; // per bucket handle
    std::map<int, std::shared_ptr<R2Upload>> m_uploads;
    std::map<int, std::shared_ptr<R2Body>> m_bodies;
    int m_nextId = 1;
};

} // namespace kiln
