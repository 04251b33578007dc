// Memory snapshot tiers, as Cloudflare has them. Each is Pyodide's wasm memory at one point of
// a boot, kept in the checked code cache under a key naming everything that shaped it:
// - baseline: Pyodide booted, the stdlib the SDK needs and the SDK imported;
// - package: + the project's python_modules/ on sys.path and the modules its files import
//   from there and from the stdlib (found by reading the files, as Cloudflare's upload does);
// - dedicated: + the main module imported (its top level run), with the project on sys.path.
// A start restores the highest tier it finds and, on a first start, makes the ones above it
// as it passes their points (a reload makes no dedicated snapshot: one per edit would churn
// 35 MB files for a start that a restore of the package tier already makes quick).

const TIERS = ["baseline", "package", "dedicated"];

// Top-level module names a Python file imports outside function and class bodies, read as
// text. Imports inside `try:` / `if` blocks at module level count (optional dependencies);
// docstrings and other triple-quoted strings are skipped. Relative imports are the
// project's own. Being wrong costs only speed: what is imported here is imported again (a
// no-op) by the real top level, and a failure here is ignored.
export function scanImports(text) {
  const names = new Set();
  let quote = null; // the triple quote we are inside, if any
  let inBody = false; // inside a top-level def/class block
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (quote) {
      const end = line.indexOf(quote);
      if (end < 0) continue;
      line = line.slice(end + 3);
      quote = null;
      if (!line.trim()) continue;
    }
    const opened = /("""|''')/.exec(line.replace(/("""|''').*?\1/g, ""));
    if (opened) quote = opened[1];
    const indented = /^\s/.test(line);
    const code = line.trim();
    if (!code || code.startsWith("#")) continue;
    if (!indented) inBody = /^(async\s+def|def|class)\b|^@/.test(code);
    if (inBody) continue;
    let statement = code;
    // A parenthesised `from x import (a,\n b)` only needs its first line.
    while (statement.endsWith("\\") && i + 1 < lines.length) statement = statement.slice(0, -1) + lines[++i];
    const from = /^from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(statement);
    if (from) {
      names.add(from[1]);
      continue;
    }
    const imp = /^import\s+(.+)$/.exec(statement);
    if (!imp) continue;
    for (const part of imp[1].split("#")[0].split(",")) {
      const m = /^\s*([A-Za-z_][\w.]*)/.exec(part);
      if (m) names.add(m[1]);
    }
  }
  return names;
}

// The JS values a snapshot's Python state refers to, written as paths from globalThis (or
// named host objects) and found again in the new isolate. Anything else cannot be restored:
// Cloudflare refuses such an upload ("Can't serialize top-level variable").
function makeSerializer(named) {
  let paths = null;
  const index = () => {
    paths = new Map();
    // From globalThis and from each named host object (a path then starts "@name").
    let level = [[globalThis, []], ...Object.entries(named).map(([name, object]) => [object, [`@${name}`]])];
    for (let depth = 0; depth < 3 && level.length; depth++) {
      const next = [];
      for (const [object, path] of level) {
        for (const key of Object.getOwnPropertyNames(object)) {
          const value = Object.getOwnPropertyDescriptor(object, key)?.value; // no getters run
          if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
          if (paths.has(value) || value === globalThis) continue;
          paths.set(value, [...path, key]);
          next.push([value, [...path, key]]);
        }
      }
      level = next;
    }
  };
  return (value) => {
    for (const [name, object] of Object.entries(named)) if (value === object) return { named: name };
    if (value === globalThis) return { path: [] };
    if (!paths) index();
    const path = paths.get(value);
    if (path) return { path };
    throw new UnserializableValue(value);
  };
}

// A state a snapshot could hold on Cloudflare but that Kiln cannot restore.
export class NotRestorable extends Error {}

// Thrown while snapshotting for a JS value the snapshot could not name again; `where(value)`
// (the Python global holding it, if one does) completes the message.
export class UnserializableValue extends Error {
  constructor(value) {
    super(`a JS value that cannot be snapshotted: ${describe(value)}`);
    this.value = value;
  }

  explain(where) {
    return `Can't serialize top-level variable${where ? ` ${where}` : ""}: ${describe(this.value)}; ` +
      "keep JS objects the top level makes out of module globals (make them in the handler).";
  }
}

function describe(value) {
  const kind = typeof value === "function" ? `function ${value.name || "(anonymous)"}`
    : `${value?.constructor?.name ?? "Object"} object`;
  let keys = "";
  try {
    keys = Object.keys(value).slice(0, 6).join(", ");
  } catch {
    // a revoked proxy or similar: the kind says enough
  }
  return `a JS ${kind}${keys ? ` with keys ${keys}` : ""}`;
}

function makeDeserializer(named) {
  return (data) => {
    if (data.named) return named[data.named];
    const [first, ...rest] = data.path;
    const root = typeof first === "string" && first.startsWith("@") ? named[first.slice(1)] : undefined;
    const [start, keys] = root === undefined ? [globalThis, data.path] : [root, rest];
    return keys.reduce((object, key) => object?.[key], start) ?? null;
  };
}

// Pyodide's snapshot: a header (magic, the memory's offset, the JSON's length, build id), the
// JSON of its JS references, then the wasm memory from that offset. Written with the memory at
// a 4 KB boundary (the offset field says where), so a restore can map the file's pages onto
// the wasm memory instead of copying them.
function pageAligned(snapshot) {
  const header = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 4);
  const offset = header[1];
  const aligned = Math.ceil(offset / 4096) * 4096;
  if (aligned === offset) return snapshot;
  const out = new Uint8Array(aligned + snapshot.length - offset);
  out.set(snapshot.subarray(0, offset));
  out.set(snapshot.subarray(offset), aligned);
  new Uint32Array(out.buffer, 0, 4)[1] = aligned;
  return out;
}

export class SnapshotTiers {
  // `baseKey` names the baseline (Pyodide, stdlib, SDK). `named`: host objects Python may
  // hold by reference (the compat flags module), the same kind of object in every instance.
  constructor(ops, config, baseKey, named) {
    this.ops = ops;
    this.named = named;
    this.compatFlags = config.compatFlags ?? {};
    this.keys = { baseline: baseKey, package: null, dedicated: null };
    this.imports = [];
    if (!baseKey) return;
    const cap = TIERS.indexOf(config.snapshotTier ?? "dedicated");
    const root = config.importRoot;
    const modulesDir = config.pythonModulesDir;
    const inRoot = ([fsPath]) => fsPath.startsWith(root + "/") && !(modulesDir && fsPath.startsWith(modulesDir + "/"));
    const own = new Set(config.projectFiles.filter(inRoot)
      .map(([fsPath]) => fsPath.slice(root.length + 1).split("/")[0].replace(/\.py$/, "")));
    const imports = new Set();
    for (const [fsPath, hostPath] of config.projectFiles)
      if (inRoot([fsPath]) && fsPath.endsWith(".py"))
        for (const name of scanImports(ops.readText(hostPath))) imports.add(name);
    this.imports = [...imports].filter((name) => !own.has(name.split(".")[0]) && name !== "js").sort();
    const stamps = (files) => files.map(([fsPath, hostPath]) => `${fsPath}=${ops.fileStamp(hostPath)}`).join(",");
    if (cap >= 1) {
      this.keys.package = `package-snapshot:${baseKey}|${modulesDir}|` +
        `${JSON.stringify(config.compatFlags)}|${this.imports.join(",")}|` +
        stamps(config.projectFiles.filter((f) => !inRoot(f)));
    }
    if (cap >= 2) {
      this.keys.dedicated = `dedicated-snapshot:${this.keys.package}|${root}|${config.mainModule}|` +
        `${JSON.stringify([config.vars, config.kvNamespaces, config.d1Databases, config.r2Buckets, config.workflows])}|` +
        stamps(config.projectFiles.filter(inRoot));
    }
    this.makeFrom = config.reload ? "package" : "dedicated"; // the highest tier this start makes
  }

  // Whether a snapshot of tier `restored` (or null) holds the state of `tier`.
  static includes(restored, tier) {
    return !!restored && TIERS.indexOf(restored) >= TIERS.indexOf(tier);
  }

  // [tier, key] of each tier this start could restore, highest first.
  *#restorable() {
    for (const tier of [...TIERS].reverse()) if (this.keys[tier]) yield [tier, this.keys[tier]];
  }

  // Starts the check of the snapshot restore() will most likely read, the highest tier whose
  // file is there (ops.cacheCheckAhead), so that restore() finds it checked.
  checkAhead() {
    for (const [, key] of this.#restorable()) if (this.ops.cacheCheckAhead(key)) return;
  }

  // The highest tier in the cache: { tier, bytes }, or { tier: null } for a full boot.
  restore() {
    for (const [tier, key] of this.#restorable()) {
      const bytes = this.ops.cacheRead(key); // checked; null if absent or corrupt
      if (bytes) return { tier, bytes: new Uint8Array(bytes) };
    }
    return { tier: null, bytes: null };
  }

  // Whether this start makes `tier` (it has a key, is within this start's reach, and is above
  // what was restored).
  makes(tier, restored) {
    return !!this.keys[tier] && TIERS.indexOf(tier) > TIERS.indexOf(restored) &&
      TIERS.indexOf(tier) <= TIERS.indexOf(this.makeFrom);
  }

  deserializer() {
    return makeDeserializer(this.named);
  }

  // Writes the snapshot of `tier` (in the background); throws with the reason when the state
  // cannot be snapshotted.
  make(pyodide, tier) {
    const streams = pyodide.FS.streams.filter(Boolean).length;
    if (streams > 3) throw new Error(`${streams - 3} file(s) are open (a snapshot cannot hold them)`);
    // A side module's code and table entries live outside the memory a snapshot holds, and
    // Kiln does not load them again before a restore (Cloudflare does): a restored instance
    // would call into nothing.
    const libs = Object.keys(pyodide._module.LDSO?.loadedLibsByName ?? {}).filter((name) => name !== "__main__");
    if (libs.length) throw new NotRestorable(`${libs.join(", ")} is loaded (a C extension): Kiln cannot restore a snapshot that holds one yet`);
    // Pyodide only serialises with this set; set late, so that the instance serving requests
    // does not see JS globals through the recording proxy the option installs at load.
    pyodide._api.config._makeSnapshot = true;
    try {
      this.ops.cacheWrite(this.keys[tier], pageAligned(pyodide.makeMemorySnapshot({ serializer: makeSerializer(this.named) })));
    } finally {
      pyodide._api.config._makeSnapshot = false;
    }
  }
}
