// The Fetch "body" shared by Request and Response: extraction from BodyInit (with the
// default Content-Type the spec gives each type), the Body mixin's readers, and cloning by
// tee. A body built from bytes, a string or a Blob keeps its source and only makes a stream
// when someone asks for `.body`; a body built from a ReadableStream *is* that stream, read
// chunk by chunk and never buffered unless a mixin method (text(), ...) is called.
import { Blob, blobBytes, blobFromBytes, blobStream } from "./blob.js";
import { FormData, parseMultipart, parseUrlencoded, serializeMultipart } from "./formdata.js";
import { ReadableStream, isDisturbed } from "./streams.js";
import { isURLSearchParams } from "./url.js";
import { concat, copyOf, illegal, isBufferSource, promising, rejectLater, toUSVString, utf8Decode, utf8Encode, viewOf } from "./util.js";

export const kBody = Symbol("body");

// state: null (no body) or { stream, bytes, blob, used }: exactly one of stream / bytes /
// blob is the source until a stream is made from the others.
export function extractBody(init) {
  if (init instanceof Blob) return { body: { stream: null, bytes: null, blob: init, used: false }, type: init.type || null };
  if (isBufferSource(init)) return { body: bytesBody(copyOf(init)), type: null };
  if (init instanceof FormData) {
    const { bytes, contentType } = serializeMultipart(init);
    return { body: bytesBody(bytes), type: contentType };
  }
  if (isURLSearchParams(init)) return { body: bytesBody(utf8Encode(init.toString())), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (init instanceof ReadableStream) {
    if (init.locked || isDisturbed(init)) throw new TypeError("The ReadableStream is locked or has already been read from.");
    return { body: { stream: init, bytes: null, blob: null, used: false }, type: null };
  }
  return { body: bytesBody(utf8Encode(toUSVString(init))), type: "text/plain;charset=UTF-8" };
}

export function bytesBody(bytes) {
  return { stream: null, bytes, blob: null, used: false };
}

export function streamBody(stream) {
  return { stream, bytes: null, blob: null, used: false };
}

export function bodyStream(body) {
  if (!body) return null;
  if (!body.stream) {
    body.stream = blobStream(body.bytes ?? blobBytes(body.blob));
    if (body.used) body.stream.cancel(); // already consumed through a fast path: stay disturbed
  }
  return body.stream;
}

// For the host's response path: the bytes of a body that is already whole in memory (built
// from bytes, a string, JSON, a Blob), marking it used; undefined for a null or streamed body,
// which the caller reads through `.body` as usual.
export function takeBufferedBytes(body) {
  if (!body || body.stream || body.used) return undefined;
  body.used = true;
  return body.bytes ?? blobBytes(body.blob);
}

export function isUnusable(body) {
  return Boolean(body) && (body.used || (body.stream !== null && (body.stream.locked || isDisturbed(body.stream))));
}

const USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice.";

// Marks the body consumed (synchronously, so bodyUsed flips at once) and resolves with its
// bytes. Buffered sources are handed out without a copy: callers that expose the result
// must copy (they do, below).
export function consumeBytes(body) {
  if (!body) return Promise.resolve({ bytes: new Uint8Array(0), owned: true });
  if (isUnusable(body)) return rejectLater(new TypeError(USED));
  if (!body.stream) {
    body.used = true;
    return Promise.resolve({ bytes: body.bytes ?? blobBytes(body.blob), owned: false });
  }
  return readAll(body.stream).then((bytes) => ({ bytes, owned: true }));
}

// consumeBytes(body).then(({ bytes, owned }) => f(bytes, owned)), with `f` run at once for a
// body already in memory: the promise answered is fulfilled on return, so the Python SDK takes
// a body read's value in the same trip (the entrypoint helper's callRpc). The body mixin's
// methods are promising(): what `f` throws becomes their rejection.
function consumeThen(body, f) {
  if (!body) return Promise.resolve(f(new Uint8Array(0), true));
  if (body.stream || isUnusable(body)) return consumeBytes(body).then(({ bytes, owned }) => f(bytes, owned));
  body.used = true;
  return Promise.resolve(f(body.bytes ?? blobBytes(body.blob), false));
}

export async function readAll(stream) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!isBufferSource(value)) {
      const error = new TypeError("This ReadableStream did not return bytes.");
      reader.cancel(error).catch(() => {});
      throw error;
    }
    const chunk = viewOf(value);
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return concat(chunks, total);
}

// clone(): the body's stream is teed; this object keeps one branch, the clone gets the other.
export function cloneBody(body) {
  if (!body) return null;
  if (isUnusable(body)) throw new TypeError(USED);
  if (!body.stream) return { stream: null, bytes: body.bytes, blob: body.blob, used: false };
  const [mine, theirs] = body.stream.tee();
  body.stream = mine;
  return streamBody(theirs);
}

function essence(contentType) {
  return (contentType || "").split(";")[0].trim().toLowerCase();
}

// Installs body, bodyUsed, arrayBuffer(), bytes(), text(), json(), blob(), formData().
export function mixinBody(cls) {
  const bodyOf = (self) => {
    if (!self || !(kBody in self)) throw illegal();
    return self[kBody];
  };
  const methods = {
    arrayBuffer() {
      return consumeThen(bodyOf(this), (bytes, owned) =>
        owned && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer);
    },
    bytes() {
      return consumeThen(bodyOf(this), (bytes, owned) => (owned ? bytes : bytes.slice()));
    },
    text() {
      return consumeThen(bodyOf(this), (bytes) => utf8Decode(bytes));
    },
    json() {
      return consumeThen(bodyOf(this), (bytes) => JSON.parse(utf8Decode(bytes)));
    },
    blob() {
      const type = this.headers.get("content-type") || "";
      return consumeThen(bodyOf(this), (bytes, owned) => blobFromBytes(owned ? bytes : bytes.slice(), type));
    },
    formData() {
      const contentType = this.headers.get("content-type") || "";
      return consumeBytes(bodyOf(this)).then(({ bytes }) => {
        const mime = essence(contentType);
        if (mime === "multipart/form-data") return parseMultipart(bytes, contentType);
        if (mime === "application/x-www-form-urlencoded") return parseUrlencoded(bytes);
        throw new TypeError(`Unrecognized Content-Type header value: "${contentType}". FormData can only parse multipart/form-data and application/x-www-form-urlencoded bodies.`);
      });
    },
  };
  for (const [name, fn] of Object.entries(methods))
    Object.defineProperty(cls.prototype, name, { value: promising(fn), writable: true, configurable: true });
  Object.defineProperty(cls.prototype, "body", { configurable: true, get() { return bodyStream(bodyOf(this)); } });
  Object.defineProperty(cls.prototype, "bodyUsed", {
    configurable: true,
    get() {
      const body = bodyOf(this);
      return Boolean(body) && (body.used || (body.stream !== null && isDisturbed(body.stream)));
    },
  });
}
