// Workflows: the binding (`env.X`, workerd's WorkflowImpl and its WorkflowInstance handles)
// and the engine that runs instances durably. Every step is recorded in the workflow's store
// (runtime/bindings/workflowbinding.cpp over runtime/stores/workflowstore.cpp) before its body
// runs and again when it ends; a run is `run()` executed from the top, replaying completed
// steps from the store, so a restart (or a kill -9) re-runs at most the step in flight.
// The store is the truth: the CLI and the studio write to it too (pause, terminate, events),
// and the engine notices their commits through the store's data version.
import { createStep, nonRetryableRecord } from "./workflowstep.mjs";

const ID_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9-_]*$/;
const POLL_MS = 250;
const FINISHED = new Set(["complete", "errored", "terminated"]);

export class WorkflowError extends Error {
  constructor(message, code) {
    // Cloudflare's engine prefixes the error code: "(instance.already_exists) Workflow ...".
    super(code ? `(${code}) ${message}` : message);
    this.name = "WorkflowError";
    if (code) this.code = code;
  }
}

const validId = (id) => typeof id === "string" && id.length <= 100 && ID_PATTERN.test(id);

// Never settles: what a run that was paused, terminated or restarted waits on, so the Python
// code still holding it goes no further (as Cloudflare's engine parks an aborted run).
const parked = () => new Promise(() => {});

export class Engine {
  constructor(ops, decl, host, log, compatFlags = {}) {
    this.ops = ops;
    this.name = decl.name;
    this.className = decl.className;
    this.host = host;
    this.log = log; // (level, text)
    this.handle = ops.wfOpen(decl.name);
    this.preserveNonRetryable = !!compatFlags.workflows_preserve_non_retryable_error_message;
    this.runs = new Map(); // instance id -> the run in flight
    this.version = null;
    this.binding = new WorkflowImpl(this);
    this.writes = Promise.resolve();
  }

  call(op, args = {}) {
    const reply = JSON.parse(this.ops.wfCall(this.handle, op, JSON.stringify({ now: Date.now(), ...args })));
    if (reply.error) throw new WorkflowError(reply.error.message, reply.error.code);
    return reply.ok;
  }

  // Writes run on a pool thread (fsynced), one after another in the order they were asked
  // for; each answers a promise of its result. Reads (call) answer at once.
  write(op, args = {}) {
    const text = JSON.stringify({ now: Date.now(), ...args });
    const next = this.writes.then(() => this.ops.wfWrite(this.handle, op, text));
    this.writes = next.catch(() => {});
    return next.then((reply) => {
      const r = JSON.parse(reply);
      if (r.error) throw new WorkflowError(r.error.message, r.error.code);
      return r.ok;
    });
  }

  // After the main module loaded: resume what a previous process left, then watch the store.
  start(env, makeCtx) {
    this.env = env;
    this.makeCtx = makeCtx;
    for (const instance of this.call("unfinished")) {
      if (instance.status === "waitingForPause") this.setStatus(instance.id, instance.run, "paused");
      else if (instance.status !== "paused") this.execute(instance);
    }
    this.version = this.call("dataVersion");
    setInterval(() => this.poll(), POLL_MS);
  }

  // Another connection committed (the CLI, the studio): bring runs in line with the store.
  poll() {
    let version;
    try {
      version = this.call("dataVersion");
    } catch {
      return;
    }
    if (version === this.version) return;
    this.version = version;
    for (const run of [...this.runs.values()]) this.reconcile(run.id);
    for (const instance of this.call("unfinished"))
      if (instance.status === "queued" && !this.runs.has(instance.id)) this.launch(instance);
  }

  // The store's view of one instance against the run in flight (after a control action).
  reconcile(id) {
    const instance = this.call("instance", { id });
    const run = this.runs.get(id);
    if (run && (!instance || instance.run !== run.gen || instance.status === "terminated" || instance.status === "paused"))
      this.abort(run);
    else if (run) {
      if (instance.status === "waitingForPause" && run.doing === 0) this.pauseNow(run);
      else run.poke(); // an event may have arrived
    }
    if (instance && instance.status === "queued" && !this.runs.has(id)) this.launch(instance);
  }

  // A promise of whether it applied (a newer run, or a person's pause or terminate, wins).
  // Callers that go on regardless need not await it: writes keep their order.
  setStatus(id, gen, status, extra = {}) {
    const applied = this.write("setStatus", { id, run: gen, status, ...extra });
    applied.catch((e) => this.log("warn", `Workflow ${this.name} instance ${id}: ${e.message}`));
    return applied;
  }

  abort(run) {
    run.aborted = true;
    for (const timer of run.timers) clearTimeout(timer);
    run.timers.clear();
    if (this.runs.get(run.id) === run) this.runs.delete(run.id);
  }

  pauseNow(run) {
    this.setStatus(run.id, run.gen, "paused");
    this.abort(run);
  }

  // Called at each step boundary: parks the run if it was paused, terminated or restarted.
  checkpoint(run) {
    if (run.aborted) return parked();
    const instance = this.call("instance", { id: run.id });
    if (!instance || instance.run !== run.gen || instance.status === "terminated" || instance.status === "paused") {
      this.abort(run);
      return parked();
    }
    if (instance.status === "waitingForPause" && run.doing === 0) {
      this.pauseNow(run);
      return parked();
    }
    return null;
  }

  // running while a step body runs, waiting while only sleeps and event waits are pending.
  updateStatus(run) {
    if (run.aborted) return;
    const status = run.doing === 0 && run.waits > 0 ? "waiting" : "running";
    if (status === run.status) return;
    const instance = this.call("instance", { id: run.id });
    if (instance?.status === "waitingForPause") {
      if (status === "waiting") this.pauseNow(run);
      return;
    }
    run.status = status;
    this.setStatus(run.id, run.gen, status);
  }

  // Begins a run from a timer of the engine's own: a run started by a request must not live
  // inside that request (its end would cancel the run's I/O).
  launch(instance) {
    if (this.runs.has(instance.id)) return;
    this.ops.timerStart(0, () => {
      if (!this.runs.has(instance.id)) this.execute(instance);
    }, false, true);
  }

  async execute(instance) {
    const run = {
      id: instance.id, gen: instance.run, aborted: false, status: null, doing: 0, waits: 0,
      counts: new Map(), timers: new Set(), pokes: new Set(),
      poke() { for (const fn of [...this.pokes]) fn(); },
    };
    this.runs.set(run.id, run);
    await this.write("closeInterrupted", { id: run.id });
    run.status = "running";
    if (!(await this.setStatus(run.id, run.gen, "running"))) return this.abort(run);
    const event = {
      payload: instance.params,
      timestamp: new Date(instance.created),
      instanceId: instance.id,
      workflowName: this.name,
    };
    let output;
    try {
      output = await this.host.run_workflow(this.className, event, createStep(this, run), this.env, this.makeCtx());
    } catch (e) {
      if (run.aborted) return;
      this.abort(run);
      const { name, message, text } = describeError(e);
      this.log("error", `Workflow ${this.name} instance ${run.id} failed:\n${text}`);
      const error = name === "NonRetryableError" || message.startsWith("NonRetryableError")
        ? nonRetryableRecord(this, message, true)
        : { name, message };
      await this.setStatus(run.id, run.gen, "errored", { error });
      return;
    }
    if (run.aborted) return;
    this.abort(run);
    let json;
    try {
      json = serialize(output);
    } catch {
      const message = "The value returned from run() is not serialisable";
      this.log("error", `Workflow ${this.name} instance ${run.id} failed: ${message}`);
      await this.setStatus(run.id, run.gen, "errored", { error: { name: "WorkflowFatalError", message } });
      return;
    }
    await this.setStatus(run.id, run.gen, "complete", { output: json });
  }

  // Waits `ms` for this run; a run aborted meanwhile never wakes.
  sleep(run, ms) {
    return new Promise((resolve) => {
      const MAX = 0x7fffffff; // setTimeout's limit (~24.8 days): longer sleeps chain
      const arm = (left) => {
        const timer = setTimeout(() => {
          run.timers.delete(timer);
          if (left > MAX) arm(left - MAX);
          else resolve();
        }, Math.min(Math.max(0, left), MAX));
        run.timers.add(timer);
      };
      arm(ms);
    });
  }
}

// JSON text of a step's or run's result; throws for what JSON cannot carry faithfully.
export function serialize(value) {
  if (value === undefined) return "null";
  const seen = new Set();
  const check = (v) => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new TypeError("not serialisable");
      return;
    }
    if (typeof v === "bigint" || typeof v === "function" || typeof v === "symbol" || v === undefined)
      throw new TypeError("not serialisable");
    if (v instanceof Date) return;
    if (seen.has(v)) throw new TypeError("not serialisable");
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) throw new TypeError("not serialisable");
    seen.add(v);
    for (const item of Array.isArray(v) ? v : Object.values(v)) check(item);
    seen.delete(v);
  };
  check(value);
  return JSON.stringify(value);
}

// name, message and printable text of a failure: a Python exception's type and message from
// the last line of its traceback, a JS error's name and message.
export function describeError(e) {
  // Pyodide's PythonError carries the whole traceback as its message; its last line names the
  // Python exception. (Its constructor's name is not reliable across Pyodide builds; `name` is.)
  // (_tasks.future_to_promise names a NonRetryableError's rejection after it, with the
  // traceback as its message too.)
  if (e && (e.name === "PythonError" || e.constructor?.name === "PythonError" ||
            String(e.message).startsWith("Traceback (most recent call last):"))) {
    const lines = String(e.message).trimEnd().split("\n");
    const last = lines[lines.length - 1] ?? "";
    const m = /^([\w.]+)(?::\s?([\s\S]*))?$/.exec(last);
    let name = m ? m[1].split(".").pop() : "Error";
    let message = m ? (m[2] ?? "") : last;
    // A JS error (a step's timeout) that passed through Python uncaught: report the JS one.
    const js = name === "JsException" && /^(\w+): ([\s\S]*)$/.exec(message);
    if (js) [, name, message] = js;
    return { name, message, text: e.message.trimEnd() };
  }
  const name = e?.name ?? "Error";
  const message = e?.message ?? String(e);
  return { name, message, text: `${name}: ${message}` };
}

class WorkflowInstance {
  #engine;
  constructor(engine, id) {
    this.#engine = engine;
    this.id = id;
  }
  async #control(action, from) {
    await this.#engine.write("control", { id: this.id, action, ...(from ? { from } : {}) });
    this.#engine.reconcile(this.id);
  }
  async pause() { return this.#control("pause"); }
  async resume() { return this.#control("resume"); }
  async terminate() { return this.#control("terminate"); }
  async restart(options) {
    const from = options?.from;
    const key = from ? `${from.type ?? "do"}:${from.count ?? 1}:${from.name}` : undefined;
    return this.#control("restart", key);
  }
  async status() {
    const instance = this.#engine.call("instance", { id: this.id });
    if (!instance) throw new Error("instance.not_found");
    return { status: instance.status, error: instance.error, output: instance.output ?? null };
  }
  async sendEvent(event) {
    const { type, payload } = event ?? {};
    if (typeof type !== "string" || !type) throw new TypeError("sendEvent() needs a string 'type'");
    await this.#engine.write("sendEvent", { id: this.id, type, payload: serialize(payload ?? null) });
    this.#engine.reconcile(this.id);
  }
}

export class WorkflowImpl {
  #engine;
  constructor(engine) {
    this.#engine = engine;
  }
  #made(instances) {
    for (const instance of instances) this.#engine.launch(instance);
    return instances.map((instance) => new WorkflowInstance(this.#engine, instance.id));
  }
  async create(options = {}) {
    const { id, params = {} } = options ?? {};
    if (id !== undefined && !validId(id)) throw new WorkflowError("Workflow instance has invalid id");
    return this.#made(await this.#engine.write("create", { instances: [{ id, params: serialize(params) }] }))[0];
  }
  async createBatch(batch) {
    if (!Array.isArray(batch)) throw new WorkflowError("Provided argument is invalid", "body");
    if (batch.length === 0) throw new Error("WorkflowError: batchCreate should have at least 1 instance");
    if (batch.length > 100) throw new Error("WorkflowError: batchCreate only supports 100 instances at a time");
    const instances = batch.map((options) => {
      const { id, params = {} } = options ?? {};
      if (id !== undefined && !validId(id)) throw new WorkflowError("Workflow instance has invalid id");
      return { id, params: serialize(params) };
    });
    return this.#made(await this.#engine.write("create", { instances }));
  }
  async get(id) {
    if (!this.#engine.call("instance", { id: String(id) })) throw new Error("instance.not_found");
    return new WorkflowInstance(this.#engine, String(id));
  }
}

export { FINISHED };
