// The ops worker.mjs uses to talk to its WorkerInstance: HTTP exchanges, spans, limits.

#include "engine/internal/workerinstance.h"

#include "engine/internal/opstable.h"
#include "engine/internal/textcodec.h"

#include "server/httpexchange.h"

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-template.h>
#include <v8-typed-array.h>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

HttpHeaders headerList(v8::Isolate* isolate, v8::Local<v8::Context> ctx,
                       v8::Local<v8::Value> value) {
    HttpHeaders headers;
    if (!value->IsArray()) return headers;
    auto list = value.As<v8::Array>();
    headers.reserve(list->Length());
    for (uint32_t i = 0; i < list->Length(); ++i) {
        auto pair = list->Get(ctx, i).ToLocalChecked().As<v8::Array>();
        headers.append({toLatin1(isolate, pair->Get(ctx, 0).ToLocalChecked()),
                        toLatin1(isolate, pair->Get(ctx, 1).ToLocalChecked())});
    }
    return headers;
}

// `ok`, throwing a TypeError with `message` when it is false.
bool typeChecked(v8::Isolate* isolate, bool ok, const char* message) {
    if (!ok) isolate->ThrowException(v8::Exception::TypeError(toV8(isolate, message)));
    return ok;
}

// Runs `fn` on the engine thread if the instance still exists, inside handle and context scopes.
template <typename Fn>
std::function<void()> onEngineThread(WorkerInstance* instance, std::weak_ptr<bool> alive, Fn fn) {
    return [instance, alive, fn = std::move(fn)]() mutable {
        auto flag = alive.lock();
        if (!flag || !*flag) return;
        auto& runtime = instance->runtime();
        v8::HandleScope handles(runtime.isolate());
        auto context = runtime.context();
        v8::Context::Scope contextScope(context);
        fn(JsScope{runtime.isolate(), context});
    };
}

} // namespace

int WorkerInstance::parkResolver(v8::Isolate* isolate, v8::Local<v8::Promise::Resolver> resolver) {
    const int key = m_nextResolver++;
    m_resolvers.emplace(key, v8::Global<v8::Promise::Resolver>(isolate, resolver));
    return key;
}

v8::Local<v8::Promise::Resolver> WorkerInstance::takeResolver(v8::Isolate* isolate, int key) {
    auto node = m_resolvers.extract(key);
    return node ? node.mapped().Get(isolate) : v8::Local<v8::Promise::Resolver>();
}

WorkerInstance* WorkerInstance::self(Args args) {
    return static_cast<WorkerInstance*>(args.Data().As<v8::External>()->Value());
}

std::shared_ptr<HttpExchange> WorkerInstance::exchange(Args args) {
    const int id = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0);
    auto it = m_exchanges.find(id);
    if (it == m_exchanges.end()) {
        args.GetIsolate()->ThrowException(
            v8::Exception::Error(toV8(args.GetIsolate(), "the response has already finished")));
        return nullptr;
    }
    return it->second;
}

void WorkerInstance::opSpan(Args args) {
    auto* isolate = args.GetIsolate();
    auto ctx = isolate->GetCurrentContext();
    self(args)->m_hooks.span(toQString(isolate, args[0]), args[1]->NumberValue(ctx).FromMaybe(0),
                             args[2]->NumberValue(ctx).FromMaybe(0));
}

// -> {text, retire} or null: what stopped the run, and whether the instance must go (after a
// memory limit its Python heap cannot be trusted).
void WorkerInstance::opTakeLimitHit(Args args) {
    auto* instance = self(args);
    auto* isolate = args.GetIsolate();
    if (instance->m_cpuLimitHit.exchange(false)) instance->m_limitHit = Limit::Cpu;
    const Limit limit = std::exchange(instance->m_limitHit, Limit::None);
    if (limit == Limit::None) return args.GetReturnValue().Set(v8::Null(isolate));
    auto ctx = isolate->GetCurrentContext();
    auto out = v8::Object::New(isolate);
    out->Set(ctx, toV8(isolate, "text"),
             toV8(isolate, limit == Limit::Cpu ? "its CPU time limit" : "its memory limit"))
        .Check();
    out->Set(ctx, toV8(isolate, "retire"), v8::Boolean::New(isolate, limit == Limit::Memory))
        .Check();
    args.GetReturnValue().Set(out);
}

// ops.limitHit(ops.limit.memory): the wasm heap cap refused to grow.
void WorkerInstance::opLimitHit(Args args) {
    const int which = args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0);
    self(args)->m_limitHit = which == int(Limit::Cpu) ? Limit::Cpu : Limit::Memory;
}

// Cache building (compiled stdlib, wasm serialisation) is Kiln's own work, not the worker's:
// it must not count against, or be interrupted by, the worker's CPU limit.
void WorkerInstance::opUntimedRun(Args args) {
    if (self(args)->m_hooks.untimed) self(args)->m_hooks.untimed();
}

// ops.retire(why): after a memory limit the instance's Python heap cannot be trusted, and after
// os._exit() the interpreter is gone. worker.mjs calls this (once the failing request has its
// 500, where it can still answer) and the host boots a replacement.
void WorkerInstance::opRetire(Args args) {
    self(args)->m_hooks.died(toQString(args.GetIsolate(), args[0]));
}

// ops.reportException(text): an uncaught exception of worker code, as printed.
// ops.armInterrupts(): Pyodide is up; from here on (the project's imports included) Python
// can be interrupted by the CPU watchdog or a reload.
void WorkerInstance::opArmInterrupts(Args args) {
    auto* isolate = args.GetIsolate();
    self(args)->armInterrupts(JsScope{isolate, isolate->GetCurrentContext()});
    if (self(args)->m_hooks.projectCodeBegins) self(args)->m_hooks.projectCodeBegins();
}

void WorkerInstance::opReportException(Args args) {
    self(args)->m_hooks.exception(toQString(args.GetIsolate(), args[0]));
}

void WorkerInstance::opExchangePull(Args args) {
    auto* instance = self(args);
    auto exchange = instance->exchange(args);
    if (!exchange) return;
    auto* isolate = args.GetIsolate();
    auto resolver = v8::Promise::Resolver::New(isolate->GetCurrentContext()).ToLocalChecked();
    args.GetReturnValue().Set(resolver->GetPromise());
    const int key = instance->parkResolver(isolate, resolver);
    EventLoop* loop = &instance->m_loop;
    std::weak_ptr<bool> alive = instance->m_alive;
    exchange->pullBody([instance, alive, loop, key](BodyChunk chunk) {
        loop->post(onEngineThread(
            instance, alive, [instance, key, chunk = std::move(chunk)](const JsScope& scope) {
                auto resolver = instance->takeResolver(scope.isolate, key);
                if (resolver.IsEmpty()) return;
                if (!chunk.error.isEmpty()) {
                    resolver
                        ->Reject(scope.context,
                                 v8::Exception::TypeError(toV8(scope.isolate, chunk.error)))
                        .Check();
                } else if (chunk.end && chunk.data.isEmpty()) {
                    resolver->Resolve(scope.context, v8::Null(scope.isolate)).Check();
                } else {
                    // The end flag, when it rides along with data, is seen on the next pull.
                    resolver->Resolve(scope.context, toUint8Array(scope.isolate, chunk.data))
                        .Check();
                }
            }));
    });
}

void WorkerInstance::opExchangeRespond(Args args) {
    auto exchange = self(args)->exchange(args);
    if (!exchange) return;
    auto* isolate = args.GetIsolate();
    auto ctx = isolate->GetCurrentContext();
    exchange->respond(args[1]->Int32Value(ctx).FromMaybe(500), toLatin1(isolate, args[2]),
                      headerList(isolate, ctx, args[3]));
}

// A whole response whose body is already in memory (bytes, text, JSON): respond, write and
// finish in one call, so the server thread gets one wake-up and nothing waits for a write
// acknowledgement. ops.exchangeComplete(id, status, reason, headers, bytes)
void WorkerInstance::opExchangeComplete(Args args) {
    auto* instance = self(args);
    auto exchange = instance->exchange(args);
    if (!exchange) return;
    auto* isolate = args.GetIsolate();
    auto ctx = isolate->GetCurrentContext();
    if (!typeChecked(isolate, args[4]->IsArrayBufferView(), "response body must be bytes")) return;
    instance->completeExchange(args, *exchange, args[1]->Int32Value(ctx).FromMaybe(500),
                               toLatin1(isolate, args[2]), headerList(isolate, ctx, args[3]),
                               bytesOf(args[4]));
}

// A 200 whose body is text (UTF-8 encoded here, lone surrogates as U+FFFD, as a JS Response
// encodes a string body): what worker.mjs sends for a Response Python made from text alone,
// without a JS Response being made for it.
void WorkerInstance::opExchangeCompleteText(Args args) {
    auto* instance = self(args);
    auto exchange = instance->exchange(args);
    if (!exchange) return;
    auto* isolate = args.GetIsolate();
    if (!typeChecked(isolate, args[2]->IsString(), "response text must be a string")) return;
    const QByteArray body = encodeUtf8(isolate, args[2]);
    instance->completeExchange(
        args, *exchange, 200, {},
        {{QByteArrayLiteral("content-type"), toLatin1(isolate, args[1])},
         {QByteArrayLiteral("content-length"), QByteArray::number(body.size())}},
        body);
}

void WorkerInstance::completeExchange(Args args, HttpExchange& exchange, int status,
                                      const QByteArray& reason, const HttpHeaders& headers,
                                      const QByteArray& body) {
    exchange.respond(status, reason, headers);
    if (!body.isEmpty()) exchange.write(body);
    exchange.finish();
    dropExchange(args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0));
}

void WorkerInstance::opExchangeWrite(Args args) {
    auto* instance = self(args);
    auto exchange = instance->exchange(args);
    if (!exchange) return;
    auto* isolate = args.GetIsolate();
    if (!typeChecked(isolate, args[1]->IsArrayBufferView(), "response body chunks must be bytes"))
        return;
    const QByteArray chunk = bytesOf(args[1]);
    auto resolver = v8::Promise::Resolver::New(isolate->GetCurrentContext()).ToLocalChecked();
    args.GetReturnValue().Set(resolver->GetPromise());
    const int key = instance->parkResolver(isolate, resolver);
    EventLoop* loop = &instance->m_loop;
    std::weak_ptr<bool> alive = instance->m_alive;
    exchange->write(chunk, [instance, alive, loop, key] {
        loop->post(onEngineThread(instance, alive, [instance, key](const JsScope& scope) {
            auto resolver = instance->takeResolver(scope.isolate, key);
            if (!resolver.IsEmpty())
                resolver->Resolve(scope.context, v8::Undefined(scope.isolate)).Check();
        }));
    });
}

void WorkerInstance::opExchangeFinish(Args args) {
    auto* instance = self(args);
    if (auto exchange = instance->exchange(args)) {
        exchange->finish();
        instance->dropExchange(
            args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0));
    }
}

void WorkerInstance::opExchangeAbort(Args args) {
    auto* instance = self(args);
    if (auto exchange = instance->exchange(args)) {
        exchange->abort();
        instance->dropExchange(
            args[0]->Int32Value(args.GetIsolate()->GetCurrentContext()).FromMaybe(0));
    }
}

// ops.exchangeAcceptWebSocket(id, headers, events): the worker answered with a WebSocket; the
// server sends the 101 and from then on `events("message", data)` (a string, or a Uint8Array
// for a binary message) and `events("close", code, reason, wasClean)` carry what the client
// sends. A request that was not a WebSocket handshake gets workerd's TypeError.
void WorkerInstance::opExchangeAcceptWebSocket(Args args) {
    auto* instance = self(args);
    auto* isolate = args.GetIsolate();
    auto ctx = isolate->GetCurrentContext();
    const int id = args[0]->Int32Value(ctx).FromMaybe(0);
    auto exchange = instance->exchange(args);
    if (!exchange) return;
    if (!typeChecked(isolate, exchange->wantsWebSocket() && args[2]->IsFunction(),
                     "Worker tried to return a WebSocket in a response to a request which did "
                     "not contain the header \"Upgrade: websocket\"."))
        return;
    instance->dropExchange(id);
    auto& ws = instance->m_webSockets[id];
    ws.exchange = exchange;
    ws.events.Reset(isolate, args[2].As<v8::Function>());
    EventLoop* loop = &instance->m_loop;
    std::weak_ptr<bool> alive = instance->m_alive;
    // Server thread -> engine thread; the JS function is found again by id (it may be gone).
    auto toWorker =
        [instance, alive, loop,
         id](std::function<void(const JsScope&, std::vector<v8::Local<v8::Value>>&)> args,
             bool last) {
            loop->post(
                onEngineThread(instance, alive, [instance, id, args, last](const JsScope& s) {
                    auto it = instance->m_webSockets.find(id);
                    if (it == instance->m_webSockets.end()) return;
                    auto fn = it->second.events.Get(s.isolate);
                    if (last) instance->m_webSockets.erase(it);
                    std::vector<v8::Local<v8::Value>> argv;
                    args(s, argv);
                    v8::TryCatch tryCatch(s.isolate);
                    if (fn->Call(s.context, v8::Undefined(s.isolate), int(argv.size()), argv.data())
                            .IsEmpty())
                        instance->m_runtime.reportException(s, tryCatch);
                }));
        };
    WebSocketSink sink;
    sink.message = [toWorker](bool binary, QByteArray data) {
        toWorker(
            [binary, data](const JsScope& s, std::vector<v8::Local<v8::Value>>& argv) {
                argv.push_back(toV8(s.isolate, "message"));
                if (binary)
                    argv.push_back(toUint8Array(s.isolate, data));
                else
                    argv.push_back(toV8(s.isolate, QString::fromUtf8(data)));
            },
            false);
    };
    sink.closed = [toWorker](int code, QByteArray reason, bool clean) {
        toWorker(
            [code, reason, clean](const JsScope& s, std::vector<v8::Local<v8::Value>>& argv) {
                argv.push_back(toV8(s.isolate, "close"));
                argv.push_back(v8::Integer::New(s.isolate, code));
                argv.push_back(toV8(s.isolate, QString::fromUtf8(reason)));
                argv.push_back(v8::Boolean::New(s.isolate, clean));
            },
            true);
    };
    exchange->acceptWebSocket(headerList(isolate, ctx, args[1]), std::move(sink));
}

// ops.webSocketSend(id, data): a string (a text message) or bytes. Ignored once the
// WebSocket has closed, as workerd ignores a send after the connection is gone.
void WorkerInstance::opWebSocketSend(Args args) {
    auto* instance = self(args);
    auto* isolate = args.GetIsolate();
    auto it =
        instance->m_webSockets.find(args[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0));
    if (it == instance->m_webSockets.end()) return;
    WebSocketOutgoing out;
    if (args[1]->IsArrayBufferView()) {
        out.kind = WebSocketOutgoing::Kind::Binary;
        out.data = bytesOf(args[1]);
    } else {
        out.data = toQString(isolate, args[1]).toUtf8();
    }
    it->second.exchange->sendWebSocket(std::move(out));
}

// ops.webSocketClose(id, code, reason): 1005 sends a close frame without a status.
void WorkerInstance::opWebSocketClose(Args args) {
    auto* instance = self(args);
    auto* isolate = args.GetIsolate();
    auto ctx = isolate->GetCurrentContext();
    auto it = instance->m_webSockets.find(args[0]->Int32Value(ctx).FromMaybe(0));
    if (it == instance->m_webSockets.end()) return;
    it->second.exchange->sendWebSocket({WebSocketOutgoing::Kind::Close,
                                        toQString(isolate, args[2]).toUtf8(),
                                        args[1]->Int32Value(ctx).FromMaybe(1005)});
}

void WorkerInstance::installOps(const JsScope& scope) {
    auto ops = m_runtime.ops(scope);
    installOpTable(scope, ops, this,
                   {
                       {"span", opSpan},
                       {"takeLimitHit", opTakeLimitHit},
                       {"limitHit", opLimitHit},
                       {"retire", opRetire},
                       {"reportException", opReportException},
                       {"armInterrupts", opArmInterrupts},
                       {"untimedRun", opUntimedRun},
                       {"exchangePull", opExchangePull},
                       {"exchangeRespond", opExchangeRespond},
                       {"exchangeComplete", opExchangeComplete},
                       {"exchangeCompleteText", opExchangeCompleteText},
                       {"exchangeWrite", opExchangeWrite},
                       {"exchangeFinish", opExchangeFinish},
                       {"exchangeAbort", opExchangeAbort},
                       {"exchangeAcceptWebSocket", opExchangeAcceptWebSocket},
                       {"webSocketSend", opWebSocketSend},
                       {"webSocketClose", opWebSocketClose},
                   });
    auto limits = v8::Object::New(scope.isolate);
    limits
        ->Set(scope.context, toV8(scope.isolate, "cpu"),
              v8::Integer::New(scope.isolate, int(Limit::Cpu)))
        .Check();
    limits
        ->Set(scope.context, toV8(scope.isolate, "memory"),
              v8::Integer::New(scope.isolate, int(Limit::Memory)))
        .Check();
    ops->Set(scope.context, toV8(scope.isolate, "limit"), limits).Check();
    for (auto& binding : m_bindings)
        binding->install(scope, ops);
}

} // namespace kiln
