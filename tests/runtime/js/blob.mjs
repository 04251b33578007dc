// Blob and File.
import { bytesEqual, check, done, equal, readAllChunks, same, test, throws } from "./_harness.mjs";

await test("construction", async () => {
  const source = new Uint8Array([1, 2, 3]);
  const blob = new Blob(["ab", source, source.buffer, new DataView(source.buffer, 1, 1), new Blob(["z"]), 7], { type: "Text/Plain;Charset=UTF-8" });
  source[0] = 100;
  equal("size counts every part", blob.size, 2 + 3 + 3 + 1 + 1 + 1);
  equal("type is lowercased", blob.type, "text/plain;charset=utf-8");
  same("parts are copied at construction", Array.from(await blob.bytes()), [97, 98, 1, 2, 3, 1, 2, 3, 2, 122, 55]);
  equal("a type with non-ASCII becomes empty", new Blob([], { type: "text/\u00e9" }).type, "");
  equal("empty blob", new Blob().size, 0);
  equal("strings are UTF-8", new Blob(["\u00e9"]).size, 2);
  equal("endings native", await new Blob(["a\r\nb\rc"], { endings: "native" }).text(), "a\nb\nc");
  equal("endings transparent", await new Blob(["a\r\nb"]).text(), "a\r\nb");
  await throws("a string is not a sequence of parts", () => new Blob("abc"), TypeError);
  await throws("bad endings", () => new Blob([], { endings: "dos" }), TypeError);
  equal("toStringTag", Object.prototype.toString.call(blob), "[object Blob]");
});

await test("slice", async () => {
  const blob = new Blob(["0123456789"]);
  equal("slice(2, 5)", await blob.slice(2, 5).text(), "234");
  equal("negative start", await blob.slice(-3).text(), "789");
  equal("negative end", await blob.slice(1, -7).text(), "12");
  equal("start past end", await blob.slice(8, 2).text(), "");
  equal("clamped to size", await blob.slice(5, 100).text(), "56789");
  equal("slice type", blob.slice(0, 1, "X/Y").type, "x/y");
  equal("slice without type", new Blob(["a"], { type: "a/b" }).slice().type, "");
  equal("slice of slice", await blob.slice(2, 8).slice(1, 3).text(), "34");
});

await test("reading", async () => {
  const blob = new Blob(["h\u00e9llo"]);
  equal("text", await blob.text(), "h\u00e9llo");
  const ab = await blob.arrayBuffer();
  check("arrayBuffer", ab instanceof ArrayBuffer && ab.byteLength === 6);
  new Uint8Array(ab)[0] = 0;
  equal("arrayBuffer is a copy", await blob.text(), "h\u00e9llo");
  const big = new Uint8Array(200000).map((_, i) => i % 256);
  const chunks = await readAllChunks(new Blob([big]).stream());
  const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { joined.set(c, at); at += c.length; }
  check("stream() in several chunks", chunks.length > 1 && bytesEqual(joined, big), `chunks=${chunks.length}`);
  same("empty stream", await readAllChunks(new Blob().stream()), []);
  await throws("text() on a non-Blob rejects", () => Blob.prototype.text.call({}), TypeError);
});

await test("File", async () => {
  const before = Date.now();
  const file = new File(["data"], "name.txt", { type: "text/plain" });
  check("is a Blob", file instanceof Blob && file instanceof File);
  equal("name", file.name, "name.txt");
  equal("type", file.type, "text/plain");
  check("lastModified defaults to now", file.lastModified >= before && file.lastModified <= Date.now());
  equal("explicit lastModified", new File([], "x", { lastModified: 42 }).lastModified, 42);
  equal("content", await file.text(), "data");
  await throws("name is required", () => new File(["x"]), TypeError);
  equal("toStringTag", Object.prototype.toString.call(file), "[object File]");
});

done();
