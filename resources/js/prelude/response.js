// Response (Fetch Standard) as workerd exposes it: type "default" (or "error"), a `cf`
// object and `webSocket` carried through, status limited to 200-599 for constructed
// responses, or exactly 101 for one that carries a WebSocket.
import { cloneBody, extractBody, isUnusable, kBody, mixinBody } from "./body.js";
import { Headers, getGuard, setGuard } from "./headers.js";
import { parseURL } from "./url.js";
import { illegal, setSlot, setTag, toByteString, utf8Encode } from "./util.js";
import { WebSocket } from "./websocket.js";

const kResponse = Symbol("response");
export const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
// reason-phrase = *( HTAB / SP / VCHAR / obs-text )
// eslint-disable-next-line no-control-regex
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

function stateOf(response) {
  const st = response?.[kResponse];
  if (!st) throw illegal();
  return st;
}

export function isRedirectStatus(status) {
  return REDIRECT_STATUS.has(status);
}

export class Response {
  constructor(body = null, init = undefined) {
    if (init === undefined || init === null) init = {};
    else if (typeof init !== "object") throw new TypeError("Failed to construct 'Response': The provided value is not of type 'ResponseInit'.");
    const status = init.status === undefined ? 200 : Number(init.status) | 0;
    const webSocket = init.webSocket ?? null;
    if (webSocket !== null && !(webSocket instanceof WebSocket)) throw new TypeError("Failed to construct 'Response': webSocket must be a WebSocket.");
    if (webSocket !== null && status !== 101) throw new RangeError("Responses with a WebSocket must have status code 101.");
    if (webSocket === null && (status < 200 || status > 599)) throw new RangeError(`Failed to construct 'Response': The status provided (${init.status}) is outside the range [200, 599].`);
    const statusText = init.statusText === undefined ? "" : toByteString(init.statusText, "statusText");
    if (!REASON_PHRASE.test(statusText)) throw new TypeError("Failed to construct 'Response': Invalid statusText");
    const headers = new Headers(init.headers);
    let extracted = null;
    if (body !== null && body !== undefined) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Failed to construct 'Response': Response with null body status (${status}) cannot have body`);
      extracted = extractBody(body);
      if (extracted.type !== null && !headers.has("content-type")) headers.append("content-type", extracted.type);
    }
    initResponse(this, { type: "default", status, statusText, headers, url: "", redirected: false, cf: init.cf, webSocket }, extracted ? extracted.body : null);
  }

  static error() {
    const response = Object.create(Response.prototype);
    initResponse(response, { type: "error", status: 0, statusText: "", headers: setGuard(new Headers(), "immutable"), url: "", redirected: false }, null);
    return response;
  }

  static redirect(url, status = 302) {
    // The status is checked first, as workerd does: redirect("", 502) is a RangeError.
    status = Number(status) | 0;
    if (!REDIRECT_STATUS.has(status)) throw new RangeError(`Failed to execute 'redirect' on 'Response': Invalid status code: ${status}`);
    const parsed = parseURL(String(url));
    if (!parsed) throw new TypeError(`Failed to execute 'redirect' on 'Response': Invalid URL: ${String(url)}`);
    const headers = setGuard(new Headers({ location: parsed.href }), "immutable");
    const response = Object.create(Response.prototype);
    initResponse(response, { type: "default", status, statusText: "", headers, url: "", redirected: false }, null);
    return response;
  }

  static json(data, init = undefined) {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError("Failed to execute 'json' on 'Response': The data is not JSON serializable");
    // Bytes carry no default Content-Type, so init's own one (if any) wins.
    const response = new Response(utf8Encode(text), init);
    if (!response.headers.has("content-type")) response.headers.append("content-type", "application/json");
    return response;
  }

  get type() { return stateOf(this).type; }
  get url() { return stateOf(this).url; }
  get redirected() { return stateOf(this).redirected; }
  get status() { return stateOf(this).status; }
  get ok() { const { status } = stateOf(this); return status >= 200 && status <= 299; }
  get statusText() { return stateOf(this).statusText; }
  get headers() { return stateOf(this).headers; }
  get cf() { return stateOf(this).cf; }
  get webSocket() { return stateOf(this).webSocket ?? null; }

  clone() {
    const st = stateOf(this);
    if (st.webSocket) throw new TypeError("Cannot clone a response to a WebSocket handshake.");
    if (isUnusable(this[kBody])) throw new TypeError("Failed to execute 'clone' on 'Response': Response body is already used");
    // A clone keeps the original's guard: a fetched response's clone stays immutable.
    const headers = setGuard(new Headers(st.headers), getGuard(st.headers));
    const copy = Object.create(Response.prototype);
    initResponse(copy, { ...st, headers }, cloneBody(this[kBody]));
    return copy;
  }
}
mixinBody(Response);
setTag(Response, "Response");

function initResponse(response, state, body) {
  setSlot(response, kResponse, state);
  setSlot(response, kBody, body);
}

// fetch()'s responses: any status the server sent, immutable headers, a streamed body.
export function responseFromNetwork({ status, statusText, headers, url, redirected, body }) {
  const response = Object.create(Response.prototype);
  initResponse(response, { type: "default", status, statusText, headers, url, redirected, cf: undefined }, NULL_BODY_STATUS.has(status) ? null : body);
  return response;
}
