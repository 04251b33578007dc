// The Web API globals exist, carry their interface names, and keep globalThis tidy.
import { check, done, equal, test } from "./_harness.mjs";

const NAMES = ["fetch", "Request", "Response", "Headers", "FormData", "Blob", "File", "URL", "URLSearchParams",
  "ReadableStream", "WritableStream", "TransformStream", "TextEncoderStream", "TextDecoderStream",
  "EventTarget", "Event", "CustomEvent", "AbortController", "AbortSignal", "DOMException",
  "ByteLengthQueuingStrategy", "CountQueuingStrategy", "ReadableByteStreamController", "ReadableStreamDefaultReader",
  "TextEncoder", "TextDecoder", "atob", "btoa", "structuredClone"];

await test("globals", () => {
  for (const name of NAMES) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    check(`${name}: non-enumerable, configurable`, d && !d.enumerable && d.configurable);
    equal(`${name}.name`, globalThis[name].name, name);
  }
  const enumerable = Object.keys(globalThis).filter((k) => NAMES.includes(k));
  equal("none of them is enumerable", enumerable.length, 0);
  check("no host ops leak", !("__kiln_ops" in globalThis));
  check("String.prototype.toWellFormed is spec-shaped", !Object.getOwnPropertyDescriptor(String.prototype, "toWellFormed").enumerable
    && "a\ud800b".toWellFormed() === "a\ufffdb" && "\ud83d\ude00".isWellFormed() && !"\udc00".isWellFormed());
  equal("fetch arity", fetch.length, 1);
});

done();
