// URL and URLSearchParams from whatwg-url. Required lazily: its IDNA tables (tr46) and the
// legacy-encoding tables it drags in are most of the prelude's size, and evaluating them
// costs start-up time in every isolate that never touches a URL.
import { defineLazy } from "./util.js";

let whatwgUrl = null;

export function urlModule() {
  // esbuild bundles this require() and runs the module on first call.
  // eslint-disable-next-line no-undef
  return (whatwgUrl ??= require("whatwg-url"));
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

export function installURL(g) {
  defineLazy(g, "URL", () => urlModule().URL);
  defineLazy(g, "URLSearchParams", () => urlModule().URLSearchParams);
}
