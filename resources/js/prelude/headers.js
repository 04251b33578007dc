// Headers (Fetch Standard). Names are compared case-insensitively and iterate lowercased,
// sorted, with duplicates combined by ", " except Set-Cookie, whose values stay separate
// ("sort and combine"). Guards: "none" and "immutable" (fetch() responses,
// Response.redirect/error), as in workerd; the browser-only forbidden-header lists do not
// apply on a server.
import { illegal, setSlot, setTag, toByteString } from "./util.js";

const kHeaders = Symbol("headers");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const BAD_VALUE = /[\0\r\n]/;
const HTTP_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

function stateOf(headers) {
  const st = headers?.[kHeaders];
  if (!st) throw illegal();
  return st;
}

function checkName(name) {
  name = toByteString(name, "Header name");
  if (!TOKEN.test(name)) throw new TypeError(`Invalid header name: "${name}"`);
  return name.toLowerCase();
}

function normalizeValue(value) {
  value = toByteString(value, "Header value").replace(HTTP_WHITESPACE, "");
  if (BAD_VALUE.test(value)) throw new TypeError(`Invalid header value: "${value}"`);
  return value;
}

function checkMutable(st) {
  if (st.guard === "immutable") throw new TypeError("Can't modify immutable headers.");
}

function appendPair(st, name, value) {
  const values = st.map.get(name);
  if (values) values.push(value);
  else st.map.set(name, [value]);
  st.sorted = null;
}

function required(argc, n, method) {
  if (argc < n) throw new TypeError(`Failed to execute '${method}' on 'Headers': ${n} argument${n > 1 ? "s" : ""} required, but only ${argc} present.`);
}

// "Fill": a Headers, a sequence of [name, value] pairs, or a record of names to values.
export function fillHeaders(headers, init) {
  if (init === null || typeof init !== "object" && typeof init !== "function")
    throw new TypeError("Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.");
  if (typeof init[Symbol.iterator] === "function") {
    for (const pair of init) {
      if (pair === null || typeof pair !== "object" || typeof pair[Symbol.iterator] !== "function")
        throw new TypeError("Failed to construct 'Headers': The provided value cannot be converted to a sequence.");
      const items = [...pair];
      if (items.length !== 2) throw new TypeError("Failed to construct 'Headers': Invalid value: each header must be a [name, value] pair.");
      headers.append(items[0], items[1]);
    }
  } else {
    for (const key of Reflect.ownKeys(init)) {
      if (typeof key === "symbol") continue;
      const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
      if (descriptor && descriptor.enumerable) headers.append(key, init[key]);
    }
  }
}

// A Headers over pairs the server has checked already (names lower-case tokens, values
// trimmed and free of CR, LF and NUL): `flat` is [name, value, name, value, ...].
export function checkedHeaders(flat) {
  const headers = new Headers();
  const st = headers[kHeaders];
  for (let i = 0; i < flat.length; i += 2) appendPair(st, flat[i], flat[i + 1]);
  return headers;
}

export class Headers {
  constructor(init = undefined) {
    setSlot(this, kHeaders, { map: new Map(), guard: "none", sorted: null });
    if (init !== undefined) fillHeaders(this, init);
  }

  append(name, value) {
    required(arguments.length, 2, "append");
    const st = stateOf(this);
    name = checkName(name);
    value = normalizeValue(value);
    checkMutable(st);
    appendPair(st, name, value);
  }

  delete(name) {
    required(arguments.length, 1, "delete");
    const st = stateOf(this);
    name = checkName(name);
    checkMutable(st);
    if (st.map.delete(name)) st.sorted = null;
  }

  get(name) {
    required(arguments.length, 1, "get");
    const values = stateOf(this).map.get(checkName(name));
    return values ? values.join(", ") : null;
  }

  getSetCookie() {
    return [...(stateOf(this).map.get("set-cookie") || [])];
  }

  // workerd's older spelling, still used by some Workers code.
  getAll(name) {
    name = checkName(name);
    if (name !== "set-cookie") throw new TypeError("getAll() can only be used with the header name \"Set-Cookie\".");
    return this.getSetCookie();
  }

  has(name) {
    required(arguments.length, 1, "has");
    return stateOf(this).map.has(checkName(name));
  }

  set(name, value) {
    required(arguments.length, 2, "set");
    const st = stateOf(this);
    name = checkName(name);
    value = normalizeValue(value);
    checkMutable(st);
    st.map.set(name, [value]);
    st.sorted = null;
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== "function") throw new TypeError("The callback must be a function");
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  // Live iterators (WebIDL pair iterators read the current list at every step).
  *entries() {
    const st = stateOf(this);
    for (let i = 0; ; i++) {
      const list = sortedPairs(st);
      if (i >= list.length) return;
      yield [list[i][0], list[i][1]];
    }
  }
  *keys() { for (const [name] of this.entries()) yield name; }
  *values() { for (const [, value] of this.entries()) yield value; }
}
Headers.prototype[Symbol.iterator] = Headers.prototype.entries;
setTag(Headers, "Headers");

function sortedPairs(st) {
  if (st.sorted) return st.sorted;
  const list = [];
  for (const name of [...st.map.keys()].sort()) {
    const values = st.map.get(name);
    if (name === "set-cookie") for (const v of values) list.push([name, v]);
    else list.push([name, values.join(", ")]);
  }
  return (st.sorted = list);
}

export function getGuard(headers) {
  return stateOf(headers).guard;
}

export function setGuard(headers, guard) {
  stateOf(headers).guard = guard;
  return headers;
}

// [[name, value], ...] as sent on the wire: combined, with each Set-Cookie separate.
export function headerPairs(headers) {
  return sortedPairs(stateOf(headers)).map(([n, v]) => [n, v]);
}

// Builds Headers from the host's flat [name, value, ...] list. The host joins repeated
// Set-Cookie lines with "\n" (a byte no header value can hold), so split them back here.
export function headersFromHost(flat, guard) {
  const headers = new Headers();
  const st = stateOf(headers);
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i].toLowerCase();
    if (!TOKEN.test(name)) continue;
    const values = name === "set-cookie" ? flat[i + 1].split("\n") : [flat[i + 1]];
    for (const v of values) {
      const value = v.replace(HTTP_WHITESPACE, "");
      if (!BAD_VALUE.test(value)) appendPair(st, name, value);
    }
  }
  st.guard = guard;
  return headers;
}
