// The Web API surface of a Kiln isolate, built over the host ops. esbuild bundles this
// file (with the npm polyfills it imports) into one classic script the engine runs first.
// ops.js must stay the first import: it installs the basics (TextEncoder, DOMException, ...)
// that the polyfills imported below read from globalThis while they load.
import { ops } from "./ops.js";
import { Blob, File } from "./blob.js";
import { kBody, takeBufferedBytes } from "./body.js";
import { installEvents } from "./events.js";
import { makeFetch } from "./fetch.js";
import { FormData } from "./formdata.js";
import { Headers, checkedHeaders } from "./headers.js";
import { initHostEvents } from "./hostevents.js";
import { Request, incomingRequest } from "./request.js";
import { Response } from "./response.js";
import { installStreams } from "./streams.js";
import { installURL } from "./url.js";
import { define } from "./util.js";
import { CloseEvent, MessageEvent, WebSocket, WebSocketPair, configureWebSockets, coupleWebSocket } from "./websocket.js";

const g = globalThis;
installEvents(g, ops);
installStreams(g);
installURL(g);
initHostEvents(ops);
define(g, "Blob", Blob);
define(g, "File", File);
define(g, "FormData", FormData);
define(g, "Headers", Headers);
define(g, "Request", Request);
define(g, "Response", Response);
define(g, "fetch", makeFetch(ops));
define(g, "WebSocket", WebSocket);
define(g, "WebSocketPair", WebSocketPair);
define(g, "MessageEvent", MessageEvent);
define(g, "CloseEvent", CloseEvent);
// The boot modules need the file ops; worker code must not see them.
globalThis.__kiln_boot = {
  ops,
  // The response bytes when the body is already in memory (see worker.mjs sendResponse).
  bufferedBytes: (message) => takeBufferedBytes(message[kBody]),
  // The server's request from the parts it has checked (see worker.mjs serveExchange), and
  // its headers alone (worker.mjs requestOf).
  incomingRequest,
  checkedHeaders,
  // The compatibility flags WebSocket behaviour depends on; and the 101 coupling.
  configureWebSockets: (compatFlags) => configureWebSockets(ops, compatFlags),
  coupleWebSocket,
};
