// fetch() against the loopback servers test_webapis.cpp runs (see its routes).
import { bytesEqual, check, done, equal, same, sleep, test, throws } from "./_harness.mjs";

const server = globalThis.KILN_TEST_SERVER;
check("a test server was provided", Boolean(server && server.http), "run through test_webapis");
const base = server ? server.http : "http://127.0.0.1:9";
const url = (path) => base + path;

await test("GET", async () => {
  const r = await fetch(url("/plain"));
  equal("status", r.status, 200);
  equal("statusText", r.statusText, "OK");
  equal("ok", r.ok, true);
  equal("url", r.url, url("/plain"));
  equal("not redirected", r.redirected, false);
  equal("header", r.headers.get("content-type"), "text/plain");
  check("body is a ReadableStream", r.body instanceof ReadableStream);
  equal("text", await r.text(), "hello world");
  await throws("fetched headers are immutable", () => r.headers.set("x", "y"), TypeError);
  const viaRequest = await fetch(new Request(url("/plain"), { headers: { "x-a": "1" } }));
  equal("fetch(Request)", await viaRequest.text(), "hello world");
  const chunked = await fetch(url("/chunked"));
  equal("chunked transfer encoding", await chunked.text(), "chunk1-chunk2-chunk3");
  const missing = await fetch(url("/status?code=404"));
  check("404 is a response, not an error", missing.status === 404 && !missing.ok);
  equal("404 body", await missing.text(), "status 404");
  const auth = await fetch(url("/status?code=401"));
  check("401 with WWW-Authenticate is handed over", auth.status === 401 && auth.headers.get("www-authenticate") === 'Basic realm="kiln"', String(auth.status));
  equal("500", (await fetch(url("/status?code=500"))).status, 500);
  const none = await fetch(url("/status?code=204"));
  check("204 has a null body", none.status === 204 && none.body === null);
  const head = await fetch(url("/plain"), { method: "HEAD" });
  check("HEAD has headers and a null body", head.status === 200 && head.body === null && head.headers.get("content-length") === "11");
});

await test("response headers", async () => {
  const r = await fetch(url("/set-cookie"));
  same("Set-Cookie values stay separate", r.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
  equal("repeated headers combine", r.headers.get("x-multi"), "one, two");
  await r.text();
  const echo = await (await fetch(url("/echo"))).json();
  equal("no cookie jar: nothing is sent back", echo.headers.cookie, undefined);
  const custom = await (await fetch(url("/echo"), { headers: { cookie: "mine=1", "user-agent": "kiln-test" } })).json();
  equal("a Cookie header set by the caller is sent", custom.headers.cookie, "mine=1");
  equal("so is a User-Agent", custom.headers["user-agent"], "kiln-test");
  const original = await fetch(url("/plain"));
  const mutable = new Response(original.body, original);
  mutable.headers.set("x-added", "1");
  check("new Response(body, response) copies status and headers, mutable",
    mutable.status === 200 && mutable.headers.get("x-added") === "1" && mutable.headers.get("content-type") === "text/plain");
  equal("and streams the original body", await mutable.text(), "hello world");
  equal("the original body is now used", original.bodyUsed, true);
});

await test("request bodies and methods", async () => {
  const echo = async (init) => (await fetch(url("/echo"), init)).json();
  const post = await echo({ method: "POST", body: "h\u00e9llo", headers: { "X-Custom": "v" } });
  equal("method", post.method, "POST");
  equal("body", post.body, "h\u00e9llo");
  equal("content-length", post.headers["content-length"], "6");
  equal("default content-type", post.headers["content-type"], "text/plain;charset=UTF-8");
  equal("custom header", post.headers["x-custom"], "v");
  equal("JSON body", (await echo({ method: "PUT", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } })).body, '{"a":1}');
  equal("ArrayBuffer body", (await echo({ method: "POST", body: new TextEncoder().encode("bytes").buffer })).body, "bytes");
  const streamed = await echo({ method: "POST", body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("str")); c.enqueue(new TextEncoder().encode("eam")); c.close(); } }) });
  equal("ReadableStream body", streamed.body, "stream");
  equal("Blob body", (await echo({ method: "POST", body: new Blob(["blob"]) })).bodyLength, 4);
  equal("DELETE", (await echo({ method: "DELETE" })).method, "DELETE");
  equal("PATCH", (await echo({ method: "PATCH", body: "p" })).method, "PATCH");
  equal("empty POST", (await echo({ method: "POST" })).bodyLength, 0);
  const fd = new FormData();
  fd.append("field", "value");
  fd.append("file", new File(["content"], "f.txt", { type: "text/plain" }));
  const back = await fetch(url("/echo-raw"), { method: "POST", body: fd });
  const parsed = await back.formData();
  check("FormData survives a round trip over the network", parsed.get("field") === "value" && (await parsed.get("file").text()) === "content");
  const req = new Request(url("/echo"), { method: "POST", body: "once" });
  await (await fetch(req)).text();
  equal("fetch marks the request body used", req.bodyUsed, true);
  await throws("a used request body rejects", () => fetch(req), TypeError);
});

await test("streaming bodies", async () => {
  const r = await fetch(url("/big"));
  const reader = r.body.getReader();
  let chunks = 0, total = 0, largest = 0, okBytes = true;
  for (;;) {
    const { done: end, value } = await reader.read();
    if (end) break;
    for (let i = 0; i < value.length && okBytes; i++) okBytes = value[i] === (total + i) % 251;
    chunks++;
    total += value.length;
    largest = Math.max(largest, value.length);
  }
  equal("whole body arrives", total, 1024 * 1024);
  check("in many chunks of at most 64 KiB", chunks >= 16 && largest <= 65536, `chunks=${chunks} largest=${largest}`);
  check("bytes intact", okBytes);
  const started = Date.now();
  const slow = await fetch(url("/slow"));
  const slowReader = slow.body.getReader();
  const first = await slowReader.read();
  const elapsed = Date.now() - started;
  check("the first chunk arrives long before the body ends (3 s)", !first.done && elapsed < 1500, `${elapsed} ms`);
  await slowReader.cancel();
  const byob = (await fetch(url("/plain"))).body.getReader({ mode: "byob" });
  const part = await byob.read(new Uint8Array(5));
  equal("BYOB read of a fetched body", new TextDecoder().decode(part.value), "hello");
  const cloned = await fetch(url("/chunked"));
  const copy = cloned.clone();
  const [a, b] = await Promise.all([cloned.text(), copy.text()]);
  check("clone of a fetched response tees", a === b && a === "chunk1-chunk2-chunk3");
  equal("a clone keeps the immutable guard", (() => { try { copy.headers.set("x", "1"); return "mutable"; } catch { return "immutable"; } })(), "immutable");
  const many = await Promise.all([1, 2, 3, 4, 5].map(() => fetch(url("/plain")).then((x) => x.text())));
  check("concurrent fetches", many.every((t) => t === "hello world"));
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
  const bigEcho = await fetch(url("/echo-raw"), { method: "POST", body: big });
  check("a 3 MiB body goes up and comes back", bytesEqual(new Uint8Array(await bigEcho.arrayBuffer()), big));
});

await test("redirects", async () => {
  const followed = await fetch(url("/redirect?status=302&to=/plain"));
  check("followed", followed.status === 200 && followed.redirected && followed.url === url("/plain"), `${followed.status} ${followed.url}`);
  equal("followed body", await followed.text(), "hello world");
  const seeOther = await (await fetch(url("/redirect?status=303&to=/echo"), { method: "POST", body: "gone" })).json();
  check("303 turns POST into GET without a body", seeOther.method === "GET" && seeOther.bodyLength === 0 && seeOther.headers["content-type"] === undefined, JSON.stringify(seeOther));
  const moved = await (await fetch(url("/redirect?status=301&to=/echo"), { method: "POST", body: "x" })).json();
  equal("301 turns POST into GET", moved.method, "GET");
  const temporary = await (await fetch(url("/redirect?status=307&to=/echo"), { method: "POST", body: "kept" })).json();
  check("307 keeps method and body", temporary.method === "POST" && temporary.body === "kept", JSON.stringify(temporary));
  const permanent = await (await fetch(url("/redirect?status=308&to=/echo"), { method: "PUT", body: "kept" })).json();
  check("308 keeps method and body", permanent.method === "PUT" && permanent.body === "kept");
  const absolute = await fetch(url(`/redirect?status=302&to=${encodeURIComponent(url("/plain"))}`));
  equal("absolute Location", absolute.url, url("/plain"));
  const manual = await fetch(url("/redirect?status=301&to=/plain"), { redirect: "manual" });
  check("manual returns the redirect itself", manual.status === 301 && manual.headers.get("location") === "/plain" && !manual.redirected, String(manual.status));
  equal("manual body", await manual.text(), "redirecting");
  const error = await throws("redirect: error rejects", () => fetch(url("/redirect?status=302&to=/plain"), { redirect: "error" }), TypeError);
  equal("with 'fetch failed'", error && error.message, "fetch failed");
  const loop = await throws("a redirect loop rejects", () => fetch(url("/loop")), TypeError);
  check("saying why", loop && loop.cause && /redirect/.test(loop.cause.message), loop && loop.cause && loop.cause.message);
});

await test("abort", async () => {
  const pre = new AbortController();
  pre.abort(new RangeError("before"));
  await throws("an aborted signal rejects with its reason", () => fetch(url("/plain"), { signal: pre.signal }), RangeError);
  const early = new AbortController();
  const pending = fetch(url("/slow-headers"), { signal: early.signal });
  setTimeout(() => early.abort(), 100);
  const started = Date.now();
  await throws("abort before the response", () => pending, DOMException, "AbortError");
  check("rejects promptly", Date.now() - started < 1500, `${Date.now() - started} ms`);
  await throws("AbortSignal.timeout", () => fetch(url("/slow-headers"), { signal: AbortSignal.timeout(100) }), DOMException, "TimeoutError");

  const before = await (await fetch(url("/stats"))).json();
  const late = new AbortController();
  const response = await fetch(url("/slow"), { signal: late.signal });
  const reader = response.body.getReader();
  await reader.read();
  const next = reader.read(); // pending until the next tick
  const rejected = throws("abort during the body errors the stream", () => next, DOMException, "AbortError");
  late.abort();
  await rejected;
  await sleep(300);
  const after = await (await fetch(url("/stats"))).json();
  check("the connection is closed on abort", after.slowAborted > before.slowAborted, JSON.stringify(after));
  const afterDone = new AbortController();
  const finished = await fetch(url("/plain"), { signal: afterDone.signal });
  const text = await finished.text();
  afterDone.abort();
  equal("abort after completion changes nothing", text, "hello world");
});

await test("network errors", async () => {
  const refused = await throws("connection refused", () => fetch("http://127.0.0.1:1/"), TypeError);
  check("TypeError('fetch failed') with a cause", refused && refused.message === "fetch failed" && refused.cause instanceof Error, refused && refused.message);
  equal("cause code", refused && refused.cause.code, "ConnectionRefusedError");
  await throws("unsupported scheme", () => fetch("ftp://127.0.0.1/x"), TypeError);
  await throws("invalid URL", () => fetch("http://"), TypeError);
  await throws("bad header", () => fetch(url("/plain"), { headers: { "bad name": "x" } }), TypeError);
  if (server && server.https) {
    const secure = await fetch(`${server.https}/plain`);
    equal("HTTPS GET (certificate trusted via KILN_EXTRA_CA_CERTS)", await secure.text(), "hello world");
    const securePost = await (await fetch(`${server.https}/echo`, { method: "POST", body: "over tls" })).json();
    equal("HTTPS POST", securePost.body, "over tls");
    const tls = await throws("an untrusted certificate fails the TLS handshake", () => fetch(`${server.httpsUntrusted}/plain`), TypeError);
    equal("cause says TLS", tls && tls.cause && tls.cause.code, "SslHandshakeFailedError");
  } else {
    check("https check skipped (no openssl in the test environment)", true);
  }
});

await test("an unread body is cancelled once garbage", async () => {
  const stats = async () => (await fetch(url("/stats"))).json();
  const before = (await stats()).slowAborted;
  await (async () => { equal("a /slow response nobody will read", (await fetch(url("/slow"))).status, 200); })();
  // Allocation pressure brings a GC; the FinalizationRegistry then cancels the exchange.
  let aborted = before;
  for (let round = 0; round < 60 && aborted === before; round++) {
    const junk = [];
    for (let j = 0; j < 2000; j++) junk.push(new Array(1000).fill(j));
    await sleep(20);
    if (round % 5 === 4) aborted = (await stats()).slowAborted;
  }
  check("the server saw the connection closed before the body ended", aborted > before, `slowAborted ${before} -> ${aborted}`);
});

await test("unread bodies do not hold the script", async () => {
  // The process must still exit after this: nobody reads /big or /slow any more.
  const unread = await fetch(url("/big"));
  equal("status of an unread response", unread.status, 200);
  const slow = await fetch(url("/slow"));
  equal("status of an unread slow response", slow.status, 200);
});

done();
