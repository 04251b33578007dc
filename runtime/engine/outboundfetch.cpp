#include "engine/internal/outboundfetch.h"

#include "engine/networkthread.h"

#include <QMetaEnum>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QUrl>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>

#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

constexpr qint64 kChunkSize = 64 * 1024;
// Qt stops reading the socket once this much is buffered: a body nobody reads does not grow
// in memory, and the server sees TCP backpressure.
constexpr qint64 kReadBuffer = 4 * kChunkSize;

// What crosses from the network thread to the isolate thread: plain data only.
struct FetchEvent {
    enum Kind { Response, Chunk, End, Error, Timer };
    FetchEvent(Kind k)
        : kind(k) {} // NOLINT: implicit, so deliver(id, {FetchEvent::End}) reads well
    Kind kind;
    int status = 0;
    QByteArray statusText;
    QByteArray url;
    QList<QNetworkReply::RawHeaderPair> headers;
    QByteArray data;
    QString message;
    QByteArray code;
};

struct RequestSpec {
    QByteArray method;
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool hasBody = false;
};

// Network-thread state of one exchange.
struct Job {
    QPointer<QNetworkReply> reply;
    // Only our own connections may be cut: the reply's internal ones carry abort() to Qt's
    // HTTP thread.
    QList<QMetaObject::Connection> connections;
    bool responded = false; // "response" was sent
    bool finished = false;  // Qt has the whole body (or failed)
    bool wantChunk = false; // JS awaits a chunk
};

// Qt reports HTTP 4xx/5xx as reply errors too; those are ordinary responses for fetch().
// Connection, proxy, TLS and protocol failures (below 200, 101-199, 301-399) are not.
bool isNetworkFailure(QNetworkReply::NetworkError error) {
    const int e = error;
    return e != QNetworkReply::NoError && !(e >= 200 && e < 300) && !(e >= 400 && e < 500);
}

QByteArray errorCode(QNetworkReply::NetworkError error) {
    const char* key = QMetaEnum::fromType<QNetworkReply::NetworkError>().valueToKey(error);
    return key ? QByteArray(key) : QByteArray("UnknownNetworkError");
}

// One per JsRuntime. Shared between the isolate thread (ops, dispatch) and the network
// thread (jobs); the isolate's teardown calls shutdown(), after which nothing is delivered.
class FetchHost : public std::enable_shared_from_this<FetchHost> {
public:
    explicit FetchHost(JsRuntime* runtime)
        : m_runtime(runtime)
        , m_loop(&runtime->loop()) {}

    // --- isolate thread ---
    int nextId() { return m_nextId++; }
    JsRuntime* runtime() const { return m_runtime; }

    void await(int id) {
        if (m_runtime && m_awaiting.insert(id).second) m_runtime->addPending();
    }

    void stopAwaiting(int id) {
        if (m_runtime && m_awaiting.erase(id)) m_runtime->removePending();
    }

    void start(int id, RequestSpec spec) {
        await(id);
        NetworkThread::post([self = shared_from_this(), id, spec = std::move(spec)](
                                QNetworkAccessManager& nam) { self->netStart(nam, id, spec); });
    }

    void read(int id) {
        await(id);
        NetworkThread::post(
            [self = shared_from_this(), id](QNetworkAccessManager&) { self->netRead(id); });
    }

    void cancel(int id) {
        stopAwaiting(id);
        NetworkThread::post(
            [self = shared_from_this(), id](QNetworkAccessManager&) { self->netCancel(id); });
    }

    void startTimer(int id, double ms) {
        // keepAlive=false: a pending AbortSignal.timeout() must not hold a finished script open.
        if (m_loop)
            m_loop->postDelayed(
                ms, [self = shared_from_this(), id] { self->dispatch(id, {FetchEvent::Timer}); },
                false);
    }

    // Called while the isolate is being disposed (see installFetchOps). Drops the loop refs
    // this host holds and aborts its exchanges; later deliveries are discarded.
    void shutdown() {
        {
            std::lock_guard lock(m_mutex);
            m_loop = nullptr;
        }
        if (m_runtime) {
            for (size_t i = 0; i < m_awaiting.size(); ++i)
                m_runtime->removePending();
            m_awaiting.clear();
            m_runtime = nullptr;
        }
        NetworkThread::post(
            [self = shared_from_this()](QNetworkAccessManager&) { self->netCancelAll(); });
    }

private:
    // --- any thread ---
    void deliver(int id, FetchEvent event) {
        std::lock_guard lock(m_mutex); // the loop outlives the runtime, which nulls m_loop first
        if (m_loop)
            m_loop->post([self = shared_from_this(), id, event = std::move(event)]() mutable {
                self->dispatch(id, std::move(event));
            });
    }

    // --- isolate thread ---
    void dispatch(int id, FetchEvent event);

    // --- network thread ---
    void netStart(QNetworkAccessManager& nam, int id, const RequestSpec& spec);
    void netRead(int id);
    void netCancel(int id);
    void netCancelAll();
    void netMetaData(int id);
    void netFinished(int id);
    void netPump(int id);
    void netDrop(int id, bool abort = false);

    std::mutex m_mutex;
    JsRuntime* m_runtime;                // isolate thread; null after shutdown
    EventLoop* m_loop;                   // guarded by m_mutex; null after shutdown
    std::unordered_set<int> m_awaiting;  // isolate thread: ids holding a loop ref
    int m_nextId = 1;                    // isolate thread
    std::unordered_map<int, Job> m_jobs; // network thread
};

void FetchHost::netStart(QNetworkAccessManager& nam, int id, const RequestSpec& spec) {
    QNetworkRequest request(spec.url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    // Workers' outbound fetch speaks HTTP/1.1; it also keeps the wire behaviour predictable.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute,
                         QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
    request.setAttribute(QNetworkRequest::AuthenticationReuseAttribute, QNetworkRequest::Manual);
    for (const auto& [name, value] : spec.headers)
        request.setRawHeader(name, value);

    QNetworkReply* reply;
    if (spec.method == "HEAD")
        reply = nam.head(request);
    else if (spec.method == "GET" && !spec.hasBody)
        reply = nam.get(request);
    else if (spec.hasBody)
        // The body is sent from one buffer: fetch.js reads a ReadableStream body to the end first.
        reply = nam.sendCustomRequest(request, spec.method, spec.body);
    else
        reply = nam.sendCustomRequest(request, spec.method);
    reply->setReadBufferSize(kReadBuffer);
    // Slots capture `this`: the host outlives its replies because shutdown() posts
    // netCancelAll() with a strong reference before the last one can go.
    Job& job = m_jobs[id];
    job.reply = reply;
    job.connections = {
        QObject::connect(reply, &QNetworkReply::metaDataChanged, reply,
                         [this, id] { netMetaData(id); }),
        QObject::connect(reply, &QNetworkReply::readyRead, reply, [this, id] { netPump(id); }),
        QObject::connect(reply, &QNetworkReply::finished, reply, [this, id] { netFinished(id); }),
    };
}

void FetchHost::netMetaData(int id) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end() || it->second.responded) return;
    QNetworkReply* reply = it->second.reply;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) return;
    it->second.responded = true;
    FetchEvent event{FetchEvent::Response};
    event.status = status.toInt();
    event.statusText = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
    event.url = reply->url().toEncoded();
    event.headers = reply->rawHeaderPairs();
    deliver(id, std::move(event));
}

void FetchHost::netFinished(int id) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end()) return;
    it->second.finished = true;
    if (!it->second.responded) {
        netMetaData(id);
        if (!it->second.responded) {
            QNetworkReply* reply = it->second.reply;
            FetchEvent event{FetchEvent::Error};
            event.message = reply->errorString();
            event.code = errorCode(reply->error());
            deliver(id, std::move(event));
            netDrop(id);
            return;
        }
    }
    netPump(id);
}

void FetchHost::netPump(int id) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end() || !it->second.wantChunk) return;
    Job& job = it->second;
    QNetworkReply* reply = job.reply;
    if (reply->bytesAvailable() > 0) {
        job.wantChunk = false;
        FetchEvent event{FetchEvent::Chunk};
        event.data = reply->read(kChunkSize);
        deliver(id, std::move(event));
    } else if (job.finished) {
        if (isNetworkFailure(reply->error())) {
            FetchEvent event{FetchEvent::Error};
            event.message = reply->errorString();
            event.code = errorCode(reply->error());
            deliver(id, std::move(event));
        } else {
            deliver(id, {FetchEvent::End});
        }
        netDrop(id);
    }
}

void FetchHost::netRead(int id) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end()) {
        // Already ended or cancelled: answer so the reader does not wait forever.
        deliver(id, {FetchEvent::End});
        return;
    }
    it->second.wantChunk = true;
    netPump(id);
}

void FetchHost::netDrop(int id, bool abort) {
    auto it = m_jobs.find(id);
    if (it == m_jobs.end()) return;
    // Disconnect first: abort() emits finished() at once, and nobody is listening any more.
    for (const auto& connection : it->second.connections)
        QObject::disconnect(connection);
    if (QNetworkReply* reply = it->second.reply) {
        if (abort) reply->abort(); // closes the connection on Qt's HTTP thread
        reply->deleteLater();
    }
    m_jobs.erase(it);
}

void FetchHost::netCancel(int id) {
    netDrop(id, true);
}

void FetchHost::netCancelAll() {
    while (!m_jobs.empty())
        netCancel(m_jobs.begin()->first);
}

v8::Local<v8::Array> flatHeaders(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                 const QList<QNetworkReply::RawHeaderPair>& headers) {
    auto array = v8::Array::New(isolate, static_cast<int>(headers.size() * 2));
    uint32_t i = 0;
    for (const auto& [name, value] : headers) {
        // Header bytes are latin1 as far as JS (ByteString) is concerned.
        array->Set(context, i++, latin1ToV8(isolate, name)).Check();
        array->Set(context, i++, latin1ToV8(isolate, value)).Check();
    }
    return array;
}

v8::Local<v8::Private> handlerKey(v8::Isolate* isolate) {
    return v8::Private::ForApi(isolate, toV8(isolate, "kiln.fetchHandler"));
}

void FetchHost::dispatch(int id, FetchEvent event) {
    if (!m_runtime) return;
    if (event.kind != FetchEvent::Timer) stopAwaiting(id);
    v8::Isolate* isolate = m_runtime->isolate();
    v8::HandleScope handles(isolate);
    auto context = m_runtime->context();
    v8::Context::Scope contextScope(context);
    const JsScope scope{isolate, context};
    v8::Local<v8::Value> handler;
    if (!m_runtime->ops(scope)->GetPrivate(context, handlerKey(isolate)).ToLocal(&handler) ||
        !handler->IsFunction())
        return;

    static const char* const kinds[] = {"response", "chunk", "end", "error", "timer"};
    v8::Local<v8::Value> payload = v8::Undefined(isolate);
    auto set = [&](v8::Local<v8::Object> object, const char* key, v8::Local<v8::Value> value) {
        object->Set(context, toV8(isolate, key), value).Check();
    };
    switch (event.kind) {
    case FetchEvent::Response: {
        auto object = v8::Object::New(isolate);
        set(object, "status", v8::Integer::New(isolate, event.status));
        set(object, "statusText", latin1ToV8(isolate, event.statusText));
        set(object, "url", latin1ToV8(isolate, event.url));
        set(object, "headers", flatHeaders(isolate, context, event.headers));
        payload = object;
        break;
    }
    case FetchEvent::Chunk: {
        auto buffer = v8::ArrayBuffer::New(isolate, static_cast<size_t>(event.data.size()));
        memcpy(buffer->GetBackingStore()->Data(), event.data.constData(),
               static_cast<size_t>(event.data.size()));
        payload = v8::Uint8Array::New(buffer, 0, buffer->ByteLength());
        break;
    }
    case FetchEvent::Error: {
        auto object = v8::Object::New(isolate);
        set(object, "message", toV8(isolate, event.message));
        set(object, "code", latin1ToV8(isolate, event.code));
        payload = object;
        break;
    }
    case FetchEvent::End:
    case FetchEvent::Timer:
        break;
    }
    v8::Local<v8::Value> argv[] = {v8::Integer::New(isolate, id), toV8(isolate, kinds[event.kind]),
                                   payload};
    v8::TryCatch tryCatch(isolate);
    if (handler.As<v8::Function>()->Call(context, v8::Undefined(isolate), 3, argv).IsEmpty() &&
        tryCatch.HasCaught() && !tryCatch.HasTerminated())
        m_runtime->reportException(scope, tryCatch);
}

// --- ops ---

FetchHost& hostOf(Args args) {
    return *static_cast<FetchHost*>(args.Data().As<v8::External>()->Value());
}

void throwTypeError(v8::Isolate* isolate, const QString& message) {
    isolate->ThrowException(v8::Exception::TypeError(toV8(isolate, message)));
}

void opFetchSetHandler(Args args) {
    auto* isolate = args.GetIsolate();
    if (!args[0]->IsFunction())
        return throwTypeError(isolate, QStringLiteral("fetchSetHandler expects a function"));
    auto context = isolate->GetCurrentContext();
    JsRuntime* runtime = hostOf(args).runtime();
    if (!runtime) return;
    runtime->ops({isolate, context})->SetPrivate(context, handlerKey(isolate), args[0]).Check();
}

void opFetchStart(Args args) {
    auto* isolate = args.GetIsolate();
    auto context = isolate->GetCurrentContext();
    RequestSpec spec;
    spec.method = toLatin1(isolate, args[0]);
    spec.url = QUrl(toQString(isolate, args[1]), QUrl::StrictMode);
    const QString scheme = spec.url.scheme();
    if (!spec.url.isValid() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return throwTypeError(
            isolate,
            QStringLiteral("fetchStart: not an http(s) URL: %1").arg(toQString(isolate, args[1])));
    if (args[2]->IsArray()) {
        auto list = args[2].As<v8::Array>();
        for (uint32_t i = 0; i + 1 < list->Length(); i += 2) {
            spec.headers.append({toLatin1(isolate, list->Get(context, i).ToLocalChecked()),
                                 toLatin1(isolate, list->Get(context, i + 1).ToLocalChecked())});
        }
    }
    if (args[3]->IsArrayBufferView()) {
        auto view = args[3].As<v8::ArrayBufferView>();
        spec.body.resize(static_cast<qsizetype>(view->ByteLength()));
        view->CopyContents(spec.body.data(), view->ByteLength());
        spec.hasBody = true;
    } else if (args[3]->IsArrayBuffer()) {
        auto store = args[3].As<v8::ArrayBuffer>()->GetBackingStore();
        spec.body = QByteArray(static_cast<const char*>(store->Data()),
                               static_cast<qsizetype>(store->ByteLength()));
        spec.hasBody = true;
    }
    auto& host = hostOf(args);
    const int id = host.nextId();
    host.start(id, std::move(spec));
    args.GetReturnValue().Set(id);
}

void opFetchRead(Args args) {
    hostOf(args).read(args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0));
}

void opFetchCancel(Args args) {
    hostOf(args).cancel(args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0));
}

void opFetchTimer(Args args) {
    double ms = args[0]->NumberValue(args.GetIsolate()->GetCurrentContext()).FromMaybe(0);
    if (!(ms >= 0) || ms > 2147483647.0) ms = 0;
    auto& host = hostOf(args);
    const int id = host.nextId();
    host.startTimer(id, ms);
    args.GetReturnValue().Set(id);
}

// ArrayBuffer.prototype.transfer(), which V8 10.2 lacks: detaches `buffer` and returns a new
// ArrayBuffer over the same memory. structuredClone's transfer list is built on it, and the
// streams polyfill transfers every chunk enqueued into a byte stream (all fetch bodies).
void opTransferArrayBuffer(Args args) {
    auto* isolate = args.GetIsolate();
    if (!args[0]->IsArrayBuffer())
        return throwTypeError(isolate,
                              QStringLiteral("transferArrayBuffer expects an ArrayBuffer"));
    auto buffer = args[0].As<v8::ArrayBuffer>();
    if (!buffer->IsDetachable())
        return throwTypeError(isolate, QStringLiteral("This ArrayBuffer cannot be transferred"));
    auto store = buffer->GetBackingStore();
    buffer->Detach();
    args.GetReturnValue().Set(v8::ArrayBuffer::New(isolate, std::move(store)));
}

// V8 has no isolate-teardown callback, but it frees every ArrayBuffer backing store when
// the isolate is disposed. A private, never-exposed buffer on `ops` whose deleter owns the
// host turns that into one: the runtime's ops object lives until the isolate does.
void releaseHost(void*, size_t, void* data) {
    auto* holder = static_cast<std::shared_ptr<FetchHost>*>(data);
    (*holder)->shutdown();
    delete holder;
}

} // namespace

void installFetchOps(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    auto host = std::make_shared<FetchHost>(&runtime);
    static char anchorByte;
    auto store = v8::ArrayBuffer::NewBackingStore(&anchorByte, 1, releaseHost,
                                                  new std::shared_ptr<FetchHost>(host));
    auto anchor = v8::ArrayBuffer::New(scope.isolate, std::move(store));
    ops->SetPrivate(scope.context,
                    v8::Private::ForApi(scope.isolate, toV8(scope.isolate, "kiln.fetchHost")),
                    anchor)
        .Check();

    auto data = v8::External::New(scope.isolate, host.get());
    const struct {
        const char* name;
        v8::FunctionCallback fn;
    } table[] = {
        {"fetchSetHandler", opFetchSetHandler},
        {"fetchStart", opFetchStart},
        {"fetchRead", opFetchRead},
        {"fetchCancel", opFetchCancel},
        {"fetchTimer", opFetchTimer},
        {"transferArrayBuffer", opTransferArrayBuffer},
    };
    for (const auto& op : table) {
        auto fn = v8::FunctionTemplate::New(scope.isolate, op.fn, data)
                      ->GetFunction(scope.context)
                      .ToLocalChecked();
        fn->SetName(toV8(scope.isolate, op.name));
        ops->Set(scope.context, toV8(scope.isolate, op.name), fn).Check();
    }
}

} // namespace kiln
