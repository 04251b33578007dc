// Blob and File (File API). A blob's bytes are one immutable Uint8Array, so slice() is a
// view and never a copy; anything handed out to callers is a copy.
import { ReadableStream } from "./streams.js";
import { copyOf, illegal, isBufferSource, promising, setTag, utf8Decode, utf8Encode, viewOf } from "./util.js";

const kBlob = Symbol("blob");
export const STREAM_CHUNK = 64 * 1024;

function normalizeType(type) {
  const s = String(type);
  // Not a parsable MIME type if it has anything outside printable ASCII: the spec says "".
  return /[^\u0020-\u007e]/.test(s) ? "" : s.toLowerCase();
}

function partsToBytes(parts, endings) {
  if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function")
    throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
  const chunks = [];
  let total = 0;
  for (const part of parts) {
    let bytes;
    if (part instanceof Blob) bytes = part[kBlob].bytes;
    else if (isBufferSource(part)) bytes = copyOf(part);
    else {
      let text = String(part);
      if (endings === "native") text = text.replace(/\r\n|\r/g, "\n");
      bytes = utf8Encode(text);
    }
    chunks.push(bytes);
    total += bytes.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

function stateOf(blob) {
  const st = blob?.[kBlob];
  if (!st) throw illegal();
  return st;
}

// The blob's own bytes, not a copy: for body extraction and multipart serialisation only.
export function blobBytes(blob) {
  return stateOf(blob).bytes;
}

export function blobStream(bytes) {
  let offset = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (offset < bytes.byteLength) {
        const end = Math.min(offset + STREAM_CHUNK, bytes.byteLength);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      }
      if (offset >= bytes.byteLength) {
        controller.close();
        // A BYOB read waiting on a closed stream must be answered with zero bytes.
        controller.byobRequest?.respond(0);
      }
    },
  });
}

function relativeIndex(value, size, fallback) {
  if (value === undefined) return fallback;
  let n = Math.trunc(Number(value)) || 0;
  if (n < 0) n = Math.max(size + n, 0);
  return Math.min(n, size);
}

export class Blob {
  constructor(blobParts = undefined, options = undefined) {
    if (options !== undefined && options !== null && typeof options !== "object")
      throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
    const endings = options?.endings === undefined ? "transparent" : String(options.endings);
    if (endings !== "transparent" && endings !== "native")
      throw new TypeError(`Failed to construct 'Blob': The provided value '${endings}' is not a valid enum value of type EndingType.`);
    const bytes = blobParts === undefined ? new Uint8Array(0) : partsToBytes(blobParts, endings);
    const type = options?.type === undefined ? "" : normalizeType(options.type);
    Object.defineProperty(this, kBlob, { value: { bytes, type } });
  }

  get size() { return stateOf(this).bytes.byteLength; }
  get type() { return stateOf(this).type; }

  slice(start = undefined, end = undefined, contentType = undefined) {
    const { bytes } = stateOf(this);
    const from = relativeIndex(start, bytes.byteLength, 0);
    const to = relativeIndex(end, bytes.byteLength, bytes.byteLength);
    const blob = new Blob();
    const st = stateOf(blob);
    st.bytes = bytes.subarray(from, Math.max(from, to));
    st.type = contentType === undefined ? "" : normalizeType(contentType);
    return blob;
  }

  stream() { return blobStream(stateOf(this).bytes); }

}
// Promise-returning, but the work is synchronous: the bytes are already in memory.
Object.defineProperties(Blob.prototype, {
  text: { value: promising(function text() { return utf8Decode(stateOf(this).bytes); }), writable: true, configurable: true },
  arrayBuffer: { value: promising(function arrayBuffer() { return stateOf(this).bytes.slice().buffer; }), writable: true, configurable: true },
  bytes: { value: promising(function bytes() { return stateOf(this).bytes.slice(); }), writable: true, configurable: true },
});
setTag(Blob, "Blob");

const kFile = Symbol("file");

export class File extends Blob {
  constructor(fileBits, fileName, options = undefined) {
    if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    super(fileBits, options);
    const lastModified = options?.lastModified === undefined ? Date.now() : Math.trunc(Number(options.lastModified)) || 0;
    Object.defineProperty(this, kFile, { value: { name: String(fileName), lastModified } });
  }
  get name() { if (!this?.[kFile]) throw illegal(); return this[kFile].name; }
  get lastModified() { if (!this?.[kFile]) throw illegal(); return this[kFile].lastModified; }
}
setTag(File, "File");

// Bytes already owned by the caller become a Blob without another copy (bodies, multipart).
export function blobFromBytes(bytes, type = "", name = undefined) {
  const blob = name === undefined ? new Blob([], { type }) : new File([], name, { type });
  stateOf(blob).bytes = viewOf(bytes);
  return blob;
}
