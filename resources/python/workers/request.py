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
    _body_text,
    _call_rpc,
    _is_js_instance,
    _js_headers_to_http_message,
    _jsnull_to_none,
    _to_js_headers,
    _to_python_exception,
)


def _strip_tag(text):
    return text[1:]


class _AskedForWhenRead:
    """Request._js_request of an _of_incoming request made without it: asked of JS when first
    read, then held in the instance's dict, which a lookup finds first from then on (this
    descriptor has no __set__), as it does for every other Request."""

    def __get__(self, request, owner=None):
        if request is None:
            return self
        state = request.__dict__
        try:
            request_of, token = state["_incoming"]
        except KeyError:
            raise AttributeError(f"'{type(request).__name__}' object has no attribute "
                                 "'_js_request'", name="_js_request", obj=request) from None
        # A whole body whose text Python has read: the JS Request is made with its body used.
        used = state.get("_whole_body") is _BODY_READ
        js_request = state["_js_request"] = request_of(token, False, True) if used \
            else request_of(token)
        return js_request


# Request._whole_body once Python has read it.
_BODY_READ = object()


class Request:
    """`Request(input, **options)`: input is a URL, a Request or a JS Request; options are
    RequestInit's (method, headers, body, redirect, cf, ...). A JS Request takes no options
    (ValueError)."""

    _js_request = _AskedForWhenRead()

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

    # An incoming request's URL and method as worker.mjs gave them (_of_incoming); None else.
    _url = None
    _method = None
    # An incoming request's body (a JS Uint8Array) when it came whole and the JS Request is not
    # made yet, _BODY_READ once text() has read it; None else. While "_js_request" is not in
    # the instance's dict, this is the request's body; from then on the JS Request's.
    _whole_body = None

    @classmethod
    def _of_js(cls, js_request):
        """Request(js_request) for a value known to be a JS Request (not asked of JS again)."""
        self = cls.__new__(cls)
        self._js_request = js_request
        return self

    @classmethod
    def _of_incoming(cls, url, method, token, request_of, js_request=None, body=None):
        """The request fetch_starter's start was given the URL and method of, and its JS
        Request when JS had made it: otherwise `request_of(token)` is asked for it only when
        something needs more than those two (or `body`'s text: a body that came whole), so a
        handler that reads no more makes Pyodide no proxy for it. request_of answers only while
        the request is under way: its handler's end asks for it first when something still
        holds this request (_kiln_host._hand_over)."""
        self = cls.__new__(cls)
        self._url = url
        self._method = method
        if js_request is None:
            self._incoming = (request_of, token)
            if body is not None:
                self._whole_body = body
        else:
            self._js_request = js_request
        return self

    def __reduce_ex__(self, protocol):
        # copy and pickle see the JS Request, as for any other: a copy outlives the request.
        self._js_request  # noqa: B018 - asked for now, while JS still has it
        return super().__reduce_ex__(protocol)

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
        body = self._whole_body
        if body is not None and "_js_request" not in self.__dict__:
            return body is _BODY_READ
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
        incoming = self.__dict__.get("_incoming")
        if incoming is not None and "_js_request" not in self.__dict__:
            # The JS Request not made yet: JS answers its Headers alone (in the same trip
            # that reading them off the JS Request would take).
            return _js_headers_to_http_message(incoming[0](incoming[1], True))
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
        return HTTPMethod[self._method or self._js_request.method]

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
        url = self._url  # read on most requests: no trip to JS for it
        return url if url is not None else self._js_request.url

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
        body = self._whole_body
        if body is not None and "_js_request" not in self.__dict__:
            if body is _BODY_READ:
                raise OSError("Body already used")
            # The JS Request's text() would decode the same bytes the same way: used at once,
            # its text after one turn of the event loop.
            self._whole_body = _BODY_READ
            return await _after_one_turn(str, _body_text(body))
        self._raise_if_failed()
        if _call_rpc is not None:
            result = _call_rpc(self._js_request, "text")
            if type(result) is str:  # "s" + the text of a body in memory, read in that trip
                return await _after_one_turn(_strip_tag, result)
            return await result
        return await self.js_object.text()
