// Event, EventTarget, CustomEvent, AbortController and AbortSignal (DOM Standard). There is
// no tree here, so dispatch is always "at target": no capture or bubble phases.
import { DOMException } from "./domexception.js";
import { listen, unlisten } from "./hostevents.js";
import { define, illegal, setTag } from "./util.js";

const kEvent = Symbol("event");
const kListeners = Symbol("listeners");
const kSignal = Symbol("signal");
const kCreate = Symbol("create");

let reportError = (error) => { throw error; };

export class Event {
  constructor(type, init = undefined) {
    if (arguments.length === 0) throw new TypeError('The "type" argument must be specified');
    if (init !== undefined && init !== null && typeof init !== "object") throw new TypeError("The event init must be an object");
    this[kEvent] = {
      type: String(type), bubbles: Boolean(init?.bubbles), cancelable: Boolean(init?.cancelable),
      composed: Boolean(init?.composed), target: null, currentTarget: null, phase: 0, canceled: false,
      stop: false, stopImmediate: false, dispatching: false, passive: false, timeStamp: globalThis.performance.now(),
    };
  }
  get type() { return state(this).type; }
  get target() { return state(this).target; }
  get srcElement() { return state(this).target; }
  get currentTarget() { return state(this).currentTarget; }
  get eventPhase() { return state(this).phase; }
  get bubbles() { return state(this).bubbles; }
  get cancelable() { return state(this).cancelable; }
  get composed() { return state(this).composed; }
  get isTrusted() { return false; }
  get timeStamp() { return state(this).timeStamp; }
  get defaultPrevented() { return state(this).canceled; }
  get returnValue() { return !state(this).canceled; }
  set returnValue(value) { if (!value) this.preventDefault(); }
  get cancelBubble() { return state(this).stop; }
  set cancelBubble(value) { if (value) state(this).stop = true; }
  composedPath() { const st = state(this); return st.dispatching && st.currentTarget ? [st.currentTarget] : []; }
  preventDefault() { const st = state(this); if (st.cancelable && !st.passive) st.canceled = true; }
  stopPropagation() { state(this).stop = true; }
  stopImmediatePropagation() { const st = state(this); st.stop = st.stopImmediate = true; }
}
const PHASES = { NONE: 0, CAPTURING_PHASE: 1, AT_TARGET: 2, BUBBLING_PHASE: 3 };
for (const [name, value] of Object.entries(PHASES)) {
  Object.defineProperty(Event, name, { value, enumerable: true });
  Object.defineProperty(Event.prototype, name, { value, enumerable: true });
}
setTag(Event, "Event");

function state(event) {
  const st = event?.[kEvent];
  if (!st) throw illegal();
  return st;
}

export class CustomEvent extends Event {
  constructor(type, init = undefined) {
    super(type, init);
    this[kEvent].detail = init?.detail ?? null;
  }
  get detail() { return state(this).detail; }
}
setTag(CustomEvent, "CustomEvent");

function flattenOptions(options) {
  if (typeof options === "boolean") return { capture: options, once: false, passive: false, signal: undefined };
  if (options === undefined || options === null) return { capture: false, once: false, passive: false, signal: undefined };
  if (typeof options !== "object") return { capture: Boolean(options), once: false, passive: false, signal: undefined };
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("The \"signal\" option must be an AbortSignal");
  return { capture: Boolean(options.capture), once: Boolean(options.once), passive: Boolean(options.passive), signal };
}

function listenersOf(target) {
  if (!target || typeof target !== "object" && typeof target !== "function") throw illegal();
  if (!target[kListeners]) Object.defineProperty(target, kListeners, { value: new Map() });
  return target[kListeners];
}

export class EventTarget {
  addEventListener(type, callback, options = undefined) {
    const map = listenersOf(this);
    const { capture, once, passive, signal } = flattenOptions(options);
    if (callback === null || callback === undefined) return;
    if (typeof callback !== "function" && typeof callback !== "object") throw new TypeError("The listener must be a function or an object with handleEvent");
    if (signal && signal.aborted) return;
    type = String(type);
    let list = map.get(type);
    if (!list) map.set(type, list = []);
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const entry = { callback, capture, once, passive, removed: false };
    list.push(entry);
    if (signal) addAbortAlgorithm(signal, () => this.removeEventListener(type, callback, capture));
  }

  removeEventListener(type, callback, options = undefined) {
    const map = listenersOf(this);
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    const list = map.get(String(type));
    if (!list) return;
    const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError('The "event" argument must be an instance of Event');
    const st = event[kEvent];
    if (st.dispatching) throw new DOMException("The event is already being dispatched.", "InvalidStateError");
    st.dispatching = true;
    st.target = st.currentTarget = this;
    st.phase = PHASES.AT_TARGET;
    try {
      const list = listenersOf(this).get(st.type);
      // Listeners added during dispatch do not run; removed ones are skipped (DOM "inner invoke").
      if (list && !st.stop) {
        for (const entry of list.slice()) {
          if (entry.removed) continue;
          if (entry.once) this.removeEventListener(st.type, entry.callback, entry.capture);
          st.passive = entry.passive;
          try {
            const { callback } = entry;
            if (typeof callback === "function") callback.call(this, event);
            else if (typeof callback.handleEvent === "function") callback.handleEvent(event);
            else throw new TypeError("The listener's handleEvent is not a function");
          } catch (error) {
            reportError(error);
          }
          st.passive = false;
          if (st.stopImmediate) break;
        }
      }
    } finally {
      st.dispatching = false;
      st.phase = PHASES.NONE;
      st.currentTarget = null;
      st.stop = st.stopImmediate = false;
    }
    return !st.canceled;
  }
}
setTag(EventTarget, "EventTarget");

// An `onabort`-style attribute: the listener is registered when first set to a function and
// keeps its place in the list afterwards, as HTML's event handler processing does.
export function defineHandler(cls, type) {
  const key = Symbol(`on${type}`);
  Object.defineProperty(cls.prototype, `on${type}`, {
    configurable: true,
    get() { return this[key]?.value ?? null; },
    set(value) {
      const fn = typeof value === "function" ? value : null;
      if (!this[key]) {
        if (!fn) return;
        const slot = { value: fn };
        Object.defineProperty(this, key, { value: slot });
        this.addEventListener(type, (event) => {
          if (slot.value && slot.value.call(this, event) === false) event.preventDefault();
        });
      }
      this[key].value = fn;
    },
  });
}

function defaultAbortReason() {
  return new DOMException("The operation was aborted", "AbortError");
}

function signalState(signal) {
  const st = signal?.[kSignal];
  if (!st) throw illegal();
  return st;
}

export function createSignal() {
  return new AbortSignal(kCreate);
}

// For fetch(), pipeTo() and addEventListener({signal}): run `algorithm` once, on abort.
export function addAbortAlgorithm(signal, algorithm) {
  const st = signalState(signal);
  if (!st.aborted) st.algorithms.add(algorithm);
  return () => st.algorithms.delete(algorithm);
}

export function signalAbort(signal, reason) {
  const st = signalState(signal);
  if (st.aborted) return;
  st.aborted = true;
  st.reason = reason === undefined ? defaultAbortReason() : reason;
  const algorithms = [...st.algorithms];
  st.algorithms.clear();
  for (const algorithm of algorithms) {
    try { algorithm(st.reason); } catch (error) { reportError(error); }
  }
  signal.dispatchEvent(new Event("abort"));
  const dependents = [...st.dependents];
  st.dependents.clear();
  for (const dependent of dependents) signalAbort(dependent, st.reason);
}

// Cuts a dependent signal (AbortSignal.any) loose from its sources. fetch() does this when
// the exchange is over, so a long-lived controller does not collect every request's signal.
export function releaseSignal(signal) {
  const st = signalState(signal);
  for (const source of st.sources) signalState(source).dependents.delete(signal);
  st.sources = [];
}

export class AbortSignal extends EventTarget {
  constructor(key = undefined) {
    if (key !== kCreate) throw new TypeError("Illegal constructor");
    super();
    Object.defineProperty(this, kSignal, { value: { aborted: false, reason: undefined, algorithms: new Set(), dependents: new Set(), sources: [] } });
  }

  static abort(reason = undefined) {
    const signal = createSignal();
    signalAbort(signal, reason);
    return signal;
  }

  static timeout(milliseconds) {
    const ms = Number(milliseconds);
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`The "milliseconds" argument must be a non-negative finite number, got ${milliseconds}`);
    const signal = createSignal();
    const fire = () => signalAbort(signal, new DOMException("The operation was aborted due to timeout", "TimeoutError"));
    // An unreferenced host timer where available: like Node and Deno, a pending timeout
    // signal does not keep an otherwise finished script alive.
    if (hostTimer) {
      const id = hostTimer(Math.trunc(ms));
      listen(id, () => { unlisten(id); fire(); });
    } else {
      globalThis.setTimeout(fire, ms);
    }
    return signal;
  }

  static any(signals) {
    const result = createSignal();
    const sources = [...signals];
    for (const source of sources) {
      if (!(source instanceof AbortSignal)) throw new TypeError("AbortSignal.any expects a sequence of AbortSignal");
    }
    const aborted = sources.find((s) => s.aborted);
    if (aborted) {
      signalAbort(result, aborted.reason);
      return result;
    }
    for (const source of sources) signalState(source).dependents.add(result);
    signalState(result).sources = sources;
    // Once aborted, the result must not stay reachable from the other sources.
    addAbortAlgorithm(result, () => releaseSignal(result));
    return result;
  }

  get aborted() { return signalState(this).aborted; }
  get reason() { return signalState(this).reason; }
  throwIfAborted() {
    const st = signalState(this);
    if (st.aborted) throw st.reason;
  }
}
defineHandler(AbortSignal, "abort");
setTag(AbortSignal, "AbortSignal");

export class AbortController {
  constructor() {
    Object.defineProperty(this, kSignal, { value: createSignal() });
  }
  get signal() {
    if (!this?.[kSignal]) throw illegal();
    return this[kSignal];
  }
  abort(reason = undefined) {
    signalAbort(this.signal, reason);
  }
}
setTag(AbortController, "AbortController");

let hostTimer = null;

export function installEvents(g, ops) {
  // Exceptions in listeners are "reported", not rethrown into dispatchEvent's caller; the
  // host prints them the way it prints any uncaught exception.
  reportError = (error) => ops.log(ops.logLevel.error, `Uncaught ${error && error.stack ? error.stack : String(error)}`);
  if (typeof ops.fetchTimer === "function") hostTimer = (ms) => ops.fetchTimer(ms);
  define(g, "Event", Event);
  define(g, "EventTarget", EventTarget);
  define(g, "CustomEvent", CustomEvent);
  define(g, "AbortController", AbortController);
  define(g, "AbortSignal", AbortSignal);
}
