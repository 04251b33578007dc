"""Helpers the package shares, with the behaviour of Cloudflare's `workers.utils`:
JS type checks, header conversion, JS-to-Python exception mapping, compat flags,
`import_from_javascript` and `patch_env`."""

import types
from contextlib import contextmanager

import _pyodide_entrypoint_helper
import js
from pyodide.ffi import JsException, create_proxy, destroy_proxies, to_js

from .workflows import NonRetryableError

try:
    from pyodide.ffi import jsnull
except ImportError:  # a Pyodide without jsnull hands JS null over as None
    jsnull = None

# What `Response(body)` accepts as a JS object, by constructor name (a JS Response is
# wrapped as it is).
RESPONSE_ACCEPTED_TYPES = frozenset({
    "Blob", "ArrayBuffer", "TypedArray", "DataView", "Uint8Array", "Uint8ClampedArray",
    "Int8Array", "Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float16Array",
    "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
    "FormData", "ReadableStream", "URLSearchParams", "Response",
})

# Web API objects a binding wrapper hands back unwrapped (they go straight into Response()
# and friends, which look at their constructor).
_JS_PASSTHROUGH_TYPES = RESPONSE_ACCEPTED_TYPES | {"Headers"}


def _jsnull_to_none(value):
    return None if value is jsnull else value


_NO_CONSTRUCTOR = object()

# Kiln's host asks JS for a constructor's name in one call (None: no constructor, False: look
# the slow way); held here so each use is one trip into JS, not a lookup on the module first.
_js_constructor_name = getattr(_pyodide_entrypoint_helper, "constructorName", None)


# The C type every JsProxy's class derives from. pyodide.ffi.JsProxy itself is a stand-in whose
# metaclass answers isinstance in Python (about as costly as a trip into JS); for JsProxy itself
# its answer is this type's.
_JS_PROXY_TYPE = type(js).__mro__[-2]


# Kiln's host: `callRpc(object, name, ...args)` calls a method and, when it answers a promise
# fulfilled already, hands its value over in the same trip ("s" + a string, "j" + JSON text);
# None under a host without it. See entrypointhelper.mjs.
_call_rpc = getattr(_pyodide_entrypoint_helper, "callRpc", None)
# callStatement(db, sql, name, count, ...params, ...args): a D1 statement made and run in one trip.
_call_statement = getattr(_pyodide_entrypoint_helper, "callStatement", None)
_header_lines = getattr(_pyodide_entrypoint_helper, "headerLines", None)
# bodyText(bytes): an incoming request's whole body decoded as its JS Request's text() would.
_body_text = getattr(_pyodide_entrypoint_helper, "bodyText", None)


def _js_header_pairs(js_headers):
    """What `for key, value in js_headers` gives, as [key, value] lists: in one trip into JS
    when the host's helper can put them in one string (a trip per entry and pair otherwise)."""
    if _header_lines is not None:
        text = _header_lines(js_headers)
        if type(text) is str:
            return [line.split(":", 1) for line in text.split("\n")] if text else []
    return [(key, value) for key, value in js_headers]


@types.coroutine
def _one_turn():
    yield  # a bare yield: the Task goes round the event loop once, as for any awaited I/O


async def _after_one_turn(convert, value):
    """What awaiting a fulfilled JS promise gives (`convert(value)`), after the same one turn
    of the event loop, without Pyodide's future, then() callbacks and proxies per await."""
    await _one_turn()
    return convert(value)


def _is_js_proxy(value):
    """isinstance(value, JsProxy), without the metaclass's detour."""
    return isinstance(value, _JS_PROXY_TYPE)


def _get_js_constructor_name(obj):
    # Anything with a `constructor` attribute counts, as in Cloudflare's SDK. A JS object's is
    # asked of JS in one call (two attribute lookups would each make Python a proxy); anything
    # else, or a JS object whose constructor is not a function with a string name, is looked up
    # as Cloudflare's SDK does it.
    if _js_constructor_name is not None and _is_js_proxy(obj):
        name = _js_constructor_name(obj)
        if name is not False:
            return name
    constructor = getattr(obj, "constructor", _NO_CONSTRUCTOR)
    if constructor is _NO_CONSTRUCTOR:
        return None
    return constructor.name


def _is_js_instance(value, names):
    name = _get_js_constructor_name(value)
    if name is None:
        return False
    return name in names if isinstance(names, (set, frozenset)) else name == names


def import_from_javascript(module_name):
    """Import a JavaScript module from Python: `import_from_javascript("cloudflare:workers")`.

    "cloudflare:workers" and "cloudflare:sockets" work anywhere, the top level included.
    Other modules need JSPI (Cloudflare imports them with run_sync), which Kiln's V8 does not
    have: they raise ImportError saying so."""
    if module_name == "cloudflare:workers":
        return _pyodide_entrypoint_helper.cloudflareWorkersModule
    if module_name == "cloudflare:sockets":
        return _pyodide_entrypoint_helper.cloudflareSocketsModule
    try:
        from pyodide.ffi import run_sync
    except ImportError:
        run_sync = None
    if run_sync is None:
        raise ImportError(
            f"Failed to import '{module_name}': Only 'cloudflare:workers' and "
            "'cloudflare:sockets' are available until the next python runtime version.")
    try:
        return run_sync(_pyodide_entrypoint_helper.doAnImport(module_name))
    except JsException as e:
        raise ImportError(f"Failed to import '{module_name}': {e}") from e
    except RuntimeError as e:
        # Cloudflare needs a request's suspender (JSPI) for this import; Kiln's V8 has no
        # JSPI at all, so it fails the same way everywhere.
        raise ImportError(
            f"Failed to import '{module_name}': Only 'cloudflare:workers' and "
            "'cloudflare:sockets' are available in the global scope (and, in Kiln, "
            f"anywhere: importing other JS modules needs JSPI, which Kiln's V8 lacks; {e})"
        ) from e


@contextmanager
def patch_env(d=None, **kwds):
    """`with patch_env(NAME=value): ...`: `workers.env` (cloudflare:workers' env) shows
    these values over the real ones until the block ends."""
    if d:
        kwds = dict(d) | kwds
    yield from _pyodide_entrypoint_helper.patch_env_helper(to_js(kwds))


def _to_python_exception(exc):
    if exc.name == "RangeError":
        return ValueError(exc.message)
    if exc.name == "TypeError":
        return TypeError(exc.message)
    return exc


def _from_js_error(exc):
    """An error that went Python -> JS -> Python (a workflow step): Python TypeError,
    ValueError and NonRetryableError come back as themselves, messaged with the traceback's
    last line; anything else as _to_python_exception makes it."""
    message = getattr(exc, "message", None)
    # Kiln's engine keeps a Python error's kind in its name ("PythonError", or
    # "NonRetryableError" so that it stops retrying); workerd's message starts "PythonError".
    python_error = getattr(exc, "name", None) in ("PythonError", "NonRetryableError")
    if not message or not (python_error or message.startswith("PythonError")):
        return _to_python_exception(exc)
    last = message.rstrip("\n").split("\n")[-1]
    if last.startswith("TypeError"):
        return TypeError(last)
    if last.startswith("ValueError"):
        return ValueError(last)
    if last.startswith("workers.workflows.NonRetryableError"):
        return NonRetryableError(last)
    return _to_python_exception(exc)


@contextmanager
def _lend_buffer(obj):
    """A JS view of a Python buffer's memory (no copy), valid inside the `with` only: for
    a JS call that copies what it is given (Response, Blob, a stream write)."""
    proxy = create_proxy(obj)
    buffer = proxy.getBuffer()
    try:
        yield buffer.data
    finally:
        buffer.release()
        proxy.destroy()


@contextmanager
def _manage_pyproxies():
    proxies = js.Array.new()
    try:
        yield proxies
    finally:
        destroy_proxies(proxies)


def get_compat_flag(flag):
    # Looked up at each call: the SDK is imported into the baseline snapshot, which holds no
    # project's flags; Kiln registers them afterwards.
    try:
        import _cloudflare_compat_flags
    except ImportError:
        return False
    return bool(getattr(_cloudflare_compat_flags, flag, False))


def _to_js_headers(headers):
    """A JS Headers for Response/Request options: a dict, a list of (name, value) pairs,
    or a JS Headers (used as it is). Anything else is a TypeError, as on Cloudflare."""
    if isinstance(headers, list):
        return js.Headers.new(headers)
    if isinstance(headers, dict):
        return js.Headers.new(headers.items())
    if _is_js_instance(headers, "Headers"):
        return headers
    raise TypeError("Received unexpected type for headers argument")


def _js_headers_to_http_message(js_headers):
    """A copy of JS Headers as an http.client.HTTPMessage (case-insensitive lookups,
    get_all). With python_request_headers_preserve_commas, Set-Cookie values stay apart and
    other repeated headers stay joined by commas, as JS Headers has them."""
    import http.client  # costly at the top level; needed only when headers are read

    if isinstance(js_headers, http.client.HTTPMessage):
        return js_headers
    result = http.client.HTTPMessage()
    if not get_compat_flag("python_request_headers_preserve_commas"):
        for key, value in _js_header_pairs(js_headers):
            result[key] = value.strip()
        return result
    for value in js_headers.getSetCookie() or ():
        result.add_header("Set-Cookie", value.strip())
    for key, value in _js_header_pairs(js_headers):
        if key.lower() != "set-cookie":
            result.add_header(key, value.strip())
    return result


def _supports_buffer_protocol(obj):
    try:
        with memoryview(obj):
            return True
    except TypeError:
        return False


def _is_iterable(obj):
    if isinstance(obj, (str, bytes)):
        return False
    try:
        iter(obj)
    except TypeError:
        return False
    return True

