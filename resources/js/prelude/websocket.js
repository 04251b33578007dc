import { EventTarget } from "./events.js";

// `WebSocket` as a global, as workerd has it, so code that names it loads and a check such as
// `"WebSocket" in globalThis` answers as there. Kiln does not open client WebSockets yet:
// the constructor throws an Error that says so (workerd would connect), instead of a
// ReferenceError that hides why.
export class WebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  constructor(url) {
    super();
    throw new Error(`new WebSocket(${JSON.stringify(String(url))}): Kiln does not open client ` +
      "WebSockets (nor fetch() with Upgrade: websocket) yet; this part runs on Cloudflare");
  }
}
