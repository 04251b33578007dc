"""WSGI server for Python Workers, as Cloudflare's `workers.wsgi`:

    from workers import WorkerEntrypoint
    from workers.wsgi import fetch as wsgi_fetch

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return await wsgi_fetch(app, request, self.env)   # a Flask app, say

`build_environ` makes PEP 3333's environ (the worker's env under "workers.env") and
`process_request` runs the app and returns a JS Response whose body is pulled from the
app's iterable as the client reads it.

One difference, for want of JSPI in Kiln's V8: Cloudflare feeds `wsgi.input` from the
request stream as the app reads it (run_sync); Kiln reads the body first, then hands the
app a BytesIO of it. The app sees the same bytes either way.
"""

import io
import logging
import sys
from urllib.parse import unquote, urlsplit

import js
from pyodide.ffi import create_proxy, to_js

from .request import Request

logger = logging.getLogger("wsgi")
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})
_END = object()


def _native(text):
    # PEP 3333's "native strings": the UTF-8 bytes, one character per byte.
    return text.encode("utf-8").decode("latin-1")


async def _read_body(req):
    if not req.body:
        return b""
    return b"".join([chunk.to_bytes() async for chunk in req.body])


def build_environ(req, env, body):
    """The WSGI environ of a workers (or JS) Request, with `body` (bytes or a file)."""
    if isinstance(body, (bytes, bytearray)):
        stream, length = io.BytesIO(body), len(body)
    else:
        stream, length = body, None
    pairs = req.headers.items() if isinstance(req, Request) else req.headers
    url = urlsplit(req.url)
    if not url.scheme:
        raise ValueError(f"Request URL is not absolute: {req.url!r}")
    method = req.method
    method = str(method.value) if hasattr(method, "value") else str(method)
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _native(unquote(url.path or "/")),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname,
        "SERVER_PORT": str(url.port) if url.port else ("443" if url.scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "workers.env": env,
    }
    for name, value in pairs:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        elif "HTTP_" + key in environ:
            environ["HTTP_" + key] += "," + value
        else:
            environ["HTTP_" + key] = value
    if "CONTENT_LENGTH" not in environ and length:
        environ["CONTENT_LENGTH"] = str(length)
    return environ


def _streaming_response(status, headers, chunks, on_close):
    code_text, _, reason = status.partition(" ")
    code = int(code_text)
    js_headers = js.Headers.new()
    for name, value in headers:
        js_headers.append(name, value)
    options = {"status": code, "headers": js_headers}
    if reason:
        options["statusText"] = reason
    if code in NULL_BODY_STATUSES:
        on_close()
        return js.Response.new(None, **options)
    state = {"closed": False, "proxies": []}

    def finish():
        if state["closed"]:
            return
        state["closed"] = True
        try:
            on_close()
        finally:
            for proxy in state["proxies"]:
                proxy.destroy()

    def pull(controller):
        try:
            chunk = next(chunks, _END)
        except Exception as exc:  # noqa: BLE001 - the app's error ends the body
            logger.exception("Exception while streaming WSGI response body")
            finish()
            controller.error(str(exc))
            return
        if chunk is _END:
            controller.close()
            finish()
        else:
            controller.enqueue(to_js(chunk))  # a copy JS owns: the stream keeps it queued

    def cancel(_reason=None):
        finish()

    pull_proxy, cancel_proxy = create_proxy(pull), create_proxy(cancel)
    state["proxies"] = [pull_proxy, cancel_proxy]
    return js.Response.new(js.ReadableStream.new(pull=pull_proxy, cancel=cancel_proxy), **options)


def process_request(app, req, env, body):
    """Run a WSGI app for one request; returns a JS Response."""
    environ = build_environ(req, env, body)
    started = {"status": None, "headers": None}
    written = []

    def write(chunk):
        if started["status"] is None:
            raise AssertionError("write() called before start_response()")
        if chunk:
            written.append(chunk)

    def start_response(status, response_headers, exc_info=None):
        if exc_info is not None:
            try:
                if started["status"] is not None:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif started["status"] is not None:
            raise AssertionError("start_response() called more than once")
        started["status"], started["headers"] = status, response_headers
        return write

    result = app(environ, start_response)
    iterator = iter(result)

    def close_all():
        close = getattr(result, "close", None)
        if close is not None:
            close()
        try:
            environ["wsgi.input"].close()
        except Exception:  # noqa: BLE001 - closing is best effort
            logger.exception("Failed to close wsgi.input")

    # start_response may come with the first non-empty chunk: pull it before the Response.
    first = _END
    try:
        for chunk in iterator:
            if chunk:
                first = chunk
                break
    except Exception:
        close_all()
        raise
    if started["status"] is None:
        close_all()
        raise RuntimeError("The WSGI application did not call start_response()")

    def chunks():
        yield from written
        if first is not _END:
            yield first
        for chunk in iterator:
            if chunk:
                yield chunk

    return _streaming_response(started["status"], started["headers"], chunks(), close_all)


async def fetch(app, req, env, ctx=None):
    """`await fetch(app, request, env)`: serve one request with a WSGI app."""
    logger.debug("WSGI request: %s %s", req.method, req.url)
    body = await _read_body(req)
    try:
        return process_request(app, req, env, body)
    except Exception:
        logger.exception("WSGI request failed")
        raise
