// Node.js's `process` global as workerd provides it to every worker with nodejs_compat_v2
// (src/workerd/api/node/process.c++): `env` (the text bindings, when the flags populate it),
// `versions` (node "22.19.0", the rest empty strings, as workerd reports them), `version`,
// `platform`, `nextTick`. Made after Pyodide has loaded: Emscripten takes a `process` with
// versions.node for Node.js and would look for node:fs.

const NODE_VERSION = "22.19.0";
const VERSION_KEYS = ["node", "v8", "modules", "zlib", "brotli", "zstd", "ares", "napi", "llhttp",
  "nghttp2", "acorn", "ada", "simdutf", "nbytes", "ncrypto", "uvwasi", "uv", "openssl", "sqlite",
  "icu", "undici", "simdjson", "unicode", "cldr", "tz", "cjs_module_lexer", "amaro", "merve"];

export function installNodeProcess(config) {
  if (!config) return;
  const versions = Object.fromEntries(VERSION_KEYS.map((key) => [key, key === "node" ? NODE_VERSION : ""]));
  globalThis.process = {
    env: { ...config.env },
    versions,
    version: `v${NODE_VERSION}`,
    platform: "linux",
    argv: [],
    nextTick(callback, ...args) {
      queueMicrotask(() => callback(...args));
    },
    cwd() {
      return "/bundle";
    },
  };
}
