// Per-request cost inside one isolate, without any HTTP: runs unchanged under `kiln js`
// (Kiln's V8 10.2 + Kiln's Web API prelude) and under node 20 (node's V8 + undici's
// Request/Response), so bench/run.py can print the two side by side.
//
// bench/run.py writes a small wrapper module that sets globalThis.__benchConfig =
//   { pyodideDir, sdkFiles: [[rel, hostPath]...], projectFiles: [[fsPath, hostPath]...],
//     importRoot, mainModule, settleMs, rounds, perRound }
// and then imports this file. It prints one line: `BENCH-DISPATCH {json}`.
//
// Steps timed per call (rounds of `perRound` calls, round-robin over the steps; the median
// and the best round are reported):
//   web    new Request(url) + new Response("Hello") + await response.arrayBuffer()  (JS only)
//   requestWithHeaders / walkHeaders / readBodyStream: the Web API pieces of `serve` alone
//   ffi    await an `async def` Python function that returns 1 (JS -> Python -> JS, webloop)
//   fetch  the hello handler as worker.mjs startFetch runs it (_kiln_host.fetch_starter,
//          awaited only if it waits on something) + its body's bytes
//   serve  the same with what resources/js/worker.mjs serveExchange adds (request headers,
//          response headers walked) and the body read through a stream reader, which is
//          the path a streamed response takes (buffered ones skip the stream in Kiln)

const config = globalThis.__benchConfig;
const isNode = typeof process !== "undefined" && process.versions?.node;
const fs = isNode ? await import("node:fs") : null;
const readBytes = (p) => (isNode ? new Uint8Array(fs.readFileSync(p)) : new Uint8Array(globalThis.readbuffer(p)));
const readText = (p) => (isNode ? fs.readFileSync(p, "utf8") : globalThis.read(p));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = config.pyodideDir.endsWith("/") ? config.pyodideDir : config.pyodideDir + "/";
const t0 = performance.now();
const { loadPyodide } = await import(dir + "pyodide.mjs");
const createPyodideModule = (await import(dir + "pyodide.asm.mjs")).default;
const pyodide = await loadPyodide({
  indexURL: dir,
  createPyodideModule,
  lockFileContents: readText(dir + "pyodide-lock.json"),
});
const bootMs = performance.now() - t0;

function writeFiles(pairs) {
  for (const [fsPath, hostPath] of pairs) {
    pyodide.FS.mkdirTree(fsPath.slice(0, fsPath.lastIndexOf("/")) || "/");
    pyodide.FS.writeFile(fsPath, readBytes(hostPath));
  }
}
const sitePackages = pyodide._api.sitePackages ?? "/lib/python3.14/site-packages";
writeFiles(config.sdkFiles.map(([rel, hostPath]) => [`${sitePackages}/${rel}`, hostPath]));
writeFiles(config.projectFiles);
pyodide.FS.chdir(config.importRoot);
pyodide.pyimport("sys").path.insert(0, config.importRoot);
// The host module the SDK imports, as Kiln provides it.
const { makeEntrypointHelper, textAnswer } = await import("../../resources/js/entrypointhelper.mjs");
pyodide.registerJsModule("_pyodide_entrypoint_helper", makeEntrypointHelper({ env: {}, reportWaitUntil: () => {}, getPyodide: () => pyodide }));
const host = pyodide.pyimport("_kiln_host");
host.load_main(config.mainModule);
// As resources/js/worker.mjs startFetch calls the handler (with its JS Request, as for a request
// with a body): started eagerly; one that waits settles its Response when it ends.
let starter = null;
const settling = new Map();
let nextToken = 0;
async function dispatchFetch(request, ctx) {
  starter ??= host.fetch_starter(env, (token, response) => {
    const resolve = settling.get(token);
    settling.delete(token);
    resolve?.(response ?? undefined);
  }, () => { throw new Error("the request comes with the call"); });
  const token = nextToken++;
  const started = starter(request.url, request.method, ctx, token, request);
  if (started !== undefined) return started;
  let failed = null;
  try {
    return (await new Promise((resolve) => settling.set(token, resolve))) ?? await (failed = host.failed_fetch(token));
  } finally {
    settling.delete(token);
    failed?.destroy();
  }
}
const trivial = pyodide.runPython("async def _bench_trivial():\n    return 1\n_bench_trivial");

class ExecutionContext {
  waitUntil() {}
  passThroughOnException() {}
  get props() { return {}; }
}
const env = {};
const url = "http://127.0.0.1:8787/";

// A handler's answer as bytes: fetch_starter hands a Response made from text alone over as
// "t" + its body (no JS Response is made; worker.mjs has the host encode it).
function bodyOf(answer) {
  return typeof answer === "string" ? new TextEncoder().encode(textAnswer(answer)[1]) : answer.arrayBuffer();
}

const steps = {
  async web() {
    const request = new Request(url);
    const response = new Response("Hello");
    await response.arrayBuffer();
    return request;
  },
  async requestWithHeaders() {
    return new Request(url, { method: "GET", headers: [["host", "127.0.0.1:8787"], ["user-agent", "wrk"]] });
  },
  async walkHeaders() {
    const response = new Response("Hello");
    let n = 0;
    for (const [name, value] of response.headers) n += name.length + value.length;
    return n;
  },
  async readBodyStream() {
    const reader = new Response("Hello").body.getReader();
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
    }
    if (n !== 5) throw new Error("unexpected body");
  },
  async ffi() {
    return await trivial();
  },
  async fetch() {
    const response = await dispatchFetch(new Request(url), new ExecutionContext());
    const body = await bodyOf(response);
    if (body.byteLength !== 5) throw new Error("unexpected body");
  },
  // What resources/js/worker.mjs serveExchange does, minus the host ops: a Request with the
  // request's headers, the handler, the response headers walked, the body read by a reader.
  async serve() {
    const request = new Request(url, { method: "GET", headers: [["host", "127.0.0.1:8787"], ["user-agent", "wrk"]] });
    const response = await dispatchFetch(request, new ExecutionContext());
    if (typeof response === "string") { // what worker.mjs hands the host for it
      const [type, text] = textAnswer(response);
      if (new TextEncoder().encode(text).byteLength !== 5) throw new Error("unexpected body");
      return [["content-type", type]];
    }
    const headers = [];
    for (const [name, value] of response.headers) headers.push([name, value]);
    let n = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
    }
    if (n !== 5) throw new Error("unexpected body");
  },
};

// Let background compilation settle (Kiln tiers every wasm function up to TurboFan in the
// background: measure the steady state, as wrk does after its warm-up).
await sleep(config.settleMs);
// Rounds go round-robin over the steps, so background load spreads evenly across them.
const perCall = {};
for (const [name, fn] of Object.entries(steps)) {
  perCall[name] = [];
  for (let i = 0; i < config.perRound; i++) await fn(); // warm-up
}
for (let r = 0; r < config.rounds; r++) {
  for (const [name, fn] of Object.entries(steps)) {
    const start = performance.now();
    for (let i = 0; i < config.perRound; i++) await fn();
    perCall[name].push(((performance.now() - start) * 1000) / config.perRound);
  }
}
const results = {};
for (const [name, values] of Object.entries(perCall)) {
  values.sort((a, b) => a - b);
  results[name] = { median_us: values[Math.floor(values.length / 2)], min_us: values[0] };
}
const line = `BENCH-DISPATCH ${JSON.stringify({ bootMs, results })}`;
if (isNode) {
  console.log(line);
  process.exit(0);
} else {
  console.log(line);
}
