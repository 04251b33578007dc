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

await test("TextEncoder", () => {
  // Short ASCII text is encoded in JS and the rest by the host: both give UTF-8, lone
  // surrogates as U+FFFD, at every length around the switch-over.
  const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const encoder = new TextEncoder();
  equal("empty", encoder.encode("").length, 0);
  equal("no argument", encoder.encode().length, 0);
  equal("null is a string", hex(encoder.encode(null)), "6e756c6c");
  equal("ASCII", hex(encoder.encode("Hi~\x7f")), "48697e7f");
  equal("two-byte", hex(encoder.encode("é")), "c3a9");
  equal("after ASCII", hex(encoder.encode("ab\u20ac")), "6162e282ac");
  equal("astral", hex(encoder.encode("\ud83d\ude00")), "f09f9880");
  equal("lone surrogate", hex(encoder.encode("a\ud800")), "61efbfbd");
  for (const n of [63, 64, 65, 200]) {
    const ascii = "x".repeat(n), mixed = "x".repeat(n - 1) + "é";
    equal(`${n} ASCII`, hex(encoder.encode(ascii)), "78".repeat(n));
    equal(`${n} with é last`, hex(encoder.encode(mixed)), "78".repeat(n - 1) + "c3a9");
    check(`${n}: a Uint8Array`, encoder.encode(ascii) instanceof Uint8Array);
  }
});

done();
