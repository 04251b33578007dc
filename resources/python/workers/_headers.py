"""Headers: a Python view over a JS `Headers` object.

Lookups are case-insensitive. Reading follows `http.client.HTTPMessage`, which is what
Cloudflare's `request.headers` is: `headers["missing"]` and `headers.get("missing")` give
None, `get_all(name)` lists every value, `items()` gives (lowercase name, value) pairs in
JS order (one pair per Set-Cookie value).
"""

from collections.abc import Mapping

import js
from pyodide.ffi import JsProxy

from ._convert import is_js_instance, is_null


def to_js_headers(headers):
    """A new JS Headers from a dict, a list of (name, value) pairs, a workers Headers,
    a JS Headers or any mapping with items()."""
    if headers is None:
        return js.Headers.new()
    if isinstance(headers, Headers):
        return js.Headers.new(headers.js_object)
    if isinstance(headers, JsProxy):
        if is_js_instance(headers, "Headers"):
            return js.Headers.new(headers)
        headers = headers.to_py()
    result = js.Headers.new()
    if isinstance(headers, Mapping) or hasattr(headers, "items"):
        pairs = headers.items()
    elif isinstance(headers, (list, tuple)):
        pairs = headers
    else:
        raise TypeError(
            "headers must be a dict, a list of (name, value) pairs, workers.Headers or a "
            f"JS Headers object, not {type(headers).__name__}")
    for pair in pairs:
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"header entries must be (name, value) pairs, got {pair!r}") from None
        result.append(_text(name), _text(value))
    return result


def _text(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class Headers:
    """Case-insensitive HTTP headers backed by a JS Headers object."""

    __slots__ = ("_js",)

    def __init__(self, init=None):
        if isinstance(init, JsProxy) and is_js_instance(init, "Headers"):
            self._js = init  # a live view: Request.headers / Response.headers
        else:
            self._js = to_js_headers(init)

    @property
    def js_object(self):
        return self._js

    # -- reading -------------------------------------------------------------------
    def get(self, name, default=None):
        value = self._js.get(str(name))
        return default if is_null(value) else value

    def __getitem__(self, name):
        return self.get(name)

    def get_all(self, name, failobj=None):
        name = str(name).lower()
        values = [v for k, v in self.items() if k == name]
        return values if values else failobj

    def getlist(self, name):
        return self.get_all(name, [])

    def get_set_cookie(self):
        if hasattr(self._js, "getSetCookie"):
            return list(self._js.getSetCookie())
        return self.get_all("set-cookie", [])

    getSetCookie = get_set_cookie

    def has(self, name):
        return bool(self._js.has(str(name)))

    def __contains__(self, name):
        return isinstance(name, str) and self.has(name)

    def items(self):
        return [(entry[0], entry[1]) for entry in self._js.entries()]

    def keys(self):
        seen = []
        for name, _ in self.items():
            if name not in seen:
                seen.append(name)
        return seen

    def values(self):
        return [value for _, value in self.items()]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def __bool__(self):
        return bool(self.items())

    def __eq__(self, other):
        if isinstance(other, Headers):
            return sorted(self.items()) == sorted(other.items())
        if isinstance(other, Mapping):
            return dict(self.items()) == {str(k).lower(): str(v) for k, v in other.items()}
        return NotImplemented

    __hash__ = None

    def to_dict(self):
        """{name: value} with repeated names joined by ", " (Set-Cookie keeps the last)."""
        return dict(self.items())

    # -- writing -------------------------------------------------------------------
    def set(self, name, value):
        self._js.set(str(name), _text(value))

    def __setitem__(self, name, value):
        self.set(name, value)

    def append(self, name, value):
        self._js.append(str(name), _text(value))

    add_header = append

    def delete(self, name):
        self._js.delete(str(name))

    def __delitem__(self, name):
        self.delete(name)

    def pop(self, name, default=None):
        value = self.get(name, default)
        self.delete(name)
        return value

    def update(self, other=(), **kwargs):
        pairs = other.items() if hasattr(other, "items") else other
        for name, value in list(pairs) + list(kwargs.items()):
            self.set(name, value)

    def copy(self):
        return Headers(js.Headers.new(self._js))

    def __repr__(self):
        return f"Headers({self.items()!r})"
