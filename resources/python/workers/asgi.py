"""ASGI server for Python Workers: `await asgi.fetch(app, request, env, ctx=None)`.

Runs any ASGI 3 application (FastAPI, Starlette, ...) for one request and returns a JS
Response, as Cloudflare's `asgi` module does (the documented use is `import asgi`, which
Kiln also provides; `workers.asgi` is the same module). The app reaches env through
`request.scope["env"]`.

- The request body streams through `receive()` chunk by chunk (`http.request`,
  `more_body`), then `http.disconnect` once the response is complete.
- A response whose first body message has `more_body=True` streams: the Response is
  returned at once and later chunks flow into its ReadableStream while the app runs.
- Lifespan: startup runs once per app (per isolate) if the app supports it; its state
  is shallow-copied into each request's `scope["state"]`.
"""

import asyncio
import logging
from urllib.parse import unquote

import js
from pyodide.ffi import create_proxy, to_js

from ._convert import is_null
from ._entrypoints import Context
from ._tasks import future_to_promise, keep_alive

ASGI = {"version": "3.0", "spec_version": "2.3"}
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
logger = logging.getLogger("asgi")


def _js_request(req):
    js_obj = getattr(req, "js_object", None)
    return req if js_obj is None else js_obj


def _header_bytes(text):
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def request_to_scope(req, env, ws=False, state=None):
    """The ASGI connection scope for a JS (or workers) Request."""
    js_req = _js_request(req)
    url = js.URL.new(js_req.url)
    scheme = url.protocol[:-1]
    headers = [(_header_bytes(e[0].lower()), _header_bytes(e[1])) for e in js_req.headers.entries()]
    port = int(url.port) if url.port else _DEFAULT_PORTS.get(scheme)
    client_ip = js_req.headers.get("cf-connecting-ip")
    scope = {
        "type": "websocket" if ws else "http",
        "asgi": dict(ASGI),
        "http_version": "1.1",
        "method": str(js_req.method).upper(),
        "scheme": ("wss" if scheme == "https" else "ws") if ws else scheme,
        "path": unquote(url.pathname),
        "raw_path": url.pathname.encode("ascii", "replace"),
        "query_string": url.search[1:].encode("latin-1", "replace"),
        "root_path": "",
        "headers": headers,
        "server": (url.hostname, port),
        "client": None if is_null(client_ip) else (client_ip, 0),
        "env": env,
    }
    if state is not None:
        scope["state"] = dict(state)
    return scope


# --- lifespan ------------------------------------------------------------------------------

_lifespans = {}  # id(app) -> (app, future of state dict or None when unsupported)


async def _startup(app):
    entry = _lifespans.get(id(app))
    if entry is not None and entry[0] is app:
        return await asyncio.shield(entry[1])
    result = asyncio.get_running_loop().create_future()
    _lifespans[id(app)] = (app, result)
    state = {}
    queue = asyncio.Queue()
    queue.put_nowait({"type": "lifespan.startup"})

    async def receive():
        return await queue.get()  # shutdown never comes: the isolate outlives requests

    async def send(message):
        kind = message["type"]
        if kind == "lifespan.startup.complete" and not result.done():
            result.set_result(state)
        elif kind == "lifespan.startup.failed" and not result.done():
            result.set_exception(RuntimeError(message.get("message") or "ASGI lifespan startup failed"))

    async def run():
        try:
            await app({"type": "lifespan", "asgi": dict(ASGI), "state": state}, receive, send)
        except Exception:  # noqa: BLE001 - per spec: raising means lifespan is unsupported
            if not result.done():
                logger.debug("ASGI app has no lifespan support", exc_info=True)
        if not result.done():
            result.set_result(None)

    keep_alive(asyncio.ensure_future(run()))
    try:
        return await asyncio.shield(result)
    except Exception:
        _lifespans.pop(id(app), None)  # try again on the next request
        raise


# --- request -------------------------------------------------------------------------------

class _BodyStream:
    """A JS ReadableStream fed from Python (pull-based, so the consumer sets the pace)."""

    def __init__(self):
        self.queue = asyncio.Queue()
        self.cancelled = False
        self.closed = False
        self._proxies = [create_proxy(self._pull), create_proxy(self._cancel)]
        source = to_js({"pull": self._proxies[0], "cancel": self._proxies[1]},
                       dict_converter=js.Object.fromEntries)
        self.readable = js.ReadableStream.new(source)

    def _pull(self, controller):
        return future_to_promise(self._next(controller))

    async def _next(self, controller):
        chunk = await self.queue.get()
        if chunk is None:
            controller.close()
            self._release()
        elif isinstance(chunk, BaseException):
            controller.error(js.Error.new(f"ASGI application failed: {chunk!r}"))
            self._release()
        elif chunk:
            controller.enqueue(to_js(chunk))

    def _cancel(self, reason=None):
        self.cancelled = True
        self._release()

    def _release(self):
        proxies, self._proxies = self._proxies, []
        if proxies:
            # not from inside the JS call that is running one of them
            asyncio.get_event_loop().call_soon(lambda: [p.destroy() for p in proxies])

    async def write(self, chunk):
        if not (self.cancelled or self.closed):
            self.queue.put_nowait(bytes(chunk))

    async def close(self, error=None):
        if not (self.cancelled or self.closed):
            self.closed = True
            self.queue.put_nowait(error)


def _response_headers(pairs):
    headers = js.Headers.new()
    for name, value in pairs:
        headers.append(bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
    return headers


async def process_request(app, req, env, ctx=None, state=None):
    js_req = _js_request(req)
    response = asyncio.get_running_loop().create_future()
    finished = asyncio.Event()
    reader = None if is_null(js_req.body) else js_req.body.getReader()
    body_done = False
    start = {}
    stream = None

    async def receive():
        nonlocal body_done
        if not body_done:
            chunk = None if reader is None else await reader.read()
            if chunk is None or chunk.done:
                body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk.value.to_bytes(), "more_body": True}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal stream
        kind = message["type"]
        if kind == "http.response.start":
            if start:
                raise RuntimeError("http.response.start sent twice")
            start["status"] = int(message["status"])
            start["headers"] = list(message.get("headers", []))
            return
        if kind != "http.response.body":
            return  # e.g. http.response.trailers: not supported by Workers either
        if not start:
            raise RuntimeError("http.response.body sent before http.response.start")
        body = bytes(message.get("body", b""))
        more = bool(message.get("more_body", False))
        if stream is not None:
            if body:
                await stream.write(body)
            if not more:
                await stream.close()
                finished.set()
            return
        if response.done():
            raise RuntimeError("http.response.body sent after the response was complete")
        init = to_js({"status": start["status"], "headers": _response_headers(start["headers"])},
                     dict_converter=js.Object.fromEntries)
        if start["status"] in NULL_BODY_STATUSES:
            response.set_result(js.Response.new(None, init))
            if not more:
                finished.set()
        elif more:
            stream = _BodyStream()
            response.set_result(js.Response.new(stream.readable, init))
            if body:
                await stream.write(body)
        else:
            response.set_result(js.Response.new(to_js(body), init))
            finished.set()

    async def run_app():
        try:
            await app(request_to_scope(js_req, env, state=state), receive, send)
            if not response.done():
                raise RuntimeError("The ASGI application returned without sending a response")
        except Exception as exc:
            if not response.done():
                response.set_exception(exc)
            else:
                logger.exception("ASGI application failed after the response started")
                if stream is not None:
                    await stream.close(exc)
        finally:
            finished.set()
            if stream is not None:
                await stream.close()  # no-op when the app already ended the body
            if reader is not None and not body_done:
                reader.cancel()

    task = keep_alive(asyncio.ensure_future(run_app()))
    result = await response
    if not task.done() and ctx is not None:
        Context(ctx).waitUntil(task)  # streaming: the request lives until the app ends
    return result


async def fetch(app, req, env, ctx=None):
    """Serve one request with an ASGI app; returns a JS Response."""
    state = await _startup(app)
    return await process_request(app, req, env, ctx, state)


def __getattr__(name):
    if name == "env":  # FastAPI dependency: `env = Depends(asgi.env)` style helper
        from fastapi import Depends, Request

        @Depends
        async def env(request: Request):
            return request.scope["env"]

        return env
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
