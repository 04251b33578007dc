#include "engine/internal/workerinstance.h"

#include "engine/incominghead.h"
#include "engine/internal/hostfunctions.h"

#include "engine/internal/moduleloader.h"

#include "engine/internal/prelude.h"
#include "engine/internal/wasmcache.h"
#include "engine/sharedir.h"
#include "project/compatibility.h"
#include "server/httpexchange.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <v8-array-buffer.h>
#include <v8-container.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-json.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-promise.h>
#include <v8-statistics.h>
#include <v8-template.h>
#include <v8-typed-array.h>

namespace kiln {

namespace {

// Cloudflare gives an isolate 128 MB in all; Pyodide's own objects live in the wasm heap
// (capped separately), so the JS heap proper gets a fixed allowance.
constexpr size_t kJsHeapLimitBytes = 256u * 1024 * 1024;

// A file other than Python source past this is left out: Cloudflare refuses a Worker over
// 10 MB (compressed) anyway, and copying it into the Pyodide file system costs memory and boot
// time (a 600 MB data file once made a 10 s boot and 1.3 GB of RSS).
constexpr qint64 kMaxDataFileBytes = 10 * 1024 * 1024;

// Files under `dir` as [fsPath, hostPath] pairs. Caches and hidden folders stay out: they
// would not be uploaded to Cloudflare either. With `confine` set (the project's canonical
// folder), a file that resolves outside it (a symlink to /etc/shadow, say) is left out and
// reported: worker code reaches the project's files and nothing else of the machine.
void collectFiles(const QString& dir, const QString& fsPrefix, QJsonArray& out,
                  const QString& confine = {},
                  const std::function<void(const QString&)>& warn = {}) {
    QDirIterator it(dir, QDir::Files | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString rel = QDir(dir).relativeFilePath(path);
        if (rel.contains(QLatin1String("__pycache__")) || rel.startsWith(QLatin1Char('.')) ||
            rel.contains(QLatin1String("/.")) || rel.startsWith(QLatin1String("python_modules/")))
            continue;
        if (!confine.isEmpty()) {
            const QFileInfo info(path);
            if (!resolvesInside(path, confine)) {
                warn(QStringLiteral("%1 is left out of the worker: it resolves to %2, outside the "
                                    "project folder")
                         .arg(path, info.canonicalFilePath()));
                continue;
            }
            if (info.size() > kMaxDataFileBytes && info.suffix() != QLatin1String("py")) {
                warn(QStringLiteral("%1 (%2 MB) is left out of the worker: files over 10 MB would "
                                    "not fit in a deployed Worker either")
                         .arg(path)
                         .arg(info.size() / (1024 * 1024)));
                continue;
            }
        }
        out.append(QJsonArray{fsPrefix.isEmpty() ? rel : fsPrefix + QLatin1Char('/') + rel, path});
    }
}

v8::Local<v8::Value> jsonToV8(const JsScope& scope, const QJsonObject& object) {
    const QByteArray text = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return v8::JSON::Parse(scope.context, toV8(scope.isolate, QString::fromUtf8(text)))
        .ToLocalChecked();
}

// The compatibility flags the SDK and the engines read, as the date and flags set them.
QJsonObject compatFlags(const ProjectConfig& project) {
    const QDate date = QDate::fromString(project.compatibilityDate, Qt::ISODate);
    QJsonObject out;
    for (const char* flag :
         {"python_workflows_implicit_dependencies",
          "workflows_preserve_non_retryable_error_message", "python_dedicated_snapshot",
          "python_process_pth_files", "web_socket_auto_reply_to_close",
          "websocket_standard_binary_type", "websocket_close_reason_byte_limit"})
        out.insert(QLatin1String(flag),
                   compatibilityFlagEnabled(QLatin1String(flag), date, project.compatibilityFlags));
    return out;
}

// Node.js's `process` global, when the date and flags give one: null, or {env: {...}} with
// the text bindings (string vars and secrets) when they populate it.
QJsonValue nodeProcess(const ProjectConfig& project) {
    const NodeProcessGlobal global = nodeProcessGlobal(
        QDate::fromString(project.compatibilityDate, Qt::ISODate), project.compatibilityFlags);
    if (!global.present) return QJsonValue::Null;
    QJsonObject env;
    if (global.populateEnv)
        for (auto it = project.vars.begin(); it != project.vars.end(); ++it)
            if (it.value().isString()) env.insert(it.key(), it.value());
    return QJsonObject{{QStringLiteral("env"), env}};
}

} // namespace

WorkerInstance::WorkerInstance(EventLoop& loop, const WorkerOptions& options,
                               const WorkerSinks& sinks, Hooks hooks)
    : m_loop(loop)
    , m_options(options)
    , m_hooks(std::move(hooks))
    , m_runtime(loop,
                {[this](LogLevel level, LogSource source, const QString& text) {
                     m_hooks.log(level, source, text);
                 },
                 kJsHeapLimitBytes,
                 [this] { m_hooks.died(QStringLiteral("Worker exceeded its memory limit")); }})
    , m_bindings(
          makeHostBindings({m_async, options.persistDir, sinks.storeChanged, sinks.workflowActivity,
                            [this](const JsScope& scope) { return requestCancel(scope); }})) {}

std::shared_ptr<const std::atomic<bool>> WorkerInstance::requestCancel(const JsScope& scope) const {
    auto data = scope.context->GetContinuationPreservedEmbedderData();
    if (!data->IsInt32()) return nullptr;
    auto it = m_cancels.find(data.As<v8::Int32>()->Value());
    return it == m_cancels.end() ? nullptr : it->second;
}

void WorkerInstance::failInFlight(const QString& why) {
    const QByteArray body = "The worker instance ended before answering: " + why.toUtf8() + ".\n";
    m_cancels.clear();
    for (auto& [id, exchange] : std::exchange(m_exchanges, {})) {
        if (exchange->responseStarted()) {
            exchange->abort(); // part of a response went out: the client must see it cut
            continue;
        }
        exchange->respond(500, "Internal Server Error",
                          {{"content-type", "text/plain;charset=UTF-8"},
                           {"content-length", QByteArray::number(body.size())}});
        exchange->write(body);
        exchange->finish();
    }
    m_inFlight.store(0, std::memory_order_relaxed);
}

WorkerInstance::~WorkerInstance() {
    *m_alive = false;
    m_runtime.recordSnapshotPages(); // stopped before its first request was over
    for (auto& [id, exchange] : m_exchanges)
        exchange->abort();
    // 1001 "going away": the client may reconnect to the instance that replaces this one (1012,
    // "service restart", would say it better, but RFC 6455 clients such as Qt refuse it).
    for (auto& [id, ws] : m_webSockets)
        ws.exchange->sendWebSocket(
            {WebSocketOutgoing::Kind::Close, "the worker was reloaded or restarted", 1001});
    m_webSockets.clear();
    m_resolvers.clear();
    m_module.Reset();
    m_serveExchange.Reset();
    m_interruptBuffer.Reset();
}

QJsonObject WorkerInstance::bootConfig() const {
    const auto& project = m_options.project;
    QJsonArray sdkFiles;
    collectFiles(shareDir() + QStringLiteral("/python"), QString(), sdkFiles);
    QJsonArray projectFiles;
    const QString confine = QFileInfo(project.rootDir).canonicalFilePath();
    const auto warn = [this](const QString& text) {
        m_hooks.log(LogLevel::Warn, LogSource::Kiln, text);
    };
    collectFiles(project.importRoot, project.importRoot, projectFiles, confine, warn);
    if (!project.pythonModulesDir.isEmpty())
        collectFiles(project.pythonModulesDir, project.pythonModulesDir, projectFiles, confine,
                     warn);
    QJsonArray kvNamespaces;
    for (const auto& ns : project.kvNamespaces)
        kvNamespaces.append(
            QJsonObject{{QStringLiteral("binding"), ns.binding}, {QStringLiteral("id"), ns.id}});
    QJsonArray d1Databases;
    for (const auto& db : project.d1Databases)
        d1Databases.append(QJsonObject{{QStringLiteral("binding"), db.binding},
                                       {QStringLiteral("id"), db.databaseId}});
    QJsonArray r2Buckets;
    for (const auto& bucket : project.r2Buckets)
        r2Buckets.append(QJsonObject{{QStringLiteral("binding"), bucket.binding},
                                     {QStringLiteral("bucket"), bucket.bucketName}});
    QJsonArray workflows;
    for (const auto& wf : project.workflows)
        workflows.append(QJsonObject{{QStringLiteral("binding"), wf.binding},
                                     {QStringLiteral("name"), wf.name},
                                     {QStringLiteral("className"), wf.className}});
    const QString tier = qEnvironmentVariable("KILN_SNAPSHOT_TIER", QStringLiteral("dedicated"));
    return QJsonObject{
        {QStringLiteral("pyodideDir"), shareDir() + QStringLiteral("/pyodide/")},
        {QStringLiteral("sdkFiles"), sdkFiles},
        {QStringLiteral("projectFiles"), projectFiles},
        {QStringLiteral("importRoot"), project.importRoot},
        {QStringLiteral("pythonModulesDir"), project.pythonModulesDir},
        {QStringLiteral("mainModule"), project.mainModule},
        {QStringLiteral("vars"), project.vars},
        {QStringLiteral("kvNamespaces"), kvNamespaces},
        {QStringLiteral("d1Databases"), d1Databases},
        {QStringLiteral("r2Buckets"), r2Buckets},
        {QStringLiteral("workflows"), workflows},
        // What workerd's `_cloudflare_compat_flags` module answers for the flags the Python
        // SDK reads; the date implies them as it does on Cloudflare.
        {QStringLiteral("compatFlags"), compatFlags(m_options.project)},
        {QStringLiteral("nodeProcess"), nodeProcess(m_options.project)},
        // KILN_NO_SNAPSHOT=1 (kiln profile's "code cache" mode) or no cache at all: boot
        // Pyodide for real, and make no snapshot either.
        {QStringLiteral("snapshots"), qEnvironmentVariableIntValue("KILN_NO_SNAPSHOT") != 1 &&
                                          qEnvironmentVariableIntValue("KILN_NO_CODE_CACHE") != 1},
        // The highest snapshot tier used and made (kiln profile's modes): baseline, package or
        // dedicated (the default).
        // A spare restores the package tier at most: a dedicated one holds the old main module.
        {QStringLiteral("snapshotTier"),
         m_spare && tier == QLatin1String("dedicated") ? QStringLiteral("package") : tier},
        {QStringLiteral("reload"), m_reload || m_spare},
        // `kiln profile` times imports: CPython's -X importtime, printed to stderr.
        {QStringLiteral("pythonEnv"),
         qEnvironmentVariableIntValue("KILN_PYTHON_IMPORTTIME") == 1
             ? QJsonObject{{QStringLiteral("PYTHONPROFILEIMPORTTIME"), QStringLiteral("1")}}
             : QJsonObject{}},
        {QStringLiteral("memoryLimitBytes"), static_cast<double>(m_options.memoryLimitBytes)},
    };
}

v8::Local<v8::Function> WorkerInstance::exported(const JsScope& scope, const char* name) {
    auto module = m_module.Get(scope.isolate);
    return module->Get(scope.context, toV8(scope.isolate, name))
        .ToLocalChecked()
        .As<v8::Function>();
}

v8::MaybeLocal<v8::Value> WorkerInstance::callExport(const JsScope& scope, const char* name,
                                                     int argc, v8::Local<v8::Value>* argv) {
    return exported(scope, name)->Call(scope.context, v8::Undefined(scope.isolate), argc, argv);
}

void WorkerInstance::boot(std::function<void(const QString&, const QString&)> done) {
    v8::HandleScope handles(m_runtime.isolate());
    JsScope scope{m_runtime.isolate(), m_runtime.context()};
    v8::Context::Scope contextScope(scope.context);
    v8::TryCatch tryCatch(scope.isolate);
    auto fail = [&](const QString& what) {
        QString detail =
            tryCatch.HasCaught() ? toQString(scope.isolate, tryCatch.Exception()) : QString();
        done(what + (detail.isEmpty() ? QString() : QStringLiteral(": ") + detail), {});
    };
    // Pyodide's glue and its code cache get ready on another thread while the prelude and
    // worker.mjs load (worker.mjs imports the glue ~13 ms from now).
    ModuleLoader::from(scope.isolate)
        ->loadAhead(shareDir() + QStringLiteral("/pyodide/pyodide.asm.mjs"));
    installOps(scope);
    const double preludeStart = hostNowMs();
    if (!installPrelude(scope, m_runtime))
        return fail(QStringLiteral("cannot start the JS prelude"));
    const double preludeEnd = hostNowMs();
    m_hooks.span(QStringLiteral("JS prelude"), preludeStart, preludeEnd);
    // A dynamic import hands back the module namespace once it has evaluated.
    const QString path = shareDir() + QStringLiteral("/js/worker.mjs");
    const QString script =
        QStringLiteral("import(%1)")
            .arg(QString::fromUtf8(QJsonDocument(QJsonArray{path}).toJson(QJsonDocument::Compact))
                     .mid(1)
                     .chopped(1));
    v8::Local<v8::Value> importPromise;
    if (!m_runtime.runScript(scope, script, QStringLiteral("kiln:boot")).ToLocal(&importPromise))
        return fail(QStringLiteral("cannot import %1").arg(path));
    auto alive = m_alive;
    m_runtime.whenSettled(
        scope, importPromise.As<v8::Promise>(),
        [this, alive, done, preludeEnd](const JsScope& s, bool ok, v8::Local<v8::Value> value) {
            if (!*alive) return;
            if (!ok)
                return done(
                    QStringLiteral("cannot load worker.mjs: ") + toQString(s.isolate, value), {});
            m_module.Reset(s.isolate, value.As<v8::Object>());
            m_hooks.span(QStringLiteral("load worker.mjs"), preludeEnd, hostNowMs());
            runStart(s, m_spare ? "prepareSpare" : "boot",
                     [done](bool, const QString& error, const QString& startedFrom) {
                         done(error, startedFrom);
                     });
        });
}

void WorkerInstance::activate(StartDone done) {
    v8::HandleScope handles(m_runtime.isolate());
    JsScope scope{m_runtime.isolate(), m_runtime.context()};
    v8::Context::Scope contextScope(scope.context);
    m_spare = false;
    m_reload = true; // like any reload: no dedicated snapshot per edit
    runStart(scope, "activate", std::move(done));
}

void WorkerInstance::startBackground() {
    v8::HandleScope handles(m_runtime.isolate());
    JsScope scope{m_runtime.isolate(), m_runtime.context()};
    v8::Context::Scope contextScope(scope.context);
    v8::TryCatch tryCatch(scope.isolate);
    if (callExport(scope, "startBackground", 0, nullptr).IsEmpty())
        m_runtime.reportException(scope, tryCatch);
}

// Calls worker.mjs's `entry(config)` and reports how its promise settled: a string names the
// snapshot restored, null (from `activate`) says the spare no longer fits the project.
void WorkerInstance::runStart(const JsScope& scope, const char* entry, StartDone done) {
    v8::Local<v8::Value> argv[] = {jsonToV8(scope, bootConfig())};
    v8::TryCatch tc(scope.isolate);
    v8::Local<v8::Value> starting;
    if (!callExport(scope, entry, 1, argv).ToLocal(&starting))
        return done(false, toQString(scope.isolate, tc.Exception()), {});
    auto alive = m_alive;
    m_runtime.whenSettled(
        scope, starting.As<v8::Promise>(),
        [this, alive, done](const JsScope& s, bool ok, v8::Local<v8::Value> v) {
            if (!*alive) return;
            if (ok) {
                if (v->IsNull()) return done(true, {}, {});
                m_runtime.writeCodeCaches();
                // Soon, for a first run that is stopped early, then once the optimising tier
                // has caught up with what the start ran.
                refreshWasmCacheAfter(kWasmCacheRefreshMs / 5);
                refreshWasmCacheAfter(kWasmCacheRefreshMs);
                return done(false, QString(), v->IsString() ? toQString(s.isolate, v) : QString());
            }
            QString text = toQString(s.isolate, v);
            v8::Local<v8::Value> message;
            if (v->IsObject() &&
                v.As<v8::Object>()->Get(s.context, toV8(s.isolate, "message")).ToLocal(&message) &&
                message->IsString())
                text = toQString(s.isolate, message);
            done(false, text.trimmed(), {});
        });
}

void WorkerInstance::armInterrupts(const JsScope& scope) {
    v8::Local<v8::Value> buffer;
    if (!callExport(scope, "interruptBuffer", 0, nullptr).ToLocal(&buffer) ||
        !buffer->IsInt32Array())
        return;
    auto view = buffer.As<v8::Int32Array>();
    m_interruptBuffer.Reset(scope.isolate, view);
    m_interruptWord = reinterpret_cast<int32_t*>(
        static_cast<char*>(view->Buffer()->GetBackingStore()->Data()) + view->ByteOffset());
    if (m_interruptRequested.load())
        __atomic_store_n(m_interruptWord.load(), 2, __ATOMIC_SEQ_CST); // asked for meanwhile
}

void WorkerInstance::interruptForCpuLimit() {
    m_cpuLimitHit = true;
    interrupt();
}

void WorkerInstance::interrupt() {
    // Before Pyodide is up there is no buffer yet: armInterrupts delivers it then.
    m_interruptRequested.store(true);
    if (int32_t* word = m_interruptWord.load())
        __atomic_store_n(word, 2, __ATOMIC_SEQ_CST); // 2 = SIGINT, as Pyodide expects
}

void WorkerInstance::refreshWasmCacheAfter(double ms) {
    m_loop.postDelayed(
        ms,
        [this, ms, alive = m_alive] {
            if (!*alive) return;
            m_hooks.untimed(); // host work, not the worker's CPU time
            if (ms >= kWasmCacheRefreshMs) m_runtime.recordSnapshotPages(); // no request yet
            if (refreshWasmCaches())
                m_hooks.log(LogLevel::Debug, LogSource::Kiln,
                            QStringLiteral("stored the compiled wasm in the code cache"));
        },
        false);
}

void WorkerInstance::collectWhenIdle(int seen) {
    // KILN_IDLE_COLLECT_MS: tests shorten the wait (and 0 turns the collection off).
    static const int ms = [] {
        bool set = false;
        const int fromEnv = qEnvironmentVariableIntValue("KILN_IDLE_COLLECT_MS", &set);
        return set ? fromEnv : 10'000;
    }();
    if (ms <= 0) return;
    m_idleCollectArmed = true;
    m_loop.postDelayed(
        ms,
        [this, seen, alive = m_alive] {
            if (!*alive) return;
            if (m_nextExchange != seen || m_inFlight.load(std::memory_order_relaxed) > 0)
                return collectWhenIdle(m_nextExchange);
            m_idleCollectArmed = false;
            m_hooks.untimed(); // host work, not the worker's CPU time
            v8::Isolate* isolate = m_runtime.isolate();
            v8::HeapStatistics before, after;
            isolate->GetHeapStatistics(&before);
            QElapsedTimer timer;
            timer.start();
            isolate->LowMemoryNotification();
            isolate->GetHeapStatistics(&after);
            const auto mb = [](size_t bytes) { return QString::number(bytes / 1048576.0, 'f', 1); };
            m_hooks.log(LogLevel::Debug, LogSource::Kiln,
                        QStringLiteral("idle: collected the JS heap's garbage in %1 ms (used %2 "
                                       "-> %3 MB, held %4 -> %5 MB)")
                            .arg(timer.elapsed())
                            .arg(mb(before.used_heap_size()), mb(after.used_heap_size()),
                                 mb(before.total_physical_size()),
                                 mb(after.total_physical_size())));
        },
        false);
}

void WorkerInstance::serve(IncomingRequest request) {
    std::shared_ptr<HttpExchange> exchange = std::move(request.exchange);
    const IncomingHead& incoming = request.head;
    v8::HandleScope handles(m_runtime.isolate());
    JsScope scope{m_runtime.isolate(), m_runtime.context()};
    v8::Context::Scope contextScope(scope.context);
    const int id = m_nextExchange++;
    if (!m_idleCollectArmed) collectWhenIdle(m_nextExchange);
    // The first request runs code the start did not: cached once it has (and once the
    // optimising tier, in the background, has caught up with it).
    if (id == 1) {
        refreshWasmCacheAfter(kWasmCacheRefreshMs);
        refreshWasmCacheAfter(4 * kWasmCacheRefreshMs);
        // The snapshot pages this start and its first request touched, listed for the next
        // start from the same snapshot (once this request's turn is over).
        m_loop.post([this, alive = m_alive] {
            if (*alive) m_runtime.recordSnapshotPages();
        });
    }
    const auto& head = exchange->head();
    std::vector<v8::Local<v8::Value>> headerValues;
    headerValues.reserve(static_cast<size_t>(incoming.headers.size()));
    for (const QByteArray& text : incoming.headers)
        headerValues.push_back(latin1ToV8(scope.isolate, text));
    auto headers = v8::Array::New(scope.isolate, headerValues.data(), headerValues.size());
    m_exchanges.emplace(id, exchange);
    m_inFlight.store(int(m_exchanges.size()), std::memory_order_relaxed);
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_cancels.emplace(id, cancel);
    exchange->onClosed([cancel] { cancel->store(true); });
    v8::Local<v8::Value> argv[] = {
        v8::Integer::New(scope.isolate, id),
        latin1ToV8(scope.isolate, head.method),
        v8::String::NewFromUtf8(scope.isolate, incoming.url.constData(), v8::NewStringType::kNormal,
                                static_cast<int>(incoming.url.size()))
            .ToLocalChecked(),
        headers,
        v8::Boolean::New(scope.isolate, exchange->hasBody()),
        exchange->prefetchedBody().isNull()
            ? v8::Local<v8::Value>(v8::Null(scope.isolate))
            : v8::Local<v8::Value>(toUint8Array(scope.isolate, exchange->prefetchedBody())),
        v8::Boolean::New(scope.isolate, incoming.checked),
    };
    v8::TryCatch tryCatch(scope.isolate);
    // Everything this request's JS schedules (promise reactions, timers) carries its id, which
    // is how a host op knows which request called it.
    scope.context->SetContinuationPreservedEmbedderData(v8::Integer::New(scope.isolate, id));
    if (m_serveExchange.IsEmpty())
        m_serveExchange.Reset(scope.isolate, exported(scope, "serveExchange"));
    const bool threw = m_serveExchange.Get(scope.isolate)
                           ->Call(scope.context, v8::Undefined(scope.isolate), 7, argv)
                           .IsEmpty();
    scope.context->SetContinuationPreservedEmbedderData(v8::Undefined(scope.isolate));
    if (threw) {
        m_runtime.reportException(scope, tryCatch);
        dropExchange(id);
        exchange->respond(500, "Internal Server Error", {});
        exchange->finish();
    }
}

void WorkerInstance::scheduled(const QString& cron, const QDateTime& scheduledTime,
                               std::function<void(bool)> done) {
    v8::HandleScope handles(m_runtime.isolate());
    JsScope scope{m_runtime.isolate(), m_runtime.context()};
    v8::Context::Scope contextScope(scope.context);
    v8::Local<v8::Value> argv[] = {
        toV8(scope.isolate, cron),
        v8::Number::New(scope.isolate, static_cast<double>(scheduledTime.toMSecsSinceEpoch()))};
    v8::TryCatch tryCatch(scope.isolate);
    v8::Local<v8::Value> result;
    if (!callExport(scope, "dispatchScheduled", 2, argv).ToLocal(&result)) {
        m_runtime.reportException(scope, tryCatch);
        return done(false);
    }
    auto alive = m_alive;
    m_runtime.whenSettled(scope, result.As<v8::Promise>(),
                          [this, alive, done](const JsScope& s, bool ok, v8::Local<v8::Value> v) {
                              if (!*alive) return;
                              if (!ok) m_runtime.reportValue(s, v, QString());
                              done(ok);
                          });
}

} // namespace kiln
