// Request (Fetch Standard), with workerd's server-side shape: no mode/credentials/cache
// machinery, a `cf` object carried through untouched, and `redirect` limited to "follow",
// "error" and "manual". Unknown RequestInit members are ignored.
import { kBody, cloneBody, extractBody, isUnusable, mixinBody } from "./body.js";
import { AbortSignal, createSignal } from "./events.js";
import { Headers, checkedHeaders } from "./headers.js";
import { parseURL } from "./url.js";
import { illegal, setSlot, setTag, toByteString, toUSVString } from "./util.js";

const kRequest = Symbol("request");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
const REDIRECT_MODES = new Set(["follow", "error", "manual"]);

function normalizeMethod(method) {
  method = toByteString(method, "Method");
  if (!TOKEN.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(upper)) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return NORMALIZED.has(upper) ? upper : method;
}

function stateOf(request) {
  const st = request?.[kRequest];
  if (!st) throw illegal();
  return st;
}

// incomingRequest's mark: the state comes made (a third argument, which Request.length,
// counting up to the first default, leaves out).
const kIncoming = Symbol("incoming");

// The Request the server hands a worker, from parts it has checked (see the engine's
// IncomingHead): the state `new Request(url, {method, headers, body, cf})` would make, without
// its checks. `headers`: [name, value, ...]; `body`: null, bytes or a stream; `cf`: the object
// whose copy is the request's `cf` (worker.mjs passes the same one every time). Its Headers,
// AbortSignal and `cf` copy are made when first asked for (most handlers ask for none): until
// then the state holds the server's list, null and `cf` itself (headersOf, signalOf, cfOf).
export function incomingRequest(url, method, headers, body, cf) {
  if (cf !== lastCf) cfTemplates.add(lastCf = cf);
  const state = { method, url, headers, redirect: "follow", signal: null, cf, keepalive: false, integrity: "" };
  let extracted = null;
  if (body !== null) {
    extracted = extractBody(body);
    if (extracted.type !== null && !headersOf(state).has("content-type")) state.headers.append("content-type", extracted.type);
  }
  return new Request(kIncoming, state, extracted ? extracted.body : null);
}

function headersOf(st) {
  const headers = st.headers;
  return Array.isArray(headers) ? (st.headers = checkedHeaders(headers)) : headers;
}

function signalOf(st) {
  return st.signal ?? (st.signal = createSignal());
}

// What incomingRequest's requests copy their `cf` from (never handed out themselves).
const cfTemplates = new WeakSet();
let lastCf = null;

function cfOf(st) {
  const cf = st.cf;
  return cf !== null && typeof cf === "object" && cfTemplates.has(cf) ? (st.cf = { ...cf }) : cf;
}

export class Request {
  constructor(input, init = undefined, incomingBody = null) {
    if (input === kIncoming) {
      setSlot(this, kRequest, init);
      setSlot(this, kBody, incomingBody);
      return;
    }
    if (arguments.length < 1) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    if (init === undefined || init === null) init = {};
    else if (typeof init !== "object") throw new TypeError("Failed to construct 'Request': The provided value is not of type 'RequestInit'.");

    let source = null, url;
    if (input instanceof Request) {
      source = stateOf(input);
      url = source.url;
    } else {
      const parsed = parseURL(toUSVString(input));
      if (!parsed) throw new TypeError(`Failed to construct 'Request': Invalid URL: ${String(input)}`);
      if (parsed.username || parsed.password) throw new TypeError(`Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials: ${String(input)}`);
      url = parsed.href;
    }

    const method = init.method !== undefined ? normalizeMethod(init.method) : source ? source.method : "GET";
    const redirect = init.redirect !== undefined ? String(init.redirect) : source ? source.redirect : "follow";
    if (!REDIRECT_MODES.has(redirect)) throw new TypeError(`Failed to construct 'Request': Invalid redirect value: '${redirect}'. Must be one of 'follow', 'error' or 'manual'.`);

    // The request's signal follows the given one (or the input request's) as a dependent.
    let parentSignal = source ? signalOf(source) : null;
    if ("signal" in init) {
      if (init.signal !== null && init.signal !== undefined && !(init.signal instanceof AbortSignal))
        throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
      if (init.signal !== undefined) parentSignal = init.signal;
    }
    const signal = parentSignal ? AbortSignal.any([parentSignal]) : createSignal();

    const headers = new Headers(init.headers !== undefined ? init.headers : source ? headersOf(source) : undefined);

    const inputBody = input instanceof Request ? input[kBody] : null;
    const initBody = init.body !== undefined && init.body !== null ? init.body : null;
    if ((initBody !== null || inputBody) && (method === "GET" || method === "HEAD"))
      throw new TypeError("Request with a GET or HEAD method cannot have a body.");
    let body = null;
    if (initBody !== null) {
      const extracted = extractBody(initBody);
      body = extracted.body;
      if (extracted.type !== null && !headers.has("content-type")) headers.append("content-type", extracted.type);
    } else if (inputBody) {
      // The input's body moves here and the input becomes used, as the spec's proxy does.
      if (isUnusable(inputBody)) throw new TypeError("Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.");
      body = { ...inputBody, used: false };
      inputBody.used = true;
    }

    const cf = init.cf !== undefined ? init.cf : source ? cfOf(source) : undefined;
    const keepalive = Boolean(init.keepalive ?? source?.keepalive);
    const integrity = init.integrity !== undefined ? String(init.integrity) : source ? source.integrity : "";
    setSlot(this, kRequest, { method, url, headers, redirect, signal, cf, keepalive, integrity });
    setSlot(this, kBody, body);
  }

  get method() { return stateOf(this).method; }
  get url() { return stateOf(this).url; }
  get headers() { return headersOf(stateOf(this)); }
  get redirect() { return stateOf(this).redirect; }
  get signal() { return signalOf(stateOf(this)); }
  get cf() { return cfOf(stateOf(this)); }
  get integrity() { return stateOf(this).integrity; }
  get keepalive() { return stateOf(this).keepalive; }
  get fetcher() { stateOf(this); return null; }

  clone() {
    const st = stateOf(this);
    if (isUnusable(this[kBody])) throw new TypeError("Failed to execute 'clone' on 'Request': Request body is already used");
    const copy = new Request(st.url, { method: st.method, headers: headersOf(st), redirect: st.redirect, signal: signalOf(st), cf: cfOf(st), integrity: st.integrity, keepalive: st.keepalive });
    copy[kBody] = cloneBody(this[kBody]);
    return copy;
  }
}
mixinBody(Request);
setTag(Request, "Request");

// The state with its Headers, AbortSignal and `cf` made (fetch reads them).
export function requestState(request) {
  const st = stateOf(request);
  headersOf(st);
  signalOf(st);
  cfOf(st);
  return st;
}
