"""Value conversion between JavaScript and Python, shared by the whole package.

JS -> Python (`to_python`), used for `self.env` and for everything a binding returns:
  string/number/boolean/bigint -> str/int/float/bool/int (Pyodide already does this;
  an integral number such as 3 arrives as int 3), null/undefined -> None,
  Array -> list, ArrayBuffer/typed array/DataView -> memoryview over a copy,
  Date -> aware UTC datetime, Map -> dict, Set -> set,
  plain object (prototype Object.prototype or null, no function values) -> JsDict
  (a dict whose keys are also attributes),
  Request/Response/Headers/FormData/Blob/File -> the workers wrappers,
  ReadableStream and other stream or error objects -> left as the JS proxy,
  a Promise -> an awaitable that converts its result the same way,
  anything else (an object with methods: a KV namespace, a D1 statement, ...) -> BindingProxy.

Python -> JS (`to_js_value`), used for arguments to binding methods:
  None -> null, dict -> plain object, list/tuple -> Array, bytes-like -> Uint8Array (copy),
  datetime -> Date, our wrappers -> their JS object, functions -> a persistent proxy.
"""

import asyncio
import datetime
from collections.abc import Mapping

import js
from pyodide.code import run_js
from pyodide.ffi import JsProxy, create_proxy, to_js

try:
    from pyodide.ffi import jsnull
except ImportError:  # older Pyodide: JS null already arrives as None
    jsnull = None

# JS objects that stay plain proxies: Kiln and Cloudflare pass them straight to Web APIs.
_PASSTHROUGH = frozenset({
    "ReadableStream", "WritableStream", "TransformStream", "ReadableStreamDefaultReader",
    "ReadableStreamBYOBReader", "WritableStreamDefaultWriter", "AbortSignal",
    "AbortController", "URL", "URLSearchParams", "Error", "TypeError", "RangeError",
    "SyntaxError", "DOMException", "WebSocket", "RegExp",
})

_NOT_SET = object()


def is_null(value):
    """True for Python None and for JS null/undefined as Pyodide hands them over."""
    return value is None or (jsnull is not None and value is jsnull)


def js_type_name(value):
    """Constructor name of a JS object, or None for Python values and bare objects."""
    if not isinstance(value, JsProxy):
        return None
    try:
        ctor = value.constructor
    except AttributeError:
        return None
    if is_null(ctor):
        return None
    try:
        return ctor.name
    except AttributeError:
        return None


def is_js_instance(value, *names):
    return js_type_name(value) in names


class JsDict(dict):
    """A dict converted from a plain JS object: keys are readable as attributes too.

    `row.id` and `row["id"]` are the same value. A key that collides with a dict method
    (`items`, `keys`, ...) is reachable by subscript only.
    """

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no attribute or key {name!r}") from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


class PendingResult:
    """The awaitable a binding method returns when JS answered with a Promise.

    `await` gives the converted value. It can also be handed to `ctx.waitUntil`."""

    __slots__ = ("_future", "_label")

    def __init__(self, future, label="result"):
        self._future = future
        self._label = label

    def __await__(self):
        value = yield from self._future.__await__()
        return to_python(value)

    def __repr__(self):
        return f"<pending {self._label}>"


# Binding wrappers made so far, by the JS object's identity. A binding lives as long as the
# isolate and its wrapper keeps what it looked up once (the host ops, D1's SQL ids), so
# `self.env.DB` in every request hands back the same wrapper instead of building it again.
_BINDINGS = ("D1Database", "KVNamespace", "R2Bucket", "WorkflowImpl")
_binding_wrappers = {}


def _binding_wrapper(obj, name):
    found = _binding_wrappers.get(obj.js_id)
    if found is not None and found[0] == obj:
        return found[1]
    if name == "D1Database":
        from ._d1 import D1Database as wrapper_type
    elif name == "KVNamespace":
        from ._kv import KVNamespace as wrapper_type
    elif name == "WorkflowImpl":
        from ._workflow import Workflow as wrapper_type
    else:
        from ._r2 import R2Bucket as wrapper_type
    wrapper = wrapper_type(obj)
    if len(_binding_wrappers) >= 256:  # bindings are few; anything else is not kept long
        _binding_wrappers.clear()
    _binding_wrappers[obj.js_id] = (obj, wrapper)
    return wrapper


def _wrap_web_object(obj, name):
    # Imported lazily: these modules import this one.
    if name in _BINDINGS:
        return _binding_wrapper(obj, name)
    if name == "Request":
        from ._request import Request
        return Request(obj)
    if name == "Response":
        from ._response import Response
        return Response(obj)
    if name == "Headers":
        from ._headers import Headers
        return Headers(obj)
    if name == "FormData":
        from ._blob import FormData
        return FormData(obj)
    if name == "File":
        from ._blob import File
        return File._wrap(obj)
    if name == "Blob":
        from ._blob import Blob
        return Blob._wrap(obj)
    if name == "R2ObjectBody":
        from ._r2 import R2ObjectBody
        return R2ObjectBody(obj)
    if name == "WorkflowInstance":
        from ._workflow import WorkflowInstance
        return WorkflowInstance(obj)
    return _NOT_SET


def js_date_to_datetime(obj):
    return datetime.datetime.fromtimestamp(obj.getTime() / 1000, tz=datetime.UTC)


def to_python(value):
    """Convert a JS value (as Pyodide hands it over) into plain Python values."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if jsnull is not None and value is jsnull:
        return None
    if isinstance(value, asyncio.Future):  # a JS Promise, already adopted by Pyodide
        return PendingResult(value)
    if not isinstance(value, JsProxy):
        return value
    kind = value.typeof
    if kind == "function":
        return JsFunction(value)
    if kind != "object":
        return value
    # One call into JS classifies the object (each separate JS property read from Python
    # costs microseconds, and a binding call returns several objects to classify).
    tag = _classify(value)
    code, name = tag[0], tag[1:] or None
    if code == "A":
        return _data(value)
    if code == "B":
        return memoryview(value.to_bytes())
    if name in _PASSTHROUGH:
        return value
    if name is not None and name != "Object":
        wrapped = _wrap_web_object(value, name)
        if wrapped is not _NOT_SET:
            return wrapped
        if name == "Date":
            return js_date_to_datetime(value)
        if name in ("Map", "Set"):
            return _data(value)
        if name == "Promise" or code == "T":
            return PendingResult(_adopt(value))
    if code == "P":
        return _data(value)
    if code == "F":
        return BindingProxy(value)  # an object of functions is a binding, not data
    return BindingProxy(value)


# The JS helpers are made on first use, not at import: the baseline snapshot holds the SDK
# imported, and a memory snapshot cannot hold references to JS objects it cannot name again.
# Each rebinds its own name, so later calls go straight to the JS function.
def _classify(value):
    global _classify
    _classify = run_js("""(value) => {
  if (Array.isArray(value)) return "A";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer
      || (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)) return "B";
  let name = "";
  try {
    const ctor = value.constructor;
    if (ctor && typeof ctor.name === "string") name = ctor.name;
  } catch {}
  let proto;
  try { proto = Object.getPrototypeOf(value); } catch { return "O" + name; }
  if (proto === null || proto === Object.prototype) {
    for (const key of Object.keys(value)) if (typeof value[key] === "function") return "F" + name;
    return "P" + name;
  }
  try { if (typeof value.then === "function") return "T" + name; } catch {}
  return "O" + name;
}""")
    return _classify(value)


def _member_kind(obj, name):
    global _member_kind
    _member_kind = run_js("(obj, name) => !(name in obj) ? 0 : typeof obj[name] === 'function' ? 1 : 2")
    return _member_kind(obj, name)


def _leaf(value, convert, cache):
    # Pyodide's to_py() hands over what it does not convert itself (class instances,
    # Dates, functions, Web API objects): convert those one by one.
    return to_python(value)


def _data(value):
    """Arrays, plain objects, Maps and Sets in one to_py() pass (fast), then JS null ->
    None and dicts -> JsDict."""
    return _tidy(value.to_py(default_converter=_leaf))


def _tidy(value):
    if jsnull is not None and value is jsnull:
        return None
    if type(value) is dict:
        return JsDict({k: _tidy(v) for k, v in value.items()})
    if type(value) is list:
        return [_tidy(v) for v in value]
    if isinstance(value, memoryview):
        return memoryview(value.tobytes())
    return value


def _adopt(thenable):
    return asyncio.ensure_future(_await_js(thenable))


async def _await_js(thenable):
    return await thenable


def to_js_value(value):
    """Convert a Python value into what a JS binding method expects as an argument."""
    if is_null(value):
        return jsnull
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, JsProxy):
        return value
    unwrapped = unwrap_js(value)
    if unwrapped is not None:
        return unwrapped
    if isinstance(value, (bytes, bytearray, memoryview)):
        return to_js(bytes(value))
    if isinstance(value, datetime.datetime):
        return js.Date.new(value.timestamp() * 1000)
    if isinstance(value, Mapping):
        obj = js.Object.new()
        for key, item in value.items():
            js.Reflect.set(obj, str(key), to_js_value(item))
        return obj
    if isinstance(value, (list, tuple)):
        arr = js.Array.new()
        for item in value:
            arr.push(to_js_value(item))
        return arr
    if isinstance(value, (set, frozenset)):
        return js.Set.new(to_js_value(list(value)))
    if callable(value):
        return create_proxy(value)
    return to_js(value)


def unwrap_js(value):
    """The JS object behind one of our wrappers, else None."""
    if isinstance(value, BindingProxy):
        return object.__getattribute__(value, "_js")
    if isinstance(value, JsFunction):
        return value._fn
    js_obj = getattr(type(value), "js_object", None)
    if isinstance(js_obj, property):
        return value.js_object
    return None


def call_js(fn, args, kwargs, label):
    """Call a JS function with converted arguments; keyword arguments become one
    trailing options object (`kv.put(k, v, metadata={...})` -> `put(k, v, {metadata})`)."""
    js_args = [to_js_value(a) for a in args]
    if kwargs:
        js_args.append(to_js_value(kwargs))
    result = fn(*js_args)
    if isinstance(result, asyncio.Future):
        return PendingResult(result, label)
    return to_python(result)


class JsFunction:
    """A JS function found in env or on a binding: calling it converts like a method."""

    __slots__ = ("_fn",)

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return call_js(self._fn, args, kwargs, getattr(self._fn, "name", "function"))

    def __repr__(self):
        return f"<JS function {getattr(self._fn, 'name', '?')}>"


class BindingProxy:
    """Generic wrapper for a JS object with methods (KV namespace, D1 database or
    statement, R2 bucket or object, service binding, ...).

    Attributes read as converted Python values; methods convert their arguments to JS
    and their results back; a method that returns a Promise gives an awaitable."""

    __slots__ = ("_js",)

    def __init__(self, js_obj):
        object.__setattr__(self, "_js", js_obj)

    @property
    def js_object(self):
        return object.__getattribute__(self, "_js")

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        obj = object.__getattribute__(self, "_js")
        kind = _member_kind(obj, name)  # one JS call: absent, method or value
        if kind == 0:
            raise AttributeError(f"{js_type_name(obj) or 'JS object'} has no attribute {name!r}")
        if kind == 1:
            return _BoundMethod(obj, name)
        return to_python(getattr(obj, name, None))

    def __setattr__(self, name, value):
        js.Reflect.set(object.__getattribute__(self, "_js"), name, to_js_value(value))

    def __getitem__(self, key):
        obj = object.__getattribute__(self, "_js")
        if isinstance(key, int) and hasattr(obj, "length"):
            return to_python(obj[key])
        return to_python(js.Reflect.get(obj, key))

    def __aiter__(self):
        return _async_iter(object.__getattribute__(self, "_js"))

    def __iter__(self):
        obj = object.__getattribute__(self, "_js")
        return (to_python(item) for item in obj)

    def __len__(self):
        obj = object.__getattribute__(self, "_js")
        return int(obj.length if hasattr(obj, "length") else obj.size)

    def __bool__(self):
        return True  # a binding is always truthy, whatever its length

    def __dir__(self):
        obj = object.__getattribute__(self, "_js")
        names = set()
        while not is_null(obj) and obj != js.Object.prototype:
            names.update(js.Object.getOwnPropertyNames(obj))
            obj = js.Object.getPrototypeOf(obj)
        return sorted(n for n in names if n != "constructor")

    def __repr__(self):
        return f"<{js_type_name(object.__getattribute__(self, '_js')) or 'JS object'} (Kiln binding proxy)>"


async def _async_iter(obj):
    async for item in obj:
        yield to_python(item)


class _BoundMethod:
    __slots__ = ("_obj", "_name")

    def __init__(self, obj, name):
        self._obj = obj
        self._name = name

    def __call__(self, *args, **kwargs):
        return call_js(getattr(self._obj, self._name), args, kwargs, self._name)

    def __repr__(self):
        return f"<bound JS method {self._name}>"
