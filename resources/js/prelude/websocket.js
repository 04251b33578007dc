// WebSocket, WebSocketPair, MessageEvent and CloseEvent as workerd has them for a server:
// `new WebSocketPair()` gives two connected ends; the worker accept()s one and returns the
// other in `new Response(null, {status: 101, webSocket})`, which couples it to the client's
// connection (ops.exchangeAcceptWebSocket). Error texts and the close rules are workerd's
// (src/workerd/api/web-socket.c++). Kiln does not open client WebSockets: the constructor
// throws saying so (workerd would connect).
import { blobFromBytes } from "./blob.js";
import { DOMException } from "./domexception.js";
import { Event, EventTarget, defineHandler } from "./events.js";
import { copyOf, illegal, isBufferSource, setTag, toUSVString, utf8Encode } from "./util.js";

const kEnd = Symbol("websocket");
const kCreate = Symbol("create");
const NOT_ACCEPTED = "You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages.";

// Compatibility flags the engine sets before any worker code runs (configureWebSockets).
const flags = { autoReplyToClose: true, standardBinaryType: true, closeReasonByteLimit: true };
let ops = null;

export function configureWebSockets(hostOps, compatFlags) {
  ops = hostOps;
  flags.autoReplyToClose = Boolean(compatFlags.web_socket_auto_reply_to_close);
  flags.standardBinaryType = Boolean(compatFlags.websocket_standard_binary_type);
  flags.closeReasonByteLimit = Boolean(compatFlags.websocket_close_reason_byte_limit);
}

export class MessageEvent extends Event {
  constructor(type, init = undefined) {
    super(type, init);
    Object.defineProperty(this, kEnd, { value: { data: init?.data ?? null } });
  }
  get data() { return this[kEnd].data; }
}
setTag(MessageEvent, "MessageEvent");

export class CloseEvent extends Event {
  constructor(type, init = undefined) {
    super(type, init);
    Object.defineProperty(this, kEnd, { value: { code: Number(init?.code ?? 0) | 0, reason: String(init?.reason ?? ""), wasClean: Boolean(init?.wasClean) } });
  }
  get code() { return this[kEnd].code; }
  get reason() { return this[kEnd].reason; }
  get wasClean() { return this[kEnd].wasClean; }
}
setTag(CloseEvent, "CloseEvent");

function endOf(ws) {
  const end = ws?.[kEnd];
  if (!end) throw illegal();
  return end;
}

// Something reached `ws` from its peer (or, for an end coupled to a connection, from the
// worker's side): a message {data} or a close {code, reason, clean}.
function deliver(ws, item) {
  const end = endOf(ws);
  if (end.exchange !== null) return toNetwork(end, item);
  if (!end.accepted) {
    end.pending.push(item);
    return;
  }
  queueMicrotask(() => dispatch(ws, item));
}

function toNetwork(end, item) {
  if (end.networkClosed) return;
  if (item.close) {
    end.networkClosed = true;
    ops.webSocketClose(end.exchange, item.code, item.reason);
  } else {
    ops.webSocketSend(end.exchange, item.data);
  }
}

function dispatch(ws, item) {
  const end = endOf(ws);
  if (!item.close) {
    let data = item.data;
    if (typeof data !== "string") {
      data = end.binaryType === "blob" ? blobFromBytes(data) : data.buffer.byteLength === data.byteLength ? data.buffer : data.slice().buffer;
    }
    ws.dispatchEvent(new MessageEvent("message", { data }));
    return;
  }
  end.closedIncoming = true;
  if (flags.autoReplyToClose && !end.closedOutgoing && end.peer) {
    end.closedOutgoing = true;
    deliver(end.peer, { close: true, code: item.code, reason: item.reason, clean: true });
  }
  ws.dispatchEvent(new CloseEvent("close", { code: item.code, reason: item.reason, wasClean: item.clean }));
}

export class WebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url, protocols = undefined) {
    super();
    if (url === kCreate) {
      Object.defineProperty(this, kEnd, {
        value: { peer: null, accepted: false, released: false, exchange: null, pending: [], networkClosed: false,
          closedIncoming: false, closedOutgoing: false, binaryType: flags.standardBinaryType ? "blob" : "arraybuffer" },
      });
      return;
    }
    void protocols;
    throw new Error(`new WebSocket(${JSON.stringify(String(url))}): Kiln does not open client ` +
      "WebSockets (nor fetch() with Upgrade: websocket) yet; this part runs on Cloudflare");
  }

  accept(options = undefined) {
    void options;
    const end = endOf(this);
    if (end.released) throw new TypeError("Can't accept() WebSocket that was already used in a response.");
    if (end.accepted) return;
    end.accepted = true;
    for (const item of end.pending.splice(0)) queueMicrotask(() => dispatch(this, item));
  }

  send(message) {
    const end = endOf(this);
    if (end.closedOutgoing) throw new TypeError("Can't call WebSocket send() after close().");
    if (end.released) return; // as workerd: ignored once the end is gone
    if (!end.accepted) throw new TypeError(NOT_ACCEPTED);
    const data = isBufferSource(message) ? copyOf(message) : String(message);
    deliver(end.peer, { data });
  }

  close(code = undefined, reason = undefined) {
    const end = endOf(this);
    if (code !== undefined) {
      code = Number(code) | 0;
      if (!(code >= 1000 && code < 5000 && ![1004, 1005, 1006, 1015].includes(code)))
        throw new DOMException(`Invalid WebSocket close code: ${code}.`, "InvalidAccessError");
    }
    if (reason !== undefined) {
      reason = toUSVString(reason);
      if (flags.closeReasonByteLimit && utf8Encode(reason).byteLength > 123)
        throw new DOMException("WebSocket close reason must not be longer than 123 bytes when UTF-8 encoded.", "SyntaxError");
      if (code === undefined) throw new DOMException("If you specify a WebSocket close reason, you must also specify a code.", "InvalidAccessError");
    }
    if (end.closedOutgoing || end.released) return;
    if (!end.accepted) throw new TypeError(NOT_ACCEPTED);
    end.closedOutgoing = true;
    deliver(end.peer, { close: true, code: code ?? 1005, reason: reason ?? "", clean: true });
  }

  get readyState() {
    const end = endOf(this);
    if (end.closedIncoming && end.closedOutgoing) return WebSocket.CLOSED;
    if (end.closedIncoming || end.closedOutgoing) return WebSocket.CLOSING;
    return WebSocket.OPEN;
  }

  get binaryType() { return endOf(this).binaryType; }
  set binaryType(value) {
    if (value === "blob" || value === "arraybuffer") endOf(this).binaryType = value;
  }

  get url() { endOf(this); return null; }
  get protocol() { endOf(this); return null; }
  get extensions() { endOf(this); return null; }
}
for (const type of ["open", "message", "close", "error"]) defineHandler(WebSocket, type);
for (const [name, value] of Object.entries({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 }))
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
setTag(WebSocket, "WebSocket");

export class WebSocketPair {
  constructor() {
    const client = new WebSocket(kCreate);
    const server = new WebSocket(kCreate);
    endOf(client).peer = server;
    endOf(server).peer = client;
    Object.defineProperty(this, 0, { value: client, enumerable: true });
    Object.defineProperty(this, 1, { value: server, enumerable: true });
  }
}
setTag(WebSocketPair, "WebSocketPair");

// For Response: the end a 101 response carries must be free to couple.
export function checkResponseWebSocket(ws) {
  const end = endOf(ws);
  if (end.released) throw new TypeError("Can't return WebSocket that was already used in a response.");
  if (end.accepted) throw new TypeError("Can't return WebSocket in a Response after calling accept().");
}

// worker.mjs: the 101 went out for exchange `id`. From now on what the worker's end sends
// goes to the client, and the client's messages and close reach the worker's end.
export function coupleWebSocket(ws, id, headers) {
  const end = endOf(ws);
  checkResponseWebSocket(ws);
  const fromClient = (kind, a, b, c) => {
    if (kind === "message") deliver(end.peer, { data: a });
    else deliver(end.peer, { close: true, code: a, reason: b, clean: c });
  };
  ops.exchangeAcceptWebSocket(id, headers, fromClient);
  end.released = true;
  end.exchange = id;
  for (const item of end.pending.splice(0)) toNetwork(end, item);
}
