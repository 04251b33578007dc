"""Response and FetchResponse, as Cloudflare's `workers` package has them: subclasses of
Pyodide's `pyodide.http.FetchResponse` (which brings buffer, bytes, text, json, memoryview,
clone, abort, unpack_archive, raise_for_status, ...)."""

from http import HTTPStatus

import _pyodide_entrypoint_helper
import js
import pyodide.http
from pyodide.ffi import JsException

from . import _json
from .blob import Blob
from .formdata import FormData
from .utils import (
    RESPONSE_ACCEPTED_TYPES,
    _get_js_constructor_name,
    _is_js_proxy,
    _js_headers_to_http_message,
    _jsnull_to_none,
    _lend_buffer,
    _to_js_headers,
    _to_python_exception,
)


# Kiln's host makes Response.json's plain case in one call (held: a lookup on the module
# would be a trip into JS of its own).
_js_json_response = getattr(_pyodide_entrypoint_helper, "jsonResponse", None)
_js_text_response = getattr(_pyodide_entrypoint_helper, "textResponse", None)


class FetchResponse(pyodide.http.FetchResponse):
    """What `fetch()` returns; Response adds the constructor."""

    _unmade = None  # Response's: see there

    @property
    def body(self):
        """The body as a JS ReadableStream, or None."""
        return _jsnull_to_none(self.js_response.body)

    @property
    def js_object(self):
        return self.js_response

    @property
    def headers(self):
        """A copy, as an http.client.HTTPMessage."""
        return _js_headers_to_http_message(self.js_object.headers)

    async def formData(self):  # noqa: N802 - the JS name, kept by Cloudflare
        return await self.form_data()

    async def form_data(self):
        self._raise_if_failed()
        try:
            return FormData(await self.js_response.formData())
        except JsException as exc:
            raise _to_python_exception(exc) from exc

    def replace_body(self, body):
        """A new Response with this one's status and headers and another body."""
        new_body = body.js_object if isinstance(body, FormData) else body
        return Response(js.Response.new(new_body, self.js_response))

    async def blob(self):
        self._raise_if_failed()
        return Blob(await self.js_object.blob())

    @staticmethod
    def redirect(url, status=HTTPStatus.FOUND):
        """A JS Response redirecting to `url` (as on Cloudflare, the JS object itself)."""
        code = status.value if isinstance(status, HTTPStatus) else status
        try:
            return js.Response.redirect(url, code)
        except JsException as exc:
            raise _to_python_exception(exc) from exc

    @staticmethod
    def from_json(data, status=HTTPStatus.OK, status_text="", headers=None):
        if headers is None and not status_text and _js_json_response is not None \
                and not _is_js_proxy(data):
            # The same Response as below, made in one call into JS.
            text = _json.dumps(data)
            if status is HTTPStatus.OK:  # the default, without the enum's value property
                return Response._unmade_as("j" + text)
            code = status.value if isinstance(status, HTTPStatus) else status
            if not code or (code == 200 and type(code) is int):
                return Response._unmade_as("j" + text)
            try:
                return Response._made(_js_json_response(text, code))
            except JsException as exc:
                raise _to_python_exception(exc) from exc
        options = Response._create_options(status, status_text, headers)
        try:
            if _is_js_proxy(data):
                js_response = js.Response.json(data, **options)
            else:
                if "headers" not in options:
                    options["headers"] = _to_js_headers({"content-type": "application/json"})
                elif not options["headers"].has("content-type"):
                    options["headers"].set("content-type", "application/json")
                js_response = js.Response.new(_json.dumps(data), **options)
        except JsException as exc:
            raise _to_python_exception(exc) from exc
        return Response._made(js_response)

    def json(self, *args, **kwargs):
        # On an instance: parse the body (keyword arguments are ignored, as on Cloudflare).
        # Called on the class, Response.json(data, ...) builds a JSON response.
        if not args and not kwargs and isinstance(self, (dict, list)) \
                and _js_json_response is not None:
            # Response.json(data) of a dict or list: from_json's first case, without its call.
            return Response._unmade_as("j" + _json.dumps(self))
        if isinstance(self, Response):
            return super().json()
        return Response.from_json(self, *args, **kwargs)


class Response(FetchResponse):
    """`Response(body=None, status=None, status_text="", headers=None, web_socket=None)`.

    body: str, bytes, FormData, None, or a JS Blob / buffer / FormData / ReadableStream /
    URLSearchParams / Response. Anything else (bytearray, memoryview, int, ...) is a
    TypeError, as on Cloudflare. headers: a dict, a list of pairs or a JS Headers."""

    # A Response made from text alone (a str body with no options; Response.json's plain
    # case) keeps "t" or "j" + the body in _unmade and makes its JS Response only when
    # something asks for it (js_response). A fetch handler's answer that nothing asked about
    # goes to the host as that string (_kiln_host): no JS Response is made for it at all.
    # Until then it has what pyodide.http.FetchResponse.__init__("", ...) sets:
    js_request = None
    _url = ""
    abort_controller = None
    abort_signal = None
    _sent = False  # handed to the host: a JS Response made afterwards has its body used
    _js_response = None

    def __init__(self, body=None, status=None, status_text="", headers=None, web_socket=None):
        if (type(body) is str or body is None) and _js_text_response is not None \
                and not (status or status_text or headers or web_socket):
            if body is None:  # What the general path below makes, in one call into JS.
                super().__init__("", _js_text_response(body))
            else:
                self._unmade = "t" + body
            return
        # None, str and bytes have no `constructor`: nothing to ask JS about them.
        if not (body is None or type(body) is str or type(body) is bytes):
            js_type = _get_js_constructor_name(body)
            if js_type:
                if js_type not in RESPONSE_ACCEPTED_TYPES:
                    raise TypeError(f"Unsupported type in Response: {js_type}")
            elif not isinstance(body, str | FormData | bytes) and body is not None:
                raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
            if js_type == "Response":
                if status is not None or len(status_text) > 0 or headers is not None:
                    raise ValueError("Expected no options when constructing Response from a js.Response")
                super().__init__(body.url, body)
                return
        options = self._create_options(status, status_text, headers, web_socket)
        if isinstance(body, bytes):  # lent to JS without a copy, for the call only
            with _lend_buffer(body) as data:
                js_response = js.Response.new(data, **options)
        else:
            js_body = body.js_object if isinstance(body, FormData) else body
            js_response = js.Response.new(js_body, **options)
        # A Response made with the constructor has the empty URL (Fetch standard).
        super().__init__("", js_response)

    @classmethod
    def _unmade_as(cls, unmade):
        """A Response of `unmade` ("t"/"j" + the body) whose JS Response is not made yet."""
        self = cls.__new__(cls)
        self._unmade = unmade
        return self

    # A property, not __getattr__: a subclass's own __getattr__ cannot come between.
    @property
    def js_response(self):
        made = self._js_response
        if made is None and self._unmade is not None:
            unmade = self._unmade
            if unmade[0] == "j":
                made = _js_json_response(unmade[1:], None, self._sent)
            else:
                made = _js_text_response(unmade[1:], self._sent)
            self._js_response = made
            self._unmade = None
        return made

    @js_response.setter
    def js_response(self, value):  # pyodide.http.FetchResponse.__init__ sets it
        self._js_response = value

    def _send_unmade(self):
        """What the host sends for this Response when its JS Response is not made yet ("t" or
        "j" + the body, as fetch_starter answers it), else None. The body counts as read from
        then on, as a sent Response's does."""
        unmade = self._unmade
        if unmade is None or self._sent:  # a second time: sent as a JS Response whose body is used
            return None
        self._sent = True
        return unmade

    @classmethod
    def _made(cls, js_response):
        """A Response around a JS Response this package has just constructed (its URL is the
        empty one): Response(js_response) without asking JS what it is again."""
        self = cls.__new__(cls)
        pyodide.http.FetchResponse.__init__(self, "", js_response)
        return self

    def __repr__(self):
        parts = [f"status={self.status}"]
        if self.js_object.statusText:
            parts.append(f"status_text={self.status_text!r}")
        if "content-type" in self.headers:
            parts.append(f"content_type={self.headers['content-type']!r}")
        if self.js_object.url:
            parts.append(f"url={self.js_object.url!r}")
        if self.js_object.type != "default":
            parts.append(f"type={self.js_object.type!r}")
        return f"Response({', '.join(parts)})"

    @staticmethod
    def _create_options(status=HTTPStatus.OK, status_text="", headers=None, web_socket=None):
        # Falsy values are left out (status=0 or None means JS's default 200); a str status
        # is handed to JS, which coerces it.
        options = {}
        if status:
            options["status"] = status.value if isinstance(status, HTTPStatus) else status
        if status_text:
            options["statusText"] = status_text
        if headers:
            options["headers"] = _to_js_headers(headers)
        if web_socket:
            options["webSocket"] = web_socket
        return options
