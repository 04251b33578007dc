// URL and URLSearchParams from whatwg-url. Required lazily: its IDNA tables (tr46) and the
// legacy-encoding tables it drags in are most of the prelude's size, and evaluating them
// costs start-up time in every isolate that never touches a URL.
import { define, defineLazy } from "./util.js";

let whatwgUrl = null;

export function urlModule() {
  // esbuild bundles this require() and runs the module on first call.
  // eslint-disable-next-line no-undef
  return (whatwgUrl ??= withResizableShim(() => require("whatwg-url")));
}

// webidl-conversions 8 reads the `resizable` / `growable` getters (ES2024) off the buffer
// prototypes when it loads, and V8 10.2 has neither. Lend it getters that say "not
// resizable" for the duration of the load only: user code must not see a feature that is
// not there.
function withResizableShim(load) {
  const lent = [];
  for (const [proto, name] of [[ArrayBuffer.prototype, "resizable"], [globalThis.SharedArrayBuffer?.prototype, "growable"]]) {
    if (proto && !(name in proto)) {
      Object.defineProperty(proto, name, { configurable: true, get() { return false; } });
      lent.push([proto, name]);
    }
  }
  try {
    return load();
  } finally {
    for (const [proto, name] of lent) delete proto[name];
  }
}

// True only once the module is loaded: before that no URLSearchParams can exist, so body
// extraction can test for one without forcing the load.
export function isURLSearchParams(value) {
  return whatwgUrl !== null && value instanceof whatwgUrl.URLSearchParams;
}

// Parses an absolute (or base-relative) URL; null when invalid.
export function parseURL(input, base = undefined) {
  const { URL } = urlModule();
  try {
    return base === undefined ? new URL(input) : new URL(input, base);
  } catch {
    return null;
  }
}

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// webidl-conversions converts every USVString with String.prototype.toWellFormed (ES2024),
// which V8 10.2 lacks. workerd's V8 has both methods, so installing spec-exact versions
// brings Kiln closer to it rather than inventing anything.
function installWellFormed() {
  const proto = String.prototype;
  const stringOf = (self, name) => {
    if (self === null || self === undefined) throw new TypeError(`String.prototype.${name} called on null or undefined`);
    return String(self);
  };
  if (!proto.toWellFormed)
    define(proto, "toWellFormed", { toWellFormed() { return stringOf(this, "toWellFormed").replace(LONE_SURROGATES, "\uFFFD"); } }.toWellFormed);
  if (!proto.isWellFormed)
    define(proto, "isWellFormed", { isWellFormed() { LONE_SURROGATES.lastIndex = 0; return !LONE_SURROGATES.test(stringOf(this, "isWellFormed")); } }.isWellFormed);
}

export function installURL(g) {
  installWellFormed();
  defineLazy(g, "URL", () => urlModule().URL);
  defineLazy(g, "URLSearchParams", () => urlModule().URLSearchParams);
}
