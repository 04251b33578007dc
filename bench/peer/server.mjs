// The benchmark peer: node 20 + the same Pyodide npm package Kiln uses, serving the same
// Python Worker over node:http. It installs the same `workers` SDK and host glue Kiln
// installs (resources/python: `workers/`, `asgi.py`, `_kiln_host.py`), imports the
// project's main module, and for every request calls `_kiln_host.fetch_starter` as Kiln's
// worker.mjs does (the URL, method and a body read whole; a web `Request`, node 20 having the
// Request/Response/Headers globals, made only if Python asks; the handler started eagerly, one
// that waits settling the Response when it ends) —
// which runs the project's `Default(WorkerEntrypoint).fetch` — and writes the returned
// Response.
// Nothing is cached: each request runs the Python handler. A project's KV namespaces and D1
// databases are Kiln's own binding classes (resources/js) over better-sqlite3
// (bindingops.mjs; `npm ci` in bench/peer/sqlite first), their files in --state DIR.
//
//   node bench/peer/server.mjs --project DIR --port N [--pyodide DIR] [--sdk DIR] [--state DIR]
//
// Like `kiln dev` it listens at once and holds requests that arrive during boot. On stderr
// it prints `[peer] listening` and `[peer] boot <phase> <ms>` lines (milliseconds since
// process start, from node's own clock), which bench/run.py reads for its notes.

import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import os from "node:os";
import { awaitPython, makeEntrypointHelper, takesPythonAwaitables, textAnswer } from "../../resources/js/entrypointhelper.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const projectDir = path.resolve(arg("project", path.join(repo, "bench/projects/hello")));
const port = Number(arg("port", "8788"));
const pyodideDir = path.resolve(arg("pyodide", path.join(repo, ".deps/npm/node_modules/pyodide"))) + "/";
const sdkDir = path.resolve(arg("sdk", path.join(repo, "resources/python")));

// performance.now() counts from process start (timeOrigin), so these are whole-process times.
const mark = (what) => process.stderr.write(`[peer] ${what} ${performance.now().toFixed(1)}\n`);

// The project's wrangler.jsonc (comments stripped: enough for the bench projects).
function projectConfig(dir) {
  const text = fs.readFileSync(path.join(dir, "wrangler.jsonc"), "utf8")
    .replace(/^\s*\/\/.*$/gm, "").replace(/,(\s*[}\]])/g, "$1");
  return JSON.parse(text);
}

// KV and D1 bindings as Kiln makes them (worker.mjs makeEnv), over bindingops.mjs.
async function addBindings(config) {
  const kvs = config.kv_namespaces ?? [];
  const dbs = config.d1_databases ?? [];
  if (!kvs.length && !dbs.length) return;
  const { makeBindingOps } = await import("./bindingops.mjs");
  const { KvNamespace } = await import("../../resources/js/kvnamespace.mjs");
  const { D1Database } = await import("../../resources/js/d1database.mjs");
  const ops = makeBindingOps(arg("state", "") || fs.mkdtempSync(path.join(os.tmpdir(), "kiln-peer-state-")));
  for (const { binding, id } of kvs) env[binding] = new KvNamespace(ops, id);
  for (const { binding, database_id: id } of dbs) env[binding] = new D1Database(ops, id);
}

function walk(dir, rel = "") {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== "__pycache__" && !entry.name.startsWith(".")) out.push(...walk(dir, r));
    } else if (entry.name.endsWith(".py")) out.push(r);
  }
  return out;
}

function writeTree(FS, srcDir, destDir) {
  for (const rel of walk(srcDir)) {
    const dest = `${destDir}/${rel}`;
    FS.mkdirTree(dest.slice(0, dest.lastIndexOf("/")));
    FS.writeFile(dest, fs.readFileSync(path.join(srcDir, rel)));
  }
}

let host = null;
const env = {};

async function boot() {
  const { loadPyodide } = await import(pathToFileURL(pyodideDir + "pyodide.mjs").href);
  // --snapshot FILE: Pyodide's own memory snapshot, taken (when FILE is missing) at the point
  // Kiln takes its baseline snapshot: after boot, with the same stdlib modules imported.
  const snapshot = arg("snapshot", "");
  const options = { indexURL: pyodideDir };
  const restore = snapshot && fs.existsSync(snapshot);
  if (restore) options._loadSnapshot = fs.readFileSync(snapshot);
  else if (snapshot) options._makeSnapshot = true;
  const pyodide = await loadPyodide(options);
  if (snapshot && !restore) {
    pyodide.runPython("import asyncio, base64, contextlib, datetime, email, functools, http, " +
      "inspect, io, json, random, re, shutil, tempfile, traceback, urllib.parse, zipfile");
    fs.writeFileSync(snapshot, pyodide.makeMemorySnapshot());
  }
  const config = projectConfig(projectDir);
  await addBindings(config);
  // The host module the SDK imports, as Kiln provides it (cloudflare:workers, patchWaitUntil);
  // registered after the snapshot, which cannot hold a JS object.
  pyodide.registerJsModule("_pyodide_entrypoint_helper", makeEntrypointHelper({
    env,
    reportWaitUntil: (promise) => new ExecutionContext().waitUntil(promise),
    getPyodide: () => pyodide,
  }));
  mark("boot pyodide-loaded");
  const main = config.main;
  const importRoot = `/session/${path.dirname(main)}`.replace(/\/\.$/, "");
  const sitePackages = pyodide._api.sitePackages ?? "/lib/python3.14/site-packages";
  writeTree(pyodide.FS, sdkDir, sitePackages);
  writeTree(pyodide.FS, projectDir, "/session");
  pyodide.FS.chdir(importRoot);
  pyodide.pyimport("sys").path.insert(0, importRoot);
  host = pyodide.pyimport("_kiln_host");
  mark("boot sdk-imported");
  host.load_main(main);
  mark("boot main-imported");
}

// As worker.mjs's: its waitUntil takes Python awaitables, so patchWaitUntil leaves it be.
class ExecutionContext {
  get [Symbol.toStringTag]() { return "ExecutionContext"; }
  waitUntil(promise) { awaitPython(promise).catch((e) => console.error("waitUntil:", e)); }
  passThroughOnException() {}
  get props() { return {}; }
}
ExecutionContext.prototype[takesPythonAwaitables] = true;

// As worker.mjs starts a handler: through _kiln_host.fetch_starter, a pending one settling
// its Response by token when it ends; a request is made only if Python asks for it (requestOf,
// its Headers alone for request.headers), its body read whole first (as Kiln's server reads a
// small one with the head) and its text read by Python itself.
let starter = null;
const settling = new Map();
const underWay = new Map(); // token -> a Request, or () => one
let nextToken = 0;
function settleToken(token, response) {
  const resolve = settling.get(token);
  settling.delete(token);
  resolve?.(response ?? undefined);
}
function requestOf(token, headersOnly, bodyUsed) {
  let request = underWay.get(token);
  if (request === undefined) throw new Error("this request has ended");
  if (typeof request === "function") {
    if (headersOnly) return request(true);
    underWay.set(token, request = request(false));
    if (bodyUsed) request.arrayBuffer();
  }
  return headersOnly ? request.headers : request;
}

const booted = boot();
booted.catch((e) => { console.error(e); process.exit(1); });

const server = http.createServer(async (req, res) => {
  try {
    await booted;
    const makeHeaders = () => {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
      return headers;
    };
    const url = `http://${req.headers.host ?? `127.0.0.1:${port}`}${req.url}`;
    const withBody = req.method !== "GET" && req.method !== "HEAD";
    let requestBody;
    if (withBody) {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const whole = Buffer.concat(chunks);
      requestBody = new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
    }
    const makeRequest = (headersOnly) => {
      if (headersOnly) return makeHeaders();
      const init = { method: req.method, headers: makeHeaders() };
      if (withBody) init.body = requestBody;
      return new Request(url, init);
    };
    starter ??= host.fetch_starter(env, settleToken, requestOf);
    const token = nextToken++;
    underWay.set(token, makeRequest);
    let response;
    try {
      response = starter(new URL(url).href, req.method, new ExecutionContext(), token, undefined, requestBody);
      if (response === undefined) { // waiting: its Task stays in Python unless it fails
        let failed = null;
        try {
          response = (await new Promise((resolve) => settling.set(token, resolve))) ?? await (failed = host.failed_fetch(token));
        } finally {
          settling.delete(token);
          failed?.destroy();
        }
      }
    } finally {
      underWay.delete(token);
    }
    if (typeof response === "string") { // fetch_starter's answer for a Response made from text alone
      const [type, text] = textAnswer(response);
      const body = Buffer.from(text);
      res.writeHead(200, { "content-type": type, "content-length": body.byteLength });
      res.end(body);
      return;
    }
    const body = Buffer.from(await response.arrayBuffer());
    const out = {};
    for (const [name, value] of response.headers) out[name] = value;
    res.writeHead(response.status, response.statusText || undefined, out);
    res.end(body);
  } catch (e) {
    console.error(e);
    res.writeHead(500, { "content-type": "text/plain" });
    res.end("Internal Server Error\n");
  }
});
server.keepAliveTimeout = 30000;
server.listen(port, "127.0.0.1", () => mark("listening"));
