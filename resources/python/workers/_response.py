"""Response, as in Cloudflare's `workers` package, over a JS Response."""

import json as _json
from http import HTTPStatus

import js
from pyodide.ffi import JsException, JsProxy, to_js

from ._blob import Blob, FormData
from ._convert import BindingProxy, is_js_instance, is_null
from ._body import Body, to_python_exception  # noqa: F401 - re-exported
from ._headers import to_js_headers


def to_js_body(body):
    """What JS `new Response(body)` / `new Request(url, {body})` accepts."""
    if body is None or isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return to_js(bytes(body))
    if isinstance(body, (FormData, Blob)):
        return body.js_object
    if isinstance(body, BindingProxy):
        return body.js_object
    if isinstance(body, JsProxy):
        if is_js_instance(body, "Response", "Request"):
            return body.body
        return body  # ReadableStream, Blob, FormData, ArrayBuffer, URLSearchParams, ...
    if isinstance(body, (Response,)):
        return body.js_object.body
    raise TypeError(
        f"Unsupported type in Response: {type(body).__name__} (use str, bytes, FormData, "
        "Blob, a JS ReadableStream, or Response.json(...) for data)")


def make_init(**entries):
    """A plain JS object for Response/Request init dictionaries."""
    init = {k: v for k, v in entries.items() if v is not None}
    return to_js(init, dict_converter=js.Object.fromEntries)


def _status_code(status):
    if isinstance(status, HTTPStatus):
        return status.value
    if status is None:
        return None
    if isinstance(status, bool) or not isinstance(status, int):
        raise TypeError(f"status must be an int, not {type(status).__name__}")
    return status


class _JsonAccessor:
    """`Response.json(data, ...)` builds a JSON response; `await resp.json()` parses one."""

    def __get__(self, instance, owner):
        if instance is None:
            return owner.from_json
        return instance._parse_json


class Response(Body):
    """`Response(body=None, status=200, status_text="", headers=None, web_socket=None)`.

    body: str, bytes-like, None, FormData, Blob/File, or a JS ReadableStream / Blob /
    FormData / ArrayBuffer / URLSearchParams; a JS Response wraps it as it is.
    headers: dict, list of (name, value) pairs, Headers or a JS Headers."""

    def __init__(self, body=None, status=None, status_text="", headers=None, web_socket=None):
        if isinstance(body, JsProxy) and is_js_instance(body, "Response"):
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            self._js = body
            return
        js_body = to_js_body(body)
        init = make_init(
            status=_status_code(status),
            statusText=status_text or None,
            headers=to_js_headers(headers) if headers is not None else None,
            webSocket=web_socket,
        )
        try:
            self._js = js.Response.new(js_body, init)
        except JsException as exc:
            raise to_python_exception(exc) from exc

    @classmethod
    def _wrap(cls, js_response):
        self = object.__new__(cls)
        self._js = js_response
        return self

    # -- constructors ----------------------------------------------------------------
    @staticmethod
    def from_json(data, status=None, status_text="", headers=None):
        """A response whose body is `json.dumps(data)`, content-type application/json."""
        js_headers = to_js_headers(headers) if headers is not None else js.Headers.new()
        if not js_headers.has("content-type"):
            js_headers.set("content-type", "application/json")
        if isinstance(data, JsProxy):
            text = js.JSON.stringify(data)
        else:
            text = _json.dumps(data)
        return Response(text, status=status, status_text=status_text, headers=js_headers)

    json = _JsonAccessor()

    @staticmethod
    def redirect(url, status=HTTPStatus.FOUND):
        try:
            return Response._wrap(js.Response.redirect(str(url), _status_code(status)))
        except JsException as exc:
            raise to_python_exception(exc) from exc

    @staticmethod
    def error():
        return Response._wrap(js.Response.error())

    # -- properties ------------------------------------------------------------------
    @property
    def js_object(self):
        return self._js

    js_response = js_object

    @property
    def status(self):
        return int(self._js.status)

    @property
    def status_text(self):
        return self._js.statusText

    @property
    def ok(self):
        return bool(self._js.ok)

    @property
    def redirected(self):
        return bool(self._js.redirected)

    @property
    def type(self):
        return self._js.type

    @property
    def web_socket(self):
        ws = getattr(self._js, "webSocket", None)
        return None if is_null(ws) else ws

    # -- body readers beyond the shared ones -------------------------------------------
    string = Body.text


    async def _parse_json(self, **kwargs):
        return _json.loads(await self.text(), **kwargs)

    async def memoryview(self):
        return memoryview(await self.bytes())

    def clone(self):
        self._check_unused()
        return Response._wrap(self._js.clone())

    def replace_body(self, body):
        """A new Response with this one's status and headers and another body."""
        return Response._wrap(js.Response.new(to_js_body(body), self._js))

    def raise_for_status(self):
        if 400 <= self.status < 600:
            from pyodide.http import HttpStatusError
            raise HttpStatusError(self.status, self.status_text, self.url)

    def __repr__(self):
        parts = [f"status={self.status}"]
        if self.status_text:
            parts.append(f"status_text={self.status_text!r}")
        content_type = self.headers.get("content-type")
        if content_type:
            parts.append(f"content_type={content_type!r}")
        if self.url:
            parts.append(f"url={self.url!r}")
        return f"Response({', '.join(parts)})"


FetchResponse = Response
