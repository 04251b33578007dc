// The global scope's rules, as workerd enforces them while a worker's modules are imported
// (before any request): fetch() and a timer with a delay throw workerd's error;
// setTimeout(fn, 0) runs fn as a microtask, as workerd's Pyodide patch does. Randomness has
// its own rules in Python (resources/python/_kiln_entropy.py). The wrappers stay installed
// for the worker's life and pass calls through once the scope has ended.

const MESSAGE =
  "Disallowed operation called within global scope. Asynchronous I/O " +
  "(ex: fetch() or connect()), setting a timeout, and generating random " +
  "values are not allowed within global scope. To fix this error, perform this " +
  "operation within a handler. " +
  "https://developers.cloudflare.com/workers/runtime-apis/handlers/";

export function installGlobalScopeRules() {
  let active = false;
  const real = { fetch: globalThis.fetch, setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
  const refuse = () => { throw new Error(MESSAGE); };
  // Named as the originals: code may look at fetch.name.
  globalThis.fetch = function fetch(...args) {
    if (active) refuse();
    return real.fetch.apply(this, args);
  };
  globalThis.setTimeout = function setTimeout(handler, delay, ...args) {
    if (!active) return real.setTimeout.call(this, handler, delay, ...args);
    if (delay || typeof handler !== "function") refuse();
    queueMicrotask(() => handler(...args));
    return 0;
  };
  globalThis.setInterval = function setInterval(...args) {
    if (active) refuse();
    return real.setInterval.apply(this, args);
  };
  return {
    // Runs `fn` (sync or async) as global-scope code.
    async run(fn) {
      active = true;
      try {
        return await fn();
      } finally {
        active = false;
      }
    },
  };
}
