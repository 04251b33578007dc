// The JS half of a KV binding (`env.NS`), shaped like workerd's KVNamespace: argument
// checks and their TypeErrors, value types in and out, result objects. Storage is the host's
// (runtime/bindings/kvbinding.cpp over runtime/stores/kvstore.cpp): ops.kvGet/kvPut/...
import { promised, thenNow } from "./settled.mjs";

const TYPES = new Set(["text", "json", "arrayBuffer", "stream"]);
const MAX_BULK_KEYS = 100;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function typeOf(options, fallback = "text") {
  const type = typeof options === "string" ? options : options?.type ?? fallback;
  if (!TYPES.has(type)) throw new TypeError('Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".');
  return type;
}

function decode(bytes, type) {
  switch (type) {
    case "json": return JSON.parse(decoder.decode(bytes));
    case "arrayBuffer": return bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
    case "stream": return new Response(bytes).body;
    default: return decoder.decode(bytes);
  }
}

function keyOf(key) {
  if (key === undefined || key === null) throw new TypeError("KV key must be a string.");
  return String(key);
}

async function valueBytes(value) {
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  if (value instanceof ReadableStream) return new Uint8Array(await new Response(value).arrayBuffer());
  throw new TypeError("KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.");
}

// workerd takes expiration and expirationTtl as 32-bit integers: a value outside that range
// (epoch milliseconds by mistake, say) is a TypeError before anything is written.
function int32Of(value) {
  const n = Number(value);
  if (Number.isFinite(n) && (n < -2147483648 || n > 2147483647))
    throw new TypeError("Value out of range. Must be between -2147483648 and 2147483647 (inclusive).");
  return value;
}

function expirationOf(options) {
  const now = Math.floor(Date.now() / 1000);
  if (options?.expirationTtl != null) int32Of(options.expirationTtl);
  if (options?.expiration != null) int32Of(options.expiration);
  if (options?.expirationTtl !== undefined && options.expirationTtl !== null) {
    const ttl = Number(options.expirationTtl);
    if (!Number.isFinite(ttl) || ttl < 60)
      throw new Error(`KV PUT failed: 400 Invalid expiration_ttl of ${options.expirationTtl}. Expiration TTL must be at least 60.`);
    return now + Math.floor(ttl);
  }
  if (options?.expiration !== undefined && options.expiration !== null) {
    const at = Number(options.expiration);
    if (!Number.isFinite(at) || at <= 0)
      throw new Error(`KV PUT failed: 400 Invalid expiration of ${options.expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch.`);
    return Math.floor(at);
  }
  return null;
}

const kHandle = Symbol("handle");

// Kiln's own (the entrypoint helper's callRpc, for the Python SDK): what `kv.get(key)` of a
// text value answers, as callRpc encodes a fulfilled read ("s" + the text, "jnull" when there
// is none), read by the host in one op (ops.kvGetNow) instead of the method's promises.
// undefined, with nothing read, for any other call, a key that is not a string, number or
// boolean, and a read that fails: the caller then calls the method, which answers as always.
export function kvAnswer(kv, name, args) {
  if (name !== "get" || args.length !== 1 || !(kv instanceof KvNamespace) || kv.get !== KvNamespace.prototype.get) return undefined;
  const key = args[0];
  const type = typeof key;
  if (type !== "string" && type !== "number" && type !== "boolean") return undefined;
  const { ops, handle } = kv[kHandle];
  return ops.kvGetNow(handle, String(key));
}

export class KvNamespace {
  constructor(ops, id) {
    Object.defineProperty(this, kHandle, { value: { ops, handle: ops.kvOpen(id) } });
  }

  // Not `async`: a single-key read answers a promise already fulfilled (settled.mjs).
  get(key, options = undefined) {
    return promised(() => {
      if (Array.isArray(key)) return this.#getMany(key, options, false);
      const type = typeOf(options);
      const { ops, handle } = this[kHandle];
      const text = type === "text"; // the host decodes it
      return thenNow(ops, ops.kvGet(handle, keyOf(key), text), (hit) => hit === null ? null : typeof hit[0] === "string" ? hit[0] : decode(hit[0], type));
    });
  }

  getWithMetadata(key, options = undefined) {
    return promised(() => {
      if (Array.isArray(key)) return this.#getMany(key, options, true);
      const type = typeOf(options);
      const { ops, handle } = this[kHandle];
      return thenNow(ops, ops.kvGet(handle, keyOf(key)), (hit) => {
        if (hit === null) return { value: null, metadata: null, cacheStatus: null };
        const [value, metadata] = hit;
        return { value: decode(value, type), metadata: metadata === null ? null : JSON.parse(metadata), cacheStatus: null };
      });
    });
  }

  // Bulk reads (up to 100 keys) answer a Map, text or json only, as workerd's do.
  async #getMany(keys, options, withMetadata) {
    const type = typeOf(options);
    if (type !== "text" && type !== "json") throw new TypeError(`"${type}" is not a valid type. Use "json" or "text"`);
    if (keys.length > MAX_BULK_KEYS) throw new TypeError(`You can request a maximum of ${MAX_BULK_KEYS} keys`);
    const { ops, handle } = this[kHandle];
    const out = new Map();
    for (const key of keys) {
      const hit = await ops.kvGet(handle, keyOf(key));
      const value = hit === null ? null : decode(hit[0], type);
      out.set(String(key), withMetadata ? { value, metadata: hit?.[1] ? JSON.parse(hit[1]) : null } : value);
    }
    return out;
  }

  async put(key, value, options = undefined) {
    const name = keyOf(key);
    const bytes = await valueBytes(value);
    const expiration = expirationOf(options);
    let metadata = null;
    if (options?.metadata !== undefined && options.metadata !== null) {
      metadata = JSON.stringify(options.metadata);
      if (metadata === undefined) throw new TypeError("KV put() metadata must be serializable to JSON.");
    }
    const { ops, handle } = this[kHandle];
    await ops.kvPut(handle, name, bytes, expiration, metadata);
  }

  async delete(key) {
    const { ops, handle } = this[kHandle];
    await ops.kvDelete(handle, keyOf(key));
  }

  async list(options = undefined) {
    const prefix = options?.prefix ?? "";
    const limit = options?.limit ?? 1000;
    const cursor = options?.cursor ?? null;
    if (!Number.isInteger(Number(limit))) throw new TypeError(`KV LIST failed: 400 Invalid key_count_limit of ${limit}. Please specify an integer greater than 0.`);
    const { ops, handle } = this[kHandle];
    const result = await ops.kvList(handle, String(prefix), Number(limit), cursor === null ? null : String(cursor));
    for (const key of result.keys) if (key.metadata !== undefined) key.metadata = JSON.parse(key.metadata);
    result.cacheStatus = null;
    return result;
  }
}
Object.defineProperty(KvNamespace.prototype, Symbol.toStringTag, { value: "KvNamespace" });
