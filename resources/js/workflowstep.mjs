// The `step` object a workflow's run() receives (workerd's WorkflowStep): do, sleep,
// sleepUntil and waitForEvent, each keyed by kind, name and occurrence in the run, recorded in
// the store before it begins and when it ends, and answered from the store on replay.
// Behaviour and messages follow Cloudflare's engine (defaults, backoff, duration strings,
// timeouts, name rules).
import { describeError, serialize } from "./workflows.mjs";

const DEFAULT_RETRIES = { limit: 5, delay: 1000, backoff: "exponential" };
const DEFAULT_TIMEOUT = "10 minutes";
const UNITS = { year: 315576e5, month: 2592e6, week: 6048e5, day: 864e5, hour: 36e5, minute: 6e4, second: 1e3, m: 1 };
const BACKOFFS = new Set(["constant", "linear", "exponential"]);
const INTERRUPTED = "Interrupted"; // workflowtypes.h: an attempt a killed process left open

class WorkflowFatalError extends Error {
  name = "WorkflowFatalError";
}
class WorkflowTimeoutError extends Error {
  name = "WorkflowTimeoutError";
}

// "5 seconds", "1 minute", "250" or 250 -> ms, as Cloudflare's engine reads them.
export function durationMs(value) {
  if (!isNaN(+value)) return +value;
  const [, amount, unit] = String(value).match(/^([^ ]+) +(\w\w*?)s?$/) || [, value];
  return +amount * (UNITS[unit] || 1);
}

const validName = (name) => typeof name === "string" && name.length <= 256 && !/[\x00-\x1f]/.test(name);

function validConfig(config) {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return false;
  const { retries, timeout } = config;
  if (retries !== undefined) {
    if (retries === null || typeof retries !== "object") return false;
    if (retries.limit !== undefined && !(Number.isInteger(retries.limit) && retries.limit >= 0)) return false;
    if (retries.delay !== undefined && Number.isNaN(durationMs(retries.delay))) return false;
    if (retries.backoff !== undefined && !BACKOFFS.has(retries.backoff)) return false;
  }
  if (timeout !== undefined && (durationMs(timeout) === 0 || Number.isNaN(durationMs(timeout)))) return false;
  return true;
}

function retryDelay(retries, failures) {
  const base = durationMs(retries.delay);
  if (retries.backoff === "exponential") return base * 2 ** (failures - 1);
  if (retries.backoff === "linear") return base * failures;
  return base;
}

function storedError(error) {
  const e = new Error(error?.message ?? "");
  e.name = error?.name ?? "Error";
  return e;
}

const isNonRetryable = (e, name) =>
  name === "NonRetryableError" || String(e?.message ?? "").startsWith("NonRetryableError");

// A NonRetryableError as Cloudflare's engine records it: with the compatibility flag
// workflows_preserve_non_retryable_error_message (on from 2026-05-14) its own name and
// message, before that a WorkflowFatalError saying a NonRetryableError was thrown. `whole`:
// the instance's error (the run did not handle it) rather than the attempt's.
export function nonRetryableRecord(engine, message, whole) {
  const text = String(message).replace(/^(?:(?:workers\.workflows\.)?NonRetryableError:?\s*)+/, "");
  if (engine.preserveNonRetryable) return { name: "NonRetryableError", message: text };
  return {
    name: "WorkflowFatalError",
    message: whole
      ? "The execution of the Workflow instance was terminated, as a step threw an NonRetryableError and it was not handled"
      : `Step threw a NonRetryableError with message "${text}"`,
  };
}

const fromStore = (json) => (json === undefined ? null : json);

export function createStep(engine, run) {
  const call = (op, args) => engine.call(op, { id: run.id, ...args }); // reads
  const write = (op, args) => engine.write(op, { id: run.id, ...args });
  const next = (kind, name) => {
    const counter = `${kind}-${name}`;
    const count = (run.counts.get(counter) ?? 0) + 1;
    run.counts.set(counter, count);
    return count;
  };

  // A wait (sleep or event) holds the instance in "waiting" while nothing else runs.
  async function waiting(fn) {
    run.waits++;
    engine.updateStatus(run);
    try {
      return await fn();
    } finally {
      run.waits--;
      engine.updateStatus(run);
    }
  }

  async function attempt(callback, ctx, timeoutMs) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new WorkflowTimeoutError(`Execution timed out after ${timeoutMs}ms`)), timeoutMs);
    });
    run.doing++;
    engine.updateStatus(run);
    try {
      return await Promise.race([Promise.resolve().then(() => callback(ctx)), timeout]);
    } finally {
      clearTimeout(timer);
      run.doing--;
    }
  }

  // The Python SDK sets `kilnSource` ("file:line" of the run() code) just before each call;
  // each method takes it synchronously, before its first await.
  const takeSource = () => {
    const source = step.kilnSource;
    step.kilnSource = undefined;
    return typeof source === "string" ? source : undefined;
  };

  const step = {
    async do(name, ...rest) {
      const source = takeSource();
      let config = {};
      let callback = rest[0];
      if (typeof callback !== "function") {
        config = rest[0] ?? {};
        callback = rest[1];
        if (typeof callback !== "function") throw new WorkflowFatalError(`Step "${name}" requires a callback function`);
      }
      if (!validName(name))
        throw new WorkflowFatalError(`Step name "${name}" exceeds max length (256 chars) or invalid characters found`);
      if (!validConfig(config))
        throw new WorkflowFatalError(`Step config for "${name}" is in a invalid format. See https://developers.cloudflare.com/workflows/build/sleeping-and-retrying/`);
      const merged = { retries: { ...DEFAULT_RETRIES, ...config.retries }, timeout: config.timeout ?? DEFAULT_TIMEOUT };
      const count = next("do", name);
      const key = `do:${count}:${name}`;
      const parkedRun = engine.checkpoint(run);
      if (parkedRun) return parkedRun;
      const stored = call("step", { key });
      if (stored?.state === "complete") return fromStore(stored.output);
      if (stored?.state === "errored") throw storedError(stored.error);
      let failures = (stored?.attempts ?? []).filter((a) => a.end && !a.success && a.error?.name !== INTERRUPTED).length;
      const last = stored?.attempts?.at(-1);
      if (last?.retryAt) await engine.sleep(run, last.retryAt - Date.now()); // a retry wait a restart cut short
      for (;;) {
        const parked = engine.checkpoint(run);
        if (parked) return parked;
        const number = await write("beginAttempt", { name, count, config: JSON.stringify(merged), source });
        let value;
        let json;
        let failure = null;
        try {
          value = await attempt(callback, { attempt: number, step: { name, count }, config: merged }, durationMs(merged.timeout));
          try {
            json = serialize(value);
          } catch {
            failure = "unserialisable";
          }
        } catch (e) {
          failure = e;
        }
        if (run.aborted) return new Promise(() => {});
        if (failure === null) {
          await write("endAttempt", { key, attempt: number, success: true, output: json });
          return JSON.parse(json);
        }
        if (failure === "unserialisable") {
          const message = `Value returned from step "${name}" is not serialisable`;
          await write("endAttempt", { key, attempt: number, success: false, error: { name: "WorkflowFatalError", message } });
          engine.abort(run);
          const why = `The execution of the Workflow instance was terminated, as the step "${name}" returned a value which is not serialisable`;
          engine.log("error", `Workflow ${engine.name} instance ${run.id}: ${why}`);
          await engine.setStatus(run.id, run.gen, "errored", { error: { name: "WorkflowFatalError", message: why } });
          return new Promise(() => {});
        }
        const { name: errorName, message, text } = describeError(failure);
        failures++;
        if (!isNonRetryable(failure, errorName) && failures <= merged.retries.limit) {
          const delay = retryDelay(merged.retries, failures);
          await write("endAttempt", { key, attempt: number, success: false, error: { name: errorName, message }, retryAt: Date.now() + delay });
          engine.log("warn", `Workflow ${engine.name} instance ${run.id}: step "${name}" attempt ${number} failed (${errorName}: ${message}); retrying in ${delay} ms`);
          await engine.sleep(run, delay);
          continue;
        }
        const error = isNonRetryable(failure, errorName)
          ? nonRetryableRecord(engine, message, false)
          : { name: errorName, message };
        await write("endAttempt", { key, attempt: number, success: false, error });
        engine.log("warn", `Workflow ${engine.name} instance ${run.id}: step "${name}" failed after ${number} attempt(s):\n${text}`);
        throw failure;
      }
    },

    async sleep(name, duration) {
      const source = takeSource();
      const ms = durationMs(duration);
      if (!validName(name))
        throw new WorkflowFatalError(`Step name "${name}" exceeds max length (256 chars) or invalid characters found`);
      if (Number.isNaN(ms)) throw new WorkflowFatalError(`Sleep duration for "${name}" is invalid`);
      return sleepStep(name, () => Date.now() + ms, source);
    },

    async sleepUntil(name, timestamp) {
      const source = takeSource();
      const until = timestamp instanceof Date ? timestamp.valueOf() : typeof timestamp === "string" ? Date.parse(timestamp) : +timestamp;
      return sleepStep(name, () => {
        if (until < Date.now()) throw new Error("You can't sleep until a time in the past, time-traveler");
        return until;
      }, source);
    },

    async waitForEvent(name, options) {
      const source = takeSource();
      const type = options?.type;
      const timeoutMs = durationMs(options?.timeout || "24 hours");
      if (!validName(name))
        throw new WorkflowFatalError(`Step name "${name}" exceeds max length (256 chars) or invalid characters found`);
      const count = next("waitForEvent", name);
      const key = `waitForEvent:${count}:${name}`;
      const parkedRun = engine.checkpoint(run);
      if (parkedRun) return parkedRun;
      const stored = call("step", { key });
      const asEvent = (e) => ({ payload: e.payload, timestamp: new Date(e.timestamp), type: e.type });
      if (stored?.state === "complete") return asEvent(stored.output);
      if (stored?.state === "errored") throw Object.assign(new WorkflowTimeoutError(stored.error?.message ?? ""), {});
      const until = stored?.until ?? Date.now() + timeoutMs;
      if (!stored) await write("beginWait", { type: "waitForEvent", name, count, until, source });
      return waiting(async () => {
        for (;;) {
          // Paused, terminated or restarted meanwhile (the engine may not have noticed yet).
          const parked = engine.checkpoint(run);
          if (parked) return parked;
          const event = await write("claimEvent", { type, key });
          if (event) {
            const output = { payload: event.payload, timestamp: event.timestamp, type: event.type };
            await write("endWait", { key, success: true, output: JSON.stringify(output) });
            return asEvent(output);
          }
          if (Date.now() >= until) {
            const message = `Execution timed out after ${timeoutMs}ms`;
            await write("endWait", { key, success: false, error: { name: "WorkflowTimeoutError", message } });
            throw new WorkflowTimeoutError(message);
          }
          // Woken by an event sent here or noticed in the store, or by the timeout.
          await new Promise((resolve) => {
            const poke = () => {
              run.pokes.delete(poke);
              resolve();
            };
            run.pokes.add(poke);
            engine.sleep(run, until - Date.now()).then(poke);
          });
        }
      });
    },
  };

  return step;

  async function sleepStep(name, untilOf, source) {
    const count = next("sleep", name);
    const key = `sleep:${count}:${name}`;
    const parkedRun = engine.checkpoint(run);
    if (parkedRun) return parkedRun;
    const stored = call("step", { key });
    if (stored?.state === "complete") return;
    const until = stored?.until ?? untilOf();
    if (!stored) await write("beginWait", { type: "sleep", name, count, until, source });
    await waiting(async () => {
      await write("setWake", { wake: until });
      await engine.sleep(run, until - Date.now());
    });
    const parked = engine.checkpoint(run);
    if (parked) return parked;
    await write("endWait", { key, success: true });
    await write("setWake", { wake: null });
  }
}
