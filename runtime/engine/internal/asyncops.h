#pragma once

#include "engine/eventloop.h"
#include "engine/internal/jsruntime.h"

#include <QThreadPool>

#include <v8-context.h>
#include <v8-promise.h>

#include <map>
#include <memory>

namespace kiln {

// Promises settled by work done off the engine thread (binding stores: SQLite reads and
// fsynced writes must not stall the event loop). run() hands `work` to a pool thread and
// returns the promise; the result travels back through the loop, where `settle` resolves
// or rejects it. Closures that cross threads carry only an integer key, never a V8 handle,
// so nothing V8 outlives the isolate; results for a dead instance are dropped.
class AsyncOps {
public:
    AsyncOps(EventLoop& loop, JsRuntime& runtime)
        : m_loop(loop)
        , m_runtime(runtime) {}
    ~AsyncOps() { *m_alive = false; }
    AsyncOps(const AsyncOps&) = delete;
    AsyncOps& operator=(const AsyncOps&) = delete;

    // work: () -> T on a pool thread. settle: (const JsScope&, Resolver, T&&) on the engine thread.
    template <typename Work, typename Settle>
    v8::Local<v8::Promise> run(const JsScope& scope, Work work, Settle settle) {
        auto resolver = v8::Promise::Resolver::New(scope.context).ToLocalChecked();
        const int key = m_nextKey++;
        m_pending.emplace(key, v8::Global<v8::Promise::Resolver>(scope.isolate, resolver));
        std::weak_ptr<bool> alive = m_alive;
        EventLoop* loop = &m_loop; // outlives every instance; `this` may not outlive the work
        QThreadPool::globalInstance()->start(
            [this, loop, alive, key, work = std::move(work), settle = std::move(settle)]() mutable {
                auto result = std::make_shared<decltype(work())>(work());
                loop->post([this, alive, key, result, settle = std::move(settle)]() mutable {
                    auto flag = alive.lock();
                    if (!flag || !*flag) return;
                    v8::HandleScope handles(m_runtime.isolate());
                    auto context = m_runtime.context();
                    v8::Context::Scope contextScope(context);
                    auto node = m_pending.extract(key);
                    if (node)
                        settle(JsScope{m_runtime.isolate(), context},
                               node.mapped().Get(m_runtime.isolate()), std::move(*result));
                });
            });
        return resolver->GetPromise();
    }

    // The same contract, done at once on the engine thread: for short reads (a KV get, a
    // SELECT), where the two thread hops would cost more than the work. The promise is
    // already settled when the caller gets it.
    template <typename Work, typename Settle>
    v8::Local<v8::Promise> runNow(const JsScope& scope, Work work, Settle settle) {
        auto resolver = v8::Promise::Resolver::New(scope.context).ToLocalChecked();
        settle(scope, resolver, work());
        return resolver->GetPromise();
    }

private:
    EventLoop& m_loop;
    JsRuntime& m_runtime;
    std::map<int, v8::Global<v8::Promise::Resolver>> m_pending;
    int m_nextKey = 1;
    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

} // namespace kiln
