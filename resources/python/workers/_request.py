"""Request and fetch(), as in Cloudflare's `workers` package, over JS Request/fetch."""

import json as _json
from http import HTTPMethod

import js
from pyodide.ffi import JsException, JsProxy

from ._body import Body, to_python_exception
from ._convert import BindingProxy, is_js_instance, is_null, to_js_value, to_python
from ._headers import to_js_headers
from ._response import Response, make_init, to_js_body


def _request_init(options):
    """The JS RequestInit for Request(...) / fetch(...) keyword arguments."""
    init = {}
    for key, value in options.items():
        if key == "fetcher":
            continue
        if key == "method" and value is not None:
            value = value.value if isinstance(value, HTTPMethod) else str(value).upper()
        elif key == "headers" and value is not None:
            value = to_js_headers(value)
        elif key == "body":
            value = to_js_body(value)
            if isinstance(value, JsProxy) and is_js_instance(value, "ReadableStream"):
                init.setdefault("duplex", "half")
        elif key == "cf" and value is not None:
            value = to_js_value(value)
        elif isinstance(value, (dict, list)):
            value = to_js_value(value)
        init[key] = value
    return make_init(**init)


def _js_input(resource):
    if isinstance(resource, Request):
        return resource.js_object
    if isinstance(resource, BindingProxy):
        return resource.js_object
    if isinstance(resource, JsProxy):
        return resource
    return str(resource)


class Request(Body):
    """`Request(input, **options)`: input is a URL, a workers Request or a JS Request;
    options are the JS RequestInit fields (method, headers, body, redirect, cf, ...).
    A JS Request given alone is wrapped as it is."""

    def __init__(self, input, **options):  # noqa: A002 - the documented name
        if isinstance(input, JsProxy) and is_js_instance(input, "Request") and not options:
            self._js = input
            return
        try:
            self._js = js.Request.new(_js_input(input), _request_init(options))
        except JsException as exc:
            raise to_python_exception(exc) from exc

    @property
    def js_object(self):
        return self._js

    @property
    def method(self):
        method = self._js.method
        try:
            return HTTPMethod[method]
        except KeyError:
            return method

    @property
    def cf(self):
        cf = getattr(self._js, "cf", None)
        return None if is_null(cf) else to_python(cf)

    @property
    def redirect(self):
        return self._js.redirect

    @property
    def signal(self):
        return self._js.signal

    def __getattr__(self, name):
        # The rarer Request fields (cache, credentials, integrity, keepalive, mode,
        # referrer, referrer_policy, destination, ...) under their snake_case names.
        if name.startswith("_"):
            raise AttributeError(name)
        parts = name.split("_")
        js_name = parts[0] + "".join(p.title() for p in parts[1:])
        if js.Reflect.has(self._js, js_name):
            value = getattr(self._js, js_name)
            return None if is_null(value) else value
        raise AttributeError(f"Request has no attribute {name!r}")

    async def json(self, **kwargs):
        return _json.loads(await self.text(), **kwargs)

    def clone(self):
        self._check_unused()
        return Request(self._js.clone())

    def __repr__(self):
        return f"Request(method={self._js.method!r}, url={self._js.url!r})"


async def fetch(resource, **options):
    """`await fetch(url_or_request, method=..., headers=..., body=..., **init)` -> Response.

    `fetcher=` selects another fetch function (a service binding's fetch)."""
    fetcher = options.get("fetcher")
    if isinstance(fetcher, BindingProxy):
        fetcher = fetcher.js_object.fetch
    fetcher = fetcher or js.fetch
    init = _request_init(options)
    try:
        js_response = await fetcher(_js_input(resource), init)
    except JsException as exc:
        try:
            from pyodide.http import AbortError
            raise AbortError(exc) from None
        except ImportError:
            raise OSError(getattr(exc, "message", str(exc))) from None
    return Response._wrap(js_response)
