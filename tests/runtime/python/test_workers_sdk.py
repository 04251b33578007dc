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
from pyodide.ffi import JsException, JsProxy, create_proxy, to_js

import _kiln_host
import asgi
import workers
from workers import (
    Blob, File, FormData, Request, Response, WorkerEntrypoint, handler,
    python_from_rpc, python_to_rpc,
)
from workers.utils import jsnull
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
    r = Response(b"\x00\x01abc")
    assert await r.bytes() == b"\x00\x01abc"
    assert r.headers.get("content-type") is None
    # Cloudflare: only bytes among Python buffers; bytearray, memoryview and int are TypeError.
    for body in (bytearray(b"abc"), memoryview(b"abc"), 3):
        try:
            Response(body)
        except TypeError as exc:
            assert "Unsupported type in Response" in str(exc), str(exc)
        else:
            raise AssertionError(f"Response({type(body).__name__}) must raise TypeError")
    assert (await Response(None).text()) == "" and Response(None).body is None


async def test_response_header_forms():
    r = Response("x", status=201, headers=[("x-one", "1"), ("x-two", "2"), ("set-cookie", "a=1"),
                                          ("set-cookie", "b=2")])
    assert r.status == 201
    assert r.headers["X-One"] == "1" and r.headers.get("x-two") == "2"
    assert list(r.js_object.headers.getSetCookie()) == ["a=1", "b=2"]
    assert Response("x", headers={"X-A": "b", "X-N": 5}).headers.get("x-n") == "5"
    # Cloudflare: `workers.Headers` is a typing alias (a string), not a class.
    assert isinstance(workers.Headers, str)
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
    # Cloudflare: redirect() returns the JS Response itself.
    r = Response(Response.redirect("https://example.com/next"))
    assert Response.redirect("https://example.com/").constructor.name == "Response"
    assert r.status == 302 and r.headers.get("location") == "https://example.com/next"
    assert Response.redirect("https://example.com/", status=301).status == 301
    try:
        Response.redirect("", 502)
    except ValueError:
        pass
    else:
        raise AssertionError("redirect status 502 must raise ValueError")
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
    blob = Blob(["blob!"], content_type="text/x-kiln")
    assert await Response(blob.js_object).text() == "blob!"
    try:  # Cloudflare: a workers.Blob is not a Response body (its JS object is)
        Response(blob)
    except TypeError:
        pass
    else:
        raise AssertionError("Response(workers.Blob) must raise TypeError")
    wrapped = Response(js.Response.new("from js", js_obj(status=418)))
    assert wrapped.status == 418 and await wrapped.text() == "from js"
    for bad in ({"a": 1}, [1, 2], 3):
        try:
            Response(bad)
        except TypeError:
            continue
        raise AssertionError(f"Response({bad!r}) must raise TypeError")
    try:  # Cloudflare: the constructor lets JS's RangeError through as a JsException
        Response("x", status=99)
    except JsException as exc:
        assert exc.name == "RangeError", exc.name
    else:
        raise AssertionError("status 99 must raise")


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
    # Cloudflare: a bodiless request's body is JS null, as JS gives it.
    assert get.method == "GET" and get.body in (None, jsnull)


async def test_request_body_readers():
    assert await Request(js_request(method="PUT", body="text!")).text() == "text!"
    assert await Request(js_request(method="PUT", body="b")).bytes() == b"b"
    form = await Request(js_request(method="POST", body="a=1&a=2&b=x", headers={
        "content-type": "application/x-www-form-urlencoded"})).form_data()
    assert form["a"] == "1" and form.get_all("a") == ["1", "2"] and form["b"] == "x"
    # Kiln: a body in memory answers text() fulfilled at once, read in the same trip into JS
    # (callRpc); one already read raises as on Cloudflare; a body made a stream is awaited.
    if workers.utils._call_rpc is not None:
        assert workers.utils._call_rpc(js_request(method="PUT", body="é text"), "text") == "sé text"
    req = Request(js_request(method="PUT", body='{"é": [1]}'))
    assert await req.json() == {"é": [1]}
    try:
        await req.text()
        raise AssertionError("a used body must not be read again")
    except OSError as exc:
        assert str(exc) == "Body already used"
    streamed = Request(js_request(method="PUT", body="streamed"))
    assert streamed.body.constructor.name == "ReadableStream"
    assert await streamed.text() == "streamed"


async def test_request_from_python():
    req = Request("https://example.com/items", method="PUT", headers={"X-Key": "k"},
                  body=to_js(b"abc"))
    assert req.js_object.method == "PUT" and req.method == "PUT"
    assert req.headers.get("x-key") == "k"
    assert await req.bytes() == b"abc"
    again = Request(Request("https://example.com/a"), method="DELETE")
    assert again.method == "DELETE" and again.url == "https://example.com/a"


async def test_headers_are_a_copy():
    # Cloudflare: request.headers is an http.client.HTTPMessage copied from the JS Headers;
    # changing it changes nothing on the request.
    import http.client
    req = Request(js_request(headers={"Content-Type": "text/html", "X-Multi": "1"}))
    h = req.headers
    assert isinstance(h, http.client.HTTPMessage)
    assert h.get("content-type") == "text/html" and h["CONTENT-TYPE"] == "text/html"
    assert h["missing"] is None and h.get("missing", "d") == "d"
    h["X-New"] = "v"
    assert req.headers.get("x-new") is None and not req.js_object.headers.has("x-new")


async def test_request_edges():
    # Cloudflare: options beside a JS Request are a ValueError; a method outside HTTPMethod
    # is a KeyError when read; cf is None when the request has none.
    try:
        Request(js_request(), method="POST")
    except ValueError:
        pass
    else:
        raise AssertionError("Request(js_request, **options) must raise ValueError")
    odd = Request(js_request(method="PURGE"))
    try:
        odd.method
    except KeyError:
        pass
    else:
        raise AssertionError("a non-standard method must raise KeyError")
    assert odd.cf is None
    assert repr(Request(js_request())) == "Request(method='GET', url='https://example.com/')"


async def test_response_edges():
    # Cloudflare: status 0/None means 200; the instance json() ignores keywords; a used body
    # raises pyodide's BodyUsedError; clone() gives a pyodide FetchResponse; repr shows
    # status_text; Response subclasses pyodide.http.FetchResponse (abort, unpack_archive).
    import pyodide.http
    assert Response("x", status=0).status == 200 and Response("x", status=None).status == 200
    assert Response("x", status="201").status == 201  # handed to JS, which coerces it
    r = Response('{"a": 1}')
    assert await r.json(parse_float=str) == {"a": 1}
    try:
        await r.text()
    except pyodide.http.BodyUsedError:
        pass
    else:
        raise AssertionError("reading a used body must raise BodyUsedError")
    assert isinstance(Response("x").clone(), pyodide.http.FetchResponse)
    assert isinstance(Response("x"), pyodide.http.FetchResponse)
    for name in ("abort", "unpack_archive", "raise_for_status", "memoryview", "string"):
        assert callable(getattr(Response("x"), name)), name
    made = Response("x")
    assert made.js_request is None and made.abort_controller is None and made.abort_signal is None
    try:
        made.abort()
    except ValueError:  # pyodide: "abort_controller is not set"
        pass
    else:
        raise AssertionError("abort() without an abort controller must raise ValueError")
    assert repr(Response("x", status=201, status_text="Made")) == (
        "Response(status=201, status_text='Made', content_type='text/plain;charset=UTF-8')")


async def test_typing_names():
    from typing import get_type_hints  # noqa: F401 - the aliases are plain strings
    for name in ("Body", "BlobValue", "FormDataValue", "JSBody", "Headers"):
        assert isinstance(getattr(workers, name), str), name
    assert workers.FetchKwargs.__total__ is False and "cf" in workers.FetchKwargs.__annotations__
    assert "cacheTtl" in workers.RequestInitCfProperties.__annotations__
    import asgi as top_level_asgi
    assert top_level_asgi is workers.asgi


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
    assert "upload" in form and "zzz" not in form and list(form.keys()) == ["a", "a", "upload"]


async def test_formdata_and_blob_edges():
    # Cloudflare: a missing key reads as JS null ([] and get), len() is a TypeError, deleting
    # a missing key is silent, a list value in the dict is stringified by JS.
    form = FormData({"n": [1, 2]})
    assert form["missing"] is jsnull and form.get("missing") is jsnull
    try:
        len(form)
    except TypeError:
        pass
    else:
        raise AssertionError("len(FormData) must raise TypeError")
    del form["missing"]
    assert form["n"] == "[1, 2]", form["n"]
    try:
        form["x"] = ["a"]
    except TypeError:
        pass
    else:
        raise AssertionError("setting a list must raise TypeError")
    for make in (lambda: Blob(), lambda: File(["x"])):
        try:
            make()
        except TypeError:
            continue
        raise AssertionError("Blob() and File(parts) without a filename must raise TypeError")


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
    # Cloudflare: env values are what Pyodide makes of them (str, int, float, bool); a JSON
    # object or array stays a JsProxy; a missing name is an AttributeError; env is writable.
    env = ProbeEntrypoint(js_obj(), make_env()).env
    assert env.MODE == "development" and type(env.MODE) is str
    assert env.RETRIES == 3 and type(env.RETRIES) is int
    assert env.RATIO == 2.5 and type(env.RATIO) is float
    assert env.ON is True and env.OFF is False
    assert env.NOTHING is jsnull and env.UNDEF is None
    assert isinstance(env.CONFIG, JsProxy) and env.CONFIG.db.port == 5432
    try:
        env.CONFIG["db"]
    except TypeError:
        pass
    else:
        raise AssertionError("a JSON var is a JsProxy, not a dict (use .to_py() or attributes)")
    assert env.CONFIG.to_py()["db"]["hosts"] == ["a", "b"]
    assert isinstance(env.LIST, JsProxy) and env.LIST.to_py()[1] == "two"
    try:
        env.NOPE
    except AttributeError:
        pass
    else:
        raise AssertionError("a missing binding must raise AttributeError")
    env.EXTRA = "set"
    assert env.EXTRA == "set"


async def test_env_binding_proxy():
    # Cloudflare wraps bindings by their JS class; other objects stay JsProxies.
    env = make_env()
    assert isinstance(workers._EnvWrapper(env).NS, JsProxy)  # an unknown class: as it is
    ns = workers.rpc._BindingWrapper(js.Reflect.get(env, "NS"))
    assert ns.label == "kv-namespace"
    pending = ns.echo("value")
    assert inspect.isawaitable(pending)
    assert await pending == "value"
    assert await ns.echo(None) is None
    got = await ns.echo({"a": None, "n": [1, {"b": True}]})
    assert got == {"a": None, "n": [1, {"b": True}]} and got.n[1].b is True
    d1 = await ns.echo({"results": [{"id": 1, "text": "t"}], "meta": {"last_row_id": 3, "changes": 1}})
    assert d1.results[0].id == 1 and d1.meta.last_row_id == 3
    statement = ns.create(js.Object.getPrototypeOf(js.Reflect.get(env, "NS")))
    assert isinstance(statement, workers.rpc._BindingWrapper)
    assert await statement.echo(5) == 5
    # a Date from a binding is a naive datetime, as python_from_rpc makes it
    import datetime
    when = python_from_rpc(js.Date.new(0))
    assert isinstance(when, datetime.datetime) and when.tzinfo is None



async def test_python_from_rpc_kinds():
    # What to_py converts itself (arrays, Maps, Sets, plain objects, buffers) and what goes to
    # the SDK's converter (everything else), whichever way python_from_rpc takes to it.
    assert python_from_rpc(js.JSON.parse('[1, null, {"a": 2}]')) == [1, None, {"a": 2}]
    mapping = js.Map.new()
    mapping.set("k", 1)
    assert python_from_rpc(mapping) == {"k": 1}
    numbers = js.Set.new()
    numbers.add(5)
    assert python_from_rpc(numbers) == {5}
    bare = js.Object.create(jsnull)
    js.Reflect.set(bare, "n", jsnull)
    assert python_from_rpc(bare) == bare  # no `constructor`: handed back as it is, as the SDK does
    assert bytes(python_from_rpc(js.Uint8Array.of(7, 8))) == b"\x07\x08"
    error = python_from_rpc(js.Error.new("boom"))
    assert type(error) is Exception and "boom" in str(error)
    assert isinstance(python_from_rpc(js.Response.new("r")), workers.Response)
    assert python_from_rpc(js.Number.new(4)) == 4
    url = js.URL.new("https://a.example/x")
    kept = python_from_rpc(url)
    assert isinstance(kept, JsProxy) and kept.hostname == "a.example" and kept == url
    assert python_from_rpc(jsnull) is None


async def test_python_from_rpc_plain_data_as_to_py():
    # Plain data (arrays and plain objects of strings, numbers, booleans and nulls) takes a JSON
    # path; it must give exactly what to_py gives: the same values of the same types (safe
    # integers int, other numbers float, -0 the int 0), JsDicts for objects. What it cannot
    # carry (NaN, unsafe integers' kind, undefined, shared objects, escapes) goes to to_py.
    import math

    def reference(value):
        converter = workers.rpc._from_rpc_converter
        return workers.rpc._null_to_none(value.to_py(default_converter=converter))

    def same(a, b):
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        if isinstance(a, float) and math.isnan(a):
            return math.isnan(b)
        return a == b

    plain = [js_json('{"id": 3, "name": "item 3", "value": 21}'),
             js_json('[1.5, -2, 0, -0, 1e-7, 1.25e-300, "é😀", null, true, {"x": [{}]}]'),
             js_json('{"nested": {"a": [1, 2, {"b": null}]}, "empty": []}')]
    shared = js_json('{"a": 1}')
    with_undefined = js_json('{"a": 1}')
    js.Reflect.set(with_undefined, "u", None)  # None becomes undefined
    other = [js_json('[1e21]'), js_json('[9007199254740993]'), js_json('["a\\u0001b"]'),
             js_json('["\\ud800"]'), js.Array.of(js.Number.NaN, 1), js.Array.of(shared, shared),
             with_undefined, js.Array.of(js.Date.new(0))]
    for value in plain:
        assert workers.rpc._plain_json(value) is not None
        got = python_from_rpc(value)
        assert same(got, reference(value)), (got, reference(value))
    assert type(python_from_rpc(plain[0])) is workers.rpc.JsDict
    assert python_from_rpc(plain[0]).name == "item 3"
    for value in other:
        assert workers.rpc._plain_json(value) is None
        got = python_from_rpc(value)
        assert same(got, reference(value)), (got, reference(value))


# --- Kiln's own bindings through callRpc (issue 17) -------------------------------------------
# The SDK calls the methods of Kiln's KV and D1 classes through the entrypoint helper's callRpc,
# which takes a read's value from its promise (fulfilled on return) in the same trip. Each test
# compares that path with the general one (the same JS object wrapped without the class name,
# so every call goes through Pyodide's own promise machinery).

def _real_bindings():
    env = workers.import_from_javascript("cloudflare:workers").env
    if not (hasattr(env, "KV") and hasattr(env, "DB")):
        return None
    return env


def _general(wrapper):
    plain = workers.rpc._BindingWrapper.__new__(workers.rpc._BindingWrapper, None)
    plain._binding = wrapper._binding
    return plain


async def _outcome(make):
    """What `await make()` gives, or its exception as text."""
    try:
        return await make()
    except Exception as exc:  # noqa: BLE001 - compared by the caller
        return f"{type(exc).__name__}: {exc}"


async def _both(fast, general, method, *args):
    """(fast path's outcome, general path's outcome) of `await target.method(*args)`."""
    return [await _outcome(lambda t=target: getattr(t, method)(*args)) for target in (fast, general)]


async def test_kiln_binding_tables_match_the_js_classes():
    env = _real_bindings()
    if env is None:
        return  # a host without Kiln's KV and D1 (the bench peer)
    statement = env.DB.prepare("SELECT 1")
    for obj, name in ((env.KV, "KvNamespace"), (env.DB, "D1Database"),
                      (statement, "D1PreparedStatement")):
        assert obj.constructor.name == name
        proto = js.Object.getPrototypeOf(obj)
        methods = {key for key in js.Object.getOwnPropertyNames(proto)
                   if key != "constructor"
                   and callable(getattr(js.Object.getOwnPropertyDescriptor(proto, key), "value", None))}
        assert methods == set(workers.rpc._KILN_METHODS[name]), (name, methods)
    for (cls, method), result in workers.rpc._KILN_RESULTS.items():
        target = {"D1Database": env.DB, "D1PreparedStatement": statement}[cls]
        assert getattr(target, method)("SELECT 1" if method == "prepare" else 1).constructor.name == result


async def test_kiln_kv_reads_match_the_general_path():
    env = _real_bindings()
    if env is None:
        return
    kv = workers.rpc._EnvWrapper(env).KV
    assert kv._kiln_class == "KvNamespace"
    # The methods are the wrapper class's (nothing made per wrapper); one set on a wrapper is
    # that wrapper's alone, as for any attribute.
    assert type(kv).__name__ == "_KvNamespaceWrapper" and not vars(kv).keys() - {"_binding"}
    assert kv.get.__name__ == "get" and kv.get.__self__ is kv
    kv.get = lambda key: "mine"
    assert kv.get("sdk-text") == "mine"
    assert workers.rpc._EnvWrapper(env).KV.get.__func__ is type(kv).get
    del kv.get
    await kv.put("sdk-text", "héllo")
    await kv.put("sdk-json", '{"a": [1, 2.5, null], "b": "x"}', metadata={"m": 1})
    pending = kv.get("sdk-text")
    assert inspect.iscoroutine(pending) and pending.cr_code.co_name == "_after_one_turn"
    assert await pending == "héllo"
    general = _general(kv)
    for args in (("sdk-text",), ("sdk-json", "json"), ("sdk-json", {"type": "json"}),
                 ("missing",), ("missing", "json"), ("sdk-text", "arrayBuffer"),
                 (["sdk-text", "missing"],), ("sdk-text", "bogus"), (None,)):
        fast, slow = await _both(kv, general, "get", *args)
        if args[1:] == ("arrayBuffer",):
            assert bytes(fast) == bytes(slow)
        elif isinstance(fast, JsProxy):
            assert fast.constructor.name == slow.constructor.name == "Map"
            assert fast.to_py() == slow.to_py()
        else:
            assert type(fast) is type(slow) and fast == slow, (args, fast, slow)
    for key in ("sdk-json", "missing"):
        fast, slow = await _both(kv, general, "getWithMetadata", key, "json")
        assert fast == slow and type(fast) is type(slow), (fast, slow)


async def test_kiln_d1_reads_match_the_general_path():
    env = _real_bindings()
    if env is None:
        return
    db = workers.rpc._EnvWrapper(env).DB
    await db.exec("DROP TABLE IF EXISTS sdk_t; CREATE TABLE sdk_t (id INTEGER PRIMARY KEY, name TEXT, v REAL, b BLOB)")
    await db.prepare("INSERT INTO sdk_t VALUES (1, 'one', 1.5, NULL), (2, 'two', NULL, x'00ff')").run()
    sql = "SELECT id, name, v FROM sdk_t WHERE id = ?"
    statement = db.prepare(sql).bind(1)
    assert statement._kiln_class == "D1PreparedStatement"
    pending = statement.first()
    assert pending.cr_code.co_name == "_after_one_turn"
    assert await pending == {"id": 1, "name": "one", "v": 1.5}
    general_db = _general(db)
    general = general_db.prepare(sql).bind(1)
    for method, args in (("first", ()), ("first", ("name",)), ("first", ("nope",)), ("all", ()),
                         ("raw", ()), ("raw", ({"columnNames": True},)), ("run", ())):
        fast, slow = await _both(statement, general, method, *args)
        if method in ("all", "run"):
            for result in (fast, slow):  # timings differ between two runs
                result["meta"] = {k: v for k, v in result["meta"].items() if "duration" not in k}
        assert type(fast) is type(slow) and fast == slow, (method, args, fast, slow)
    for bad in ({"a": 1}, 2**60):  # bind() throws
        fast, slow = [await _outcome(lambda d=d: d.prepare(sql).bind(bad).first()) for d in (db, general_db)]
        assert isinstance(fast, str) and fast == slow, (fast, slow)
    fast, slow = await _both(db.prepare("SELECT b FROM sdk_t WHERE id = ?").bind(2),
                             general_db.prepare("SELECT b FROM sdk_t WHERE id = ?").bind(2), "first")
    assert fast == slow, (fast, slow)
    for bad_sql in ("SELEC 1", "SELECT * FROM no_such_table"):
        fast, slow = await _both(db.prepare(bad_sql), general_db.prepare(bad_sql), "first")
        assert isinstance(fast, str) and fast == slow, (fast, slow)
    assert await db.prepare("SELECT id FROM sdk_t WHERE id = 99").first() is None
    # A statement kept as its text and values (Kiln's) becomes the JS one when it is needed.
    assert type(db).__name__ == "_D1DatabaseWrapper"
    insert = db.prepare("INSERT INTO sdk_t (id, name) VALUES (?, ?)").bind(3, None)
    assert type(insert).__name__ == "_D1StatementWrapper"
    assert insert.statement == "INSERT INTO sdk_t (id, name) VALUES (?, ?)"
    check = db.prepare("SELECT id, name FROM sdk_t WHERE id = ?").bind(3)
    results = await db.batch([insert, check])
    assert results[1]["results"] == [{"id": 3, "name": None}], results
    assert await check.first("id") == 3 and await check.bind(3.0).first("id") == 3


async def test_kiln_d1_answers_written_by_the_host_match_the_general_path():
    # Kiln's own: first/all/run/raw without arguments come as JSON the host writes from the
    # result (stores/d1answer.h); values, key order and what it leaves to the JS path must be
    # the general path's.
    env = _real_bindings()
    if env is None:
        return
    from workers.utils import _call_statement
    db = workers.rpc._EnvWrapper(env).DB
    general_db = _general(db)
    queries = [
        ("SELECT 1", ()), ("SELECT 1 AS a, 2 AS b", ()), ("SELECT NULL AS n, -0.0 AS z", ()),
        ("SELECT 3.0 AS r, 2.5 AS h, 1e-7 AS tiny, 1e15 AS big, 123456789.125 AS f", ()),
        ("SELECT 9007199254740991 AS safe, -9007199254740991 AS negsafe", ()),
        ("SELECT 9007199254740993 AS unsafe", ()), ("SELECT 1e300 * 1e300 AS inf", ()),
        ("SELECT 'quote \" back \\ tab \t nl \n cr \r' AS s, 'é€😀\u2028' AS u", ()),
        ("SELECT char(1) || char(31) || char(127) AS ctl, '\\u0041' AS esc", ()),
        ("SELECT CAST(x'ff41' AS TEXT) AS bad, x'00ff10' AS blob, x'' AS empty", ()),
        ("SELECT 1 AS a, 2 AS a", ()), ("SELECT 1 AS __proto__", ()), ("SELECT NULL AS __proto__", ()),
        ("SELECT 1 AS b, 2 AS \"2\", 3 AS \"1\", 4 AS \"01\"", ()), ("SELECT 5 AS \"7\"", ()),
        ("SELECT value AS v FROM json_each('[1, 2.5, \"x\", null]')", ()),
        ("SELECT value FROM json_each('[]')", ()),
        ("SELECT ? AS p, ? AS q, ? AS r, ? AS s, ? AS t", (None, True, 2.5, "x", 2**52)),
        ("SELECT ? AS t", (2**53 - 1,)),  # Pyodide hands this int over as a BigInt: bind() throws
        ("SELEC broken", ()), ("SELECT * FROM no_such_table", ()), ("SELECT ?", ()),
    ]
    for sql, params in queries:
        for method in ("first", "all", "run", "raw"):
            fast, slow = [await _outcome(lambda d=d: getattr(d.prepare(sql).bind(*params), method)())
                          for d in (db, general_db)]
            if isinstance(fast, dict) and "meta" in fast:
                for result in (fast, slow):  # timings differ between two runs
                    result["meta"] = {k: v for k, v in result["meta"].items() if "duration" not in k}
            assert repr(fast) == repr(slow) and type(fast) is type(slow), (sql, method, fast, slow)
    # What the host writes, and what it leaves to the statement (None: the JS path answers).
    answer = _call_statement(db._binding, "SELECT 1 AS a, 'x' AS b", "first", 0)
    assert answer == 'j{"a":1,"b":"x"}', answer
    # JS orders an index-like key first and keeps the last of two alike: the JS path's answers.
    answer = _call_statement(db._binding, 'SELECT 2 AS b, 1 AS "1"', "first", 0)
    assert answer == 'j{"1":1,"b":2}', answer
    answer = _call_statement(db._binding, "SELECT 1 AS a, 2 AS a", "first", 0)
    assert answer == 'j{"a":2}', answer
    unsafe = _call_statement(db._binding, "SELECT 9007199254740993 AS unsafe", "first", 0)
    assert type(unsafe) is not str and (await unsafe).unsafe == 9007199254740992, unsafe


async def test_kiln_binding_read_waits_one_turn():
    # An awaited read gives the event loop one turn, as Pyodide's await of a promise does: a
    # task scheduled before it runs first, on both paths.
    env = _real_bindings()
    if env is None:
        return
    kv = workers.rpc._EnvWrapper(env).KV
    for target in (kv, _general(kv)):
        order = []

        async def other():
            order.append("other")

        task = asyncio.ensure_future(other())
        await target.get("sdk-text")
        order.append("after")
        await task
        assert order == ["other", "after"], order


async def test_kiln_header_pairs_match_the_general_path():
    # Kiln's own: header copies read a Headers' entries in one trip (utils._js_header_pairs);
    # they must be what iterating it from Python gives, and an object standing in for Headers
    # whose entries one string cannot carry takes the general path.
    from workers.utils import _js_header_pairs
    headers = js.Headers.new(to_js([["X-Time", "12:30:00"], ["set-cookie", "a=1"],
                                    ["set-cookie", "b=2"], ["x-empty", ""], ["accept", "*/*"]]))
    assert [tuple(p) for p in _js_header_pairs(headers)] == [(k, v) for k, v in headers]
    assert _js_header_pairs(js.Headers.new()) == []
    odd = to_js([["x-a", "one\ntwo"], ["x:b", "c"]])  # an array of pairs iterates as Headers does
    assert [tuple(p) for p in _js_header_pairs(odd)] == [("x-a", "one\ntwo"), ("x:b", "c")]
    message = Response("x", headers={"X-Time": "12:30:00"}).headers
    assert message["x-time"] == "12:30:00" and message["content-type"].startswith("text/plain")


async def test_kiln_text_response_made_when_asked():
    # Kiln's own: Response(text) and Response.json(data)'s plain case make their JS Response
    # only when something asks for it; fetch_starter's path hands one nothing asked about to
    # the host as "t"/"j" + the body, and from then on it reads as a sent Response: body used.
    lazy, eager = Response("héllo"), Response._made(js.Response.new("héllo"))
    assert lazy._unmade == "théllo"
    assert repr(lazy) == repr(eager) and lazy.url == eager.url == "" and lazy.ok
    assert lazy._unmade is None and await lazy.text() == await eager.text() == "héllo"
    try:
        lazy.no_such_thing
    except AttributeError as exc:
        assert "no_such_thing" in str(exc), str(exc)
    else:
        raise AssertionError("a missing attribute must raise AttributeError")
    class Strict(Response):  # a subclass's own __getattr__ does not stand in the way
        def __getattr__(self, name):
            raise AttributeError(name)
    assert await Strict("sub").text() == "sub" and Strict("sub").status == 200
    sent = Response("sent")
    assert _kiln_host._to_js_response(sent, "t", True) == "tsent"
    assert sent.body_used and sent.status == 200 and sent.headers["content-type"].startswith("text/plain")
    again = _kiln_host._to_js_response(sent, "t", True)  # sent twice: as the used JS Response
    assert again.constructor.name == "Response" and again.bodyUsed
    assert _kiln_host._to_js_response(Response.json({"a": [1, None]}), "t", True) == 'j{"a": [1, null]}'
    made = _kiln_host._to_js_response(Response.json({"a": 1}), "t", False)  # handle_fetch's path
    assert made.constructor.name == "Response" and made.headers.get("content-type") == "application/json"
    for data in ({"a": 1}, [1, "b"], workers.rpc.JsDict(x=[2]), "s", 3, None):  # one answer
        assert Response.json(data)._unmade == Response.from_json(data)._unmade == \
            "j" + json.dumps(data), data
    # Anything else is made at once, as before: other statuses, headers, a None body.
    assert Response.json({"a": 1}, status=201)._unmade is None
    assert Response("x", status=200)._unmade is None and Response(None)._unmade is None
    assert _kiln_host._to_js_response(Response(None), "t", True).constructor.name == "Response"


async def test_kiln_json_helpers_match_the_stdlib():
    # Kiln's own (workers/_json.py): json.dumps and json.loads without the stdlib's Python
    # layers must give what those give, errors included.
    import json
    from workers import _json

    class Sub(dict):
        pass

    values = [{"id": 5, "name": "item 5", "value": 35.5}, [1, None, True, "é\u2028\n"], "s\u00e9",
              3, 2.5, None, float("nan"), float("inf"), {1: "a", 2.0: "b", None: "c", True: "d"},
              Sub(a=[{}]), (1, 2), {"deep": [[[[{"x": -0.0}]]]]}]
    for value in values:
        assert _json.dumps(value) == json.dumps(value), value
    for bad in [{"k": {1, 2}}, {("a",): 1}, object()]:
        try:
            json.dumps(bad)
        except TypeError as exc:
            expected = str(exc)
        try:
            _json.dumps(bad)
        except TypeError as exc:
            assert str(exc) == expected, (str(exc), expected)
        else:
            raise AssertionError(f"{bad!r} must not encode")
    circular = []
    circular.append(circular)
    for attempt in range(2):  # a failure leaves nothing behind for the next call
        try:
            _json.dumps(circular)
        except ValueError as exc:
            assert "Circular reference" in str(exc)
        else:
            raise AssertionError("a circular list must not encode")
        assert _json.dumps([[1], [1]]) == "[[1], [1]]"
    for attempt in range(3):  # a failed encoding's markers are not left to a later object
        holder = {"k": {1, 2}}
        try:
            _json.dumps(holder)
        except TypeError:
            pass
        del holder
        again = {"k": [attempt]}  # often where the freed one was, so the same id
        assert _json.dumps(again) == '{"k": [%d]}' % attempt

    class Reentrant(dict):  # encoding it encodes something else meanwhile
        def items(self):
            assert _json.dumps({"inner": [1]}) == '{"inner": [1]}'
            return super().items()

    assert _json.dumps([Reentrant(a=1), {"b": 2}]) == '[{"a": 1}, {"b": 2}]'
    texts = ['{"id":5,"name":"item 5","value":35}', '[1,2.5,"\\u00e9",null,true]', '"x"', "3",
             " {} ", "{}\n", "\ufeff{}", "[1] [2]", '{"a": }', "", "[1,", "NaN", '{"a":1,"a":2}']
    nested = workers.rpc._from_json('{"a": [{"b": {"c": null}}], "d": []}')  # JsDicts throughout
    assert nested == {"a": [{"b": {"c": None}}], "d": []} and type(nested) is workers.rpc.JsDict
    assert type(nested["a"][0]) is type(nested.a[0].b) is workers.rpc.JsDict, nested
    for text in texts:
        try:
            expected = ("ok", json.loads(text))
        except json.JSONDecodeError as exc:
            expected = ("error", str(exc), exc.pos)
        try:
            got = ("ok", _json.loads(text))
        except json.JSONDecodeError as exc:
            got = ("error", str(exc), exc.pos)
        assert repr(got) == repr(expected), (text, got, expected)


# --- _kiln_host dispatch ---------------------------------------------------------------------

async def _fetch(name, request=None, env=None, ctx=None):
    return await _kiln_host.handle_fetch(request or js_request("https://example.com/p?q=1"),
                                         env if env is not None else make_env(),
                                         ctx if ctx is not None else js_obj())


async def test_host_signature_arity():
    # workerd calls fetch(request) relaxed: parameters beyond what it passes are not filled.
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
            assert isinstance(request, Request)
            return Response(request.url)

    install_main("kiln_test_arity1", Default=Default)
    assert await body_text(await _fetch("b")) == "https://example.com/p?q=1"

    class Default(WorkerEntrypoint):
        def fetch(self, request, env=None):  # sync handlers work too
            return Response(f"{self.env.MODE}:{self.env.RETRIES + 1}:{env}")

    install_main("kiln_test_arity2", Default=Default)
    assert await body_text(await _fetch("c")) == "development:4:None"

    class Default(WorkerEntrypoint):
        async def fetch(self, *args):
            return Response(str(len(args)))

    install_main("kiln_test_arity_var", Default=Default)
    assert await body_text(await _fetch("e")) == "1"


async def test_fetch_starter_answers_as_handle_fetch():
    """fetch_starter's requests skip _resolve for the Default class checked last; a fetch
    replaced on the class, one without the request, one shadowed on the instance, a class
    replaced and a handler that waits all answer as through handle_fetch."""
    settled = []
    asked = []  # tokens whose JS Request Python asked for

    def request_of(token, headers_only=False):
        asked.append(token)
        return js_request("https://example.com/p?q=1")

    start = _kiln_host.fetch_starter(make_env(), lambda token, response: settled.append((token, response)),
                                     request_of)

    def started(token=0):
        return start("https://example.com/p?q=1", "GET", js_obj(), token)

    seen = []

    class Default(WorkerEntrypoint):
        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            seen.append(self)

        async def fetch(self, request):
            assert isinstance(request, Request) and isinstance(self.env, workers._EnvWrapper)
            return Response(f"one {request.url} {self.env.MODE}")

    install_main("kiln_test_starter", Default=Default)
    assert _kiln_host._last_default[2] is Default.__dict__["fetch"], _kiln_host._last_default
    assert started() == started() == "tone https://example.com/p?q=1 development"
    assert len(seen) == 2 and seen[0] is not seen[1] and seen[0].env is not seen[1].env
    assert not asked, asked  # the URL came with the call: no JS Request was asked for

    class Default(WorkerEntrypoint):  # WorkerEntrypoint's __init__: made without calling it
        async def fetch(self, request):
            return Response(f"{list(vars(self))} {type(self.env).__name__} {self.ctx.marker}")

    install_main("kiln_test_starter_plain", Default=Default)
    assert start("https://example.com/", "GET", js_obj(marker="m"), 0) == "t['ctx', 'env'] _EnvWrapper m"

    async def two(self, request, extra="x"):
        return Response(f"two {extra}")

    Default.fetch = two
    assert started() == "ttwo x"

    async def bare(self):
        return Response("three")

    Default.fetch = bare
    assert started() == "tthree"

    class Default(WorkerEntrypoint):
        def __init__(self, ctx, env):
            super().__init__(ctx, env)
            self.fetch = lambda: Response("four")  # called relaxed: no request

        async def fetch(self, request):
            return Response("never")

    install_main("kiln_test_starter_shadowed", Default=Default)
    assert started() == started() == "tfour"

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            await asyncio.sleep(0)
            return Response("five")

    install_main("kiln_test_starter_waits", Default=Default)
    assert started(7) is None and not settled
    for _ in range(20):
        if settled:
            break
        await asyncio.sleep(0)
    assert settled == [(7, "tfive")], settled

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            raise ValueError("six")

    install_main("kiln_test_starter_fails", Default=Default)
    assert started(8) is None
    failed = _kiln_host._waiting[8]
    await asyncio.sleep(0)
    assert settled[-1] == (8, None) and _kiln_host.failed_fetch(8) is failed
    assert isinstance(failed.exception(), ValueError)


async def test_fetch_starter_asks_for_the_js_request_only_when_needed():
    """fetch_starter's start gets the URL and method, and the JS Request when JS made it
    already: otherwise that is asked of JS (once) when the handler reads more, and at the
    handler's end when anything still holds the request (JS answers only while it is under
    way); a request nothing holds is never asked for."""
    asked = []
    headers_asked = []
    made = {}

    def request_of(token, headers_only=False):
        if headers_only:  # as worker.mjs: the Headers alone, no Request made for them
            headers_asked.append(token)
            return js_request("https://example.com/h", headers={"x-kind": str(token)}).headers
        asked.append(token)
        if token not in made:
            made[token] = js_request("https://example.com/h", "POST", {"x-kind": str(token)}, "body")
        return made[token]

    settled = []
    start = _kiln_host.fetch_starter(make_env(), lambda token, response: settled.append((token, response)),
                                     request_of)
    kept = []

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            route = request.url.rsplit("/", 1)[1]
            if route == "method":
                return Response(f"{request.method}")
            if route == "header":
                return Response(request.headers["x-kind"] + request.headers["x-kind"])
            if route == "kept":
                kept.append(request)
            if route == "waits":
                kept.append(request)
                await asyncio.sleep(0)
            if route == "task":
                asyncio.ensure_future(asyncio.sleep(0, request))
            if route == "fails":
                raise ValueError(request.url)
            return Response("ok")

    install_main("kiln_test_starter_lazy", Default=Default)
    assert start("https://example.com/method", "POST", js_obj(), 1) == "tPOST" and asked == []
    assert start("https://example.com/header", "GET", js_obj(), 2) == "t22"
    assert asked == [] and headers_asked == [2, 2]  # a copy each time, as from the JS Request
    given = js_request("https://example.com/h", "POST", {"x-kind": "g"}, "body")
    assert start("https://example.com/header", "POST", js_obj(), 9, given) == "tgg" and asked == []
    assert start("https://example.com/kept", "GET", js_obj(), 3) == "tok" and asked == [3]
    assert kept[0].js_object is made[3] and kept[0].url == "https://example.com/kept"
    assert kept[0].headers["x-kind"] == "3" and asked == [3]  # asked for once, held since
    assert headers_asked == [2, 2]  # a JS Request once made gives its own Headers
    assert start("https://example.com/task", "GET", js_obj(), 4) == "tok" and asked[-1] == 4
    assert start("https://example.com/waits", "GET", js_obj(), 5) is None and asked[-1] == 4
    for _ in range(20):
        if settled:
            break
        await asyncio.sleep(0)
    assert settled == [(5, "tok")] and asked[-1] == 5, (settled, asked)
    assert start("https://example.com/fails", "GET", js_obj(), 6) is None
    assert asked[-1] == 6  # the traceback holds it
    await asyncio.sleep(0)
    assert isinstance(_kiln_host.failed_fetch(6).exception(), ValueError)
    copied = __import__("copy").copy(Request._of_incoming("https://example.com/c", "GET", 7, request_of))
    assert asked[-1] == 7 and copied.js_object is made[7]
    try:
        Request.__new__(Request)._js_request  # noqa: B018 - made by neither
    except AttributeError as error:
        assert str(error) == "'Request' object has no attribute '_js_request'", error
    else:
        raise AssertionError("no AttributeError")
    assert asked[-1] == 7


async def test_fetch_starter_reads_a_whole_body_without_the_js_request():
    """A body that came whole with its head (start's `body`, bytes): Python reads its text (and
    json) itself, decoded as the JS Request's text() decodes it, after one turn, and marks it
    used; the JS Request, when something asks for it afterwards (or holds the request past its
    handler's end), is made with its body used. Anything else reads the JS Request's body."""
    asked = []
    made = {}
    sent = "\ufeff{\"name\": \"caf\u00e9\", \"n\": [1, 2]}"

    def request_of(token, headers_only=False, body_used=False):
        assert not headers_only
        asked.append((token, bool(body_used)))
        if token not in made:
            made[token] = js_request("https://example.com/b", "POST", {}, sent)
            if body_used:
                made[token].arrayBuffer()  # as worker.mjs: used at once
        return made[token]

    settled = {}
    start = _kiln_host.fetch_starter(make_env(), settled.__setitem__, request_of)
    kept = []

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            route = request.url.rsplit("/", 1)[1]
            if route == "js-first":  # the JS Request made first: its body is read there
                request.js_object  # noqa: B018
                return Response(await request.text())
            if route == "bytes":
                return Response(str(len(await request.bytes())))
            before = request.body_used
            data = await request.json()
            try:
                await request.text()
                again = "read twice"
            except OSError as error:
                again = str(error)
            if route == "kept":
                kept.append(request)
            elif route == "asks":
                again += str(request.js_object.bodyUsed)
            return Response(f"{before} {data['name']} {data['n']} {request.body_used} {again}")

    install_main("kiln_test_starter_body", Default=Default)

    def body():
        return js.TextEncoder.new().encode(sent)

    async def answer(path, token):
        started = start(f"https://example.com/{path}", "POST", js_obj(), token, None, body())
        assert started is None  # the body's text waits one turn
        for _ in range(20):
            if token in settled:
                break
            await asyncio.sleep(0)
        return settled.pop(token)

    expected = "tFalse caf\u00e9 [1, 2] True Body already used"
    assert await answer("read", 1) == expected and asked == []
    assert await answer("asks", 2) == expected + "True" and asked == [(2, True)]
    assert await answer("kept", 3) == expected and asked[-1] == (3, True)
    assert kept[0].js_object is made[3] and kept[0].js_object.bodyUsed and kept[0].body_used
    # The JS Request's own text() decodes the same bytes to the same text (the BOM dropped).
    assert await answer("js-first", 4) == "t" + sent[1:] and asked[-1] == (4, False)
    assert await answer("bytes", 5) == "t" + str(len(sent.encode())) and asked[-1] == (5, False)


async def test_host_legacy_handlers():
    async def on_fetch(request):
        assert isinstance(request, JsProxy)  # undecorated: the JS Request as it is
        return js.Response.new("raw " + request.method)

    install_main("kiln_test_legacy", on_fetch=on_fetch)
    assert await body_text(await _fetch("f")) == "raw GET"

    @handler
    async def on_fetch(request, env):
        assert isinstance(request, Request) and isinstance(env, workers._EnvWrapper)
        return Response(f"{request.method} {env.MODE}")

    install_main("kiln_test_handler", on_fetch=on_fetch)
    assert await body_text(await _fetch("g")) == "GET development"


async def test_host_scheduled():
    # workerd hands scheduled() the JS controller, env and ctx as they are.
    calls = []

    class Default(WorkerEntrypoint):
        async def scheduled(self, controller, env=None, ctx=None):
            calls.append((controller.cron, controller.scheduledTime, env.MODE,
                          isinstance(env, JsProxy), ctx == self.ctx))

        async def fetch(self, request):
            return Response("unused")

    install_main("kiln_test_sched", Default=Default)
    controller = js_obj(cron="0 3 * * *", scheduledTime=1700000000000, type="scheduled")
    assert await _kiln_host.handle_scheduled(controller, make_env(), js_obj()) is None
    assert calls == [("0 3 * * *", 1700000000000, "development", True, True)], calls

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

def execution_context():
    """A JS ctx tagged as workerd's ExecutionContext, whose waitUntil records what it gets."""
    js_ctx, promises = fake_ctx()
    js.Reflect.set(js_ctx, js.Symbol.toStringTag, "ExecutionContext")
    return js_ctx, promises


async def test_wait_until_runs_coroutines():
    # Cloudflare: ctx is the JS object itself; its waitUntil is patched to take Python
    # coroutines (a plain JS object's is left alone).
    done = []

    async def later(value):
        await asyncio.sleep(0.01)
        done.append(value)
        return value

    js_ctx, promises = execution_context()
    entry = ProbeEntrypoint(js_ctx, make_env())
    assert isinstance(entry.ctx, JsProxy) and entry.ctx.js_id == js_ctx.js_id
    entry.ctx.waitUntil(later("a"))
    assert promises.length == 1, promises.length
    assert promises[0].constructor.name == "Promise", promises[0].constructor.name
    await promises[0]
    assert done == ["a"], done

    async def boom():
        raise RuntimeError("background failure")

    entry.ctx.waitUntil(boom())
    try:
        await promises[1]
    except Exception as exc:  # noqa: BLE001 - JsException carrying the Python traceback
        assert "background failure" in str(exc), str(exc)
    else:
        raise AssertionError("a failing waitUntil coroutine must reject its promise")
    plain, _ = fake_ctx()
    before = plain.waitUntil
    ProbeEntrypoint(plain, make_env())
    assert plain.waitUntil == before


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
    js_ctx, promises = execution_context()
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
            "http_version": scope["http_version"], "asgi": scope["asgi"],
            "keys": sorted(scope),
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
    # Cloudflare's ASGI: spec 2.0 scope (no server/client/root_path), env in the scope, the
    # body read first and delivered chunk by chunk, and the lifespan run for every request.
    events = []
    app = make_asgi_app(events)
    env = workers._EnvWrapper(make_env())
    req = js_request("https://example.com:8443/a%20b/c?x=1&y=%20", "POST",
                     {"X-Custom": "Val", "Content-Type": "text/plain"},
                     js_stream([b"hello ", b"asgi ", b"world"]))
    resp = await asgi.fetch(app, Request(req), env)
    assert resp.status == 201
    assert list(resp.headers.getSetCookie()) == ["a=1", "b=2"]
    info = json.loads(await resp.text())
    assert info["method"] == "POST" and info["path"] == "/a b/c" and info["raw_path"] == "/a%20b/c"
    assert info["query"] == "x=1&y=%20" and info["scheme"] == "https"
    assert info["http_version"] == "1.1" and info["asgi"] == {"spec_version": "2.0", "version": "3.0"}
    assert info["keys"] == sorted(["asgi", "env", "headers", "http_version", "method", "path",
                                   "query_string", "raw_path", "scheme", "state", "type"]), info["keys"]
    assert ["x-custom", "Val"] in info["headers"]
    assert all(k == k.lower() for k, _ in info["headers"])
    assert info["body"] == "hello asgi world" and info["chunks"] >= 2, info
    assert info["state"] == "hi" and info["env_mode"] == "development"
    resp2 = await asgi.fetch(app, js_request("https://example.com/"), env)
    assert json.loads(await resp2.text())["body"] == ""
    assert events == ["startup", "startup"], events
    ws_scope = workers.asgi.request_to_scope(Request(js_request("https://example.com/ws")), {}, ws=True)
    assert ws_scope["type"] == "websocket" and ws_scope["scheme"] == "https"


async def test_wsgi():
    # Cloudflare's workers.wsgi: PEP 3333 environ with the env under "workers.env", the
    # response streamed from the app's iterable.
    from workers import wsgi

    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("202 Accepted", [("Content-Type", "text/plain"), ("X-Path", environ["PATH_INFO"])])
        yield b"got:"
        yield body
        yield f":{environ['QUERY_STRING']}:{environ['HTTP_X_ONE']}:{environ['workers.env']}".encode()

    req = Request(js_request("https://example.com/w%C3%A9/x?q=1", "POST", {"X-One": "1"}, "payload"))
    resp = await wsgi.fetch(app, req, "ENV")
    assert resp.status == 202 and resp.statusText == "Accepted"
    assert resp.headers.get("x-path") == "/wé/x".encode("utf-8").decode("latin-1")  # PEP 3333
    assert await resp.text() == "got:payload:q=1:1:ENV"
    environ = wsgi.build_environ(Request(js_request("http://h/")), None, b"")
    assert environ["SERVER_PORT"] == "80" and environ["wsgi.url_scheme"] == "http"


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

async def test_fast_paths_answer_as_the_general_ones():
    # Kiln asks JS for a constructor's name in one call, skips the conversion walk for str,
    # int, float and bool, and makes Response(str | bytes | None) without asking JS about the
    # body: each must answer exactly as the general path does.
    from http import HTTPStatus

    from workers.utils import _NO_CONSTRUCTOR, _get_js_constructor_name

    def slow(obj):
        constructor = getattr(obj, "constructor", _NO_CONSTRUCTOR)
        return None if constructor is _NO_CONSTRUCTOR else constructor.name

    odd = js_json('{"constructor": 1}')  # not a function: the general path's AttributeError
    for value in (js_request(), js.Object.new(), js.Object.create(jsnull), fake_binding(),
                  js.Response, js.Uint8Array.of(1), js.Promise, odd):
        try:
            expected = ("ok", slow(value))
        except AttributeError:
            expected = ("AttributeError", None)
        try:
            got = ("ok", _get_js_constructor_name(value))
        except AttributeError:
            got = ("AttributeError", None)
        assert got == expected, (got, expected)
    from workers.utils import _is_js_proxy
    for value in (js_request(), js.Object.new(), js.Response, js.Promise, odd, fake_binding(),
                  "s", 1, None, {}, [], b"x", Response("x"), create_proxy(lambda: 1)):
        assert _is_js_proxy(value) == isinstance(value, JsProxy), value
    for value in ("text", 3, 2**60, 1.5, True):
        converted = python_to_rpc(value)
        assert type(converted) is type(value) and converted == value, converted
    assert python_to_rpc(HTTPStatus.OK) == 200  # an int subclass takes the general path
    for body in ("x", b"x", None):
        r = Response(body, status=201, headers={"x-a": "1"})
        assert r.url == "" and r.js_object.url == "" and r.status == 201, r
        assert r.headers.get("x-a") == "1"
    assert Response.json({"a": 1}).url == ""
    # Response(str | None) without options is made in one call into JS: as js.Response.new.
    from workers.response import _js_text_response
    assert _js_text_response is not None  # Kiln's helper has it: the fast path is what runs
    for body, kwargs in (("x", {}), ("", {}), (None, {}), ("y", {"status": 0}), ("z", {"status_text": ""})):
        fast, general = Response(body, **kwargs), Response(js.Response.new(body))
        for name in ("status", "statusText", "url", "type", "redirected", "ok", "bodyUsed"):
            assert getattr(fast.js_object, name) == getattr(general.js_object, name), (body, name)
        pairs = [[list(pair) for pair in r.js_object.headers] for r in (fast, general)]
        assert pairs[0] == pairs[1], (body, pairs)
        assert (fast.body is None) == (general.body is None), body
        assert await fast.text() == await general.text(), body
        assert type(fast) is Response and fast.url == "", fast
    for status, expected in ((None, 200), (0, 200), (201, 201), (HTTPStatus.CREATED, 201)):
        r = Response.json({"a": [1, None]}, status=status)
        assert r.status == expected and r.headers.get("content-type") == "application/json", r
        assert await r.json() == {"a": [1, None]}
    try:
        Response.json({}, status=99)
    except Exception as exc:  # JS's RangeError, as the general path lets it through
        assert "RangeError" in str(exc) or "status" in str(exc), exc
    else:
        raise AssertionError("status 99 must be refused")
    bound = workers.Request(js_request("https://example.com/z"))
    assert bound.url == "https://example.com/z" and bound.js_object.constructor.name == "Request"


async def test_rpc_conversions():
    value = python_to_rpc({"a": None, "b": [1, "x"], "c": {"d": True}})
    assert js.JSON.stringify(value) == '{"a":null,"b":[1,"x"],"c":{"d":true}}'
    assert python_to_rpc(None) is jsnull
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


async def test_websocket_global_and_header_booleans():
    # js.WebSocket exists as on Cloudflare; Kiln cannot connect one and says so. Header values
    # True/False reach JS as booleans and read back "true"/"false", as workerd gives them.
    assert js.WebSocket.OPEN == 1
    try:
        js.WebSocket.new("wss://example.com/")
    except JsException as exc:
        assert "Kiln does not open client WebSockets" in str(exc), str(exc)
    else:
        raise AssertionError("new WebSocket() must fail with a clear error in Kiln")
    r = Response("x", headers={"x-yes": True, "x-no": False})
    assert r.headers["x-yes"] == "true" and r.headers["x-no"] == "false", dict(r.headers)


async def test_run_sync_says_jspi_is_missing():
    # Kiln's V8 has no JSPI: run_sync is a clear Python error, not a crash (Cloudflare runs it).
    from pyodide.ffi import can_run_sync, run_sync
    assert can_run_sync() is False
    try:
        run_sync(js.Promise.resolve(1))
    except RuntimeError as exc:
        assert "stack switching" in str(exc), str(exc)
    else:
        raise AssertionError("run_sync must raise RuntimeError without JSPI")


async def test_import_from_javascript():
    # Cloudflare: cloudflare:workers and cloudflare:sockets import anywhere; workers.env and
    # wait_until read cloudflare:workers; patch_env overlays env for a block.
    sockets = workers.import_from_javascript("cloudflare:sockets")
    assert callable(sockets.connect)
    try:
        sockets.connect("example.com:25")
    except Exception as exc:  # noqa: BLE001 - JsException: Kiln has no TCP sockets
        assert "cloudflare:sockets" in str(exc), str(exc)
    else:
        raise AssertionError("connect() must fail with a clear error in Kiln")
    try:
        workers.import_from_javascript("cloudflare:email")
    except ImportError as exc:
        assert "cloudflare:email" in str(exc), str(exc)
    else:
        raise AssertionError("other JS modules must raise ImportError")
    module = workers.import_from_javascript("cloudflare:workers")
    assert isinstance(workers.env, workers._EnvWrapper)
    real = workers.env.GREETING_FOR_TESTS
    with workers.patch_env(GREETING_FOR_TESTS="patched", EXTRA=1):
        assert workers.env.GREETING_FOR_TESTS == "patched" and module.env.EXTRA == 1
    assert workers.env.GREETING_FOR_TESTS == real
    done = []

    async def work():
        done.append("bg")

    workers.wait_until(work())  # the module-level waitUntil of cloudflare:workers
    await asyncio.sleep(0.01)
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
            await first()  # called again: step.do runs again (the engine replays by count)
            try:
                await third()
            except NonRetryableError:
                return {"total": total, "stopped": True}
            return {"total": total, "stopped": False}

    flow = Flow(js_obj(), js_obj())
    result = await flow.run(js_json('{"n": 41}'), fake_step)
    result = python_from_rpc(result)
    assert result == {"total": 42, "stopped": True}, result
    # Dependencies reuse a result; each explicit call is a step.do of its own, as on Cloudflare.
    assert calls.count("first") == 2 and "second-step" in calls, calls


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


async def _call_soon_order(call_soon):
    """The order callbacks ran in, with `call_soon` as WebLoop's: Python callbacks (one
    cancelled, one queued from inside another) and a Task's steps among JS microtasks and JS
    timers."""
    from pyodide.ffi import create_once_callable
    from pyodide.webloop import WebLoop

    saved = WebLoop.call_soon
    WebLoop.call_soon = call_soon
    try:
        loop = asyncio.get_event_loop()
        order = []
        done = loop.create_future()

        def a():
            order.append("a")
            loop.call_soon(order.append, "e")
            js.queueMicrotask(create_once_callable(lambda: order.append("microtask in a")))

        loop.call_soon(a)
        js.queueMicrotask(create_once_callable(lambda: order.append("microtask")))
        loop.call_soon(order.append, "b")

        async def stepper():  # a Task's steps: Kiln queues those without a Handle
            order.append("t1")
            await asyncio.sleep(0)
            order.append("t2")

        loop.create_task(stepper())
        loop.call_soon(order.append, "cancelled").cancel()
        js.setTimeout(create_once_callable(lambda: order.append("js timer")), 0)
        loop.call_soon(order.append, "d")
        js.setTimeout(create_once_callable(lambda: done.set_result(None)), 5)
        await done
        return order
    finally:
        WebLoop.call_soon = saved


async def test_call_soon_orders_callbacks_as_pyodide_does():
    """Kiln's call_soon (_kiln_eventloop) runs each callback as its own macrotask, FIFO with
    JS's zero-delay timers and after the microtasks queued before it, as Pyodide's own does;
    a cancelled one is skipped without shifting the rest."""
    import _kiln_eventloop
    from pyodide.webloop import WebLoop

    assert WebLoop.call_soon is _kiln_eventloop._call_soon
    pyodide_order = await _call_soon_order(_kiln_eventloop.pyodide_call_soon)
    kiln_order = await _call_soon_order(_kiln_eventloop._call_soon)
    assert kiln_order == pyodide_order, (kiln_order, pyodide_order)
    assert kiln_order == ["microtask", "a", "microtask in a", "b", "t1", "js timer", "d", "e", "t2"], kiln_order


async def test_call_soon_without_the_hosts_scheduler_is_pyodides():
    """In a host whose entrypoint helper has no scheduleReady, call_soon is Pyodide's own."""
    import _kiln_eventloop

    saved = _kiln_eventloop._schedule
    _kiln_eventloop._schedule = False
    try:
        ran = []
        queued = len(_kiln_eventloop._ready)
        asyncio.get_event_loop().call_soon(ran.append, "pyodide's")
        assert len(_kiln_eventloop._ready) == queued
        await asyncio.sleep(0.001)
        assert ran == ["pyodide's"], ran
    finally:
        _kiln_eventloop._schedule = saved


async def test_call_soon_passes_over_callbacks_a_snapshot_left():
    """A callback queued when a snapshot was taken has no timer after the restore; the next
    macrotask must run its own callback, not that one."""
    import _kiln_eventloop

    loop = asyncio.get_event_loop()
    ran = []
    stale = asyncio.Handle(ran.append, ("stale",), loop)
    _kiln_eventloop._ready.appendleft((0, loop, stale, _kiln_eventloop._HANDLE))  # numbers start at 1
    await asyncio.sleep(0)
    loop.call_soon(ran.append, "fresh")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert ran == ["fresh"], ran
    assert all(number > 0 for number, _, _, _ in _kiln_eventloop._ready)


async def test_task_step_errors_reported_as_a_handles():
    """Kiln runs a Task's step without an asyncio.Handle; should the step itself raise, the
    loop's exception handler hears what Handle._run would have told it."""
    import contextvars
    import _kiln_eventloop

    loop = asyncio.get_event_loop()
    heard = []
    saved = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: heard.append(context))
    try:
        def step():
            raise RuntimeError("inside the step")
        context = contextvars.copy_context()
        asyncio.Handle(step, (), loop, context=context)._run()
        _kiln_eventloop._run_step(loop, step, context)
    finally:
        loop.set_exception_handler(saved)
    assert len(heard) == 2, heard
    handle_said, step_said = heard
    assert step_said["message"] == handle_said["message"] and "step" in step_said["message"]
    assert str(step_said["exception"]) == "inside the step"
    assert isinstance(step_said["handle"], asyncio.Handle) and step_said["handle"]._callback is step


async def test_default_class_is_prepared_as_the_main_module_loads():
    """load_main checks the Default class and sizes its fetch's arguments before any request,
    so that a dedicated snapshot holds both; a Default it cannot size is left for the request."""
    module = types.ModuleType("prepared_main")

    class Default(WorkerEntrypoint):
        async def fetch(self, request, extra=None):
            return Response("x")

    module.Default = Default
    saved = list(_kiln_host._last_default)
    try:
        _kiln_host._prepare_default(module)
        assert _kiln_host._last_default[0] is Default, _kiln_host._last_default
        assert _kiln_host._capacities.get(Default.fetch) == 3
        module.Default = type("Default", (WorkerEntrypoint,), {"fetch": staticmethod(len)})
        _kiln_host._prepare_default(module)  # a builtin: not sized, no error
        assert _kiln_host._last_default[0] is module.Default
    finally:
        _kiln_host._last_default[:] = saved


async def test_awaited_promise_queues_only_the_wake_up():
    """Settling the future of an awaited JS promise queues one macrotask, the awaiting Task's
    wake-up: the loop's count-down that every create_future() future carries runs at once (it
    is bookkeeping only). A Task's count-down keeps its macrotask (it may report an unhandled
    exception); either way the count comes back to where it was."""
    import _kiln_eventloop

    loop = asyncio.get_event_loop()
    before = loop._in_progress
    queued = _kiln_eventloop._queued
    assert await js.Promise.resolve(7) == 7
    assert _kiln_eventloop._queued - queued == 1, _kiln_eventloop._queued - queued
    assert loop._in_progress == before, (loop._in_progress, before)
    queued = _kiln_eventloop._queued
    await loop.create_task(asyncio.sleep(0))
    assert _kiln_eventloop._queued - queued >= 3, _kiln_eventloop._queued - queued  # step, sleep, count-down
    assert loop._in_progress == before, (loop._in_progress, before)


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
