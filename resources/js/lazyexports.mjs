// The main module's exports, made when first read. Kiln instantiates Pyodide's module with its
// exported functions moved into the function table and its constant globals reduced to their
// values (runtime/engine/internal/wasmlazyexports.h): V8 then makes no JS function for the
// ~7,400 exports a start mostly never calls. The module's "kiln.exports" listing (read by
// ops.wasmLazyExports) says where each export went; this object answers by name as the
// instance's own exports would: a function is read from its table slot (the same function
// object the export would have been), a global is made once with its value, and what stayed
// an export is the instance's. Keys come in the module's export order.
//
// The patched glue (runtime/engine/pyodidepatches.cpp) recognises this object by identity and
// reads `describe(name)` for the GOT (a slot or a value, nothing made).

const Kind = { kept: 0, function: 1, global: 2 };

export function lazyWasmExports(instance, listing) {
  const real = instance.exports;
  const table = real.__indirect_function_table;
  const { names, codes } = listing;
  const index = new Map();
  for (let i = 0; i < names.length; i++) index.set(names[i], i);
  const made = new Array(names.length);

  const valueAt = (i) => {
    const kind = codes[2 * i], value = codes[2 * i + 1];
    if (kind === Kind.kept) return real[names[i]];
    let out = made[i];
    if (out === undefined) {
      out = kind === Kind.function ? table.get(value) : new WebAssembly.Global({ value: "i32" }, value);
      made[i] = out;
    }
    return out;
  };

  // Read-only, like the instance's frozen exports; an object made from it (Object.create)
  // takes writes as its own properties.
  const exports = new Proxy({}, {
    get(target, name, receiver) {
      const i = typeof name === "string" ? index.get(name) : undefined;
      return i === undefined ? Reflect.get(target, name, receiver) : valueAt(i);
    },
    has(target, name) {
      return (typeof name === "string" && index.has(name)) || Reflect.has(target, name);
    },
    ownKeys() {
      return names.slice();
    },
    getOwnPropertyDescriptor(target, name) {
      const i = typeof name === "string" ? index.get(name) : undefined;
      if (i === undefined) return undefined;
      return { value: valueAt(i), writable: false, enumerable: true, configurable: true };
    },
    defineProperty: () => false,
    deleteProperty: () => false,
  });

  return {
    exports,
    names,
    // { kind, value } for an export (kind 0: still a real export; value unused), else undefined.
    describe(name) {
      const i = index.get(name);
      return i === undefined ? undefined : { kind: codes[2 * i], value: codes[2 * i + 1] };
    },
  };
}
