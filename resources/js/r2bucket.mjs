// The JS half of an R2 binding (`env.BUCKET`), shaped like workerd's R2Bucket, R2Object,
// R2ObjectBody and R2MultipartUpload. Bytes stream both ways in chunks through the host
// (runtime/bindings/r2binding.cpp over runtime/stores/r2bucket.cpp): an object of any size
// is never whole in memory unless the worker asks for arrayBuffer()/text().
const CHUNK = 1 << 20;
const kBucket = Symbol("bucket");
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const HTTP_FIELDS = ["contentType", "contentLanguage", "contentDisposition", "contentEncoding", "cacheControl"];
const HEADER_OF = {
  contentType: "content-type", contentLanguage: "content-language", contentDisposition: "content-disposition",
  contentEncoding: "content-encoding", cacheControl: "cache-control",
};

// httpMetadata may be given as R2HTTPMetadata or as Headers.
function httpMetadataOf(value) {
  if (value === undefined || value === null) return {};
  const out = {};
  if (value instanceof Headers) {
    for (const field of HTTP_FIELDS) {
      const v = value.get(HEADER_OF[field]);
      if (v !== null) out[field] = v;
    }
    const expires = value.get("expires");
    if (expires !== null) out.cacheExpiry = Date.parse(expires);
    return out;
  }
  if (typeof value !== "object") throw new TypeError("httpMetadata must be an object or Headers.");
  for (const field of HTTP_FIELDS) if (value[field] !== undefined && value[field] !== null) out[field] = String(value[field]);
  if (value.cacheExpiry !== undefined && value.cacheExpiry !== null) out.cacheExpiry = new Date(value.cacheExpiry).getTime();
  return out;
}

function customMetadataOf(value) {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object") throw new TypeError("customMetadata must be an object of strings.");
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = String(v);
  return out;
}

function onlyIfOf(value) {
  if (value === undefined || value === null) return {};
  if (value instanceof Headers) {
    const out = {};
    const tags = (h) => h.split(",").map((t) => t.trim().replace(/^W\//, "")).filter(Boolean);
    if (value.get("if-match")) out.etagMatches = tags(value.get("if-match"));
    if (value.get("if-none-match")) out.etagDoesNotMatch = tags(value.get("if-none-match"));
    if (value.get("if-unmodified-since")) out.uploadedBefore = Date.parse(value.get("if-unmodified-since")) + 1000;
    if (value.get("if-modified-since")) out.uploadedAfter = Date.parse(value.get("if-modified-since"));
    return out;
  }
  const out = {};
  for (const name of ["etagMatches", "etagDoesNotMatch"]) if (value[name] !== undefined) out[name] = value[name];
  for (const name of ["uploadedBefore", "uploadedAfter"]) if (value[name] !== undefined) out[name] = new Date(value[name]).getTime();
  return out;
}

function hexOf(value) {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value.toLowerCase();
  const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bufferOfHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out.buffer;
}

// Sends a put/uploadPart value to a host upload, chunk by chunk.
async function upload(ops, handle, value, what, withSha1 = false) {
  const id = ops.r2UploadBegin(handle, withSha1);
  try {
    // A value in memory goes over in one piece: the host hashes and writes it where it
    // lies and syncs the file while MD5 finishes.
    const whole = (bytes) => ops.r2UploadWrite(id, bytes, true);
    const send = async (bytes) => {
      for (let at = 0; at < bytes.byteLength; at += CHUNK) await ops.r2UploadWrite(id, bytes.subarray(at, at + CHUNK));
    };
    if (value === null || value === undefined) {
      // an empty object
    } else if (typeof value === "string") await whole(encoder.encode(value));
    else if (value instanceof ArrayBuffer) await whole(new Uint8Array(value));
    else if (ArrayBuffer.isView(value)) await whole(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    else if (value instanceof Blob) await whole(new Uint8Array(await value.arrayBuffer()));
    else if (value instanceof ReadableStream) {
      const reader = value.getReader();
      for (;;) {
        const { done, value: chunk } = await reader.read();
        if (done) break;
        if (!ArrayBuffer.isView(chunk) && !(chunk instanceof ArrayBuffer)) throw new TypeError("This ReadableStream did not return bytes.");
        await send(chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
    } else {
      throw new TypeError(`${what}: the value must be a ReadableStream, ArrayBuffer, ArrayBufferView, string, Blob or null.`);
    }
    return id;
  } catch (e) {
    ops.r2UploadAbort(id);
    throw e;
  }
}

function keyOf(key, what) {
  if (key === undefined || key === null) throw new TypeError(`${what}: the key must be a string.`);
  return String(key);
}

export class R2Object {
  constructor(json, include = undefined) {
    this.key = json.key;
    this.version = json.version;
    this.size = json.size;
    this.etag = json.etag;
    this.httpEtag = `"${json.etag}"`;
    this.uploaded = new Date(json.uploaded);
    this.storageClass = "Standard";
    const http = { ...json.httpMetadata };
    if (http.cacheExpiry !== undefined) http.cacheExpiry = new Date(http.cacheExpiry);
    this.httpMetadata = !include || include.includes("httpMetadata") ? http : undefined;
    this.customMetadata = !include || include.includes("customMetadata") ? { ...json.customMetadata } : undefined;
    this.checksums = {};
    for (const [name, hex] of Object.entries(json.checksums ?? {})) this.checksums[name] = bufferOfHex(hex);
  }

  writeHttpMetadata(headers) {
    for (const field of HTTP_FIELDS) if (this.httpMetadata?.[field]) headers.set(HEADER_OF[field], this.httpMetadata[field]);
    if (this.httpMetadata?.cacheExpiry) headers.set("expires", this.httpMetadata.cacheExpiry.toUTCString());
  }
}
Object.defineProperty(R2Object.prototype, Symbol.toStringTag, { value: "R2Object" });

// A body nobody reads to the end still has an entry in the host (its blob pinned on disk):
// close it when the body is collected. The stream, made on first use of `body`, refers to
// its R2ObjectBody, so `Response(obj.body)` keeps the body alive while it is read.
const unreadBodies = new FinalizationRegistry(({ ops, bodyId }) => ops.r2BodyClose(bodyId));

// Bodies up to this size are read whole in one go when asked for all at once (arrayBuffer(),
// text(), ... or Kiln's Python SDK): a read straight into the destination, no stream.
const WHOLE_READ_MAX = 256 << 20;
const USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

export class R2ObjectBody extends R2Object {
  #ops;
  #bodyId;
  #token = {};
  #open = true;
  #stream; // made when first asked for: most bodies are read whole, or not at all
  #length;
  #pulled = false; // the stream has read from the host
  #consumed = false; // read whole
  constructor(json, ops, bodyId, range, length) {
    super(json);
    this.range = range;
    this.#ops = ops;
    this.#bodyId = bodyId;
    this.#length = length;
    unreadBodies.register(this, { ops, bodyId }, this.#token);
  }

  #close() {
    if (!this.#open) return;
    this.#open = false;
    unreadBodies.unregister(this.#token);
    this.#ops.r2BodyClose(this.#bodyId);
  }

  get body() {
    if (this.#stream) return this.#stream;
    const self = this;
    this.#stream = new ReadableStream({
      type: "bytes",
      async pull(controller) {
        self.#pulled = true;
        const chunk = await self.#ops.r2Read(self.#bodyId, CHUNK);
        if (chunk === null) {
          self.#close();
          controller.close();
          controller.byobRequest?.respond(0);
        } else controller.enqueue(chunk);
      },
      cancel: () => self.#close(),
    });
    if (this.#consumed) this.#stream.getReader(); // already read whole: used up
    return this.#stream;
  }
  get bodyUsed() { return this.#consumed || (this.#stream?.locked ?? false); }

  #wholeReadable() {
    return !this.#consumed && !this.#pulled && !this.#stream?.locked && this.#length <= WHOLE_READ_MAX;
  }

  async arrayBuffer() {
    if (this.bodyUsed) throw new TypeError(USED);
    if (this.#wholeReadable()) {
      const out = new Uint8Array(this.#length);
      const n = this.#consumeInto(out);
      return n === out.length ? out.buffer : out.buffer.slice(0, n);
    }
    return new Response(this.body).arrayBuffer();
  }
  async bytes() { return new Uint8Array(await this.arrayBuffer()); }
  async text() { return decoder.decode(await this.arrayBuffer()); }
  async json() { return JSON.parse(await this.text()); }

  // The body's size, then the whole body straight into a Python bytearray (the wasm heap
  // under it), with no copy between.
  // Unused since the SDK wraps bindings as Cloudflare's (see runtime/engine/OPS.md).
  _kilnBodyLength() {
    return this.#wholeReadable() ? this.#length : -1;
  }
  _kilnReadInto(target) {
    const buffer = target.getBuffer("u8");
    try {
      return this.#consumeInto(buffer.data);
    } finally {
      buffer.release();
    }
  }
  _kilnReadView(view) { return this.#consumeInto(view); }

  // The body read whole into `view`; it is then used up, as after any read.
  #consumeInto(view) {
    if (!this.#wholeReadable()) throw new TypeError(USED);
    this.#consumed = true;
    this.#stream?.getReader(); // locked: a stream made earlier is used up too
    let done = 0;
    try {
      while (done < view.byteLength) {
        const n = this.#ops.r2ReadInto(this.#bodyId, view.subarray(done));
        if (n === 0) break;
        done += n;
      }
    } finally {
      this.#close();
    }
    return done;
  }
  async blob() { return new Blob([await this.arrayBuffer()], { type: this.httpMetadata?.contentType ?? "" }); }
}
Object.defineProperty(R2ObjectBody.prototype, Symbol.toStringTag, { value: "R2ObjectBody" });

export class R2MultipartUpload {
  constructor(bucket, key, uploadId) {
    this.key = key;
    this.uploadId = uploadId;
    Object.defineProperty(this, kBucket, { value: bucket });
  }

  async uploadPart(partNumber, value) {
    const { ops, handle } = this[kBucket][kBucket];
    const id = await upload(ops, handle, value, "uploadPart");
    const etag = await ops.r2MultipartPart(handle, this.key, this.uploadId, Number(partNumber), id);
    return { partNumber: Number(partNumber), etag };
  }

  async abort() {
    const { ops, handle } = this[kBucket][kBucket];
    await ops.r2MultipartAbort(handle, this.key, this.uploadId);
  }

  async complete(uploadedParts) {
    if (!Array.isArray(uploadedParts)) throw new TypeError("complete: uploadedParts must be an array of {partNumber, etag}.");
    const { ops, handle } = this[kBucket][kBucket];
    const parts = uploadedParts.map((p) => [Number(p.partNumber), String(p.etag)]);
    return new R2Object(await ops.r2MultipartComplete(handle, this.key, this.uploadId, JSON.stringify(parts)));
  }
}
Object.defineProperty(R2MultipartUpload.prototype, Symbol.toStringTag, { value: "R2MultipartUpload" });

export class R2Bucket {
  constructor(ops, name) {
    Object.defineProperty(this, kBucket, { value: { ops, handle: ops.r2Open(name) } });
  }

  async head(key) {
    const { ops, handle } = this[kBucket];
    const json = await ops.r2Head(handle, keyOf(key, "head"));
    return json === null ? null : new R2Object(json);
  }

  async get(key, options = undefined) {
    const { ops, handle } = this[kBucket];
    const range = rangeOf(options);
    return objectOf(await ops.r2Get(handle, keyOf(key, "get"), JSON.stringify(range ?? {}), JSON.stringify(onlyIfOf(options?.onlyIf))), ops, range);
  }

  // get() answered at once, not as a promise (a Python await of a promise costs more than
  // the index lookup).
  // Unused since the SDK wraps bindings as Cloudflare's (see runtime/engine/OPS.md).
  _kilnGetNow(key, options = undefined) {
    const { ops, handle } = this[kBucket];
    const range = rangeOf(options);
    return objectOf(ops.r2Get(handle, keyOf(key, "get"), JSON.stringify(range ?? {}), JSON.stringify(onlyIfOf(options?.onlyIf)), true), ops, range);
  }

  async put(key, value, options = undefined) {
    const name = keyOf(key, "put");
    const { ops, handle } = this[kBucket];
    const json = {
      httpMetadata: httpMetadataOf(options?.httpMetadata),
      customMetadata: customMetadataOf(options?.customMetadata),
      onlyIf: onlyIfOf(options?.onlyIf),
    };
    for (const name of ["md5", "sha1", "sha256"]) if (options?.[name] !== undefined) json[name] = hexOf(options[name]);
    const id = await upload(ops, handle, value, "put", json.sha1 !== undefined);
    const result = await ops.r2Put(handle, id, name, JSON.stringify(json));
    return result === null ? null : new R2Object(result);
  }

  // put from a Python bytes-like object, read by the host where it lies in the wasm heap
  // (held until the put settles).
  // Unused since the SDK wraps bindings as Cloudflare's (see runtime/engine/OPS.md).
  async _kilnPutBuffer(key, source, options) {
    const buffer = source.getBuffer("u8");
    try {
      return await this.put(key, buffer.data, options ?? undefined);
    } finally {
      buffer.release();
    }
  }

  async delete(keys) {
    const { ops, handle } = this[kBucket];
    const list = Array.isArray(keys) ? keys.map((k) => keyOf(k, "delete")) : [keyOf(keys, "delete")];
    await ops.r2Delete(handle, list);
  }

  async list(options = undefined) {
    const { ops, handle } = this[kBucket];
    const request = {};
    for (const name of ["prefix", "delimiter", "cursor", "startAfter"]) if (options?.[name] !== undefined && options[name] !== null) request[name] = String(options[name]);
    if (options?.limit !== undefined) request.limit = Number(options.limit);
    const result = await ops.r2List(handle, JSON.stringify(request));
    const include = Array.isArray(options?.include) ? options.include : [];
    return {
      objects: result.objects.map((o) => new R2Object(o, include)),
      delimitedPrefixes: result.delimitedPrefixes,
      truncated: result.truncated,
      ...(result.truncated ? { cursor: result.cursor } : {}),
    };
  }

  async createMultipartUpload(key, options = undefined) {
    const name = keyOf(key, "createMultipartUpload");
    const { ops, handle } = this[kBucket];
    const json = { httpMetadata: httpMetadataOf(options?.httpMetadata), customMetadata: customMetadataOf(options?.customMetadata) };
    return new R2MultipartUpload(this, name, await ops.r2MultipartCreate(handle, name, JSON.stringify(json)));
  }

  resumeMultipartUpload(key, uploadId) {
    return new R2MultipartUpload(this, keyOf(key, "resumeMultipartUpload"), String(uploadId));
  }
}
Object.defineProperty(R2Bucket.prototype, Symbol.toStringTag, { value: "R2Bucket" });

function rangeOf(options) {
  const range = options?.range;
  return range instanceof Headers ? parseRangeHeader(range.get("range")) : range;
}

// r2Get's answer as R2Object (onlyIf did not hold), R2ObjectBody or null.
function objectOf(got, ops, range) {
  if (got === null) return null;
  if (got.body === undefined) return new R2Object(got.object);
  const ranged = range && Object.keys(range).length ? { offset: got.offset, length: got.length } : undefined;
  return new R2ObjectBody(got.object, ops, got.body, ranged, got.length);
}

// "bytes=0-99", "bytes=100-", "bytes=-50" -> R2Range.
function parseRangeHeader(header) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!m) return undefined;
  if (m[1] === "") return { suffix: Number(m[2]) };
  return m[2] === "" ? { offset: Number(m[1]) } : { offset: Number(m[1]), length: Number(m[2]) - Number(m[1]) + 1 };
}
