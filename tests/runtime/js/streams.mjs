// Streams: readers, piping, tee, backpressure, byte streams and BYOB, transfer semantics,
// TextEncoderStream / TextDecoderStream.
import { bytesEqual, check, done, equal, readAllChunks, same, sleep, test, throws } from "./_harness.mjs";

const enc = new TextEncoder();
const dec = new TextDecoder();

await test("globals", () => {
  for (const name of ["ReadableStream", "WritableStream", "TransformStream", "ReadableStreamDefaultReader",
    "ReadableStreamBYOBReader", "ReadableByteStreamController", "ByteLengthQueuingStrategy",
    "CountQueuingStrategy", "TextEncoderStream", "TextDecoderStream", "WritableStreamDefaultWriter"]) {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    check(`${name} is a non-enumerable global`, d && typeof d.value === "function" && !d.enumerable);
  }
  check("response bodies are ReadableStreams", new Response("x").body instanceof ReadableStream);
});

await test("reader", async () => {
  const rs = new ReadableStream({ start(c) { c.enqueue("a"); c.enqueue("b"); c.close(); } });
  const reader = rs.getReader();
  check("locked while a reader holds it", rs.locked);
  same("first read", await reader.read(), { value: "a", done: false });
  same("second read", await reader.read(), { value: "b", done: false });
  same("end", await reader.read(), { done: true });
  reader.releaseLock();
  check("unlocked after releaseLock", !rs.locked);
  const items = [];
  for await (const x of new ReadableStream({ start(c) { [1, 2, 3].forEach((n) => c.enqueue(n)); c.close(); } })) items.push(x);
  same("async iteration", items, [1, 2, 3]);
  const from = await readAllChunks(ReadableStream.from(["x", "y"]));
  same("ReadableStream.from", from, ["x", "y"]);
  const errored = new ReadableStream({ start(c) { c.error(new RangeError("boom")); } });
  await throws("errored stream rejects reads", () => errored.getReader().closed, RangeError);
});

await test("pipes", async () => {
  const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
  const source = new ReadableStream({ start(c) { c.enqueue("ab"); c.enqueue("cd"); c.close(); } });
  same("pipeThrough", await readAllChunks(source.pipeThrough(upper)), ["AB", "CD"]);
  const sunk = [];
  let closed = false;
  await new ReadableStream({ start(c) { c.enqueue(1); c.enqueue(2); c.close(); } })
    .pipeTo(new WritableStream({ write(chunk) { sunk.push(chunk); }, close() { closed = true; } }));
  check("pipeTo writes every chunk and closes", sunk.join() === "1,2" && closed, sunk.join());
  const ac = new AbortController();
  const never = new ReadableStream({ pull() { return new Promise(() => {}); } });
  const piping = never.pipeTo(new WritableStream(), { signal: ac.signal });
  ac.abort();
  await throws("pipeTo honours an AbortSignal", () => piping, DOMException, "AbortError");
  const [a, b] = new ReadableStream({ start(c) { c.enqueue("t"); c.close(); } }).tee();
  const [ra, rb] = await Promise.all([readAllChunks(a), readAllChunks(b)]);
  check("tee gives both branches every chunk", ra.join() === "t" && rb.join() === "t");
});

await test("readable backpressure", async () => {
  let pulls = 0;
  const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, new CountQueuingStrategy({ highWaterMark: 3 }));
  await sleep(10);
  equal("pull fills up to the high-water mark and stops", pulls, 3);
  const reader = rs.getReader();
  await reader.read();
  await sleep(10);
  equal("reading one chunk makes room for one more", pulls, 4);
  reader.releaseLock();
  const bytes = new ByteLengthQueuingStrategy({ highWaterMark: 16 });
  equal("ByteLengthQueuingStrategy size", bytes.size(new Uint8Array(5)), 5);
  equal("ByteLengthQueuingStrategy highWaterMark", bytes.highWaterMark, 16);
});

await test("writable backpressure", async () => {
  let release;
  const writes = [];
  const ws = new WritableStream({
    write(chunk) { writes.push(chunk); return new Promise((r) => { release = r; }); },
  }, new CountQueuingStrategy({ highWaterMark: 2 }));
  const writer = ws.getWriter();
  await writer.ready;
  equal("desiredSize starts at the high-water mark", writer.desiredSize, 2);
  writer.write("a");
  writer.write("b");
  writer.write("c");
  equal("desiredSize goes negative when over", writer.desiredSize, -1);
  let ready = false;
  writer.ready.then(() => { ready = true; });
  await sleep(10);
  check("ready stays pending under backpressure", !ready && writes.length === 1, `ready=${ready} writes=${writes.length}`);
  release();
  await sleep(10);
  release();
  await sleep(10);
  check("ready resolves once the sink catches up", ready, `desiredSize=${writer.desiredSize}`);
});

await test("byte streams", async () => {
  const rs = new ReadableStream({
    type: "bytes",
    start(c) { c.enqueue(new Uint8Array([1, 2, 3, 4, 5])); c.close(); },
  });
  const reader = rs.getReader({ mode: "byob" });
  const first = await reader.read(new Uint8Array(2));
  check("BYOB read fills the caller's buffer", bytesEqual(first.value, new Uint8Array([1, 2])), Array.from(first.value));
  const rest = await reader.read(new Uint8Array(8));
  check("BYOB read takes what is left", bytesEqual(rest.value, new Uint8Array([3, 4, 5])), Array.from(rest.value));
  const end = await reader.read(new Uint8Array(8));
  check("BYOB read at the end", end.done === true);
  const chunk = new Uint8Array([9, 9]);
  new ReadableStream({ type: "bytes", start(c) { c.enqueue(chunk); } });
  equal("enqueue into a byte stream transfers (detaches) the chunk", chunk.byteLength, 0);
  const body = new Response("byob body").body.getReader({ mode: "byob" });
  const got = await body.read(new Uint8Array(4));
  equal("Response bodies support BYOB reads", dec.decode(got.value), "byob");
});

await test("structuredClone transfer", async () => {
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  const moved = structuredClone(buffer, { transfer: [buffer] });
  check("the clone has the bytes", bytesEqual(new Uint8Array(moved), new Uint8Array([1, 2, 3])));
  equal("the original is detached", buffer.byteLength, 0);
  const inner = new Uint8Array([4]).buffer;
  const obj = structuredClone({ view: new Uint8Array(inner) }, { transfer: [inner] });
  check("transfer inside an object graph", obj.view[0] === 4 && inner.byteLength === 0);
  await throws("non-transferable", () => structuredClone(1, { transfer: [{}] }), DOMException, "DataCloneError");
  same("plain clone still works", structuredClone({ a: [1, { b: 2 }] }), { a: [1, { b: 2 }] });
});

await test("text streams", async () => {
  const text = "h\u00e9llo \u{1f600}";
  const bytes = enc.encode(text);
  const parts = [bytes.slice(0, 2), bytes.slice(2, 9), bytes.slice(9)]; // splits inside code points
  const decoded = await readAllChunks(
    new ReadableStream({ start(c) { parts.forEach((p) => c.enqueue(p)); c.close(); } }).pipeThrough(new TextDecoderStream()));
  equal("TextDecoderStream joins split code points", decoded.join(""), text);
  const encoded = await readAllChunks(
    new ReadableStream({ start(c) { c.enqueue("\ud83d"); c.enqueue("\ude00!"); c.close(); } }).pipeThrough(new TextEncoderStream()));
  const all = new Uint8Array(encoded.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of encoded) { all.set(c, at); at += c.length; }
  equal("TextEncoderStream keeps a split surrogate pair", dec.decode(all), "\u{1f600}!");
  equal("TextDecoderStream encoding", new TextDecoderStream("utf-16le").encoding, "utf-16le");
  equal("TextEncoderStream encoding", new TextEncoderStream().encoding, "utf-8");
});

done();
