// FormData semantics and both wire formats through Request/Response.formData().
import { check, done, equal, same, test, throws } from "./_harness.mjs";

await test("FormData API", async () => {
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("b", "2");
  fd.append("a", "3");
  equal("get returns the first", fd.get("a"), "1");
  same("getAll in order", fd.getAll("a"), ["1", "3"]);
  equal("get of a missing name", fd.get("zzz"), null);
  check("has", fd.has("b") && !fd.has("c"));
  fd.set("a", "4");
  same("set replaces all and keeps the first position", [...fd], [["a", "4"], ["b", "2"]]);
  fd.delete("b");
  same("delete", [...fd.keys()], ["a"]);
  fd.append("n", 5);
  equal("values become strings", fd.get("n"), "5");
  fd.append("blob", new Blob(["xyz"], { type: "text/x" }));
  const file = fd.get("blob");
  check("a Blob becomes a File named blob", file instanceof File && file.name === "blob" && file.type === "text/x", file && file.name);
  fd.append("named", new Blob(["q"]), "q.bin");
  equal("filename argument", fd.get("named").name, "q.bin");
  fd.append("file", new File(["f"], "orig.txt"));
  equal("a File keeps its name", fd.get("file").name, "orig.txt");
  await throws("three arguments need a Blob", () => fd.append("x", "y", "z.txt"), TypeError);
  // workerd's filename is optional: undefined (Python's None through Pyodide) is no filename.
  fd.append("u", "v", undefined);
  fd.set("u", "w", undefined);
  equal("an undefined filename is none", fd.get("u"), "w");
  fd.delete("u");
  await throws("a form element is not supported", () => new FormData({}), TypeError);
  const seen = [];
  fd.forEach((value, name) => seen.push(name));
  same("forEach order", seen, ["a", "n", "blob", "named", "file"]);
  equal("toStringTag", Object.prototype.toString.call(fd), "[object FormData]");
  equal("lone surrogates become U+FFFD", (() => { const f = new FormData(); f.append("\ud800", "x"); return [...f.keys()][0]; })(), "\ufffd");
});

await test("multipart round trip", async () => {
  const fd = new FormData();
  fd.append("text", "h\u00e9llo");
  fd.append('we"ird\nname', "line1\nline2\rline3");
  fd.append("upload", new File([new Uint8Array([0, 1, 2, 255])], "data.bin", { type: "application/x-bin" }));
  fd.append("upload2", new File(["plain"], 'q"uote.txt'));
  const request = new Request("https://example.com/", { method: "POST", body: fd });
  const contentType = request.headers.get("content-type");
  const boundary = contentType.split("boundary=")[1];
  const raw = await request.clone().text();
  check("body starts with the boundary", raw.startsWith(`--${boundary}\r\n`));
  check("body ends with the closing boundary", raw.endsWith(`--${boundary}--\r\n`));
  check("field names are escaped", raw.includes('name="we%22ird%0D%0Aname"'), raw.slice(0, 300));
  check("string values get CRLF line breaks", raw.includes("line1\r\nline2\r\nline3"));
  check("a File without type is sent as octet-stream", raw.includes("Content-Type: application/octet-stream"));
  const parsed = await request.formData();
  equal("string value", parsed.get("text"), "h\u00e9llo");
  equal("escaped name restored", parsed.getAll('we"ird\r\nname').length, 1);
  const upload = parsed.get("upload");
  check("file name and type", upload instanceof File && upload.name === "data.bin" && upload.type === "application/x-bin", upload && `${upload.name} ${upload.type}`);
  same("file bytes", Array.from(new Uint8Array(await upload.arrayBuffer())), [0, 1, 2, 255]);
  equal("quoted filename restored", parsed.get("upload2").name, 'q"uote.txt');
  const again = new Request("https://example.com/", { method: "POST", body: fd }).headers.get("content-type");
  check("each body gets a fresh random boundary", again !== contentType);
  const response = new Response(fd);
  same("Response.formData round trip", [...(await response.formData()).keys()], ["text", 'we"ird\r\nname', "upload", "upload2"]);
});

await test("multipart parsing", async () => {
  const body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile body\r\n"
    + "--XyZ\r\ncontent-disposition: form-data; name=field\r\n\r\nvalue\r\n--XyZ--\r\nepilogue";
  const fd = await new Response(body, { headers: { "content-type": 'multipart/form-data; boundary="XyZ"' } }).formData();
  const f = fd.get("f");
  check("a part without Content-Type is text/plain", f instanceof File && f.type === "text/plain" && f.name === "a.txt", f && f.type);
  equal("its content", await f.text(), "file body");
  equal("unquoted name, lowercase header", fd.get("field"), "value");
  await throws("missing boundary", () => new Response("x", { headers: { "content-type": "multipart/form-data" } }).formData(), TypeError);
  await throws("truncated body", () => new Response("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", { headers: { "content-type": "multipart/form-data; boundary=b" } }).formData(), TypeError);
});

await test("urlencoded", async () => {
  const fd = await new Response("a=1&b=%20x+y&a=2&c", { headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" } }).formData();
  same("getAll a", fd.getAll("a"), ["1", "2"]);
  equal("percent and plus decoding", fd.get("b"), " x y");
  equal("a name without value", fd.get("c"), "");
  const fromParams = await new Request("https://x/", { method: "POST", body: new URLSearchParams({ k: "v&w", "\u00e9": "1" }) }).formData();
  same("URLSearchParams body round trip", [...fromParams], [["k", "v&w"], ["\u00e9", "1"]]);
  await throws("other content types do not parse", () => new Response("a=1", { headers: { "content-type": "text/plain" } }).formData(), TypeError);
  await throws("no content type", () => new Response(new Uint8Array([1])).formData(), TypeError);
});

done();
