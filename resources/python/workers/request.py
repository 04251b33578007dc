"""Request, as Cloudflare's `workers` package has it, over a JS Request."""

import json
from http import HTTPMethod

import js
from pyodide.ffi import JsException

from . import _json
from .blob import Blob
from .formdata import FormData
from .utils import (
    _after_one_turn,
    _call_rpc,
    _is_js_instance,
    _js_headers_to_http_message,
    _jsnull_to_none,
    _to_js_headers,
    _to_python_exception,
)


def _strip_tag(text):
    return text[1:]


class Request:
    """`Request(input, **options)`: input is a URL, a Request or a JS Request; options are
    RequestInit's (method, headers, body, redirect, cf, ...). A JS Request takes no options
    (ValueError)."""

    def __init__(self, input, **other_options):  # noqa: A002 - the documented name
        if _is_js_instance(input, "Request"):
            if other_options:
                raise ValueError("Expected no options when constructing Request from a js.Request")
            self._js_request = input
            return
        if isinstance(other_options.get("method"), HTTPMethod):
            other_options["method"] = other_options["method"].value
        if "headers" in other_options:
            other_options["headers"] = _to_js_headers(other_options["headers"])
        source = input._js_request if isinstance(input, Request) else input
        self._js_request = js.Request.new(source, **other_options)

    @classmethod
    def _of_js(cls, js_request):
        """Request(js_request) for a value known to be a JS Request (not asked of JS again)."""
        self = cls.__new__(cls)
        self._js_request = js_request
        return self

    def __repr__(self):
        return f"Request(method={self._js_request.method!r}, url={self._js_request.url!r})"

    @property
    def js_object(self):
        return self._js_request

    @property
    def body(self):
        return self.js_object.body

    @property
    def body_used(self):
        return self.js_object.bodyUsed

    @property
    def cf(self):
        """The incoming request's `cf` properties (a JS object), or None."""
        return _jsnull_to_none(self.js_object.cf)

    @property
    def cache(self):
        return self.js_object.cache

    @property
    def credentials(self):
        return self.js_object.credentials

    @property
    def destination(self):
        return self.js_object.destination

    @property
    def headers(self):
        """A copy, as an http.client.HTTPMessage: changing it changes no request."""
        return _js_headers_to_http_message(self.js_object.headers)

    @property
    def integrity(self):
        return self.js_object.integrity

    @property
    def is_history_navigation(self):
        return self.js_object.isHistoryNavigation

    @property
    def keepalive(self):
        return self.js_object.keepalive

    @property
    def method(self):
        # HTTPMethod[...]: a method outside the standard set is a KeyError, as on Cloudflare.
        return HTTPMethod[self._js_request.method]

    @property
    def mode(self):
        return self.js_object.mode

    @property
    def redirect(self):
        return self.js_object.redirect

    @property
    def referrer(self):
        return self.js_object.referrer

    @property
    def referrer_policy(self):
        return self.js_object.referrerPolicy

    @property
    def url(self):
        return self._js_request.url  # what js_object gives, without its call (read on most requests)

    def _raise_if_failed(self):
        if self.body_used:
            raise OSError("Body already used")

    async def buffer(self):
        self._raise_if_failed()
        return await self.js_object.arrayBuffer()

    async def form_data(self):
        self._raise_if_failed()
        try:
            return FormData(await self.js_object.formData())
        except JsException as exc:
            raise _to_python_exception(exc) from exc

    async def blob(self):
        self._raise_if_failed()
        return Blob(await self.js_object.blob())

    async def bytes(self):
        self._raise_if_failed()
        return (await self.buffer()).to_bytes()

    def clone(self):
        if self.body_used:
            raise OSError("Body already used")
        return Request(self.js_object.clone())

    async def json(self, **kwargs):
        text = await self.text()  # raises if the body was used
        return json.loads(text, **kwargs) if kwargs else _json.loads(text)

    async def text(self):
        self._raise_if_failed()
        if _call_rpc is not None:
            result = _call_rpc(self._js_request, "text")
            if type(result) is str:  # "s" + the text of a body in memory, read in that trip
                return await _after_one_turn(_strip_tag, result)
            return await result
        return await self.js_object.text()
