// URLSearchParams (URL Standard) and the application/x-www-form-urlencoded parser and
// serializer it is built on (also used by FormData and Request/Response bodies).
import { illegal, setTag, toUSVString, utf8Encode } from "./util.js";

const kList = Symbol("list");
const kOnChange = Symbol("onChange");

let decoder;
// "UTF-8 decode without BOM": a leading BOM is kept, bad sequences become U+FFFD.
function decodeBytes(bytes) {
  return (decoder ??= new globalThis.TextDecoder("utf-8", { ignoreBOM: true })).decode(bytes);
}

const HEX = "0123456789ABCDEF";
const hexValue = (c) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

// Percent-decodes a name or value after "+" -> space; strings without "%" skip the byte trip.
function decodeComponent(text) {
  const plus = text.includes("+") ? text.replaceAll("+", " ") : text;
  if (!plus.includes("%")) return plus;
  const bytes = utf8Encode(plus);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 37 && i + 2 < bytes.length && hexValue(bytes[i + 1]) >= 0 && hexValue(bytes[i + 2]) >= 0) {
      out[n++] = hexValue(bytes[i + 1]) * 16 + hexValue(bytes[i + 2]);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  return decodeBytes(out.subarray(0, n));
}

// The application/x-www-form-urlencoded parser: a list of [name, value] pairs.
export function parseUrlencodedString(input) {
  const list = [];
  for (const sequence of input.split("&")) {
    if (sequence === "") continue;
    const eq = sequence.indexOf("=");
    const name = eq === -1 ? sequence : sequence.slice(0, eq);
    const value = eq === -1 ? "" : sequence.slice(eq + 1);
    list.push([decodeComponent(name), decodeComponent(value)]);
  }
  return list;
}

// The same for a body (Body.formData()): the bytes are decoded once; invalid UTF-8 becomes
// U+FFFD either way, and "%" escapes are still decoded per name and value.
export function parseUrlencodedBytes(bytes) {
  return parseUrlencodedString(decodeBytes(bytes));
}

// The urlencoded serializer: bytes outside *-._ and alphanumerics are %XX, space is "+".
function encodeComponent(text) {
  if (/^[*\-._0-9A-Za-z]*$/.test(text)) return text;
  let out = "";
  for (const b of utf8Encode(text)) {
    if (b === 0x20) out += "+";
    else if (b === 0x2a || b === 0x2d || b === 0x2e || b === 0x5f || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))
      out += String.fromCharCode(b);
    else out += "%" + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

export function serializeParams(list) {
  let out = "";
  for (let i = 0; i < list.length; i++) {
    if (i) out += "&";
    out += encodeComponent(list[i][0]) + "=" + encodeComponent(list[i][1]);
  }
  return out;
}

function listOf(params) {
  const list = params?.[kList];
  if (!list) throw illegal();
  return list;
}

function changed(params) {
  const onChange = params[kOnChange];
  if (onChange) onChange(serializeParams(params[kList]));
}

function needArgs(count, given, method) {
  if (given < count) throw new TypeError(`Failed to execute '${method}' on 'URLSearchParams': ${count} argument${count > 1 ? "s" : ""} required, but only ${given} present.`);
}

export class URLSearchParams {
  constructor(init = "") {
    let list;
    if (init instanceof URLSearchParams) {
      list = init[kList].map(([n, v]) => [n, v]);
    } else if (init !== null && (typeof init === "object" || typeof init === "function")) {
      if (typeof init[Symbol.iterator] === "function") {
        list = [];
        for (const pair of init) {
          const items = [...pair];
          if (items.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements");
          list.push([toUSVString(items[0]), toUSVString(items[1])]);
        }
      } else {
        list = Object.keys(init).map((key) => [toUSVString(key), toUSVString(init[key])]);
      }
    } else {
      const text = toUSVString(init);
      list = parseUrlencodedString(text.startsWith("?") ? text.slice(1) : text);
    }
    Object.defineProperty(this, kList, { value: list, writable: true });
    Object.defineProperty(this, kOnChange, { value: null, writable: true });
  }

  get size() { return listOf(this).length; }

  append(name, value) {
    needArgs(2, arguments.length, "append");
    listOf(this).push([toUSVString(name), toUSVString(value)]);
    changed(this);
  }

  delete(name, value = undefined) {
    needArgs(1, arguments.length, "delete");
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    this[kList] = listOf(this).filter(([k, x]) => k !== n || (v !== undefined && x !== v));
    changed(this);
  }

  get(name) {
    needArgs(1, arguments.length, "get");
    const n = toUSVString(name);
    const hit = listOf(this).find(([k]) => k === n);
    return hit ? hit[1] : null;
  }

  getAll(name) {
    needArgs(1, arguments.length, "getAll");
    const n = toUSVString(name);
    return listOf(this).filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name, value = undefined) {
    needArgs(1, arguments.length, "has");
    const n = toUSVString(name);
    const v = value === undefined ? undefined : toUSVString(value);
    return listOf(this).some(([k, x]) => k === n && (v === undefined || x === v));
  }

  set(name, value) {
    needArgs(2, arguments.length, "set");
    const n = toUSVString(name), v = toUSVString(value);
    const list = listOf(this);
    const first = list.findIndex(([k]) => k === n);
    if (first === -1) list.push([n, v]);
    else {
      list[first][1] = v;
      this[kList] = list.filter(([k], i) => k !== n || i === first);
    }
    changed(this);
  }

  sort() {
    // Stable, by code units (Array.prototype.sort is stable; < compares UTF-16 code units).
    listOf(this).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    changed(this);
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("Failed to execute 'forEach' on 'URLSearchParams': parameter 1 is not of type 'Function'.");
    for (let i = 0; i < listOf(this).length; i++) {
      const [name, value] = this[kList][i];
      callback.call(thisArg, value, name, this);
    }
  }

  // The iterators are live: they walk the list by index, as the spec's iterator does.
  *entries() { for (let i = 0; i < listOf(this).length; i++) yield [this[kList][i][0], this[kList][i][1]]; }
  *keys() { for (let i = 0; i < listOf(this).length; i++) yield this[kList][i][0]; }
  *values() { for (let i = 0; i < listOf(this).length; i++) yield this[kList][i][1]; }
  [Symbol.iterator]() { return this.entries(); }

  toString() { return serializeParams(listOf(this)); }
}
setTag(URLSearchParams, "URLSearchParams");

export function isURLSearchParams(value) {
  return value instanceof URLSearchParams;
}

// URL.searchParams: `onChange` gets the new query whenever the params change.
export function attachSearchParams(params, onChange) {
  params[kOnChange] = onChange;
}

// The URL's query changed (url.search = ..., url.href = ...): re-read it.
export function parseQueryInto(params, search) {
  params[kList] = parseUrlencodedString(search.startsWith("?") ? search.slice(1) : search);
}
