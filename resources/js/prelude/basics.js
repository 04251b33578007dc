// Timers, console, clocks, entropy, text codecs, base64, structuredClone.

function define(target, name, value) {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

function formatValue(value, depth = 0) {
  if (typeof value === "string") return depth ? JSON.stringify(value) : value;
  if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
  if (typeof value === "function") return `[Function: ${value.name || "anonymous"}]`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  if (value === null || typeof value !== "object") return String(value);
  if (depth > 2) return Array.isArray(value) ? "[Array]" : "[Object]";
  try {
    if (Array.isArray(value)) return `[ ${value.map((v) => formatValue(v, depth + 1)).join(", ")} ]`;
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.from(value.slice(0, 50)).join(", ")}${value.length > 50 ? ", ..." : ""} ]`;
    if (value instanceof Map) return `Map(${value.size}) { ${[...value].map(([k, v]) => `${formatValue(k, depth + 1)} => ${formatValue(v, depth + 1)}`).join(", ")} }`;
    const name = value.constructor && value.constructor !== Object ? `${value.constructor.name} ` : "";
    const entries = Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v, depth + 1)}`);
    return `${name}{${entries.length ? ` ${entries.join(", ")} ` : ""}}`;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function format(args) {
  return args.map((a) => formatValue(a)).join(" ");
}

function makeConsole(ops) {
  const LEVELS = ops.logLevel; // { debug: 0, log: 1, ... }, from the host's enum
  const console = {};
  for (const [name, level] of Object.entries(LEVELS)) console[name] = (...args) => ops.log(level, format(args));
  console.trace = (...args) => ops.log(LEVELS.log, `Trace: ${format(args)}\n${new Error().stack.split("\n").slice(2).join("\n")}`);
  console.assert = (cond, ...args) => { if (!cond) ops.log(LEVELS.error, `Assertion failed${args.length ? ": " + format(args) : ""}`); };
  const timers = new Map();
  console.time = (label = "default") => timers.set(label, ops.now());
  console.timeEnd = (label = "default") => {
    const start = timers.get(label);
    timers.delete(label);
    if (start !== undefined) ops.log(LEVELS.log, `${label}: ${(ops.now() - start).toFixed(3)}ms`);
  };
  const counts = new Map();
  console.count = (label = "default") => { counts.set(label, (counts.get(label) || 0) + 1); ops.log(LEVELS.info, `${label}: ${counts.get(label)}`); };
  console.dir = (v) => ops.log(LEVELS.log, formatValue(v, 1));
  console.table = console.log;
  console.group = console.groupEnd = console.groupCollapsed = () => {};
  return console;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// DOMException is installed right after the basics (ops.js), so look it up at call time.
function domException(message, name) {
  if (typeof globalThis.DOMException === "function") return new globalThis.DOMException(message, name);
  const e = new Error(message);
  e.name = name;
  return e;
}

function invalidCharacter(message) {
  return domException(message, "InvalidCharacterError");
}

// structuredClone's transfer list (ArrayBuffers only): the clone gets the memory, the
// originals are detached. The streams polyfill relies on this for byte streams, whose
// enqueue() transfers each chunk's buffer.
function cloneWithTransfer(ops, value, transfer) {
  const list = [...transfer];
  for (const item of list) {
    if (!(item instanceof ArrayBuffer)) throw domException("Value not transferable", "DataCloneError");
    if (item.byteLength === 0 && isDetached(item)) throw domException("An ArrayBuffer is detached and could not be cloned.", "DataCloneError");
  }
  if (new Set(list).size !== list.length) throw domException("ArrayBuffer at index 1 is a duplicate of an earlier ArrayBuffer.", "DataCloneError");
  // The common case (and the polyfill's): moving one buffer, no copy at all.
  if (list.length === 1 && value === list[0]) return ops.transferArrayBuffer(value);
  const copy = ops.deserialize(ops.serialize(value));
  for (const item of list) ops.transferArrayBuffer(item);
  return copy;
}

function isDetached(buffer) {
  try {
    new Uint8Array(buffer); // throws on a detached buffer
    return false;
  } catch {
    return true;
  }
}

function btoa(input) {
  const s = String(input);
  let out = "";
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) throw invalidCharacter("Invalid character");
    const n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < s.length ? B64[(n >> 6) & 63] : "=") + (i + 2 < s.length ? B64[n & 63] : "=");
  }
  return out;
}

function atob(input) {
  let s = String(input).replace(/[\t\n\f\r ]/g, "");
  if (s.length % 4 === 0) s = s.replace(/==?$/, "");
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw invalidCharacter("The string to be decoded is not correctly encoded.");
  let out = "", bits = 0, acc = 0;
  for (const ch of s) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((acc >> bits) & 255); }
  }
  return out;
}

const ENCODING_LABELS = new Map([
  ["utf-8", "utf-8"], ["utf8", "utf-8"], ["unicode-1-1-utf-8", "utf-8"],
  ["utf-16le", "utf-16le"], ["utf-16", "utf-16le"],
  ["latin1", "windows-1252"], ["iso-8859-1", "windows-1252"], ["ascii", "windows-1252"], ["us-ascii", "windows-1252"], ["windows-1252", "windows-1252"],
]);

function makeTextCodecs(ops) {
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") {
      const text = String(input);
      // Short ASCII text (a typical small body) is encoded here, into a typed array on V8's
      // heap: the op's ArrayBuffer costs an allocation outside it.
      if (text.length <= 64) {
        const out = new Uint8Array(text.length);
        for (let i = 0; i < text.length; i++) {
          const unit = text.charCodeAt(i);
          if (unit > 0x7f) return ops.encodeUtf8(text);
          out[i] = unit;
        }
        return out;
      }
      return ops.encodeUtf8(text);
    }
    encodeInto(source, destination) {
      const bytes = ops.encodeUtf8(String(source));
      // Only whole code points fit: back off to a UTF-8 boundary.
      let written = Math.min(bytes.length, destination.length);
      while (written > 0 && written < bytes.length && (bytes[written] & 0xc0) === 0x80) written--;
      destination.set(bytes.subarray(0, written));
      const read = new TextDecoder().decode(bytes.subarray(0, written)).length;
      return { read, written };
    }
  }
  class TextDecoder {
    #encoding; #fatal; #ignoreBOM; #pending = null; #bomSeen = false;
    constructor(label = "utf-8", options = {}) {
      const encoding = ENCODING_LABELS.get(String(label).trim().toLowerCase());
      if (!encoding) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#encoding = encoding;
      this.#fatal = Boolean(options.fatal);
      this.#ignoreBOM = Boolean(options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options = {}) {
      let bytes = input === undefined ? new Uint8Array(0)
        : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
        : input instanceof ArrayBuffer || Object.prototype.toString.call(input) === "[object SharedArrayBuffer]" ? new Uint8Array(input)
        : (() => { throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView'); })();
      if (this.#pending) { const joined = new Uint8Array(this.#pending.length + bytes.length); joined.set(this.#pending); joined.set(bytes, this.#pending.length); bytes = joined; this.#pending = null; }
      const stream = Boolean(options.stream);
      if (stream && this.#encoding === "utf-8") {
        // Hold back an incomplete trailing sequence for the next call.
        let cut = bytes.length, k = bytes.length - 1, back = 0;
        while (k >= 0 && back < 3 && (bytes[k] & 0xc0) === 0x80) { k--; back++; }
        if (k >= 0) {
          const lead = bytes[k], need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
          if (need > bytes.length - k) cut = k;
        }
        if (cut < bytes.length) { this.#pending = bytes.slice(cut); bytes = bytes.subarray(0, cut); }
      } else if (stream && this.#encoding === "utf-16le" && bytes.length % 2) {
        this.#pending = bytes.slice(bytes.length - 1); bytes = bytes.subarray(0, bytes.length - 1);
      }
      let text = ops.decode(bytes, this.#encoding, this.#fatal);
      if (!this.#ignoreBOM && !this.#bomSeen && text.length) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        this.#bomSeen = true;
      }
      if (!stream) this.#bomSeen = false;
      return text;
    }
  }
  return { TextEncoder, TextDecoder };
}

export function installBasics(g, ops) {
  define(g, "console", makeConsole(ops));
  const timers = new Map();
  const start = (repeat) => (fn, ms = 0, ...args) => {
    if (typeof fn !== "function") throw new TypeError("The callback must be a function");
    return ops.timerStart(Number(ms) || 0, args.length ? () => fn(...args) : fn, repeat);
  };
  define(g, "setTimeout", start(false));
  define(g, "setInterval", start(true));
  define(g, "clearTimeout", (id) => { if (id !== undefined && id !== null) ops.timerCancel(Number(id)); });
  define(g, "clearInterval", g.clearTimeout);
  define(g, "queueMicrotask", (fn) => ops.queueMicrotask(fn));
  define(g, "performance", { now: () => ops.now(), timeOrigin: ops.timeOrigin(), toJSON() { return { timeOrigin: this.timeOrigin }; } });
  const { TextEncoder, TextDecoder } = makeTextCodecs(ops);
  // Spelled out: esbuild renames these classes (TextEncoder3) because bundled npm code also
  // refers to the global TextEncoder.
  Object.defineProperty(TextEncoder, "name", { value: "TextEncoder" });
  Object.defineProperty(TextDecoder, "name", { value: "TextDecoder" });
  define(g, "TextEncoder", TextEncoder);
  define(g, "TextDecoder", TextDecoder);
  define(g, "btoa", btoa);
  define(g, "atob", atob);
  define(g, "structuredClone", function (value, options) {
    if (options && options.transfer && options.transfer.length) return cloneWithTransfer(ops, value, options.transfer);
    return ops.deserialize(ops.serialize(value));
  });
  Object.defineProperty(g.structuredClone, "name", { value: "structuredClone" });
  const hex = (b) => b.toString(16).padStart(2, "0");
  const crypto = {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView)
        throw new TypeError("The data argument must be an integer-type TypedArray");
      if (array.byteLength > 65536) {
        throw domException(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`, "QuotaExceededError");
      }
      return ops.randomFill(array);
    },
    randomUUID() {
      const b = ops.randomFill(new Uint8Array(16));
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = Array.from(b, hex).join("");
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
  define(g, "crypto", crypto);
  define(g, "self", g);
  define(g, "navigator", { userAgent: "Kiln", hardwareConcurrency: 1, language: "en" });
}
