"""python_to_rpc / python_from_rpc and import_from_javascript."""

import datetime
import inspect

import js
from pyodide.ffi import JsProxy, create_proxy, to_js

from ._convert import BindingProxy, JsDict, is_js_instance, jsnull, js_type_name, unwrap_js


# --- JS -> Python -----------------------------------------------------------------------

def _from_rpc_default(value, convert, cache):
    if jsnull is not None and value is jsnull:
        return None
    name = js_type_name(value)
    if name == "Response":
        from ._response import Response
        return Response(value)
    if name == "Request":
        from ._request import Request
        return Request(value)
    if name == "FormData":
        from ._blob import FormData
        return FormData(value)
    if name == "File":
        from ._blob import File
        return File._wrap(value)
    if name == "Blob":
        from ._blob import Blob
        return Blob._wrap(value)
    if name == "Date":
        return datetime.datetime.fromtimestamp(value.getTime() / 1000)
    if name == "Error":
        return Exception(value.toString())
    if name in ("Number", "String", "Boolean"):
        return value.valueOf()
    return value


def _replace_null(value):
    if jsnull is not None and value is jsnull:
        return None
    if isinstance(value, dict):
        return JsDict({k: _replace_null(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_replace_null(v) for v in value]
    return value


def python_from_rpc(obj):
    """Convert a JS value received over RPC into Python: Response/Request/Blob/File/FormData
    become the workers classes, Date -> datetime, Map -> dict, Set -> set, Array -> list,
    plain objects -> dicts with attribute access, null -> None."""
    if jsnull is not None and obj is jsnull:
        return None
    if not isinstance(obj, JsProxy):
        return obj
    if not hasattr(obj, "constructor"):
        return obj
    converted = _from_rpc_default(obj, None, None)
    if converted is not obj:
        return converted
    return _replace_null(obj.to_py(default_converter=_from_rpc_default))


# --- Python -> JS -----------------------------------------------------------------------

def _raise_on_disabled_type(value):
    if isinstance(value, (BindingProxy, JsProxy)):
        if is_js_instance(value, "RegExp"):
            raise TypeError(f"{value.constructor.name} cannot be sent over RPC.")
        return
    if callable(value) and not isinstance(value, type):
        return  # sent as a function proxy
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if isinstance(value, dict):
        for item in value.values():
            _raise_on_disabled_type(item)
    elif isinstance(value, (list, set, frozenset)):
        for item in value:
            _raise_on_disabled_type(item)


def _replace_none(value):
    if value is None:
        return jsnull
    if isinstance(value, dict):
        return {k: _replace_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_none(v) for v in value]
    return value


def _to_rpc_default(obj, convert, cache):
    if obj is None:
        return jsnull
    unwrapped = unwrap_js(obj)
    if unwrapped is not None:
        return unwrapped
    if isinstance(obj, datetime.datetime):
        return js.Date.new(obj.timestamp() * 1000)
    if isinstance(obj, Exception):
        return js.Error.new(str(obj))
    if callable(obj) and not isinstance(obj, type):
        return create_proxy(obj)
    return obj


def python_to_rpc(value):
    """Convert a Python value to JS for RPC: the workers classes become their JS objects,
    dict -> plain object, list -> Array, set -> Set, None -> null, datetime -> Date,
    Exception -> Error. tuple, bytearray, lambdas and awaitables are refused (TypeError)."""
    if value is None:
        return jsnull
    unwrapped = unwrap_js(value)
    if unwrapped is not None:
        return unwrapped
    _raise_on_disabled_type(value)
    return to_js(_replace_none(value), default_converter=_to_rpc_default,
                 dict_converter=js.Object.fromEntries)


# --- import_from_javascript ---------------------------------------------------------------

_SUPPORTED = ("cloudflare:workers",)


class _CloudflareWorkersModule:
    """Kiln's stand-in for the `cloudflare:workers` JS module: `env` (the worker's env,
    as the host last passed it) and `waitUntil` (of the request being served)."""

    @property
    def env(self):
        from . import _state
        if _state.last_js_env is None:
            raise RuntimeError(
                "cloudflare:workers env is not available yet: Kiln learns the env from the "
                "first request, so read it inside a handler")
        return _state.last_js_env

    def waitUntil(self, awaitable):  # noqa: N802 - JS name
        from . import _state
        ctx = _state.current_ctx.get()
        if ctx is None:
            raise RuntimeError("waitUntil() called outside of a request")
        return ctx.waitUntil(awaitable)

    wait_until = waitUntil

    def __repr__(self):
        return "<module 'cloudflare:workers' (Kiln)>"


_cloudflare_workers = _CloudflareWorkersModule()


def import_from_javascript(module_name):
    """Import a JavaScript module by specifier, e.g. "cloudflare:workers".

    Kiln provides "cloudflare:workers" (env, waitUntil) and any module its JS host
    registers in `globalThis.__kilnModules` (an object keyed by specifier)."""
    registry = getattr(js, "__kilnModules", None)
    if registry is not None and not (jsnull is not None and registry is jsnull):
        if js.Reflect.has(registry, module_name):
            return js.Reflect.get(registry, module_name)
    if module_name == "cloudflare:workers":
        return _cloudflare_workers
    raise ImportError(
        f"Failed to import '{module_name}': Kiln supports import_from_javascript() for "
        f"{', '.join(repr(n) for n in _SUPPORTED)} only (cloudflare:sockets and other JS "
        "modules are not available in Kiln yet)")
