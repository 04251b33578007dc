"""python_from_rpc / python_to_rpc and the binding wrappers, with the behaviour of
Cloudflare's `workers` package: `self.env` wraps bindings by their JS class (KV, R2, D1,
Queue, AI, service bindings, Durable Object namespaces, Workflows, ...) so their methods
take and return Python values; every other env value is left as Pyodide hands it over
(str, int, ... or a JsProxy for a JSON object)."""

import datetime
import inspect
from types import MethodType

import _pyodide_entrypoint_helper
import js
from pyodide.ffi import create_proxy, to_js

from . import _json
from .blob import Blob, File
from .fetch import fetch
from .formdata import FormData
from .request import Request
from .response import Response
from .utils import (
    _JS_PASSTHROUGH_TYPES,
    _after_one_turn,
    _call_rpc,
    _call_statement,
    _get_js_constructor_name,
    _is_iterable,
    _is_js_instance,
    _is_js_proxy,
    jsnull,
)


def _from_rpc_converter(value, convert, cache):
    if value is jsnull:
        return None
    return _from_rpc_named(value, _get_js_constructor_name(value))


def _from_rpc_named(value, name):
    """_from_rpc_converter for a value whose constructor's name is known already."""
    if name is None:
        return value
    if name == "Response":
        return Response(value)
    if name == "FormData":
        return FormData(value)
    if name == "Blob":
        return Blob(value)
    if name == "File":
        return File(value)
    if name == "Request":
        return Request(value)
    if name == "Date":
        # Naive local time, as Cloudflare's SDK makes it.
        return datetime.datetime.fromtimestamp(value.getTime() / 1000)
    if name == "Error":
        return Exception(value.toString())
    if name == "Number":
        return value.valueOf()
    return value  # other JS objects pass through as proxies


class JsDict(dict):
    """A dict made from a JS object by python_from_rpc: keys are attributes too (a key named
    like a dict method is reachable by subscript only)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


def _null_to_none(obj):
    if obj is jsnull:
        return None
    if isinstance(obj, dict):
        return JsDict({key: _null_to_none(value) for key, value in obj.items()})
    if isinstance(obj, list):
        return [_null_to_none(value) for value in obj]
    return obj


# _null_to_none(json.loads(text)): json.loads makes no jsnull, so only its objects need to
# become JsDicts, which the scanner makes as it goes.
_from_json = _json.make_loads(JsDict)


# Held, not looked up on the module per call (each lookup is a trip into JS).
_to_py_uses_default_converter = _pyodide_entrypoint_helper.toPyUsesDefaultConverter
_plain_json = getattr(_pyodide_entrypoint_helper, "plainJson", None)

# Kiln's own KV and D1 classes (resources/js: kvnamespace.mjs, d1database.mjs) by JS class
# name: their methods (plain prototype methods, whose reads answer promises already
# fulfilled) are called through the entrypoint helper's callRpc, without looking each up in JS
# first; a method's result known to be one of these classes is wrapped without asking JS what
# it is. The SDK suite checks both tables against the JS classes.
_KILN_METHODS = {
    "KvNamespace": frozenset({"get", "getWithMetadata", "put", "delete", "list"}),
    "D1Database": frozenset({"prepare", "batch", "exec", "dump", "withSession"}),
    "D1PreparedStatement": frozenset({"bind", "first", "all", "run", "raw"}),
}
_KILN_RESULTS = {
    ("D1Database", "prepare"): "D1PreparedStatement",
    ("D1PreparedStatement", "bind"): "D1PreparedStatement",
}


def python_from_rpc(obj):
    """A JS value received over RPC (or from a binding) as Python: Response, Request, Blob,
    File and FormData become this package's classes, Date a naive datetime, Map a dict, Set a
    set, Array a list, objects JsDicts, null None; other JS objects stay proxies."""
    return _from_rpc_with_name(obj)[0]


def _from_rpc_with_name(obj):
    """python_from_rpc(obj), and the name of obj's constructor when the result is obj itself
    (else _UNKNOWN), so a caller that goes on to look at it does not ask JS again."""
    if obj is jsnull:
        return None, _UNKNOWN
    name = _get_js_constructor_name(obj)
    if name is None:
        return obj, None
    if name == "TestController":
        return None, _UNKNOWN
    if _to_py_uses_default_converter(obj):
        # What to_py would return for it, without Pyodide calling back into Python.
        converted = _from_rpc_named(obj, name)
        if converted is obj:
            return obj, name
        return _null_to_none(converted), _UNKNOWN
    if _plain_json is not None:
        text = _plain_json(obj)  # plain data: JSON text that json.loads turns into what to_py would
        if text is not None:
            return _from_json(text), _UNKNOWN
    return _null_to_none(obj.to_py(default_converter=_from_rpc_converter)), _UNKNOWN


_UNKNOWN = object()


def _raise_on_disabled_type(value):
    if isinstance(value, _BindingWrapper):
        return
    if callable(value) and not isinstance(value, type):
        return
    if _is_js_instance(value, "RegExp"):
        raise TypeError(f"{value.constructor.name} cannot be sent over RPC.")
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if inspect.isawaitable(value):
        raise TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    if _is_iterable(value):
        for item in (value.values() if isinstance(value, dict) else value):
            _raise_on_disabled_type(item)


def _to_rpc_converter(obj, convert, cache):
    if obj is None:
        return jsnull
    if isinstance(obj, _BindingWrapper):
        return obj._binding
    if hasattr(obj, "js_object"):
        return obj.js_object
    if isinstance(obj, datetime.datetime):
        return js.Date.new(obj.timestamp() * 1000)
    if isinstance(obj, Exception):
        return js.Error.new(str(obj))
    if callable(obj) and not isinstance(obj, type):
        return create_proxy(obj)  # kept alive: JS may call it later
    _raise_on_disabled_type(obj)
    return obj


def _none_to_null(value):
    if value is None:
        return jsnull
    if isinstance(value, dict):
        return {key: _none_to_null(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_none_to_null(item) for item in value]
    return value


# Values to_js hands back as they are and the RPC checks let through (exact types: a subclass
# such as an IntEnum takes the full path).
_RPC_PRIMITIVES = frozenset({str, int, float, bool})


def python_to_rpc(value):
    """A Python value as JS for RPC (and binding arguments): this package's classes become
    their JS objects, dict a plain object, list an Array, set a Set, None null, datetime a
    Date, an Exception an Error, a function a proxy. tuple, bytearray, RegExp and awaitables
    are refused with TypeError."""
    if value is None:
        return jsnull
    if type(value) in _RPC_PRIMITIVES:
        return value
    if isinstance(value, _BindingWrapper):
        return value._binding
    value = _none_to_null(value)
    _raise_on_disabled_type(value)  # to_js does not ask the converter about every value
    return to_js(value, default_converter=_to_rpc_converter, dict_converter=js.Object.fromEntries)


def _is_thenable(value):
    """Whether `value` has a `then` method. A JS object's proxy knows: Pyodide gives the proxy of
    an object whose `then` is a function an awaitable class when it makes it, so no trip into
    JS (two, with the proxy of `then` made in between) is needed to ask."""
    if _is_js_proxy(value):
        return hasattr(type(value), "__await__")
    return hasattr(value, "then") and callable(value.then)


def _idempotent_new(cls, obj):
    # `Wrapper(w) is w` for a wrapper already made; __init__ returns early then.
    if isinstance(obj, cls):
        return obj
    return object.__new__(cls)


class _BindingWrapper:
    """A binding (or an object a binding returned): methods take Python arguments
    (python_to_rpc) and give Python results (python_from_rpc), awaitable when JS returns a
    promise; objects with methods among the results are wrapped again."""

    __new__ = _idempotent_new
    _kiln_class = None  # the JS object's class name when it is one of _KILN_METHODS' (set where made)
    _wraps_alike = True  # objects among the results are wrapped in this class (else the base)

    def __init__(self, binding):
        if binding is self:
            return
        self._binding = binding

    @classmethod
    def _of(cls, binding):
        """cls(binding), without the idempotent __new__ and __init__ a JS object never needs."""
        self = object.__new__(cls)
        self._binding = binding
        return self

    def _as_kiln(self, js_type):
        self._kiln_class = js_type
        return self

    @property
    def _real_name(self):
        return _get_js_constructor_name(self._binding) or type(self).__name__

    def _wrap_js_value(self, value, js_type=_UNKNOWN):
        if not _is_js_proxy(value):
            return value
        if js_type is _UNKNOWN:
            js_type = _get_js_constructor_name(value)
        if not js_type or js_type in _JS_PASSTHROUGH_TYPES:
            return value
        if callable(value):  # a function or RpcTarget stub
            return _RpcStubWrapper(value)
        return self._wrap_as(value, js_type)

    def _wrap_as(self, value, js_type):
        wrapper = (self.__class__ if self._wraps_alike else _BindingWrapper)(value)
        if js_type in _KILN_METHODS:
            wrapper._kiln_class = js_type
        return wrapper

    def _convert_result(self, result):
        converted, name = _from_rpc_with_name(result)
        if isinstance(converted, list):
            return [self._wrap_js_value(item) for item in converted]
        return self._wrap_js_value(converted, name)

    @staticmethod
    def _convert_args(args, kwargs):
        return ([python_to_rpc(arg) for arg in args],
                {key: python_to_rpc(value) for key, value in kwargs.items()})

    def _convert_settled(self, settled):
        """_convert_result for a fulfilled promise's value as callRpc encodes it."""
        if settled[0] == "s":
            return settled[1:]
        return _from_json(settled[1:])  # "j": plain data, as python_from_rpc

    def _convert_and_invoke(self, fn, args, kwargs, name=None):
        # fn: the JS function (its `this` bound), or None for `name` called through callRpc.
        js_args, js_kwargs = self._convert_args(args, kwargs)
        if fn is None:  # a method of one of _KILN_METHODS' classes
            return self._rpc_answer(_call_rpc(self._binding, name, *js_args, **js_kwargs), name)
        return self._answer(fn(*js_args, **js_kwargs))

    def _rpc_answer(self, result, name):
        """The result of method `name` from what callRpc (or callStatement) answered."""
        if type(result) is str:
            if result[0] == "r":
                return result[1:]
            # A read answered in place: its value came in this trip; the caller still waits
            # one turn of the event loop for it, as for any awaited promise.
            return _after_one_turn(self._convert_settled, result)
        known = _KILN_RESULTS.get((self._kiln_class, name))
        if known is not None and _is_js_proxy(result) and not _is_thenable(result):
            return self._wrap_as(result, known)
        return self._answer(result)

    def _answer(self, result):
        if _is_thenable(result):
            async def converted():
                return self._convert_result(await result)
            return converted()
        return self._convert_result(result)

    def _kiln_method(self, name):
        return MethodType(_kiln_class_method(name), self)

    def __getattr__(self, name):
        methods = _KILN_METHODS.get(self._kiln_class)
        if methods is not None and name in methods and _call_rpc is not None:
            method = self._kiln_method(name)
            setattr(self, name, method)
            return method
        attr = getattr(self._binding, name)
        if callable(attr):
            def method(*args, **kwargs):
                return self._convert_and_invoke(attr, args, kwargs)
            result = method
        else:
            result = self._convert_result(attr)
        setattr(self, name, result)  # looked up once per wrapper, as on Cloudflare
        return result

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._convert_result(self._binding[key])
        return self._convert_result(getattr(self._binding, key))

    def __iter__(self):
        if not hasattr(self._binding, "__iter__"):
            raise TypeError(f"'{self._real_name}' object is not iterable")
        for item in self._binding:
            yield self._convert_result(item)

    def __bool__(self):
        return self._binding is not None

    def __len__(self):
        length = getattr(self._binding, "length", None)
        if not isinstance(length, int):
            raise TypeError(f"'{self._real_name}' object has no len()")
        return length


def _kiln_class_method(name):
    """Method `name` of one of _KILN_METHODS' classes, called through callRpc."""
    def method(self, *args, **kwargs):
        if not kwargs:
            for arg in args:
                if type(arg) not in _RPC_PRIMITIVES:
                    break
            else:  # python_to_rpc would hand every argument over as it is
                return self._rpc_answer(_call_rpc(self._binding, name, *args), name)
        return self._convert_and_invoke(None, args, kwargs, name)
    method.__name__ = method.__qualname__ = name
    return method


class _KvNamespaceWrapper(_BindingWrapper):
    """env.KV (one of Kiln's own KvNamespace objects): its methods are this class's, so a
    request's `env.KV.get` is found without __getattr__ making it for each new wrapper."""

    _kiln_class = "KvNamespace"
    _wraps_alike = False


for _name in _KILN_METHODS["KvNamespace"]:
    setattr(_KvNamespaceWrapper, _name, _kiln_class_method(_name))
del _name


class _RpcStubWrapper(_BindingWrapper):
    """A function or RpcTarget received over RPC: calling it is always allowed."""

    def __call__(self, *args, **kwargs):
        return self._convert_and_invoke(self._binding, args, kwargs)


class _FetcherWrapper(_BindingWrapper):
    """A service binding (Fetcher): `fetch` takes what workers.fetch takes."""

    def fetch(self, *args, **kwargs):
        return fetch(*args, fetcher=self._binding.fetch, **kwargs)


class _DurableObjectNamespaceWrapper:
    def __init__(self, binding):
        self._binding = binding

    def __getattr__(self, name):
        return getattr(self._binding, name)

    def get(self, *args, **kwargs):
        return _FetcherWrapper(self._binding.get(*args, **kwargs))

    def getByName(self, *args, **kwargs):  # noqa: N802 - the JS name
        return _FetcherWrapper(self._binding.getByName(*args, **kwargs))

    def jurisdiction(self, *args, **kwargs):
        return _DurableObjectNamespaceWrapper(self._binding.jurisdiction(*args, **kwargs))


class _WorkflowInstanceWrapper(_BindingWrapper):
    async def send_event(self, *args, **kwargs):
        js_args, js_kwargs = self._convert_args(args, kwargs)
        return self._convert_result(await self._binding.sendEvent(*js_args, **js_kwargs))


class _WorkflowBindingWrapper(_BindingWrapper):
    async def get(self, *args, **kwargs):
        js_args, js_kwargs = self._convert_args(args, kwargs)
        return _WorkflowInstanceWrapper(await self._binding.get(*js_args, **js_kwargs))

    async def create(self, *args, **kwargs):
        js_args, js_kwargs = self._convert_args(args, kwargs)
        return _WorkflowInstanceWrapper(await self._binding.create(*js_args, **js_kwargs))

    async def create_batch(self, *args, **kwargs):
        js_args, js_kwargs = self._convert_args(args, kwargs)
        instances = await self._binding.createBatch(*js_args, **js_kwargs)
        return [_WorkflowInstanceWrapper(instance) for instance in instances]


class _EnvWrapper:
    """`self.env` / `workers.env`: bindings wrapped by class, other values as they are.
    Attributes can be set (a test's stand-in binding, say), as on Cloudflare."""

    _BINDING_TYPES = frozenset({
        "KvNamespace", "R2Bucket", "D1Database", "WorkerQueue", "Ai", "VectorizeIndexImpl",
        "AnalyticsEngine", "AnalyticsEngineDataset", "LocalAnalyticsEngineDataset",
        "ImagesBindingImpl", "HostedImagesBindingImpl", "Ratelimit",
    })

    __new__ = _idempotent_new

    def __init__(self, env):
        if env is self:
            return
        self._env = env

    @classmethod
    def _of(cls, env):
        """_EnvWrapper(env) for an `env` known not to be one already (one call, not two)."""
        self = object.__new__(cls)
        self._env = env
        return self

    # The host hands every request the same env (one proxy of it): what its names hold, and
    # their classes, are asked of JS once per name, not on every request. Each _EnvWrapper
    # still makes its own wrappers, so nothing set on one reaches another request's.
    _seen_env = None
    _seen = {}  # name -> (value, what wraps it: _maker of its JS class) in _seen_env

    def __getattr__(self, name):
        if self._env is not _EnvWrapper._seen_env:
            _EnvWrapper._seen_env = self._env
            _EnvWrapper._seen = {}
        known = _EnvWrapper._seen.get(name)
        if known is None:
            binding = getattr(self._env, name)
            known = _EnvWrapper._seen[name] = (binding, self._maker(_get_js_constructor_name(binding)))
        binding, make = known
        result = binding if make is None else make(binding)
        self.__dict__[name] = result
        return result

    @classmethod
    def _maker(cls, js_type):
        """What makes an env value of JS class `js_type` the SDK's (None: it stays as it is)."""
        if js_type == "Fetcher":
            return _FetcherWrapper
        if js_type == "DurableObjectNamespace":
            return _DurableObjectNamespaceWrapper
        if js_type == "WorkflowImpl":
            return _WorkflowBindingWrapper
        if js_type == "D1Database" and _call_statement is not None:
            return _D1DatabaseWrapper._of
        if js_type == "KvNamespace" and _call_rpc is not None:
            return _KvNamespaceWrapper._of
        if js_type in cls._BINDING_TYPES:
            if js_type in _KILN_METHODS:
                return lambda binding: _BindingWrapper(binding)._as_kiln(js_type)
            return _BindingWrapper
        return None


from ._d1 import _D1DatabaseWrapper  # noqa: E402 - it builds on this module's classes
