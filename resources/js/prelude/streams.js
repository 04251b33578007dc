// WHATWG Streams from web-streams-polyfill (its ponyfill build: it touches no globals), plus
// TextEncoderStream / TextDecoderStream built on TransformStream.
import * as polyfill from "web-streams-polyfill";
import { ReadableStream, TransformStream } from "web-streams-polyfill";
import { define, illegal, setTag } from "./util.js";

export { ReadableStream, WritableStream, TransformStream } from "web-streams-polyfill";

const GLOBALS = [
  "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
  "ReadableStreamDefaultController", "ReadableByteStreamController", "WritableStream",
  "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
  "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
];

// "Disturbed" (read from or cancelled) is what Body.bodyUsed reports, and the Streams API has
// no public way to ask. The polyfill keeps it in `_disturbed`; it is pinned in package.json.
export function isDisturbed(stream) {
  return Boolean(stream._disturbed);
}

export function isErrored(stream) {
  return stream._state === "errored";
}

const kTransform = Symbol("transform");

function pair(self) {
  const t = self?.[kTransform];
  if (!t) throw illegal();
  return t;
}

export class TextEncoderStream {
  constructor() {
    const encoder = new globalThis.TextEncoder();
    let pendingHigh = ""; // a high surrogate split from its low half by a chunk boundary
    this[kTransform] = new TransformStream({
      transform(chunk, controller) {
        let text = pendingHigh + String(chunk);
        pendingHigh = "";
        const last = text.charCodeAt(text.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) { pendingHigh = text.slice(-1); text = text.slice(0, -1); }
        if (text) controller.enqueue(encoder.encode(text));
      },
      flush(controller) {
        if (pendingHigh) controller.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
      },
    });
  }
  get encoding() { pair(this); return "utf-8"; }
  get readable() { return pair(this).readable; }
  get writable() { return pair(this).writable; }
}
setTag(TextEncoderStream, "TextEncoderStream");

export class TextDecoderStream {
  constructor(label = "utf-8", options = {}) {
    const decoder = new globalThis.TextDecoder(label, options);
    this[kTransform] = new TransformStream({
      transform(chunk, controller) {
        const text = decoder.decode(chunk, { stream: true });
        if (text) controller.enqueue(text);
      },
      flush(controller) {
        const text = decoder.decode();
        if (text) controller.enqueue(text);
      },
    });
    this[kTransform].decoder = decoder;
  }
  get encoding() { return pair(this).decoder.encoding; }
  get fatal() { return pair(this).decoder.fatal; }
  get ignoreBOM() { return pair(this).decoder.ignoreBOM; }
  get readable() { return pair(this).readable; }
  get writable() { return pair(this).writable; }
}
setTag(TextDecoderStream, "TextDecoderStream");

export function installStreams(g) {
  for (const name of GLOBALS) {
    const cls = polyfill[name];
    // esbuild renames a bundled class when another bundled module uses a global of the same
    // name (@exodus/bytes uses TransformStream): restore the name user code sees.
    if (cls.name !== name) Object.defineProperty(cls, "name", { value: name, configurable: true });
    define(g, name, cls);
  }
  define(g, "TextEncoderStream", TextEncoderStream);
  define(g, "TextDecoderStream", TextDecoderStream);
}
