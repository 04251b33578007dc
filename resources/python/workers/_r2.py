"""`env.BUCKET` for an R2 binding: the generic binding proxy, plus paths that move bytes
between Python and the host without copies through JS.

- `put(key, bytes | bytearray | memoryview | str, ...)` hands the host a view of the wasm
  heap under the Python object: the host hashes and writes it from there (the JS binding
  would first copy it into a JS ArrayBuffer).
- `R2ObjectBody.arrayBuffer()` / `bytes()` / `text()` / `json()` have the host read the
  object straight into a Python bytearray (the generic path streams it through JS in
  chunks and copies it into Python at the end). No JS ArrayBuffer is made on the way: a
  large one counts as external memory and soon costs a full V8 garbage collection. A large
  body's bytearray is made uninitialised (see `_read_whole`).
- `get(key, ...)` is answered at once by the host (an index lookup), without awaiting a JS
  promise.
Everything else, and every other value type, goes through the JS binding unchanged.
"""

import codecs
import json

from pyodide.code import run_js

from ._convert import BindingProxy, JsDict, call_js, to_js_value, to_python

_BYTES = (bytes, bytearray, memoryview)

# bytearray(n) writes n zeros that the read then overwrites: about a third of the time a
# 64 MiB get takes. Python has no uninitialised bytearray, but the C API Pyodide exports
# does: JS makes one, has the host read the body into it where it lies in the wasm heap,
# and hands it to Python through `holder` (a list). Below this size the zeros cost less
# than the extra crossings.
_UNINITIALISED_MIN = 1 << 20
_READ_WHOLE_JS = """(module) => (body, size, holder) => {
  const ptr = module._PyByteArray_FromStringAndSize(0, size);
  if (!ptr) {
    module._PyErr_Clear();
    throw new RangeError(`Array buffer allocation failed (${size} bytes)`);
  }
  const proxy = module.pyproxy_new(ptr); // holds a reference of its own
  module._Py_DecRef(ptr);
  try {
    const n = body._kilnReadView(new Uint8Array(module.HEAP8.buffer, module._PyByteArray_AsString(ptr), size));
    holder.append(proxy);
    return n;
  } finally {
    proxy.destroy();
  }
}"""


def _make_read_whole():
    # Pyodide's module internals, checked rather than assumed: without them bytes are
    # read into a zeroed bytearray as before.
    try:
        import pyodide_js

        module = pyodide_js._module
        for name in ("_PyByteArray_FromStringAndSize", "_PyByteArray_AsString", "_Py_DecRef",
                     "_PyErr_Clear", "pyproxy_new", "HEAP8"):
            getattr(module, name)
        return run_js(_READ_WHOLE_JS)(module)
    except Exception:
        return None


_read_whole = _make_read_whole()


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
        if size >= _UNINITIALISED_MIN and _read_whole is not None:
            holder = []
            n = _read_whole(js_body, size, holder)
            out = holder[0]
        else:
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
