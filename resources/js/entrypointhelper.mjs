// The `_pyodide_entrypoint_helper` module Cloudflare's `workers` package imports, as Kiln
// provides it: the `cloudflare:workers` and `cloudflare:sockets` modules (usable at the top
// level), `patch_env_helper` (behind `workers.patch_env`), `patchWaitUntil` (lets a ctx's
// waitUntil take Python awaitables) and `doAnImport` (other JS modules: they need JSPI,
// which this V8 lacks). Its objects live as long as the isolate: a snapshot that holds them
// names them (see snapshots.mjs), so they are made before Pyodide restores one.

// `reportWaitUntil(promise)` hands the module-level waitUntil's work to the host;
// `getPyodide()` gives the Pyodide instance once it is loaded (for scheduleReady);
// `promiseResult(promise, otherwise)` (optional: Kiln's host op) a fulfilled promise's value;
// `statementAnswer(db, sql, name, params)` (optional: d1database.mjs's) a D1 statement's
// answer for callStatement in one host op, or undefined; `rpcAnswer(object, name, args)`
// (optional: kvnamespace.mjs's kvAnswer) a method call's answer for callRpc, or undefined.
export function makeEntrypointHelper({ env, reportWaitUntil, getPyodide, promiseResult, statementAnswer, rpcAnswer }) {
  const patches = []; // patch_env overlays, innermost last
  let ready = null; // { run: run_ready's PyProxy, schedule: Pyodide's scheduleCallback }
  let textDecoder = null;
  const cloudflareWorkers = {
    // As workerd's `import { env } from "cloudflare:workers"`: the worker's env, with any
    // patch_env overlay in force.
    get env() {
      return patches.length ? patches[patches.length - 1] : env;
    },
    waitUntil(promise) {
      reportWaitUntil(awaitPython(promise));
    },
  };
  const cloudflareSockets = {
    connect(address) {
      const where = typeof address === "string" ? address : JSON.stringify(address);
      throw new Error(`connect(${where}): Kiln does not open outbound TCP sockets (cloudflare:sockets); ` +
        "use fetch() for HTTP, or run this part against Cloudflare");
    },
  };
  const patched = new WeakSet();
  return {
    // Kiln's own (workers.utils._get_js_constructor_name's fast path): a JS object's
    // constructor's name in one call instead of two attribute lookups, each of which makes
    // Python a proxy. undefined (None) when the object has no `constructor` at all; false when
    // it is anything but a function with a string name (the SDK then looks the slow way, so
    // odd objects behave exactly as before).
    constructorName(value) {
      const constructor = value.constructor;
      if (constructor === undefined) return "constructor" in value ? false : undefined;
      return typeof constructor === "function" && typeof constructor.name === "string" ? constructor.name : false;
    },
    // Kiln's own (workers.Response.json's fast path, for JSON text without headers or a
    // status text): the Response the SDK would otherwise build in three calls into JS.
    // `used`: its body read already (a Response the host has sent: workers/response.py).
    jsonResponse(text, status, used) {
      const headers = { "content-type": "application/json" };
      return usedIf(new Response(text, status === undefined ? { headers } : { status, headers }), used);
    },
    // Kiln's own (workers.Response's fast path, for a str body or none without options): the
    // Response `js.Response.new(body)` makes, without looking up the class from Python.
    textResponse(body, used) {
      return usedIf(new Response(body), used);
    },
    // Kiln's own (workers.Request.text() of an incoming request whose body came whole with
    // its head, while no JS Request is made for it): the text `request.text()` would answer,
    // decoded as the Body mixin decodes it (UTF-8, a leading BOM dropped, bad bytes replaced).
    bodyText(bytes) {
      return (textDecoder ??= new TextDecoder()).decode(bytes);
    },
    // Kiln's own (python_from_rpc's fast path): whether Pyodide's to_py would hand `value`
    // to its default converter, as js2python_convertOther decides it (arrays, Maps, Sets,
    // plain objects and buffers it converts itself). The SDK then calls its converter
    // directly instead of a JS -> Python -> JS round trip per binding object.
    toPyUsesDefaultConverter(value) {
      const tag = Object.prototype.toString.call(value);
      if (Array.isArray(value) || tag === "[object HTMLCollection]" || tag === "[object NodeList]") return false;
      if (tag === "[object Map]" || value instanceof Map || tag === "[object Set]" || value instanceof Set) return false;
      if (tag === "[object Object]" && (value.constructor === undefined || value.constructor.name === "Object")) return false;
      return !(tag === "[object ArrayBuffer]" || ArrayBuffer.isView(value));
    },
    // Kiln's own (python_from_rpc's fast path for what to_py converts itself): see plainJson.
    plainJson,
    // Kiln's own (workers' header copies, utils._js_header_pairs): the entries a for-of over
    // `headers` gives, as "name:value" lines in one string, so Python reads them in one trip
    // instead of one per entry and per pair. null when a name holds ":" or "\n", or a value
    // "\n" (Headers refuses those; an object standing in for one may not).
    headerLines(headers) {
      let out = "";
      for (const [name, value] of headers) {
        const n = String(name), v = String(value);
        if (n.includes(":") || n.includes("\n") || v.includes("\n")) return null;
        out += out ? "\n" + n + ":" + v : n + ":" + v;
      }
      return out;
    },
    // Kiln's own (the binding wrapper's fast path, workers/rpc.py): `object[name](...args)`
    // for Kiln's own binding classes, whose reads answer promises already fulfilled
    // (settled.mjs), with such a promise's value in the same trip: a string as "s" + it, plain
    // data (as plainJson takes it; undefined as null) as "j" + its JSON text. Pyodide would
    // make a Future and two then() callbacks for the promise. A string answered at once comes
    // as "r" + it; any other answer, and a promise pending, rejected or fulfilled with
    // anything else, as it is. A call rpcAnswer answers (a KV text get, read by the host in
    // one op) comes as it answers, the same encoding without the method's promises.
    ...(promiseResult && {
      callRpc(object, name, ...args) {
        if (rpcAnswer) {
          const answer = rpcAnswer(object, name, args);
          if (answer !== undefined) return answer;
        }
        return encodeAnswer(object[name](...args), promiseResult);
      },
      // Kiln's own (workers/rpc.py's D1 statements): `db.prepare(sql)`, bound to the first
      // `count` of `rest` when there are any, then `[name](...the others)`, answered as callRpc
      // answers: a D1 query from Python in one trip. A method called without arguments may
      // be answered by statementAnswer instead, the same answer written by the host.
      callStatement(db, sql, name, count, ...rest) {
        if (statementAnswer && count === rest.length) {
          const answer = statementAnswer(db, sql, name, rest);
          if (answer !== undefined) return answer;
        }
        let statement = db.prepare(sql);
        if (count) statement = statement.bind(...rest.slice(0, count));
        return encodeAnswer(statement[name](...rest.slice(count)), promiseResult);
      },
    }),
    // Kiln's own (resources/python/_kiln_eventloop.py): the macrotask for Python's queued
    // callback `n`, made the way Pyodide makes its own (scheduleCallback: a zero-delay
    // setTimeout in Kiln, under the top level's rules; setImmediate in node).
    scheduleReady(n) {
      if (!ready) {
        const pyodide = getPyodide();
        const loop = pyodide.pyimport("_kiln_eventloop");
        try {
          // copied: an attribute's proxy is destroyed with its module's otherwise
          ready = { run: loop.run_ready.copy(), schedule: pyodide._api.scheduleCallback };
        } finally {
          loop.destroy();
        }
      }
      ready.schedule(() => ready.run(n), 0);
    },
    cloudflareWorkersModule: cloudflareWorkers,
    cloudflareSocketsModule: cloudflareSockets,
    doAnImport(name) {
      return Promise.reject(new Error(`Kiln cannot import the JS module '${name}'`));
    },
    *patch_env_helper(patch) {
      const overlay = Object.assign(Object.create(Object.getPrototypeOf(env)), cloudflareWorkers.env);
      for (const [key, value] of patch instanceof Map ? patch : Object.entries(patch)) overlay[key] = value;
      patches.push(overlay);
      try {
        yield;
      } finally {
        patches.splice(patches.lastIndexOf(overlay), 1);
      }
    },
    patchWaitUntil(ctx) {
      // Kiln's own contexts take Python awaitables already (worker.mjs): nothing to patch.
      if (ctx instanceof Object && ctx[takesPythonAwaitables]) return;
      // An ExecutionContext by its tag, as workerd checks it (a test can stand one in).
      let tag;
      try {
        tag = Object.prototype.toString.call(ctx);
      } catch {
        return; // a revoked proxy or similar: not a context
      }
      if (tag !== "[object ExecutionContext]" || patched.has(ctx)) return;
      const original = ctx.waitUntil.bind(ctx);
      ctx.waitUntil = (promise) => original(awaitPython(promise));
      patched.add(ctx);
    },
  };
}

function usedIf(response, used) {
  if (used) response.arrayBuffer(); // marks the body used at once; its bytes are not wanted
  return response;
}

// callRpc's answer for `result` (see there).
function encodeAnswer(result, promiseResult) {
  if (typeof result === "string") return "r" + result;
  if (!(result instanceof Promise)) return result;
  const value = promiseResult(result, result);
  if (value === result) return result;
  if (typeof value === "string") return "s" + value;
  if (value === undefined) return "jnull";
  // At the top, python_from_rpc leaves an object without the constructor Object as a proxy (a
  // null prototype, an own "constructor" key): those take the general path.
  if (value !== null && typeof value === "object" && !Array.isArray(value) &&
      (Object.getPrototypeOf(value) !== Object.prototype || Object.hasOwn(value, "constructor")))
    return result;
  const text = plainJson(value);
  return text === undefined ? result : "j" + text;
}

// python_from_rpc's fast path for what to_py converts itself: the JSON text
// of `value` when it is a tree of arrays and plain objects holding strings, booleans,
// nulls and numbers that json.loads gives back as to_py would (safe integers as int, other
// finite numbers as float), each object reached once; undefined for anything else. Parsing
// that text in Python is several times quicker than to_py's walk of a small row.
function plainJson(value) {
  const seen = new Set();
  const plain = (v, depth) => {
    if (v === null || typeof v === "boolean") return true;
    if (typeof v === "string") return true;
    if (typeof v === "number") return Number.isSafeInteger(v) || (Number.isFinite(v) && !Number.isInteger(v));
    if (typeof v !== "object" || depth > 32 || seen.has(v)) return false;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) if (!(i in v) || !plain(v[i], depth + 1)) return false;
      return Object.keys(v).length === v.length;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    if (Object.getOwnPropertySymbols(v).length) return false;
    for (const key in v) if (!Object.hasOwn(v, key) || !plain(v[key], depth + 1)) return false;
    return true;
  };
  if (!plain(value, 0)) return undefined; // None in Python (null would be jsnull)
  const text = JSON.stringify(value);
  // Escapes (control characters, lone surrogates) are left to to_py.
  return text.includes("\\u") ? undefined : text;
}

// fetch_starter's answer for a Response Python made from text alone ("t" + a text/plain
// body or "j" + a JSON one, status 200; workers/response.py) as [content type, body text].
export function textAnswer(answer) {
  return [answer.startsWith("j") ? "application/json" : "text/plain;charset=UTF-8", answer.slice(1)];
}

// What an ExecutionContext whose waitUntil runs awaitPython itself has (on its prototype):
// patchWaitUntil leaves it as it is, instead of adding a patched waitUntil to every request's.
export const takesPythonAwaitables = Symbol("kiln.takesPythonAwaitables");

// A promise for a JS promise or a Python awaitable handed over as a proxy (kept alive with a
// copy of the proxy until it settles, as workerd does).
export async function awaitPython(value) {
  if (value && typeof value === "object" && "copy" in value) value = value.copy();
  try {
    return await value;
  } finally {
    if (value && typeof value === "object" && "destroy" in value) value.destroy();
  }
}
