"""Tests of Kiln's `workers` package and `_kiln_host`, runnable in any Pyodide host that
has the Web API globals (Request, Response, Headers, FormData, Blob, ReadableStream).

    import test_workers_sdk
    result = await test_workers_sdk.run_all()   # {"passed": n, "failed": n, "failures": [...]}

Plain asserts, no pytest, no JS eval: JS fixtures are built from bound builtins
(`Promise.resolve.bind(Promise)` is an async JS function returning its argument).
"""

import asyncio
import inspect
import json
import sys
import traceback
import types

import js
from pyodide.ffi import JsProxy, create_proxy, to_js

import _kiln_host
import asgi
import workers
from workers import (
    Blob, File, FormData, Headers, Request, Response, WorkerEntrypoint, handler,
    python_from_rpc, python_to_rpc,
)
from workers.workflows import NonRetryableError


# --- fixtures ---------------------------------------------------------------------------

def js_obj(**props):
    """A plain JS object; None values become undefined."""
    obj = js.Object.new()
    for key, value in props.items():
        js.Reflect.set(obj, key, value)
    return obj


def js_json(text):
    return js.JSON.parse(text)


def js_request(url="https://example.com/", method="GET", headers=None, body=None):
    init = {"method": method, "headers": to_js(headers or {}, dict_converter=js.Object.fromEntries)}
    if body is not None:
        init["body"] = body
        if isinstance(body, JsProxy) and body.constructor.name == "ReadableStream":
            init["duplex"] = "half"
    return js.Request.new(url, to_js(init, dict_converter=js.Object.fromEntries))


def js_stream(chunks):
    """A JS ReadableStream that yields the given byte strings as separate chunks."""
    def start(controller):
        for chunk in chunks:
            controller.enqueue(to_js(chunk))
        controller.close()
    return js.ReadableStream.new(to_js({"start": create_proxy(start)}, dict_converter=js.Object.fromEntries))


def fake_ctx():
    """A JS ctx whose waitUntil records the promises it gets."""
    promises = js.Array.new()
    return js_obj(waitUntil=promises.push.bind(promises)), promises


def install_main(name, **attrs):
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    sys.modules[name] = module
    _kiln_host.load_main(name)
    return module


async def body_text(js_response):
    return await js_response.text()


# --- Response ---------------------------------------------------------------------------

async def test_js_strings_cross_intact():
    # Every JS string that reaches Python, ASCII (Kiln's fast copy) or not (Pyodide's path,
    # taken at the first other character), arrives as the same text.
    cases = ["", "a", "ascii text " * 20, "\x00\x7f", "\x80", "é", "aé", "é" + "x" * 1000,
             "日本語", "😀", "a😀b", "a\ud800b", "\udc00", "x" * 100_000, "x" * 100_000 + "é"]
    for text in cases:
        got = js.JSON.parse(json.dumps(text))
        assert type(got) is str and got == text, (text[:20], got[:20])
        assert got.isascii() == text.isascii()
        assert hash(got) == hash(text) and got + "!" == text + "!"


async def test_response_str_body():
    r = Response("Hello, world!")
    assert r.status == 200 and r.ok
    assert r.headers.get("content-type") == "text/plain;charset=UTF-8", r.headers.get("content-type")
    assert await r.text() == "Hello, world!"
    assert r.js_object.constructor.name == "Response"


async def test_response_bytes_bodies():
    for body in (b"\x00\x01abc", bytearray(b"\x00\x01abc"), memoryview(b"\x00\x01abc")):
        r = Response(body)
        assert await r.bytes() == b"\x00\x01abc"
        assert r.headers.get("content-type") is None
    assert (await Response(None).text()) == "" and Response(None).body is None


async def test_response_header_forms():
    r = Response("x", status=201, headers=[("x-one", "1"), ("x-two", "2"), ("set-cookie", "a=1"),
                                          ("set-cookie", "b=2")])
    assert r.status == 201
    assert r.headers["X-One"] == "1" and r.headers.get("x-two") == "2"
    assert r.headers.get_set_cookie() == ["a=1", "b=2"]
    assert Response("x", headers={"X-A": "b", "X-N": 5}).headers.get("x-n") == "5"
    h = Headers({"x-h": "1"})
    assert Response("x", headers=h).headers.get("x-h") == "1"
    assert Response("x", headers=js.Headers.new(to_js([["x-j", "2"]]))).headers.get("X-J") == "2"
    try:
        Response("x", headers=42)
    except TypeError:
        pass
    else:
        raise AssertionError("headers=42 must raise TypeError")


async def test_response_status_text():
    r = Response("made", status=201, status_text="Made It")
    assert r.status == 201 and r.status_text == "Made It" and r.js_object.statusText == "Made It"
    assert Response("x", status=404).ok is False


async def test_response_json():
    r = Response.json({"sum": 6.5, "names": ["a"]}, status=202, headers={"x-a": "b"})
    assert r.status == 202
    assert r.headers.get("content-type") == "application/json"
    assert r.headers.get("x-a") == "b"
    assert await r.json() == {"sum": 6.5, "names": ["a"]}
    custom = Response.json([1], headers={"Content-Type": "application/vnd.kiln+json"})
    assert custom.headers.get("content-type") == "application/vnd.kiln+json"
    assert json.loads(await Response.json(None).text()) is None


async def test_response_redirect():
    r = Response.redirect("https://example.com/next")
    assert r.status == 302 and r.headers.get("location") == "https://example.com/next"
    assert Response.redirect("https://example.com/", status=301).status == 301
    try:
        Response.redirect("https://example.com/", status=200)
    except ValueError:
        pass
    else:
        raise AssertionError("redirect status 200 must raise ValueError")


async def test_response_js_bodies_and_errors():
    r = Response(js_stream([b"ab", b"cd"]))
    assert await r.text() == "abcd"
    form = FormData({"field": "value"})
    r = Response(form)
    assert r.headers.get("content-type").startswith("multipart/form-data")
    assert (await r.form_data())["field"] == "value"
    assert await Response(Blob(["blob!"], content_type="text/x-kiln")).text() == "blob!"
    wrapped = Response(js.Response.new("from js", js_obj(status=418)))
    assert wrapped.status == 418 and await wrapped.text() == "from js"
    for bad in ({"a": 1}, [1, 2], 3):
        try:
            Response(bad)
        except TypeError:
            continue
        raise AssertionError(f"Response({bad!r}) must raise TypeError")
    try:
        Response("x", status=99)
    except ValueError:
        pass
    else:
        raise AssertionError("status 99 must raise ValueError")


# --- Request and Headers ------------------------------------------------------------------

async def test_request_accessors():
    req = Request(js_request("https://example.com/post?x=1", "POST",
                             {"Content-Type": "application/json", "User-Agent": "tests/1"},
                             '{"numbers": [1, 2, 3.5]}'))
    assert req.method == "POST" and str(req.method) == "POST"
    assert req.url == "https://example.com/post?x=1"
    assert req.headers.get("user-agent") == "tests/1"
    assert req.headers["CONTENT-TYPE"] == "application/json"
    assert req.body is not None and req.body.constructor.name == "ReadableStream"
    assert await req.json() == {"numbers": [1, 2, 3.5]}
    assert req.body_used
    get = Request(js_request())
    assert get.method == "GET" and get.body is None


async def test_request_body_readers():
    assert await Request(js_request(method="PUT", body="text!")).text() == "text!"
    assert await Request(js_request(method="PUT", body="b")).bytes() == b"b"
    form = await Request(js_request(method="POST", body="a=1&a=2&b=x", headers={
        "content-type": "application/x-www-form-urlencoded"})).form_data()
    assert form["a"] == "1" and form.get_all("a") == ["1", "2"] and form["b"] == "x"


async def test_request_from_python():
    req = Request("https://example.com/items", method="PUT", headers={"X-Key": "k"}, body=b"abc")
    assert req.js_object.method == "PUT" and req.method == "PUT"
    assert req.headers.get("x-key") == "k"
    assert await req.bytes() == b"abc"
    again = Request(Request("https://example.com/a"), method="DELETE")
    assert again.method == "DELETE" and again.url == "https://example.com/a"


async def test_headers_case_insensitive():
    h = Headers([("Content-Type", "text/html"), ("X-Multi", "1"), ("x-multi", "2")])
    assert h.get("content-type") == "text/html" and h["CONTENT-TYPE"] == "text/html"
    assert "content-TYPE" in h and "missing" not in h
    assert h.get("missing") is None and h["missing"] is None and h.get("missing", "d") == "d"
    assert h.get_all("x-multi") == ["1, 2"]  # JS Headers joins repeated names
    assert h.get_all("missing") is None
    assert ("content-type", "text/html") in h.items()
    h["X-New"] = "v"
    assert h.get("x-new") == "v"
    del h["x-new"]
    assert "x-new" not in h
    assert dict(h.items())["content-type"] == "text/html"


async def test_blob_file_formdata():
    b = Blob(["ab", b"cd"], content_type="text/plain")
    assert b.size == 4 and b.content_type == "text/plain" and await b.text() == "abcd"
    assert await b.slice(1, 3).bytes() == b"bc"
    f = File([b"data"], "note.txt", content_type="text/plain")
    assert f.name == "note.txt" and f.size == 4 and isinstance(f, Blob)
    form = FormData({"a": "1"})
    form.append("a", "2")
    form.append("upload", f)
    assert form["a"] == "1" and form.get_all("a") == ["1", "2"]
    assert isinstance(form["upload"], File) and form["upload"].name == "note.txt"
    assert "upload" in form and "zzz" not in form and form.keys() == ["a", "upload"]


# --- env and bindings --------------------------------------------------------------------

def make_env():
    env = js_json('{"MODE": "development", "RETRIES": 3, "RATIO": 2.5, "ON": true, "OFF": false,'
                  ' "NOTHING": null, "CONFIG": {"db": {"hosts": ["a", "b"], "port": 5432}},'
                  ' "LIST": [1, "two", null, {"k": "v"}]}')
    js.Reflect.set(env, "UNDEF", None)
    js.Reflect.set(env, "BUF", js.Uint8Array.new(to_js([1, 2, 3])).buffer)
    js.Reflect.set(env, "NS", fake_binding())
    return env


def fake_binding():
    """A class-like JS binding: methods live on the prototype, as for a real KV namespace.
    echo(...) -> Promise of its first argument; items(...) -> an Array of its arguments;
    create(proto) -> a new object with that prototype (a 'statement')."""
    proto = js.Object.new()
    ctor = js.Object.bind(None)  # stands in for a class: instances report its name
    js.Object.defineProperty(ctor, "name", js_obj(value="FakeBinding"))
    proto.constructor = ctor
    proto.echo = js.Promise.resolve.bind(js.Promise)
    proto.items = js.Array.of.bind(js.Array)
    proto.create = js.Object.create.bind(js.Object)
    proto.label = "kv-namespace"
    return js.Object.create(proto)


class ProbeEntrypoint(WorkerEntrypoint):
    pass


async def test_env_values_convert():
    env = ProbeEntrypoint(js_obj(), make_env()).env
    assert env.MODE == "development" and type(env.MODE) is str
    assert env.RETRIES == 3 and type(env.RETRIES) is int
    assert env.RATIO == 2.5 and type(env.RATIO) is float
    assert env.ON is True and env.OFF is False
    assert env.NOTHING is None and env.UNDEF is None
    assert env.CONFIG.db.port == 5432 and env.CONFIG["db"]["hosts"] == ["a", "b"]
    assert isinstance(env.CONFIG, dict)
    assert env.LIST == [1, "two", None, {"k": "v"}] and env.LIST[3].k == "v"
    assert isinstance(env.BUF, memoryview) and bytes(env.BUF) == b"\x01\x02\x03"
    assert "MODE" in env and "NOPE" not in env and env.get("NOPE", 7) == 7
    try:
        env.NOPE
    except AttributeError:
        pass
    else:
        raise AssertionError("a missing binding must raise AttributeError")
    assert json.loads(await Response.json({"mode": env.MODE, "retries": env.RETRIES}).text()) == {
        "mode": "development", "retries": 3}


async def test_env_binding_proxy():
    ns = workers.Env(make_env()).NS
    assert ns.label == "kv-namespace"
    pending = ns.echo("value")
    assert inspect.isawaitable(pending)
    assert await pending == "value"
    assert await ns.echo(None) is None
    got = await ns.echo({"a": None, "n": [1, {"b": True}]})
    assert got == {"a": None, "n": [1, {"b": True}]} and got.n[1].b is True
    d1 = await ns.echo({"results": [{"id": 1, "text": "t"}], "meta": {"last_row_id": 3, "changes": 1}})
    assert d1.results[0].id == 1 and d1.meta.last_row_id == 3
    # keyword arguments become one trailing options object
    assert ns.items("k", "v", metadata={"len": 1}) == ["k", "v", {"metadata": {"len": 1}}]
    assert "FakeBinding" in repr(ns)
    statement = ns.create(js.Object.getPrototypeOf(ns.js_object))
    assert isinstance(statement, workers._convert.BindingProxy)
    # an object of functions (no class) is a binding too, not a dict
    literal = workers.Env(js_obj(B=js_obj(run=js.Array.of.bind(js.Array), name="x"))).B
    assert isinstance(literal, workers._convert.BindingProxy) and literal.run(1) == [1]
    assert await statement.echo(5) == 5
    # proxies passed back into JS unwrap to the JS object
    assert ns.items(statement)[0].js_object == statement.js_object
    assert await ns.echo(b"\x01\x02") == memoryview(b"\x01\x02")


# --- _kiln_host dispatch ---------------------------------------------------------------------

async def _fetch(name, request=None, env=None, ctx=None):
    return await _kiln_host.handle_fetch(request or js_request("https://example.com/p?q=1"),
                                         env if env is not None else make_env(),
                                         ctx if ctx is not None else js_obj())


async def test_host_signature_arity():
    seen = []

    class Default(WorkerEntrypoint):
        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            seen.append(self)

        async def fetch(self):
            return Response("zero")

    install_main("kiln_test_arity0", Default=Default)
    assert await body_text(await _fetch("a")) == "zero"
    await _fetch("a")
    assert len(seen) == 2 and seen[0] is not seen[1], "Default must be created per request"

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response(request.url)

    install_main("kiln_test_arity1", Default=Default)
    assert await body_text(await _fetch("b")) == "https://example.com/p?q=1"

    class Default(WorkerEntrypoint):
        def fetch(self, request, env):  # sync handlers work too
            return Response(f"{env.MODE}:{env.RETRIES + 1}:{env is self.env}")

    install_main("kiln_test_arity2", Default=Default)
    assert await body_text(await _fetch("c")) == "development:4:True"

    class Default(WorkerEntrypoint):
        async def fetch(self, request, env, ctx, extra=None):
            return Response(f"{ctx is self.ctx}:{extra}")

    install_main("kiln_test_arity3", Default=Default)
    assert await body_text(await _fetch("d")) == "True:None"

    class Default(WorkerEntrypoint):
        async def fetch(self, *args):
            return Response(str(len(args)))

    install_main("kiln_test_arity_var", Default=Default)
    assert await body_text(await _fetch("e")) == "3"


async def test_host_legacy_handlers():
    async def on_fetch(request):
        assert isinstance(request, JsProxy)  # undecorated: the JS Request as it is
        return js.Response.new("raw " + request.method)

    install_main("kiln_test_legacy", on_fetch=on_fetch)
    assert await body_text(await _fetch("f")) == "raw GET"

    @handler
    async def on_fetch(request, env):
        assert isinstance(request, Request) and isinstance(env, workers.Env)
        return Response(f"{request.method} {env.MODE}")

    install_main("kiln_test_handler", on_fetch=on_fetch)
    assert await body_text(await _fetch("g")) == "GET development"


async def test_host_scheduled():
    calls = []

    class Default(WorkerEntrypoint):
        async def scheduled(self, controller, env=None, ctx=None):
            calls.append((controller.cron, controller.scheduledTime, env.MODE, ctx is self.ctx))

        async def fetch(self, request):
            return Response("unused")

    install_main("kiln_test_sched", Default=Default)
    controller = js_obj(cron="0 3 * * *", scheduledTime=1700000000000, type="scheduled")
    assert await _kiln_host.handle_scheduled(controller, make_env(), js_obj()) is None
    assert calls == [("0 3 * * *", 1700000000000, "development", True)], calls

    def on_scheduled(controller):
        calls.append(controller.cron)

    install_main("kiln_test_sched_legacy", on_scheduled=on_scheduled)
    await _kiln_host.handle_scheduled(controller, make_env(), js_obj())
    assert calls[-1] == "0 3 * * *"


async def test_host_non_response_is_type_error():
    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return "just a string"

    install_main("kiln_test_badreturn", Default=Default)
    try:
        await _fetch("h")
    except TypeError as exc:
        assert "kiln_test_badreturn.Default.fetch" in str(exc), str(exc)
        assert "str" in str(exc), str(exc)
    else:
        raise AssertionError("a fetch handler returning str must raise TypeError")

    async def on_fetch(request):
        return None

    install_main("kiln_test_badreturn2", on_fetch=on_fetch)
    try:
        await _fetch("i")
    except TypeError as exc:
        assert "on_fetch" in str(exc) and "None" in str(exc), str(exc)
    else:
        raise AssertionError("a fetch handler returning None must raise TypeError")


async def test_host_missing_handler():
    install_main("kiln_test_nohandler", helper=lambda: None)
    try:
        await _fetch("j")
    except RuntimeError as exc:
        text = str(exc)
        assert "kiln_test_nohandler" in text and "on_fetch" in text and "Default" in text, text
    else:
        raise AssertionError("a module without handlers must raise")


async def test_host_exceptions_propagate():
    def parse_amount(text):
        return int(text)

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response(str(parse_amount("twelve")))

    install_main("kiln_test_raises", Default=Default)
    try:
        await _fetch("k")
    except ValueError as exc:
        assert "invalid literal for int()" in str(exc)
    else:
        raise AssertionError("the handler's exception must reach the host")


# --- waitUntil ---------------------------------------------------------------------------

async def test_wait_until_runs_coroutines():
    done = []

    async def later(value):
        await asyncio.sleep(0.01)
        done.append(value)
        return value

    js_ctx, promises = fake_ctx()
    ctx = workers.Context(js_ctx)
    ctx.waitUntil(later("a"))
    ctx.wait_until(later("b"))
    assert promises.length == 2 and promises[0].constructor.name == "Promise"
    assert await promises[0] == "a" and await promises[1] == "b"
    assert done == ["a", "b"]

    async def boom():
        raise RuntimeError("background failure")

    ctx.waitUntil(boom())
    try:
        await promises[2]
    except Exception as exc:  # noqa: BLE001 - JsException carrying the Python traceback
        assert "background failure" in str(exc), str(exc)
    else:
        raise AssertionError("a failing waitUntil coroutine must reject its promise")

    bare = workers.Context(js_obj())  # a ctx without waitUntil still runs the work
    bare.waitUntil(later("c"))
    await asyncio.sleep(0.05)
    assert "c" in done


async def test_wait_until_from_handler():
    done = []

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            async def work():
                await asyncio.sleep(0)
                done.append("bg")
            self.ctx.waitUntil(work())
            return Response("ok")

    install_main("kiln_test_waituntil", Default=Default)
    js_ctx, promises = fake_ctx()
    await _fetch("l", ctx=js_ctx)
    assert promises.length == 1
    await promises[0]
    assert done == ["bg"]


# --- ASGI ---------------------------------------------------------------------------------

def make_asgi_app(events):
    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    events.append("startup")
                    scope["state"]["greeting"] = "hi"
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert scope["type"] == "http"
        path = scope["path"]
        if path == "/boom":
            raise ValueError("app failed")
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/plain"), (b"x-mode", b"stream")]})
            for part in (b"one,", b"two,", b"three"):
                await send({"type": "http.response.body", "body": part, "more_body": True})
                await asyncio.sleep(0)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = []
        while True:
            message = await receive()
            assert message["type"] == "http.request", message
            chunks.append(message["body"])
            if not message.get("more_body"):
                break
        info = {
            "method": scope["method"], "path": scope["path"], "raw_path": scope["raw_path"].decode(),
            "query": scope["query_string"].decode(), "scheme": scope["scheme"],
            "http_version": scope["http_version"], "root_path": scope["root_path"],
            "asgi": scope["asgi"]["version"], "server": list(scope["server"]),
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
            "body": b"".join(chunks).decode(), "chunks": len(chunks),
            "state": scope.get("state", {}).get("greeting"),
            "env_mode": scope["env"].MODE,
        }
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/json"), (b"set-cookie", b"a=1"),
                                (b"set-cookie", b"b=2")]})
        await send({"type": "http.response.body", "body": json.dumps(info).encode()})

    return app


async def test_asgi_request_and_scope():
    events = []
    app = make_asgi_app(events)
    env = workers.Env(make_env())
    req = js_request("https://example.com:8443/a%20b/c?x=1&y=%20", "POST",
                     {"X-Custom": "Val", "Content-Type": "text/plain"},
                     js_stream([b"hello ", b"asgi ", b"world"]))
    resp = await asgi.fetch(app, Request(req), env)
    assert resp.status == 201
    assert list(resp.headers.getSetCookie()) == ["a=1", "b=2"]
    info = json.loads(await resp.text())
    assert info["method"] == "POST" and info["path"] == "/a b/c" and info["raw_path"] == "/a%20b/c"
    assert info["query"] == "x=1&y=%20" and info["scheme"] == "https"
    assert info["http_version"] == "1.1" and info["root_path"] == "" and info["asgi"] == "3.0"
    assert info["server"] == ["example.com", 8443]
    assert ["x-custom", "Val"] in info["headers"]
    assert all(k == k.lower() for k, _ in info["headers"])
    assert info["body"] == "hello asgi world" and info["chunks"] >= 2, info
    assert info["state"] == "hi" and info["env_mode"] == "development"
    # a second request (JS Request this time) reuses the lifespan: startup ran once
    resp2 = await asgi.fetch(app, js_request("https://example.com/"), env)
    assert json.loads(await resp2.text())["body"] == ""
    assert events == ["startup"], events


async def test_asgi_streaming_response():
    app = make_asgi_app([])
    resp = await workers.asgi.fetch(app, js_request("https://example.com/stream"), js_obj())
    assert resp.status == 200 and resp.headers.get("x-mode") == "stream"
    assert resp.body.constructor.name == "ReadableStream"
    assert await resp.text() == "one,two,three"


async def test_asgi_errors_and_no_lifespan():
    app = make_asgi_app([])
    try:
        await asgi.fetch(app, js_request("https://example.com/boom"), js_obj())
    except ValueError as exc:
        assert "app failed" in str(exc)
    else:
        raise AssertionError("an app failing before its response must raise")

    async def bare(scope, receive, send):  # no lifespan support at all
        assert scope["type"] == "http"
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    resp = await asgi.fetch(bare, js_request(), js_obj())
    assert resp.status == 204 and Response(resp).body is None


# --- RPC, import_from_javascript, workflows ---------------------------------------------------

async def test_rpc_conversions():
    value = python_to_rpc({"a": None, "b": [1, "x"], "c": {"d": True}})
    assert js.JSON.stringify(value) == '{"a":null,"b":[1,"x"],"c":{"d":true}}'
    assert python_to_rpc(None) is workers._convert.jsnull
    assert python_to_rpc(Response("r")).constructor.name == "Response"
    try:
        python_to_rpc((1, 2))
    except TypeError:
        pass
    else:
        raise AssertionError("tuples cannot be sent over RPC")
    back = python_from_rpc(js_json('{"a": null, "b": [1, {"c": 2}]}'))
    assert back == {"a": None, "b": [1, {"c": 2}]} and back.b[1].c == 2
    assert isinstance(python_from_rpc(js.Response.new("x")), Response)
    assert python_from_rpc(5) == 5


async def test_import_from_javascript():
    try:
        workers.import_from_javascript("cloudflare:sockets")
    except ImportError as exc:
        assert "cloudflare:sockets" in str(exc) and "cloudflare:workers" in str(exc)
    else:
        raise AssertionError("unsupported JS modules must raise ImportError")
    module = workers.import_from_javascript("cloudflare:workers")
    done = []

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            async def work():
                done.append("bg")
            workers.wait_until(work())  # the module-level waitUntil of cloudflare:workers
            return Response(f"{module.env.MODE}/{workers.env.RETRIES}")

    install_main("kiln_test_cfworkers", Default=Default)
    js_ctx, promises = fake_ctx()
    assert await body_text(await _fetch("m", ctx=js_ctx)) == "development/3"
    await promises[0]
    assert done == ["bg"]


async def test_workflow_steps():
    calls = []

    def js_do(name, *rest):  # a stand-in for the engine's step.do(name, [config,] callback)
        calls.append(name)
        return rest[-1](js_obj(attempt=1))

    fake_step = js_obj(do=create_proxy(js_do))

    class Flow(workers.WorkflowEntrypoint):
        async def run(self, event, step):
            @step.do()
            async def first():
                return {"n": event["n"]}

            @step.do("second-step", config={"retries": {"limit": 1}})
            async def second(first, ctx):
                return first["n"] + ctx["attempt"]

            @step.do()
            async def third(first):
                raise NonRetryableError("stop here")

            total = await second()
            try:
                await third()
            except NonRetryableError:
                return {"total": total, "stopped": True}
            return {"total": total, "stopped": False}

    flow = Flow(js_obj(), js_obj())
    result = await flow.run(js_json('{"n": 41}'), fake_step)
    result = python_from_rpc(result)
    assert result == {"total": 42, "stopped": True}, result
    assert calls.count("first") == 1 and "second-step" in calls, calls


# --- runner --------------------------------------------------------------------------------

async def test_no_host_environment_or_processes():
    # SECURITY.md: worker code sees neither the host's environment nor a shell.
    import os
    import subprocess
    assert "KILN_SOURCE_DIR" not in os.environ, sorted(os.environ)
    assert os.system("echo hi > /tmp/kiln-system-test") != 0
    try:
        subprocess.run(["echo", "hi"], check=True)
    except (OSError, RuntimeError):
        pass
    else:
        raise AssertionError("subprocess.run started a process")


async def run_all(timeout=20.0):
    """Run every `test_*` coroutine; returns {"passed", "failed", "failures"}."""
    tests = [(name, fn) for name, fn in globals().items()
             if name.startswith("test_") and inspect.iscoroutinefunction(fn)]
    passed, failures = 0, []
    for name, fn in tests:
        try:
            await asyncio.wait_for(fn(), timeout)
            passed += 1
        except BaseException as exc:  # noqa: BLE001 - report everything, keep going
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            failures.append(f"{name}: {''.join(traceback.format_exception(exc))}")
    return {"passed": passed, "failed": len(failures), "failures": failures}
