"""`env.BUCKET` for an R2 binding: the generic binding proxy, plus paths that move bytes
between Python and the host without copies through JS.

- `put(key, bytes | bytearray | memoryview | str, ...)` hands the host a view of the wasm
  heap under the Python object: the host hashes and writes it from there (the JS binding
  would first copy it into a JS ArrayBuffer).
- `R2ObjectBody.arrayBuffer()` / `bytes()` / `text()` / `json()` have the host read the
  object straight into a Python bytearray (the generic path streams it through JS in
  chunks and copies it into Python at the end). No JS ArrayBuffer is made on the way: a
  large one counts as external memory and soon costs a full V8 garbage collection.
- `get(key, ...)` is answered at once by the host (an index lookup and an open), without
  awaiting a JS promise.
Everything else, and every other value type, goes through the JS binding unchanged.
"""

import codecs
import json

from ._convert import BindingProxy, JsDict, call_js, to_js_value, to_python

_BYTES = (bytes, bytearray, memoryview)


def _utf8(text):
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: U+FFFD each, as TextEncoder writes them
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").encode("utf-8")


class R2Bucket(BindingProxy):
    __slots__ = ()

    async def put(self, key, value, options=None, **kwargs):
        js_bucket = object.__getattribute__(self, "_js")
        if isinstance(value, str):
            value = _utf8(value)
        if isinstance(value, _BYTES) and isinstance(key, str):
            if isinstance(value, memoryview) and not value.c_contiguous:
                value = value.tobytes()
            opts = dict(options or {}, **kwargs)
            result = await js_bucket._kilnPutBuffer(key, value, to_js_value(opts) if opts else None)
            return to_python(result)
        args = (key, value) if options is None else (key, value, options)
        return await call_js(js_bucket.put, args, kwargs, "put")


    async def get(self, key, options=None, **kwargs):
        js_bucket = object.__getattribute__(self, "_js")
        if isinstance(key, str):
            opts = dict(options or {}, **kwargs)
            return to_python(js_bucket._kilnGetNow(key, to_js_value(opts) if opts else None))
        args = (key,) if options is None else (key, options)
        return await call_js(js_bucket.get, args, kwargs, "get")


class R2ObjectBody(BindingProxy):
    __slots__ = ()

    async def _read(self):
        js_body = object.__getattribute__(self, "_js")
        size = js_body._kilnBodyLength()
        if size < 0:  # already being read as a stream, or very large: the JS way
            return (await js_body.arrayBuffer()).to_bytes()
        out = bytearray(size)
        n = js_body._kilnReadInto(out)
        if n != size:
            del out[n:]
        return out

    async def arrayBuffer(self):
        return memoryview(await self._read())

    async def bytes(self):
        return memoryview(await self._read())

    async def text(self):
        # As TextDecoder: UTF-8, a leading BOM dropped, bad bytes as U+FFFD.
        return codecs.decode(await self._read(), "utf-8-sig", "replace")

    async def json(self):
        return json.loads(await self.text(), object_hook=JsDict, parse_float=_js_number, parse_int=_js_int)


_MAX_SAFE = 2**53 - 1


def _js_number(text):
    # JSON.parse gives a JS number, which reaches Python as an int when whole and safe.
    value = float(text)
    return int(value) if value.is_integer() and abs(value) <= _MAX_SAFE else value


def _js_int(text):
    value = int(text)
    return value if abs(value) <= _MAX_SAFE else float(value)
