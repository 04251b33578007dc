#pragma once

#include "bindings/hostbinding.h"
#include "engine/incominghead.h"
#include "engine/internal/asyncops.h"
#include "engine/internal/jsruntime.h"
#include "engine/worker.h"
#include "server/httptypes.h"

#include <v8-promise.h>

#include <QJsonObject>

#include <atomic>
#include <functional>
#include <map>
#include <memory>

namespace kiln {

class HttpExchange;

// One booted Pyodide instance on the engine thread: the isolate, the worker.mjs module, the
// exchanges in flight and the ops that connect them. Thrown away whole when it dies.
class WorkerInstance {
public:
    struct Hooks {
        std::function<void(LogLevel, LogSource, const QString&)> log;
        std::function<void(const QString& text)> exception; // logs it too
        std::function<void(const QString& name, double start, double end)> span;
        std::function<void(const QString& why)> died; // replace me (why: a sentence)
        std::function<void()> untimed;                // the current run is host work
        std::function<void()> projectCodeBegins;      // Pyodide is up: the project's own code runs
    };

    WorkerInstance(EventLoop& loop, const WorkerOptions& options, const WorkerSinks& sinks,
                   Hooks hooks);
    ~WorkerInstance();

    // Boots asynchronously; `done(error, startedFrom)`: error is empty on success, and
    // startedFrom names the snapshot restored ("package snapshot"), empty for a full boot.
    void boot(std::function<void(const QString& error, const QString& startedFrom)> done);
    // This start replaces an instance after an edit: it makes no dedicated snapshot.
    void setReload(bool reload) { m_reload = reload; }
    // boot() stops once Pyodide is up (restored from the package snapshot at most), before the
    // project's files: the instance waits as a spare until activate() finishes it.
    void setSpare(bool spare) { m_spare = spare; }
    // A spare's start with the project as the options now give it. `stale`: the edit changed
    // what the spare was restored from; nothing ran and the instance is to be dropped.
    using StartDone =
        std::function<void(bool stale, const QString& error, const QString& startedFrom)>;
    void activate(StartDone done);
    // After activate(), once the instance replaced is gone: workflow runs resume here.
    void startBackground();
    void serve(IncomingRequest request);
    void scheduled(const QString& cron, const QDateTime& scheduledTime,
                   std::function<void(bool ok)> done);

    JsRuntime& runtime() { return m_runtime; }
    // Answers every request still in flight with a 500 naming `why` (one whose response has
    // begun is cut off instead): the instance is being thrown away.
    void failInFlight(const QString& why);
    // Requests this instance has taken and not answered yet; any thread.
    int requestsInFlight() const { return m_inFlight.load(std::memory_order_relaxed); }
    // Any thread (the CPU watchdog): ask Python to stop with KeyboardInterrupt through
    // Pyodide's interrupt buffer, and remember why for the response.
    void interruptForCpuLimit();
    // Any thread: stop the running Python code with KeyboardInterrupt. Asked before Pyodide
    // is up, armInterrupts delivers it.
    void interrupt();
    // Any thread: this instance is being replaced (a reload during a startup that does not
    // end); interrupt it now and on every interruptIfAbandoned, since Pyodide can lose one
    // interrupt (see CpuWatchdog).
    void abandon() {
        m_abandoned.store(true);
        interrupt();
    }
    void interruptIfAbandoned() {
        if (m_abandoned.load(std::memory_order_relaxed)) interrupt();
    }
    // Engine thread, between runs: withdraws an interrupt Python has not consumed.
    void clearInterrupt() {
        if (int32_t* word = m_interruptWord.load()) __atomic_store_n(word, 0, __ATOMIC_SEQ_CST);
    }
    // Whether the CPU limit interrupted code since the last call (startup errors say so).
    bool takeCpuLimitHit() { return m_cpuLimitHit.exchange(false); }

private:
    void installOps(const JsScope& scope);
    static WorkerInstance* self(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opSpan(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opTakeLimitHit(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opLimitHit(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opRetire(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opReportException(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opArmInterrupts(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opUntimedRun(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangePull(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeRespond(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeComplete(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeCompleteText(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeWrite(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeFinish(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeAbort(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opExchangeAcceptWebSocket(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opWebSocketSend(const v8::FunctionCallbackInfo<v8::Value>& args);
    static void opWebSocketClose(const v8::FunctionCallbackInfo<v8::Value>& args);
    std::shared_ptr<HttpExchange> exchange(const v8::FunctionCallbackInfo<v8::Value>& args);
    QJsonObject bootConfig() const;
    void runStart(const JsScope& scope, const char* entry, StartDone done);
    void armInterrupts(const JsScope& scope);
    // Writes the compiled wasm to the code cache `ms` from now if it has grown (wasmcache.h):
    // after the start and after the first request, by when the optimising tier has compiled
    // what they ran.
    void refreshWasmCacheAfter(double ms);
    static constexpr double kWasmCacheRefreshMs = 1500;
    // After a burst of requests the JS heap holds their garbage (up to ~50 MB with 32 in
    // flight), and V8's memory reducer collects at rest only sometimes: once no request has
    // come for a while and none is in flight, collect it and give its pages back. Checked
    // every 10 s while requests come (`seen`: m_nextExchange at the last check).
    void collectWhenIdle(int seen);
    bool m_idleCollectArmed = false;
    v8::Local<v8::Function> exported(const JsScope& scope, const char* name);
    v8::MaybeLocal<v8::Value> callExport(const JsScope& scope, const char* name, int argc,
                                         v8::Local<v8::Value>* argv);

    EventLoop& m_loop;
    const WorkerOptions& m_options;
    Hooks m_hooks;
    JsRuntime m_runtime;
    // Declared after m_runtime: destroyed first, while the isolate still exists.
    AsyncOps m_async{m_loop, m_runtime};
    std::vector<std::unique_ptr<HostBinding>> m_bindings;
    v8::Global<v8::Object> m_module;
    // worker.mjs's serveExchange, looked up once (a lookup by name costs ~2 us a request).
    v8::Global<v8::Function> m_serveExchange;
    std::map<int, std::shared_ptr<HttpExchange>> m_exchanges;
    // Exchanges answered with a 101: open WebSockets (not requests in flight; a reload does not
    // wait for them). `events` is worker.mjs's function for what the client sends.
    struct OpenWebSocket {
        std::shared_ptr<HttpExchange> exchange;
        v8::Global<v8::Function> events;
    };
    std::map<int, OpenWebSocket> m_webSockets;
    std::atomic<int> m_inFlight{0}; // m_exchanges.size(), readable from the watchdog thread
    // Per request in flight: set once it ended without a response (the client went away), so
    // its D1 queries stop. Found through the continuation data serve() gives the request's JS.
    std::map<int, std::shared_ptr<std::atomic<bool>>> m_cancels;
    std::shared_ptr<const std::atomic<bool>> requestCancel(const JsScope& scope) const;
    // Respond, write and finish in one go (one wake-up of the server thread); forgets args[0].
    void completeExchange(const v8::FunctionCallbackInfo<v8::Value>& args, HttpExchange& exchange,
                          int status, const QByteArray& reason, const HttpHeaders& headers,
                          const QByteArray& body);
    void dropExchange(int id) {
        m_cancels.erase(id);
        m_exchanges.erase(id);
        m_inFlight.store(int(m_exchanges.size()), std::memory_order_relaxed);
    }
    // Promises waiting on the server thread. Closures posted across threads carry only the
    // key, so no V8 handle can outlive the isolate inside a queued task.
    std::map<int, v8::Global<v8::Promise::Resolver>> m_resolvers;
    int m_nextResolver = 1;
    int parkResolver(v8::Isolate* isolate, v8::Local<v8::Promise::Resolver> resolver);
    v8::Local<v8::Promise::Resolver> takeResolver(v8::Isolate* isolate, int key);
    int m_nextExchange = 1;
    bool m_reload = false;
    bool m_spare = false;
    // Why the current run was stopped, for the response (worker.mjs asks via takeLimitHit).
    enum class Limit { None, Cpu, Memory };
    Limit m_limitHit = Limit::None;
    std::atomic<int32_t*> m_interruptWord{nullptr};
    std::atomic<bool> m_cpuLimitHit{false};
    std::atomic<bool> m_interruptRequested{false};
    std::atomic<bool> m_abandoned{false};
    v8::Global<v8::Value> m_interruptBuffer; // keeps the SharedArrayBuffer alive
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace kiln
