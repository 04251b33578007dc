// URL and URLSearchParams (whatwg-url), loaded lazily on first use.
import { check, done, equal, same, test, throws } from "./_harness.mjs";

await test("globals", () => {
  const before = Object.getOwnPropertyDescriptor(globalThis, "URL");
  check("URL is non-enumerable before first use", before && !before.enumerable);
  check("URL is a constructor", typeof URL === "function" && URL.name === "URL");
  const after = Object.getOwnPropertyDescriptor(globalThis, "URL");
  check("URL is a plain non-enumerable value after first use", after && "value" in after && !after.enumerable && after.writable);
  check("URLSearchParams too", !Object.getOwnPropertyDescriptor(globalThis, "URLSearchParams").enumerable);
  check("no resizable-buffer shim leaks out", !("resizable" in ArrayBuffer.prototype));
});

await test("parsing", async () => {
  const u = new URL("https://user:pw@Example.COM:8080/a/../b/c?x=1&y=2#frag");
  equal("href", u.href, "https://user:pw@example.com:8080/b/c?x=1&y=2#frag");
  equal("protocol", u.protocol, "https:");
  equal("username", u.username, "user");
  equal("host", u.host, "example.com:8080");
  equal("hostname", u.hostname, "example.com");
  equal("port", u.port, "8080");
  equal("pathname", u.pathname, "/b/c");
  equal("search", u.search, "?x=1&y=2");
  equal("hash", u.hash, "#frag");
  equal("origin", u.origin, "https://example.com:8080");
  equal("default port dropped", new URL("http://x:80/").port, "");
  equal("relative to a base", new URL("../d?q", "https://h/a/b/c").href, "https://h/a/d?q");
  equal("IDNA", new URL("https://b\u00fccher.example/").hostname, "xn--bcher-kva.example");
  equal("percent-encoding of the path", new URL("https://h/a b/\u00e9").pathname, "/a%20b/%C3%A9");
  equal("IPv6", new URL("http://[::1]:3000/").host, "[::1]:3000");
  equal("toString", String(new URL("https://h/p")), "https://h/p");
  equal("toJSON", JSON.stringify({ u: new URL("https://h/p") }), '{"u":"https://h/p"}');
  await throws("invalid URL", () => new URL("not a url"), TypeError);
  await throws("relative without base", () => new URL("/path"), TypeError);
  if (typeof URL.canParse === "function") {
    check("URL.canParse", URL.canParse("https://x/") && !URL.canParse("nope"));
  }
});

await test("setters", () => {
  const u = new URL("https://h/p?a=1");
  u.pathname = "/new path";
  u.searchParams.append("b", "2 3");
  u.hash = "h";
  equal("setters update href", u.href, "https://h/new%20path?a=1&b=2+3#h");
  u.search = "";
  equal("searchParams follow search", [...u.searchParams].length, 0);
  u.protocol = "http";
  equal("protocol setter", u.protocol, "http:");
});

await test("URLSearchParams", () => {
  const p = new URLSearchParams("?a=1&b=x%20y&a=2&c=%F0%9F%98%80");
  same("getAll", p.getAll("a"), ["1", "2"]);
  equal("decoding", p.get("b"), "x y");
  equal("UTF-8 decoding", p.get("c"), "\u{1f600}");
  p.set("a", "3");
  p.delete("c");
  equal("toString encodes spaces as +", p.toString(), "a=3&b=x+y");
  same("from a record", [...new URLSearchParams({ k: "v", n: 1 })], [["k", "v"], ["n", "1"]]);
  same("from pairs", [...new URLSearchParams([["x", "1"], ["x", "2"]])], [["x", "1"], ["x", "2"]]);
  const s = new URLSearchParams("z=1&a=2&m=3&a=1");
  s.sort();
  equal("sort is stable by name", s.toString(), "a=2&a=1&m=3&z=1");
  check("has", s.has("m") && !s.has("q"));
  equal("special characters", new URLSearchParams({ q: "a&b=c/d?" }).toString(), "q=a%26b%3Dc%2Fd%3F");
});

done();
