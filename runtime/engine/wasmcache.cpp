#include "engine/internal/wasmcache.h"

#include "engine/cachewrites.h"
#include "engine/checkedfile.h"
#include "engine/internal/opstable.h"
#include "engine/internal/sharedwasmmodules.h"
#include "engine/internal/snapshotpages.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QStandardPaths>

#include <sys/mman.h>
#include <unistd.h>

#include <v8-array-buffer.h>
#include <v8-exception.h>
#include <v8-external.h>
#include <v8-function.h>
#include <v8-object.h>
#include <v8-primitive.h>
#include <v8-template.h>
#include <v8-typed-array.h>
#include <v8-version.h>
#include <v8-wasm.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace kiln {

namespace {

using Args = const v8::FunctionCallbackInfo<v8::Value>&;

bool cacheEnabled() {
    return qEnvironmentVariable("KILN_NO_CODE_CACHE") != QLatin1String("1");
}

} // namespace

QString wasmCacheFile(const QString& key) {
    // The key names the module; V8's version and our flags are part of the file name so a
    // different build never even tries a foreign cache.
    // KILN_V8_FLAGS is part of it too: V8 rejects a module cached under other flags, and a
    // rejected hit would never be rewritten.
    const QString build = QStringLiteral("|%1.%2.%3.%4|lazy|no-dynamic-tiering|trap-handler|")
                              .arg(V8_MAJOR_VERSION)
                              .arg(V8_MINOR_VERSION)
                              .arg(V8_BUILD_NUMBER)
                              .arg(V8_PATCH_LEVEL);
    return cacheFilePath(QStringLiteral("wasm-"),
                         key + build + qEnvironmentVariable("KILN_V8_FLAGS"),
                         QStringLiteral(".bin"));
}

QString cacheFilePath(const QString& prefix, const QString& key, const QString& suffix) {
    const QByteArray id =
        QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex().left(32);
    return wasmCacheDir() + QLatin1Char('/') + prefix + QString::fromLatin1(id) + suffix;
}

QString fileStamp(const QString& path) {
    const QFileInfo info(path);
    return QStringLiteral("%1-%2").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
}

namespace {

// The cache folder's size limit: KILN_CACHE_MAX_MB, 1 GiB unless set (a worker's set of files,
// compiled wasm, compiled stdlib and snapshot, is ~65 MB).
qint64 cacheLimitBytes() {
    bool ok = false;
    const qint64 mb = qEnvironmentVariable("KILN_CACHE_MAX_MB").toLongLong(&ok);
    return (ok && mb > 0 ? mb : 1024) * 1024 * 1024;
}

// Cache writes run on threads of their own (files are tens of MB); a normal exit (Ctrl+C,
// SIGTERM, the studio stopping kiln) waits for those under way, up to 10 s, so a start that
// ends soon after booting still leaves its cache behind. Writes of one path go one at a time,
// and one overtaken by a later write of the same path is dropped: interleaved, two writers
// could leave one's file beside the other's checksum.
class PendingWrites {
public:
    ~PendingWrites() { wait(10000); }
    void wait(int timeoutMs) {
        std::unique_lock lock(m_mutex);
        m_idle.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                        [this] { return m_active == 0; });
    }
    void run(const QString& path, std::function<void()> work) {
        std::shared_ptr<PathState> state;
        quint64 ticket;
        {
            std::lock_guard lock(m_mutex);
            ++m_active;
            auto& slot = m_paths[path];
            if (!slot) slot = std::make_shared<PathState>();
            state = slot;
            ticket = ++state->latest;
        }
        std::thread([this, state, ticket, work = std::move(work)] {
            {
                std::lock_guard one(state->writing);
                bool latest;
                {
                    std::lock_guard lock(m_mutex);
                    latest = state->latest == ticket;
                }
                if (latest) work();
            }
            std::lock_guard lock(m_mutex); // notified under the lock: the waiter may be exiting
            --m_active;
            m_idle.notify_all();
        }).detach();
    }

private:
    struct PathState {
        std::mutex writing;
        quint64 latest = 0; // under m_mutex
    };

    std::mutex m_mutex;
    std::condition_variable m_idle;
    int m_active = 0;
    QHash<QString, std::shared_ptr<PathState>> m_paths;
};

PendingWrites& pendingWrites() {
    static PendingWrites writes;
    return writes;
}

// Atomically (temp file + rename) with its checksum, off the isolate thread.
void writeInBackground(const QString& path, std::shared_ptr<QByteArray> bytes) {
    pendingWrites().run(path, [path, bytes] {
        if (CheckedFile::write(path, *bytes))
            CheckedFile::prune(QFileInfo(path).absolutePath(), cacheLimitBytes());
    });
}

// Which keys' last compileStreaming was given cached code V8 accepted (the boot phase is named
// after it). Isolates on several threads may compile at once.
class CacheUse {
public:
    void record(const QString& key, bool used) {
        std::lock_guard lock(m_mutex);
        m_used[key] = used;
    }
    bool used(const QString& key) {
        std::lock_guard lock(m_mutex);
        return m_used.value(key);
    }
    QList<QString> keys() {
        std::lock_guard lock(m_mutex);
        return m_used.keys();
    }

private:
    std::mutex m_mutex;
    QHash<QString, bool> m_used;
};

CacheUse& cacheUse() {
    static CacheUse use;
    return use;
}

// Keeps the cached bytes (the file, mapped) alive until V8 has finished with the stream.
struct StreamState {
    std::unique_ptr<CheckedFile::Mapping> cached;
};

void onStreaming(const v8::FunctionCallbackInfo<v8::Value>& info) {
    auto* isolate = info.GetIsolate();
    auto context = isolate->GetCurrentContext();
    auto streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
    if (!info[0]->IsObject()) {
        streaming->Abort(
            v8::Exception::TypeError(toV8(isolate, "compileStreaming expects {bytes, cacheKey}")));
        return;
    }
    auto source = info[0].As<v8::Object>();
    v8::Local<v8::Value> bytesValue, keyValue;
    if (!source->Get(context, toV8(isolate, "bytes")).ToLocal(&bytesValue) ||
        !bytesValue->IsArrayBufferView()) {
        streaming->Abort(
            v8::Exception::TypeError(toV8(isolate, "compileStreaming expects {bytes, cacheKey}")));
        return;
    }
    if (!source->Get(context, toV8(isolate, "cacheKey")).ToLocal(&keyValue))
        keyValue = v8::Undefined(isolate);
    // A read-ahead takes cached code or nothing (compiling is the engine thread's job).
    v8::Local<v8::Value> cachedOnly;
    const bool onlyCached =
        source->Get(context, toV8(isolate, "cachedOnly")).ToLocal(&cachedOnly) &&
        cachedOnly->IsTrue();
    auto state = std::make_shared<StreamState>();
    bool used = false;
    if (cacheEnabled() && keyValue->IsString()) {
        const QString path = wasmCacheFile(toQString(isolate, keyValue));
        // Checked: V8 trusts the machine code it deserialises, and a flipped bit in it would
        // crash the worker, not fail the load.
        state->cached = CheckedFile::map(path);
        used = state->cached &&
               streaming->SetCompiledModuleBytes(static_cast<const uint8_t*>(state->cached->data()),
                                                 state->cached->size());
        cacheUse().record(toQString(isolate, keyValue), used);
    }
    if (onlyCached && !used) {
        streaming->Abort(v8::Exception::Error(toV8(isolate, "no usable cached code")));
        return;
    }
    auto view = bytesValue.As<v8::ArrayBufferView>();
    const auto* data =
        static_cast<const uint8_t*>(view->Buffer()->GetBackingStore()->Data()) + view->ByteOffset();
    streaming->OnBytesReceived(data, view->ByteLength());
    streaming->Finish();
    // V8 has copied the wire bytes and consumed the cached bytes by now; `state` can go.
}

// Asks the kernel to back an ArrayBuffer's memory (wasm memory) with 2 MB pages where it can
// (transparent huge pages in "madvise" mode, Debian's default): a full boot, or a snapshot
// copied in when its pages cannot be mapped (opMapOntoMemory), fills tens of MB at once and
// then takes one page fault per 2 MB instead of per 4 KB. A mapped snapshot's pages replace
// the advice where they lie. Only whole 2 MB pages inside the buffer are advised; the kernel
// may decline, which changes nothing but speed.
void opAdviseHugePages(Args args) {
    if (!args[0]->IsArrayBuffer()) return;
    auto store = args[0].As<v8::ArrayBuffer>()->GetBackingStore();
    constexpr uintptr_t kHuge = 2u << 20;
    const auto begin = reinterpret_cast<uintptr_t>(store->Data());
    const uintptr_t first = (begin + kHuge - 1) & ~(kHuge - 1);
    const uintptr_t last = (begin + store->ByteLength()) & ~(kHuge - 1);
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

// "size-mtime" of a file: a cheap identity for the cache key (hashing 10 MB of wasm on every
// start would cost more than the cache saves on small machines).
void opFileStamp(Args args) {
    args.GetReturnValue().Set(
        toV8(args.GetIsolate(), fileStamp(toQString(args.GetIsolate(), args[0]))));
}

void opWasmModuleKey(Args args) {
    args.GetReturnValue().Set(
        toV8(args.GetIsolate(), wasmModuleKey(toQString(args.GetIsolate(), args[0]))));
}

// Generic cache files (the compiled stdlib zip, the baseline snapshot), checked as
// CheckedFile describes.
QString namedCacheFile(const QString& key) {
    return cacheFilePath(QStringLiteral("file-"), key, QStringLiteral(".bin"));
}

// Where a key's file is (or would be); unchecked: cacheRead checks.
void opCacheFileName(Args args) {
    args.GetReturnValue().Set(
        toV8(args.GetIsolate(), namedCacheFile(toQString(args.GetIsolate(), args[0]))));
}

// The cached bytes themselves (checked), or null: the file mapped, copy-on-write, as the
// ArrayBuffer's memory (JsRuntime::mappedBuffer: unmapped at cacheRelease or with the isolate).
void opCacheRead(Args args) {
    auto* isolate = args.GetIsolate();
    const QString path = namedCacheFile(toQString(isolate, args[0]));
    auto mapping = cacheEnabled() ? CheckedFile::map(path) : nullptr;
    if (!mapping) return args.GetReturnValue().SetNull();
    args.GetReturnValue().Set(JsRuntime::from(isolate)->mappedBuffer(std::move(mapping)));
}

// Whether the key's file is there (unchecked); if so, its check starts now on a thread of its
// own (CheckedFile::checkAhead), and the cacheRead of it that follows need not read it whole.
void opCacheCheckAhead(Args args) {
    const QString path = namedCacheFile(toQString(args.GetIsolate(), args[0]));
    const bool there = cacheEnabled() && QFile::exists(path);
    if (there) CheckedFile::checkAhead(path);
    args.GetReturnValue().Set(there);
}

// Gives back a cacheRead buffer once its bytes are used: its mapping is unmapped now (the
// buffer and its views read as empty from here on). A restored snapshot's file is read whole
// when it is checked, so until then its ~30 MB stay resident; the wasm memory has its own
// mapping of the pages it uses (opMapOntoMemory), and Pyodide keeps the buffer it was given
// referenced for the life of the worker.
void opCacheRelease(Args args) {
    if (!args[0]->IsArrayBuffer()) return;
    JsRuntime::from(args.GetIsolate())->releaseMapped(args[0].As<v8::ArrayBuffer>());
}

// Restores a memory snapshot without copying it: the snapshot's pages of the file behind a
// cacheRead buffer are mapped (private, copy-on-write) over the start of the wasm memory, so
// the kernel neither zeroes 31 MB of fresh memory nor copies the snapshot into it, and pages
// a worker never touches are never read. Needs the memory image to start page-aligned in the
// file (snapshots.mjs writes it so); a remainder shorter than a page is copied. False (and
// nothing changed) when it cannot: the caller copies as before.
void opMapOntoMemory(Args args) {
    args.GetReturnValue().Set(false);
    if (!args[0]->IsArrayBuffer() || !args[1]->IsUint8Array()) return;
    auto view = args[1].As<v8::Uint8Array>();
    auto source = view->Buffer()->GetBackingStore();
    auto target = args[0].As<v8::ArrayBuffer>()->GetBackingStore();
    const int fd = JsRuntime::from(args.GetIsolate())->mappedFd(source->Data());
    const size_t page = size_t(::sysconf(_SC_PAGESIZE));
    const size_t offset = view->ByteOffset(), length = view->ByteLength();
    auto* into = static_cast<char*>(target->Data());
    if (fd < 0 || offset % page || reinterpret_cast<uintptr_t>(into) % page ||
        length > target->ByteLength())
        return;
    const size_t whole = length & ~(page - 1);
    if (whole && ::mmap(into, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
                        off_t(offset)) == MAP_FAILED) {
        // A failed fixed mapping may have dropped the pages it was to replace: put fresh ones
        // back (the copy that follows fills them).
        ::mmap(into, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
        return;
    }
    memcpy(into + whole, static_cast<const char*>(source->Data()) + offset + whole, length - whole);
    // The pages the last start from this snapshot touched, populated now in a few calls; the
    // runtime lists them for the next start once this one has served (JsRuntime).
    const QString file = QFile::symLinkTarget(QStringLiteral("/proc/self/fd/%1").arg(fd));
    if (whole && !file.isEmpty()) {
        SnapshotPages::prefetch(file, into, whole);
        JsRuntime::from(args.GetIsolate())->noteSnapshotMapping(file, into, whole);
    }
    args.GetReturnValue().Set(true);
}

void opCacheWrite(Args args) {
    if (!cacheEnabled() || !args[1]->IsArrayBufferView()) return args.GetReturnValue().Set(false);
    auto bytes = std::make_shared<QByteArray>(bytesOf(args[1]));
    const QString path = namedCacheFile(toQString(args.GetIsolate(), args[0]));
    writeInBackground(path, bytes);
    args.GetReturnValue().Set(true);
}

void opShareModule(Args args) {
    if (!cacheEnabled() || !args[1]->IsWasmModuleObject()) return;
    SharedWasmModules::instance().put(toQString(args.GetIsolate(), args[0]),
                                      args[1].As<v8::WasmModuleObject>()->GetCompiledModule());
}

void opSharedModule(Args args) {
    auto* isolate = args.GetIsolate();
    // Waits for a read-ahead of this module still under way (it started before this engine).
    const auto compiled =
        cacheEnabled() ? SharedWasmModules::instance().get(toQString(isolate, args[0]), 10000)
                       : nullptr;
    v8::Local<v8::WasmModuleObject> module;
    if (compiled && v8::WasmModuleObject::FromCompiledModule(isolate, *compiled).ToLocal(&module))
        args.GetReturnValue().Set(module);
    else
        args.GetReturnValue().SetNull();
}

void opReadAhead(Args args) {
    args.GetReturnValue().Set(
        SharedWasmModules::instance().takeReadAhead(toQString(args.GetIsolate(), args[0])));
}

void opUsed(Args args) {
    args.GetReturnValue().Set(cacheUse().used(toQString(args.GetIsolate(), args[0])));
}

} // namespace

bool refreshWasmCaches() {
    if (!cacheEnabled()) return false;
    bool wrote = false;
    for (const QString& key : cacheUse().keys()) {
        const auto module = SharedWasmModules::instance().get(key, 0);
        if (!module) continue;
        const auto buffer = module->Serialize();
        const QString path = wasmCacheFile(key);
        // The serialised size grows with every function compiled: the same size as the cached
        // copy means nothing has been compiled since that copy was written.
        if (buffer.size == 0 || (QFileInfo(path).size() == qint64(buffer.size) &&
                                 QFile::exists(CheckedFile::sidecarPath(path))))
            continue;
        writeInBackground(
            path, std::make_shared<QByteArray>(reinterpret_cast<const char*>(buffer.buffer.get()),
                                               static_cast<qsizetype>(buffer.size)));
        wrote = true;
    }
    return wrote;
}

bool codeCacheEnabled() {
    return cacheEnabled();
}

void writeCacheInBackground(const QString& path, QByteArray bytes) {
    writeInBackground(path, std::make_shared<QByteArray>(std::move(bytes)));
}

void waitForCacheWrites(int timeoutMs) {
    pendingWrites().wait(timeoutMs);
}

QString wasmCacheDir() {
    const QString fromEnv = qEnvironmentVariable("KILN_CACHE_DIR");
    if (!fromEnv.isEmpty()) return fromEnv;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/kiln");
}

void enableWasmStreaming(v8::Isolate* isolate) {
    isolate->SetWasmStreamingCallback(&onStreaming);
}

void installWasmCache(const JsScope& scope, JsRuntime& runtime, v8::Local<v8::Object> ops) {
    installOpTable(scope, ops, &runtime,
                   {{"fileStamp", opFileStamp},
                    {"cacheFileName", opCacheFileName},
                    {"cacheCheckAhead", opCacheCheckAhead},
                    {"cacheRead", opCacheRead},
                    {"cacheRelease", opCacheRelease},
                    {"cacheWrite", opCacheWrite},
                    {"shareWasmModule", opShareModule},
                    {"sharedWasmModule", opSharedModule},
                    {"wasmCacheUsed", opUsed},
                    {"wasmModuleKey", opWasmModuleKey},
                    {"wasmReadAhead", opReadAhead},
                    {"adviseHugePages", opAdviseHugePages},
                    {"mapOntoMemory", opMapOntoMemory}});
}

} // namespace kiln
