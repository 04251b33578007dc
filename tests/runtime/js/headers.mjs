// Headers: case-insensitivity, sort-and-combine iteration, Set-Cookie, validation, guards.
import { check, done, equal, same, test, throws } from "./_harness.mjs";

await test("basics", () => {
  const h = new Headers({ "Content-Type": "text/html", "X-Custom": "1" });
  equal("get is case-insensitive", h.get("content-type"), "text/html");
  equal("has is case-insensitive", h.has("CONTENT-TYPE"), true);
  equal("get of a missing header is null", h.get("x-missing"), null);
  h.set("x-custom", "2");
  equal("set replaces", h.get("X-Custom"), "2");
  h.delete("X-CUSTOM");
  equal("delete removes", h.has("x-custom"), false);
  equal("toStringTag", Object.prototype.toString.call(h), "[object Headers]");
});

await test("iteration", () => {
  const h = new Headers([["b", "1"], ["A", "2"], ["c", "3"], ["a", "4"]]);
  same("names are lowercased and sorted", [...h.keys()], ["a", "b", "c"]);
  same("duplicates combine with ', '", [...h], [["a", "2, 4"], ["b", "1"], ["c", "3"]]);
  same("values()", [...h.values()], ["2, 4", "1", "3"]);
  const seen = [];
  h.forEach(function (value, name, self) { seen.push([name, value, self === h, this.tag]); }, { tag: "t" });
  same("forEach gives value, name, headers and thisArg", seen[0], ["a", "2, 4", true, "t"]);
  const it = h.keys();
  it.next();
  h.append("aa", "x");
  equal("iterators are live", it.next().value, "aa");
});

await test("set-cookie", () => {
  const h = new Headers();
  h.append("Set-Cookie", "a=1; Path=/");
  h.append("set-cookie", "b=2");
  h.append("x", "y");
  same("each Set-Cookie iterates separately", [...h], [["set-cookie", "a=1; Path=/"], ["set-cookie", "b=2"], ["x", "y"]]);
  equal("get combines Set-Cookie", h.get("set-cookie"), "a=1; Path=/, b=2");
  same("getSetCookie", h.getSetCookie(), ["a=1; Path=/", "b=2"]);
  same("getSetCookie without any", new Headers().getSetCookie(), []);
  same("copy keeps Set-Cookie separate", new Headers(h).getSetCookie(), ["a=1; Path=/", "b=2"]);
});

await test("values are normalised", () => {
  const h = new Headers();
  h.append("x", " \t padded \t ");
  equal("leading/trailing whitespace stripped", h.get("x"), "padded");
  h.set("y", "inner  space");
  equal("inner whitespace kept", h.get("y"), "inner  space");
  h.append("z", "");
  equal("empty value allowed", h.get("z"), "");
});

await test("validation", async () => {
  await throws("invalid name in record", () => new Headers({ "bad name": "x" }), TypeError);
  await throws("empty name", () => new Headers().append("", "x"), TypeError);
  await throws("name with colon", () => new Headers().set("a:b", "x"), TypeError);
  await throws("value with LF", () => new Headers().append("x", "a\nb"), TypeError);
  await throws("value with NUL", () => new Headers().append("x", "a\0b"), TypeError);
  await throws("non-latin1 value", () => new Headers().append("x", "\u0100"), TypeError);
  await throws("pair of one", () => new Headers([["a"]]), TypeError);
  await throws("pair of three", () => new Headers([["a", "b", "c"]]), TypeError);
  await throws("null init", () => new Headers(null), TypeError);
  await throws("get with invalid name", () => new Headers().get("bad name"), TypeError);
  equal("latin1 value accepted", new Headers({ x: "caf\u00e9" }).get("x"), "caf\u00e9");
});

await test("guards", async () => {
  const redirect = Response.redirect("https://example.com/", 302);
  await throws("Response.redirect headers are immutable", () => redirect.headers.set("x", "1"), TypeError);
  await throws("Response.error headers are immutable", () => Response.error().headers.append("x", "1"), TypeError);
  const r = new Response("x", { headers: { a: "1" } });
  r.headers.set("b", "2");
  equal("constructed Response headers are mutable", r.headers.get("b"), "2");
  const req = new Request("https://example.com/", { headers: { authorization: "Bearer t", host: "x" } });
  equal("Request keeps any header (no forbidden list on a server)", req.headers.get("authorization"), "Bearer t");
});

await test("record init", () => {
  const proto = { inherited: "no" };
  const init = Object.create(proto);
  init.own = "yes";
  Object.defineProperty(init, "hidden", { value: "no", enumerable: false });
  const h = new Headers(init);
  same("only own enumerable keys", [...h.keys()], ["own"]);
});

done();
