// Boots one worker instance: Pyodide, Kiln's `workers` SDK, the project's modules, then the
// main module. The engine calls `boot(config)` once and then `dispatch*` per event. Every
// phase is reported through `ops.span` so the cold-start profiler can see where time goes.

import { D1Database, statementAnswer } from "./d1database.mjs";
import { awaitPython, makeEntrypointHelper, takesPythonAwaitables, textAnswer } from "./entrypointhelper.mjs";
import { installGlobalScopeRules } from "./globalscope.mjs";
import { installNodeProcess } from "./nodeprocess.mjs";
import { KvNamespace, kvAnswer } from "./kvnamespace.mjs";
import { lazyWasmExports } from "./lazyexports.mjs";
import { installFastStrings } from "./pyodidestrings.mjs";
import { R2Bucket } from "./r2bucket.mjs";
import { NotRestorable, SnapshotTiers, UnserializableValue } from "./snapshots.mjs";
import { Engine as WorkflowEngine } from "./workflows.mjs";

const { ops, bufferedBytes, configureWebSockets, coupleWebSocket, incomingRequest, checkedHeaders } = globalThis.__kiln_boot;
delete globalThis.__kiln_boot;
const Level = ops.logLevel;   // from the host's LogLevel enum
const Source = ops.logSource; // and LogSource
const kilnLog = (level, text) => ops.log(level, text, Source.kiln);

async function phase(name, fn) {
  const start = ops.now();
  try {
    return await fn();
  } finally {
    ops.span(name, start, ops.now());
  }
}

function writeFiles(FS, files) {
  const made = new Set(); // each folder once (a restore writes ~20 files into a few)
  for (const [fsPath, hostPath] of files) {
    const folder = fsPath.slice(0, fsPath.lastIndexOf("/")) || "/";
    if (!made.has(folder)) {
      FS.mkdirTree(folder);
      made.add(folder);
    }
    FS.writeFile(fsPath, ops.readBytes(hostPath));
  }
}

// These two do what a line of Python would, through the objects' proxies: runPython compiles
// its text first, ~1 ms each the first time after a restore.
function setPythonEnv(name, value) {
  const os = pyodide.pyimport("os");
  const environ = os.environ;
  try {
    environ.set(name, value); // os.environ[name] = value: putenv too
  } finally {
    environ.destroy();
    os.destroy();
  }
}

function removeFromSysPath(entry) {
  const sys = pyodide.pyimport("sys");
  const path = sys.path;
  try {
    for (let i = path.length - 1; i >= 0; i--) if (path.get(i) === entry) path.delete(i);
  } finally {
    path.destroy();
    sys.destroy();
  }
}

let pyodide = null;
let host = null;
const globalScope = installGlobalScopeRules(); // the project's imports run under its rules
let env = null;
const workflows = []; // one engine per configured workflow

// Caps the wasm heap: past the limit a grow fails, Emscripten's malloc returns NULL and Python
// raises MemoryError; the host then replaces this instance, as Cloudflare would. What a grow
// adds is advised onto huge pages, as the memory is after instantiation.
function capWasmMemory(limit) {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (delta) {
    if (limit && this.buffer.byteLength + delta * 65536 > limit) {
      ops.limitHit(ops.limit.memory);
      throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");
    }
    const pages = grow.call(this, delta);
    ops.adviseHugePages(this.buffer); // Python fills what it grows
    return pages;
  };
}

export function wasmHeapBytes() {
  return pyodide ? pyodide._module.HEAP8.buffer.byteLength : 0;
}

// Files Pyodide reads with readbuffer() whose bytes are already in hand (checked), by path.
const served = new Map();
function serveOnce(path, bytes) {
  if (!served.size) {
    const readbuffer = globalThis.readbuffer;
    globalThis.readbuffer = (file) => {
      const bytes = served.get(String(file));
      if (!bytes) return readbuffer(file);
      served.delete(String(file)); // the mapping goes with the last reference
      return bytes;
    };
  }
  served.set(path, bytes);
}

// Pyodide's shell path reads pyodide.asm.wasm with readbuffer() and calls
// WebAssembly.instantiate(bytes). Route that one compile through compileStreaming, whose host
// callback serves and fills the on-disk code cache.
function cacheWasmCompiles(wasmPath) {
  const tagged = new WeakSet();
  const readbuffer = globalThis.readbuffer;
  globalThis.readbuffer = (path) => {
    const buffer = readbuffer(path);
    if (String(path) === wasmPath) tagged.add(buffer);
    return buffer;
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async function (source, imports) {
    if (!(ArrayBuffer.isView(source) && tagged.has(source.buffer))) return instantiate.apply(this, arguments);
    // Pyodide's module with its exports moved into its function table (lazyexports.mjs says
    // why), rewritten once and kept in the cache; null (the original is used) when caching is
    // off or the module cannot be rewritten.
    const lazy = globalThis.kilnGlueTakesLazyExports ? ops.lazyWasmModule(wasmPath, source) : null;
    const original = source;
    if (lazy) source = lazy.bytes;
    const cacheKey = lazy ? lazy.key : ops.wasmModuleKey(wasmPath);
    const start = ops.now();
    // A first start takes the module read ahead from the code cache while this thread loaded
    // Pyodide's JS (waiting for it if it is still under way); a reload takes the module the
    // instance before it compiled (same machine code).
    let module = ops.sharedWasmModule(cacheKey);
    if (module) {
      const how = ops.wasmReadAhead(cacheKey) ? "code cache, read ahead" : "shared in this process";
      ops.span(`compile wasm (${how})`, start, ops.now());
    } else {
      module = await WebAssembly.compileStreaming({ bytes: source, cacheKey });
      ops.span(ops.wasmCacheUsed(cacheKey) ? "compile wasm (code cache)" : "compile wasm", start, ops.now());
      ops.shareWasmModule(cacheKey, module);
    }
    const instance = await phase("instantiate wasm", () => instantiate(module, imports));
    // The function table's layout as instantiated, for the glue's first lookup in it
    // (runtime/engine/pyodidepatches.cpp); gone with the other boot globals.
    globalThis.kilnStartTable = ops.wasmStartTable(source);
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) ops.adviseHugePages(memory.buffer);
    if (!lazy) return { module, instance };
    const listing = ops.wasmLazyExports(source);
    // Its data segments are the original's, copied now, before any of its code runs.
    if (listing.dataMoved && !ops.copyDataSegments(memory.buffer, original))
      throw new Error(`the data segments of ${wasmPath} do not fit its memory`);
    // The glue reads the exports through this object (and knows it by identity).
    globalThis.kilnLazyExports = lazyWasmExports(instance, listing);
    return { module, instance: { exports: globalThis.kilnLazyExports.exports } };
  };
}

// The npm stdlib zip holds only .py files, so every boot compiles ~190 modules from source.
// After a boot that lacked it, the modules actually imported are compiled once (unchecked
// hash-based .pyc, which zipimport prefers and does not revalidate) into a copy of the zip
// kept in the Kiln cache; later boots load that copy instead.
const BUILD_PYC_ZIP = `
import importlib.util, io, marshal, sys, zipfile
def _kiln_pyc_zip(zip_path):
    prefix = zip_path + "/"
    wanted = {m.__spec__.origin[len(prefix):] for m in list(sys.modules.values())
              if getattr(getattr(m, "__spec__", None), "origin", None)
              and m.__spec__.origin.startswith(prefix) and m.__spec__.origin.endswith(".py")}
    header = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + bytes(8)
    out = io.BytesIO()
    with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data)
            if info.filename in wanted:
                code = compile(data, prefix + info.filename, "exec", dont_inherit=True)
                dst.writestr(info.filename + "c", header + marshal.dumps(code))
    return out.getvalue()
`;

// What the SDK imports from the stdlib, imported before the baseline snapshot is taken.
const SNAPSHOT_IMPORTS = "import asyncio, base64, contextlib, datetime, email, functools, http, " +
  "inspect, io, json, random, re, shutil, tempfile, traceback, urllib.parse, zipfile";

function scheduleStdlibCache(stdlibKey) {
  if (!stdlibKey) return;
  setTimeout(() => {
    ops.untimedRun();
    try {
      pyodide.runPython(BUILD_PYC_ZIP);
      const build = pyodide.globals.get("_kiln_pyc_zip");
      const zipName = `/lib/python${pyodide._api.pyVersionTuple.slice(0, 2).join("")}.zip`;
      const bytes = build(zipName);
      ops.cacheWrite(stdlibKey, bytes.toJs());
      bytes.destroy();
      build.destroy();
      pyodide.runPython("del _kiln_pyc_zip");
      kilnLog(Level.debug, "stored the compiled stdlib in the code cache");
    } catch (e) {
      kilnLog(Level.warn, `could not cache the compiled stdlib: ${errorText(e)}`);
    }
  }, 9000);
}

// Pyodide's snapshot restore maps the snapshot file's pages onto the wasm memory through here
// (runtime/engine/pyodidepatches.cpp) instead of copying them; false: it copies.
function mapSnapshotRestores() {
  globalThis.kilnRestoreMemory = (memory, bytes) => ops.mapOntoMemory(memory, bytes);
}

// The glue's one module wrapping Emscripten's JS imports (runtime/engine/pyodidepatches.cpp)
// is built by the host (its bytes) and compiled through here: a reload's instance takes the
// one compiled before it in this process.
function shareSmallCompiles() {
  globalThis.kilnImportWrappers = (sigs, typeCodes) => ops.wasmImportWrappers(sigs, typeCodes);
  globalThis.kilnCompileWasm = (bytes) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 16777619);
    const key = `glue-module:${bytes.length}:${(hash >>> 0).toString(16)}`;
    let module = ops.sharedWasmModule(key);
    if (!module) {
      module = new WebAssembly.Module(bytes);
      ops.shareWasmModule(key, module);
    }
    return module;
  };
}

// Boots in one go: the first start, a restart after a crash, a reload with no spare ready.
export async function boot(config) {
  return finish(await prepare(config), config);
}

// A spare instance for the next reload: Pyodide restored from the package snapshot (at most)
// while the current instance serves, so that a reload only has to run the project's files.
let spare = null;

export async function prepareSpare(config) {
  spare = await prepare(config);
  return spare.restored ? `${spare.restored} snapshot` : "";
}

// Everything a start depends on apart from the project's files, which the snapshot tier's key
// covers where they matter (python_modules, the modules the files import).
function spareFingerprint(config) {
  const { projectFiles, reload, snapshotTier, ...rest } = config;
  return JSON.stringify(rest);
}

// Finishes the spare's start with the edited project; null (nothing done, the instance is to
// be dropped) when the edit changed what the spare was restored from: the config, the
// bindings, python_modules or the set of modules the project imports.
export async function activate(config) {
  const state = spare;
  spare = null;
  if (!state || spareFingerprint(state.config) !== spareFingerprint(config)) return null;
  const tiers = new SnapshotTiers(ops, config, state.tiers.keys.baseline, state.named);
  if (state.restored && tiers.keys[state.restored] !== state.tiers.keys[state.restored]) return null;
  return finish({ ...state, tiers }, config, { background: false });
}

// Workflow runs resume once the instance this one replaced is gone (one engine per store).
export function startBackground() {
  for (const engine of workflows) engine.start(env, () => new ExecutionContext());
}

// Up to Pyodide running (booted or restored), before any of the project's own files.
async function prepare(config) {
  capWasmMemory(config.memoryLimitBytes);
  configureWebSockets(config.compatFlags);
  shareSmallCompiles();
  mapSnapshotRestores();
  const dir = config.pyodideDir.endsWith("/") ? config.pyodideDir : config.pyodideDir + "/";
  cacheWasmCompiles(dir + "pyodide.asm.wasm");
  // The env and the SDK's JS helper exist before Pyodide: a snapshot restored inside
  // loadPyodide finds the ones its Python state held (workers.env read at the top level).
  env = makeEnv(config);
  const entrypointHelper = makeEntrypointHelper({
    env,
    reportWaitUntil: (promise) => new ExecutionContext().waitUntil(promise),
    getPyodide: () => pyodide,
    promiseResult: ops.promiseResult,
    statementAnswer,
    rpcAnswer: kvAnswer,
  });
  const named = { compatFlags: config.compatFlags, entrypointHelper, env };
  const stdlibPath = dir + "python_stdlib.zip";
  const stdlibKey = `stdlib-pyc:${stdlibPath}:${ops.fileStamp(stdlibPath)}`;
  // The baseline snapshot is keyed by the wasm, the stdlib zip mounted (a restored zipimport
  // remembers that zip's layout), every SDK file and Pyodide's lock file (a restore keeps the
  // package map Python made from it: pyodidepatches.cpp); the tiers above add the project's.
  // -X importtime runs boot for real.
  const wasmPath = dir + "pyodide.asm.wasm";
  const sdkStamp = config.sdkFiles.map(([rel, hostPath]) => `${rel}=${ops.fileStamp(hostPath)}`).join(",");
  const tiersFor = (stdLibURL) => new SnapshotTiers(ops, config,
    !config.snapshots || Object.keys(config.pythonEnv ?? {}).length ? null
      : `baseline-snapshot:${wasmPath}:${ops.fileStamp(wasmPath)}:${stdLibURL}:${ops.fileStamp(stdLibURL)}:${sdkStamp}` +
        `:${ops.fileStamp(dir + "pyodide-lock.json")}`,
    named);
  // The compiled stdlib and the snapshot this start will most likely restore (13 and ~31 MB,
  // each read whole to be checked) are checked on threads of their own while Pyodide's JS loads.
  const likelyStdLibURL = ops.cacheCheckAhead(stdlibKey) ? ops.cacheFileName(stdlibKey) : stdlibPath;
  let tiers = tiersFor(likelyStdLibURL);
  tiers.checkAhead();
  const { loadPyodide } = await phase("load pyodide.mjs", () => import(dir + "pyodide.mjs"));
  // As phase() would, the span recorded even when the import fails; its name says whether the
  // glue came from V8's code cache.
  const gluePath = dir + "pyodide.asm.mjs";
  const glueStart = ops.now();
  let createPyodideModule;
  try {
    createPyodideModule = (await import(gluePath)).default;
  } finally {
    const how = ops.moduleCacheUse(gluePath);
    ops.span(how ? `load pyodide.asm.mjs (${how})` : "load pyodide.asm.mjs", glueStart, ops.now());
  }
  // The compiled stdlib (13 MB), checked and mapped once; Pyodide's read of it gets these bytes.
  const compiledBytes = ops.cacheRead(stdlibKey);
  const compiledStdlib = compiledBytes ? ops.cacheFileName(stdlibKey) : null;
  if (compiledBytes) serveOnce(compiledStdlib, compiledBytes);
  const stdLibURL = compiledStdlib ?? stdlibPath;
  if (stdLibURL !== likelyStdLibURL) tiers = tiersFor(stdLibURL); // the compiled one was damaged
  const { tier: restored, bytes: snapshot } = await phase("read snapshot", () => tiers.restore());
  const options = {
    indexURL: dir,
    stdLibURL,
    createPyodideModule,
    lockFileContents: ops.readText(dir + "pyodide-lock.json"),
    stdout: (line) => ops.log(Level.log, line, Source.print),
    stderr: (line) => ops.log(Level.error, line, Source.print),
    env: { HOME: config.importRoot, ...config.pythonEnv },
  };
  if (snapshot) {
    options._loadSnapshot = snapshot;
    options._snapshotDeserializer = tiers.deserializer();
  }
  const runtimePhase = snapshot ? `pyodide runtime (${restored} snapshot)`
    : compiledStdlib ? "pyodide runtime (compiled stdlib)" : "pyodide runtime";
  pyodide = await phase(runtimePhase, () => loadPyodide(options));
  // Restored: the snapshot file's mapping goes now (Pyodide keeps its options for good).
  const snapshotBytes = snapshot?.byteLength ?? 0;
  if (snapshot) ops.cacheRelease(snapshot.buffer);
  pyodide.registerJsModule("_pyodide_entrypoint_helper", entrypointHelper);
  installNodeProcess(config.nodeProcess);
  const sitePackages = pyodide._api.sitePackages ?? "/lib/python3.14/site-packages";
  const installSdk = () =>
    writeFiles(pyodide.FS, config.sdkFiles.map(([rel, hostPath]) => [`${sitePackages}/${rel}`, hostPath]));
  if (snapshot) {
    setPythonEnv("HOME", config.importRoot); // the snapshot's environment is the maker's
  } else if (tiers.makes("baseline", null)) {
    await phase("make baseline snapshot", () => {
      pyodide.runPython(SNAPSHOT_IMPORTS);
      // The SDK, imported before any project path is on sys.path (a project module named
      // like one of the SDK's cannot stand in for it). Its JS helpers are made on first use:
      // the snapshot can only hold JS references Pyodide knows how to find again.
      installSdk();
      pyodide.pyimport("_kiln_host").destroy();
      makeSnapshot(tiers, "baseline");
    });
  }
  pyodide._api.on_fatal = onFatal;
  ops.armInterrupts(); // the project's imports can be stopped (startup CPU limit, reload)
  if (!installFastStrings(pyodide._module)) kilnLog(Level.warn, "Pyodide's string converter not found; strings cross the slow way");
  // Only the shell-path boot needed the d8 file globals; worker code must not see them.
  for (const name of ["read", "readbuffer", "load", "print", "printErr", "kilnCompileWasm", "kilnImportWrappers", "kilnRestoreMemory", "kilnStartTable",
    "kilnLazyExports", "kilnGlueTakesLazyExports"]) delete globalThis[name];
  globalThis.navigator.userAgent = "Cloudflare-Workers";
  return { config, named, tiers, restored, snapshotBytes, installSdk, compiledStdlib, stdlibKey };
}

// A snapshot that cannot be made is a warning (the next start boots further), except that a
// dedicated one failing is what Cloudflare's upload fails on: say so.
function makeSnapshot(tiers, tier) {
  try {
    tiers.make(pyodide, tier);
  } catch (e) {
    const upload = tier === "dedicated" && tiers.compatFlags.python_dedicated_snapshot && !(e instanceof NotRestorable)
      ? " Cloudflare makes this snapshot when the worker is uploaded and would refuse the upload the same way (python_dedicated_snapshot is on at this compatibility date)." : "";
    const why = e instanceof UnserializableValue ? e.explain(pythonGlobalHolding(e.value)) : e?.message ?? e;
    kilnLog(Level.warn, `could not make the ${tier} snapshot (the next start imports this part again): ${why}${upload}`);
  }
}

// The project's part of a start: its files, python_modules, the package tier, the main module.
async function finish(state, config, { background = true } = {}) {
  const { tiers, restored, installSdk } = state;
  await phase("install sdk and project files", () => {
    // Also after a restore, which brings the imported modules back but not their files
    // (tracebacks and inspect read them).
    if (restored || !tiers.makes("baseline", null)) installSdk();
    // Pyodide puts "" (the current folder, which is about to be the project's) on sys.path:
    // off it, so that the SDK imported next and the package tier never see the project's own
    // modules (a project's workers.py cannot stand in for the SDK); main's folder goes on
    // sys.path by name when its turn comes, as on Cloudflare.
    removeFromSysPath("");
    writeFiles(pyodide.FS, config.projectFiles);
    pyodide.FS.chdir(config.importRoot);
  });
  const restoredAt = (tier) => SnapshotTiers.includes(restored, tier);
  await phase("import sdk", () => {
    // python_modules/ first (the package tier holds what it provides; it goes after the
    // standard library, as on Cloudflare), then main's folder before everything. The
    // project's own folder is not on sys.path while the package tier is made: a snapshot
    // keyed without the project's files cannot hold them.
    if (!restoredAt("package")) pyodide.registerJsModule("_cloudflare_compat_flags", config.compatFlags);
    host = pyodide.pyimport("_kiln_host");
    if (!restoredAt("package") && config.pythonModulesDir)
      host.add_python_modules(config.pythonModulesDir, Boolean(config.compatFlags.python_process_pth_files));
  });
  if (!restoredAt("package") && tiers.keys.package) {
    await phase("import packages", () => globalScope.run(() => host.import_packages(tiers.imports)));
    if (tiers.makes("package", restored)) await phase("make package snapshot", () => makeSnapshot(tiers, "package"));
  }
  if (!restoredAt("dedicated")) {
    const sys = pyodide.pyimport("sys");
    sys.path.insert(0, config.importRoot);
    sys.destroy();
  }
  try {
    // After a dedicated restore the main module is imported already: load_main finds it.
    await phase(restoredAt("dedicated") ? "import main module (dedicated snapshot)" : "import main module",
      () => globalScope.run(() => host.load_main(config.mainModule)));
  } catch (e) {
    throw fatalText ? new Error(fatalText) : e;
  }
  if (!restoredAt("dedicated") && tiers.makes("dedicated", restored))
    await phase("make dedicated snapshot", () => makeSnapshot(tiers, "dedicated"));
  // For kiln profile: what the restore copied in, and the wasm memory the worker starts with.
  kilnLog(Level.debug, `boot figures: snapshot ${state.snapshotBytes} bytes, wasm memory ${wasmHeapBytes()} bytes`);
  booted = true;
  if (background) startBackground();
  scheduleStdlibCache(state.compiledStdlib ? null : state.stdlibKey);
  return restored ? `${restored} snapshot` : "";
}

// "`name` of module m (file)" for the module global that holds `value`, or "" (it may sit
// deeper, inside a list or an object).
function pythonGlobalHolding(value) {
  if (!host) return "";
  const found = host.js_globals();
  try {
    for (const [module, file, name, object] of found.toJs({ depth: 2 }))
      if (object === value) return `\`${name}\` of module ${module}${file ? ` (${file})` : ""}`;
  } finally {
    found.destroy();
  }
  return "";
}

// os._exit() (or a fatal error inside Pyodide) ends the interpreter for good: every Python
// task in flight is dead and the next call would throw. As on Cloudflare, where the isolate is
// lost, the host answers what was in flight with a 500 and starts a fresh instance; during
// startup the boot fails with the same text. The text names the Python frames that were
// running (as a traceback, so the studio can mark the line).
let fatalText = null;
let booted = false;

// The Python frames running now, as a traceback (innermost last), from the interpreter's own
// stack dump (faulthandler's format, innermost first). Kiln's dispatcher and the import
// machinery are left out, as in the tracebacks _kiln_host gives.
function fatalFrames() {
  // Once Pyodide has failed, Emscripten writes fd 2 through the console it found at creation
  // (console.error, which logs through ops.log): catch those lines for the moment.
  const dump = [];
  const log = ops.log;
  ops.log = (level, text) => dump.push(...String(text).split("\n"));
  try {
    pyodide._module._dump_traceback();
  } catch {
    // No frames: the message still says what happened.
  } finally {
    ops.log = log;
  }
  const frames = [];
  for (const line of dump) {
    const m = /^\s*File "(.+)", line (\d+) in (.+)$/.exec(line);
    if (!m) continue;
    if (m[1].endsWith("/_kiln_host.py")) break;
    if (m[1].startsWith("<frozen ") || m[1].includes("/importlib/")) continue; // import machinery
    frames.unshift(`  File "${m[1]}", line ${m[2]}, in ${m[3]}`);
  }
  return frames.join("\n") + (frames.length ? "\n" : "");
}

function onFatal(e) {
  if (fatalText) return;
  const message = String(e?.message ?? e);
  const exit = e?.name === "Exit" && /exit\((-?\d+)\)/.exec(message);
  const overflow = /Maximum call stack size exceeded/.test(message);
  const [what, cause] = exit
    ? [`os._exit(${exit[1]}) was called`, `os._exit: the worker called os._exit(${exit[1]}), which ends the Python interpreter`]
    : overflow
      ? ["the stack overflowed", "RecursionError: the stack overflowed (RangeError: Maximum call stack size exceeded); the Python interpreter cannot go on. Recursion deeper than the default sys.getrecursionlimit() is the usual cause."]
      : ["Pyodide failed fatally", `PyodideFatalError: ${errorText(e)}`];
  const frames = fatalFrames();
  fatalText = (frames ? `Traceback (most recent call last):\n${frames}` : "") + cause;
  if (!booted) return; // boot() fails with this text
  ops.reportException(fatalText);
  ops.retire(`Worker instance ended: ${what}`);
}

function makeEnv(config) {
  const env = {};
  for (const [key, value] of Object.entries(config.vars ?? {})) env[key] = value;
  for (const { binding, id } of config.kvNamespaces ?? []) env[binding] = new KvNamespace(ops, id);
  for (const { binding, id } of config.d1Databases ?? []) env[binding] = new D1Database(ops, id);
  for (const { binding, bucket } of config.r2Buckets ?? []) env[binding] = new R2Bucket(ops, bucket);
  const workflowLog = (level, text) => kilnLog(Level[level], text);
  for (const decl of config.workflows ?? []) {
    // The host glue is imported after the env is made: the engine reaches it when it runs.
    const glue = { run_workflow: (...args) => host.run_workflow(...args) };
    const engine = new WorkflowEngine(ops, decl, glue, workflowLog, config.compatFlags);
    workflows.push(engine);
    env[decl.binding] = engine.binding;
  }
  return env;
}

class ExecutionContext {
  get [Symbol.toStringTag]() { return "ExecutionContext"; }
  // The server's loop never exits on its own, so waitUntil work needs no keep-alive: it
  // only needs its failures reported. It takes Python awaitables too, as the entrypoint
  // helper's patchWaitUntil makes a context's waitUntil do (which then leaves this one be).
  waitUntil(promise) {
    awaitPython(promise).catch((e) => ops.reportException(`Uncaught (in waitUntil) ${errorText(e)}`));
  }
  passThroughOnException() {}
  get props() { return {}; }
}
ExecutionContext.prototype[takesPythonAwaitables] = true;

// The fetch handler, started eagerly: its JS Response when it finished at once (a handler that
// never waits, so no promise hop is paid), else a promise of it. Python gets the request's URL
// and method, and its JS Request when made already (`request`: one whose body streams in); for
// one without a body, or whose body came whole with its head (`body`, bytes Python reads the
// text of itself: workers.Request.text()), only if it asks (requestOf), so a handler that
// reads no more, or only the headers or the body's text, costs Pyodide no proxy of it and
// this side no Request. `source`: what requestOf answers from, the JS Request or what
// incomingRequest makes it of ([url, method, headers, body or null, cf]).
let starter = null; // _kiln_host.fetch_starter's start(url, method, ctx, token[, request[, body]]), made at the first request
const settling = new Map(); // token -> resolve of a pending handler's Response (undefined: it failed)
// token -> its request's `source`, then its JS Request once made: for a handler that waits.
// The one being started is held apart (`starting`): most end within that call, and a Map that
// a key is added to and taken from on every request shrinks and regrows its table (~1 % of a
// hello request, perf).
const underWay = new Map();
const starting = { token: -1, source: null };
let nextToken = 0;
function settleToken(token, response) {
  const resolve = settling.get(token);
  settling.delete(token);
  resolve?.(response ?? undefined);
}

// Answers only while the request is under way: Python asks for it before its handler ends if
// anything still holds the request (_kiln_host._hand_over). With `headersOnly`, the request's
// Headers (what Python's request.headers copies), without making a Request for them. With
// `bodyUsed`, Python has read the whole body it was given: the Request made now has it used.
function requestOf(token, headersOnly, bodyUsed) {
  const isStarting = token === starting.token;
  let request = isStarting ? starting.source : underWay.get(token);
  if (request === undefined) throw new Error("Kiln: this request has ended; its JS Request is gone");
  if (Array.isArray(request)) {
    if (headersOnly) return checkedHeaders(request[2]); // a request without a body: the same
    request = incomingRequest(...request);
    if (bodyUsed) request.arrayBuffer(); // marks it used at once; its bytes are not wanted
    if (isStarting) starting.source = request;
    else underWay.set(token, request);
  }
  return headersOnly ? request.headers : request;
}

function startFetch(url, method, source, request, body) {
  starter ??= host.fetch_starter(env, settleToken, requestOf);
  const token = nextToken++;
  starting.token = token;
  starting.source = source;
  // A pending handler that succeeds hands its Response to settleToken; one that fails (settled
  // with undefined) is awaited through its Task, whose rejection carries the Python error
  // (fetch_starter's start answers undefined for both: Python keeps the Task).
  let started;
  try {
    started = starter(url, method, new ExecutionContext(), token, request, body);
    if (started === undefined) underWay.set(token, starting.source); // it waits
  } finally {
    starting.token = -1;
    starting.source = null;
  }
  return started === undefined ? settleFetch(null, token) : started;
}

async function settleFetch(task, token) {
  try {
    return (await new Promise((resolve) => settling.set(token, resolve))) ?? await (task ??= host.failed_fetch(token));
  } finally {
    settling.delete(token);
    underWay.delete(token);
    task?.destroy();
  }
}

export async function dispatchScheduled(cron, scheduledTime) {
  let retry = true;
  const controller = { cron, scheduledTime, type: "scheduled", noRetry() { retry = false; } };
  await host.handle_scheduled(controller, env, new ExecutionContext());
  return { retry };
}

export function interruptBuffer() {
  const buffer = new Int32Array(new SharedArrayBuffer(4));
  pyodide.setInterruptBuffer(buffer);
  return buffer;
}

// --- HTTP exchanges: the engine hands us an id per request; bodies stream both ways. ---

function requestBody(id) {
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      const chunk = await ops.exchangePull(id);
      if (chunk === null) {
        controller.close();
        controller.byobRequest?.respond(0);
      } else if (chunk.byteLength) controller.enqueue(chunk);
    },
    cancel() {},
  });
}

// Pyodide's PythonError carries the formatted traceback in its message. Kiln's dispatcher
// re-raises the user's exception (with the import machinery's frames cut), which puts its own
// frame on top: that frame (its File line and the indented source and caret lines under it)
// is left out, so a traceback reads as the user's code alone.
function errorText(e) {
  if (!(e && e.constructor && e.constructor.name === "PythonError")) return e?.stack ?? String(e);
  const out = [];
  let skipping = false;
  for (const line of e.message.trimEnd().split("\n")) {
    if (/^  File ".*\/_kiln_host\.py", line \d+, in /.test(line)) skipping = true;
    else if (!(skipping && line.startsWith("    "))) skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join("\n");
}

const asBytes = (value) => value instanceof Uint8Array ? value
  : new Uint8Array(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength);

// Resolves to the next read if the stream has it ready now, or to null after one macrotask.
function readSoon(reader) {
  const read = reader.read();
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(() => resolve(null), 0); });
  return Promise.race([read, late]).then((r) => {
    clearTimeout(timer);
    return r ?? { pending: read };
  });
}

// Sends `response` for exchange `id`: at once when its body is in memory (undefined is
// returned, no promise hop is paid); otherwise a promise that settles once it has streamed.
// A string is fetch_starter's answer for a Response Python made from text alone (textAnswer):
// no JS Response was made for it.
function sendResponse(id, response) {
  if (typeof response === "string") return ops.exchangeCompleteText(id, ...textAnswer(response));
  const headers = [];
  if (response.webSocket) {
    // The 101 and what follows it are the server's; only the worker's own headers (a chosen
    // Sec-WebSocket-Protocol, say) go with it.
    for (const [name, value] of response.headers) headers.push([name, value]);
    try {
      return coupleWebSocket(response.webSocket, id, headers);
    } catch (e) { // a request without Upgrade: websocket, an end already used: workerd's TypeErrors
      ops.reportException(errorText(e));
      return failResponse(id, 500, "Internal Server Error: the worker threw an exception (see the log).\n");
    }
  }
  for (const [name, value] of response.headers) {
    if (name === "set-cookie") continue;
    headers.push([name, value]);
  }
  for (const cookie of response.headers.getSetCookie?.() ?? []) headers.push(["set-cookie", cookie]);
  const hasLength = response.headers.has("content-length") || response.headers.has("transfer-encoding");
  // Only a Response of our own prelude has a body we can see into; anything else (a
  // duck-typed object from Python) goes through `.body`.
  const whole = response instanceof Response ? bufferedBytes(response) : undefined;
  if (whole !== undefined || !response.body) {
    const bytes = whole ?? new Uint8Array(0);
    if (!hasLength) headers.push(["content-length", String(bytes.byteLength)]);
    ops.exchangeComplete(id, response.status, response.statusText ?? "", headers, bytes);
    return undefined;
  }
  return streamResponse(id, response, headers, hasLength);
}

// A body still producing streams chunked without waiting for it; one that turns out complete
// at once (bytes, text, JSON behind a stream) goes out with a Content-Length, as workerd sends it.
async function streamResponse(id, response, headers, hasLength) {
  const reader = response.body.getReader();
  const first = await reader.read();
  let next = first.done ? first : await readSoon(reader);
  if (!hasLength && (first.done || next.done)) {
    const bytes = first.done ? new Uint8Array(0) : asBytes(first.value);
    headers.push(["content-length", String(bytes.byteLength)]);
    return ops.exchangeComplete(id, response.status, response.statusText ?? "", headers, bytes);
  }
  ops.exchangeRespond(id, response.status, response.statusText ?? "", headers);
  if (!first.done && first.value.byteLength) await ops.exchangeWrite(id, asBytes(first.value));
  for (;;) {
    if (next.pending) next = await next.pending;
    if (next.done) break;
    if (next.value.byteLength) await ops.exchangeWrite(id, asBytes(next.value));
    next = await reader.read();
  }
  ops.exchangeFinish(id);
}

function failResponse(id, status, text) {
  const bytes = new TextEncoder().encode(text);
  ops.exchangeComplete(id, status, "", [["content-type", "text/plain;charset=UTF-8"], ["content-length", String(bytes.byteLength)]], bytes);
}

// What `request.cf` holds locally: a fixed placeholder location, as wrangler dev's fallback,
// so code that reads request.cf.colo works the same offline.
const LOCAL_CF = Object.freeze({
  asn: 395747, asOrganization: "Local", colo: "DFW", city: "Austin", region: "Texas",
  regionCode: "TX", metroCode: "635", postalCode: "78701", country: "US", continent: "NA",
  isEUCountry: undefined, timezone: "America/Chicago", latitude: "30.27130",
  longitude: "-97.74260", clientTcpRtt: 0, httpProtocol: "HTTP/1.1",
  requestPriority: "", tlsVersion: "", tlsCipher: "", edgeRequestKeepAliveStatus: 1,
});

// `headers`: [name, value, ...]. `body`: the whole request body when it arrived with the head
// (bytes), else null and the body streams in through pulls. `checked`: the host has checked
// the URL, method and headers as `new Request` would (IncomingHead), so they go in as they are.
export async function serveExchange(id, method, url, headers, hasBody, body, checked) {
  let response;
  try {
    const withBody = hasBody && method !== "GET" && method !== "HEAD";
    if (checked && !withBody) {
      response = startFetch(url, method, [url, method, headers, null, LOCAL_CF]);
    } else if (checked && body) {
      response = startFetch(url, method, [url, method, headers, body, LOCAL_CF], undefined, body);
    } else if (checked) {
      const request = incomingRequest(url, method, headers, body ?? requestBody(id), LOCAL_CF);
      response = startFetch(url, method, request, request);
    } else {
      const pairs = [];
      for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
      const init = { method, headers: pairs, cf: { ...LOCAL_CF } };
      if (withBody) {
        init.body = body ?? requestBody(id);
        init.duplex = "half";
      }
      const request = new Request(url, init); // throws here for what the constructor refuses
      response = startFetch(request.url, request.method, request, request);
    }
    if (response instanceof Promise) response = await response;
  } catch (e) {
    if (fatalText) return; // the instance is over: the host answers what it had in flight
    const limit = ops.takeLimitHit(); // {text, retire} or null
    if (limit) {
      kilnLog(Level.error, `Error: Worker exceeded ${limit.text}. (${method} ${new URL(url).pathname})`);
      failResponse(id, 500, `Worker exceeded ${limit.text}.\n`);
      if (limit.retire) ops.retire(`Worker exceeded ${limit.text}`);
      return;
    }
    ops.reportException(errorText(e));
    return failResponse(id, 500, "Internal Server Error: the worker threw an exception (see the log).\n");
  }
  try {
    const streaming = sendResponse(id, response);
    if (streaming) await streaming;
  } catch (e) {
    kilnLog(Level.error, `Error while sending the response: ${errorText(e)}`);
    ops.exchangeAbort(id);
  }
}
