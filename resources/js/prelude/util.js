// Small helpers shared by the Web API modules. Internal state lives under module-private
// symbols rather than #private fields: esbuild targets es2021 and would lower #fields to
// WeakMaps on every access, which is slow on hot paths like Headers and body reads.

// Globals are non-enumerable, writable and configurable, like the platform's own.
export function define(target, name, value) {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

// A global whose value is only built when first read (URL pulls in ~300 KB of tables).
// The first read or write replaces the accessor with a plain data property.
export function defineLazy(target, name, load) {
  Object.defineProperty(target, name, {
    configurable: true,
    enumerable: false,
    get() { const value = load(); define(target, name, value); return value; },
    set(value) { define(target, name, value); },
  });
}

// Gives an interface class its public name. The name is spelled out because esbuild renames
// bundled classes that clash with globals (class Response becomes _Response).
export function setTag(cls, name) {
  Object.defineProperty(cls, "name", { value: name, configurable: true });
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, configurable: true });
}

// The engine reports a promise that is rejected before anyone could attach a handler as an
// uncaught rejection at once (it does not wait for the microtask checkpoint), so
// `await response.text()` on a used body would print one. Promise-returning APIs therefore
// reject a microtask later, by when the caller's await or then() is attached.
export function rejectLater(error) {
  return new Promise((resolve, reject) => globalThis.queueMicrotask(() => reject(error)));
}

// Runs the synchronous part of a promise-returning API now (so e.g. bodyUsed flips at
// once) and turns a synchronous throw into a rejectLater().
export function promising(fn) {
  const wrapper = function (...args) {
    try {
      return Promise.resolve(fn.apply(this, args));
    } catch (error) {
      return rejectLater(error);
    }
  };
  Object.defineProperty(wrapper, "name", { value: fn.name });
  Object.defineProperty(wrapper, "length", { value: fn.length });
  return wrapper;
}

// Sets the internal slot of a Request, Response or Headers (the objects every request makes): a
// property under a module-private symbol, stored as a plain property. Object.defineProperty, which
// would make it non-enumerable, is a runtime call V8 never caches: ~2 us each, ~10 % of a hello
// request's engine time for the Request's two. (Private fields measured slower still in this
// V8.) What enumerable changes: a spread or Object.assign copy of such an object carries the
// symbol-keyed slots (as getOwnPropertySymbols lists them either way); the copy is still no
// Request (instanceof, fetch, new Request treat it as the plain object it is).
export function setSlot(object, key, value) {
  object[key] = value;
}

export function illegal() {
  return new TypeError("Illegal invocation");
}

// WebIDL ByteString: every code unit must fit in a byte.
export function toByteString(value, what) {
  const s = String(value);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(s)) throw new TypeError(`${what} contains a character outside latin1`);
  return s;
}

// WebIDL USVString: lone surrogates become U+FFFD.
export function toUSVString(value) {
  return String(value).replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}

export function isBufferSource(value) {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer
    || Object.prototype.toString.call(value) === "[object SharedArrayBuffer]";
}

// A Uint8Array over the same memory (no copy).
export function viewOf(source) {
  if (source instanceof Uint8Array) return source;
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  return new Uint8Array(source);
}

// A private copy: bodies and blobs must not change when the caller's buffer does.
export function copyOf(source) {
  return viewOf(source).slice();
}

// Always a fresh buffer: chunks may belong to the caller of the stream that produced them.
export function concat(chunks, total = chunks.reduce((n, c) => n + c.byteLength, 0)) {
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

let encoder, decoder;
export function utf8Encode(text) {
  return (encoder ??= new globalThis.TextEncoder()).encode(text);
}
// UTF-8 decode with replacement and BOM stripping: what Body.text() and Blob.text() do.
export function utf8Decode(bytes) {
  return (decoder ??= new globalThis.TextDecoder()).decode(bytes);
}

export function indexOfBytes(haystack, needle, from = 0) {
  const first = needle[0], last = haystack.length - needle.length;
  outer: for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
