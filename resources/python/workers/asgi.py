"""ASGI server for Python Workers, as Cloudflare's `asgi` module (`workers.asgi`):
`await asgi.fetch(app, request, env)` serves one HTTP request with an ASGI 3 app (FastAPI,
Starlette, ...) and `await asgi.websocket(app, request, env)` accepts a WebSocket.

As on Cloudflare: each request runs the app's lifespan (startup before, shutdown after; an
app without lifespan support is served anyway) and gets a shallow copy of its state; the
request body is read whole before the app runs and handed to `receive()` chunk by chunk;
a response whose first body message says `more_body` streams; the scope carries ASGI spec
2.0 fields plus `env`, and a WebSocket's scheme is the URL's (https).
"""

import logging
from asyncio import Event, Future, Queue, create_task, ensure_future
from urllib.parse import unquote

import js
from pyodide.ffi import create_proxy

from .request import Request
from .utils import _lend_buffer, _to_js_headers

ASGI = {"spec_version": "2.0", "version": "3.0"}
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
logger = logging.getLogger("asgi")
background_tasks = set()


def run_in_background(coro):
    """Run `coro` detached (kept referenced until done; its exception is logged)."""
    future = ensure_future(coro)
    background_tasks.add(future)

    def done(f):
        background_tasks.discard(f)
        error = None if f.cancelled() else f.exception()
        if error is not None:
            logger.error("Unhandled exception in background task", exc_info=error)

    future.add_done_callback(done)


def request_to_scope(req, env, ws=False, state=None):
    """The ASGI connection scope of a workers (or JS) Request."""
    pairs = req.headers.items() if isinstance(req, Request) else req.headers
    url = js.URL.new(req.url)
    scope = {
        "asgi": ASGI,
        "headers": [(name.lower().encode(), value.encode()) for name, value in pairs],
        "http_version": "1.1",
        "method": req.method,
        "scheme": url.protocol[:-1],
        "path": unquote(url.pathname),  # percent-decoded; raw_path keeps the original
        "raw_path": url.pathname.encode(),
        "query_string": url.search[1:].encode(),
        "type": "websocket" if ws else "http",
        "env": env,
    }
    if state is not None:
        scope["state"] = dict(state)  # each request gets its own shallow copy
    return scope


async def start_application(app):
    """Run the app's lifespan startup; returns (shutdown coroutine function, state)."""
    inbox = Queue()
    state = {}
    await inbox.put({"type": "lifespan.startup"})
    started = Future()  # True: acknowledged; False: the app has no lifespan support
    stopped = Future()

    async def shutdown():
        if started.done() and not started.result():
            return
        await inbox.put({"type": "lifespan.shutdown"})
        await stopped

    async def nothing_to_shut_down():
        return

    async def receive():
        return await inbox.get()

    async def send(message):
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            if not started.done():
                started.set_result(True)
        elif kind == "lifespan.startup.failed":
            if not started.done():
                started.set_exception(RuntimeError(message.get("message", "ASGI lifespan startup failed")))
        elif kind == "lifespan.shutdown.complete":
            if not stopped.done():
                stopped.set_result(None)
        elif kind == "lifespan.shutdown.failed":
            if not stopped.done():
                stopped.set_exception(RuntimeError(message.get("message", "ASGI lifespan shutdown failed")))
        else:
            raise RuntimeError(f"Unexpected lifespan event {kind}")

    async def lifespan():
        try:
            await app({"asgi": ASGI, "state": state, "type": "lifespan"}, receive, send)
            if not started.done():
                started.set_result(False)  # returned without acknowledging: no lifespan
            elif not stopped.done():
                stopped.set_result(None)
        except Exception as error:
            if not started.done():
                started.set_result(False)  # raising before the ack also means "unsupported"
                return
            logger.exception("Exception in ASGI lifespan application", exc_info=error)
            if not stopped.done():
                stopped.set_result(None)

    run_in_background(lifespan())
    if not await started:
        return nothing_to_shut_down, state
    return shutdown, state


async def process_request(app, req, env, ctx=None, state=None):
    """Serve one HTTP request with `app`; returns a JS Response."""
    status = None
    headers = None
    result = Future()
    finished = Event()
    writer = None
    writer_closed = False

    inbox = Queue()
    if req.body:
        async for chunk in req.body:
            await inbox.put({"body": chunk.to_bytes(), "more_body": True, "type": "http.request"})
    await inbox.put({"body": b"", "more_body": False, "type": "http.request"})

    async def receive():
        if not inbox.empty():
            return await inbox.get()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status, headers, writer, writer_closed
        if message["type"] == "http.response.start":
            status = message["status"]
            # A list of pairs: a name may repeat (Set-Cookie).
            headers = [(k.decode(), v.decode()) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if writer is not None:
                with _lend_buffer(body) as data:
                    await writer.write(data.slice())
                if not more:
                    await writer.close()
                    writer_closed = True
                    finished.set()
            elif more:
                pipe = js.TransformStream.new()
                writer = pipe.writable.getWriter()
                result.set_result(js.Response.new(pipe.readable, headers=_to_js_headers(headers), status=status))
                with _lend_buffer(body) as data:
                    await writer.write(data.slice())
            elif status in NULL_BODY_STATUSES:
                result.set_result(js.Response.new(None, headers=_to_js_headers(headers), status=status))
                finished.set()
            else:
                with _lend_buffer(body) as data:  # the Response copies it
                    result.set_result(js.Response.new(data, headers=_to_js_headers(headers), status=status))
                finished.set()

    async def run_app():
        try:
            await app(request_to_scope(req, env, state=state), receive, send)
            if not result.done():
                raise RuntimeError("The application did not generate a response")  # noqa: TRY301
        except Exception as error:
            if not result.done():
                result.set_exception(error)
                if writer is not None:
                    await writer.close()
                finished.set()
            else:
                logger.exception("Exception in ASGI application after response started")
                finished.set()
                if writer is not None and not writer_closed:
                    run_in_background(_close_quietly(writer))

    task = create_proxy(create_task(run_app()))
    from workers import wait_until

    wait_until(task)
    try:
        return await result
    finally:
        task.destroy()


async def _close_quietly(writer):
    try:
        await writer.close()
    except Exception:  # noqa: BLE001 - the client went away
        logger.debug("Closing the response stream failed", exc_info=True)


async def process_websocket(app, req, env=None):
    """Accept a WebSocket and run `app` on it; returns the 101 JS Response."""
    from js import WebSocketPair

    client, server = WebSocketPair.new().object_values()
    server.accept()
    # Binary messages arrive as Blobs by default (websocket_standard_binary_type), which the
    # message callback cannot read synchronously.
    server.binaryType = "arraybuffer"
    inbox = Queue()
    inbox.put_nowait({"type": "websocket.connect"})

    def on_close(event):
        inbox.put_nowait({"type": "websocket.disconnect", "code": event.code, "reason": event.reason})

    def on_message(event):
        data = event.data
        if isinstance(data, str):
            inbox.put_nowait({"type": "websocket.receive", "text": data})
        else:
            inbox.put_nowait({"type": "websocket.receive", "bytes": data.to_bytes()})

    server.onclose = on_close
    server.onmessage = on_message

    async def send(message):
        kind = message["type"]
        if kind == "websocket.accept":
            return  # the pair is accepted before the 101 goes out
        if kind == "websocket.send":
            if message.get("bytes") is not None:
                with _lend_buffer(message["bytes"]) as data:
                    server.send(data)
            if message.get("text") is not None:
                server.send(message["text"])
        elif kind == "websocket.close":
            server.close(message.get("code", 1000), message.get("reason", ""))
        else:
            logger.warning(" == Not implemented %s", kind)

    async def receive():
        return await inbox.get()

    run_in_background(app(request_to_scope(req, env if env is not None else {}, ws=True), receive, send))
    return js.Response.new(None, status=101, webSocket=client)


async def fetch(app, req, env, ctx=None):
    """Serve one request with an ASGI app: lifespan startup, the request, shutdown."""
    logger.debug("ASGI request: %s %s", req.method, req.url)
    shutdown, state = await start_application(app)
    try:
        result = await process_request(app, req, env, ctx, state=state)
    except Exception:
        logger.exception("ASGI request failed")
        raise
    await shutdown()
    return result


async def websocket(app, req, env=None):
    return await process_websocket(app, req, env)


def __getattr__(name):
    # `asgi.env`: a FastAPI dependency giving the worker's env (from the request's scope).
    if name == "env":
        from fastapi import Depends, Request as FastAPIRequest

        @Depends
        async def env(request: FastAPIRequest):
            return request.scope["env"]

        return env
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
