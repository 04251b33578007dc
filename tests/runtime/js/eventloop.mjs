// The engine's event loop: macrotask/microtask ordering, timers, promise bridging, module
// loading. Ordering follows the HTML event loop, which workerd also follows.
import { check, equal, same, done } from "./_harness.mjs";

const log = [];
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Microtasks run before the next macrotask, in FIFO order, promises and queueMicrotask alike.
setTimeout(() => log.push("timeout 0"), 0);
Promise.resolve().then(() => log.push("promise 1"));
queueMicrotask(() => log.push("microtask 2"));
Promise.resolve().then(() => Promise.resolve()).then(() => log.push("chained 3"));
log.push("sync");
await wait(5);
same("microtasks drain before the first timer", log, ["sync", "promise 1", "microtask 2", "chained 3", "timeout 0"]);

// Timers fire in deadline order, equal deadlines in creation order.
const order = [];
setTimeout(() => order.push(30), 30);
setTimeout(() => order.push(10), 10);
setTimeout(() => order.push("10b"), 10);
setTimeout(() => order.push(0), 0);
await wait(60);
same("timers by deadline, ties by creation", order, [0, 10, "10b", 30]);

// Real delays: a 50 ms timer does not fire early.
const t0 = performance.now();
await wait(50);
check("setTimeout waits at least its delay", performance.now() - t0 >= 49, `${performance.now() - t0} ms`);

// Intervals repeat until cleared; clearTimeout cancels; arguments are passed through.
let ticks = 0;
const interval = setInterval(() => { if (++ticks === 3) clearInterval(interval); }, 5);
const cancelled = setTimeout(() => { ticks = 100; }, 10);
clearTimeout(cancelled);
let got;
setTimeout((a, b) => { got = [a, b]; }, 1, "x", 2);
await wait(60);
equal("interval ran three times, then stopped", ticks, 3);
same("timer arguments", got, ["x", 2]);
check("timer ids are numbers", typeof setTimeout(() => {}, 0) === "number");

// Awaiting an already-rejected promise is handled: no "Uncaught (in promise)".
async function fails() { throw new TypeError("handled"); }
let caught = null;
try { await fails(); } catch (e) { caught = e; }
check("rejection caught by await", caught instanceof TypeError && caught.message === "handled");

// Promise combinators across timers.
const results = await Promise.all([wait(5).then(() => "a"), Promise.resolve("b"), wait(1).then(() => "c")]);
same("Promise.all keeps order", results, ["a", "b", "c"]);
const first = await Promise.race([wait(20).then(() => "slow"), wait(1).then(() => "fast")]);
equal("Promise.race", first, "fast");
const settled = await Promise.allSettled([Promise.reject(new Error("no")), Promise.resolve(1)]);
same("Promise.allSettled", settled.map((s) => s.status), ["rejected", "fulfilled"]);

// Modules: dynamic import resolves relative to this file; import.meta.url is a file URL.
check("import.meta.url", import.meta.url.startsWith("file:///") && import.meta.url.endsWith(".mjs"), import.meta.url);
const harness = await import("./_harness.mjs");
check("dynamic import returns the same module instance", harness.check === check);
let importError = null;
try { await import("./no-such-module.mjs"); } catch (e) { importError = e; }
check("missing module rejects the import", importError instanceof Error && /no-such-module/.test(importError.message), String(importError));

// WebAssembly compiles asynchronously off-thread and resolves on the loop.
const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
const module = await WebAssembly.compile(empty);
check("async wasm compile resolves", module instanceof WebAssembly.Module);
const { instance } = await WebAssembly.instantiate(empty);
check("wasm instantiate resolves", instance instanceof WebAssembly.Instance);

done();
