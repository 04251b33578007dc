"""WorkerEntrypoint, DurableObject, WorkflowEntrypoint, the env and ctx wrappers, handler."""

import functools
import inspect

import js
from pyodide.ffi import JsProxy

from ._convert import PendingResult, is_js_instance, is_null, to_python
from ._tasks import future_to_promise, is_python_awaitable


def _idempotent_new(cls, obj=None):
    if isinstance(obj, cls):
        return obj
    return object.__new__(cls)


class Env:
    """`self.env`: bindings and variables as Python values.

    Strings, numbers (3 stays int), booleans and null arrive as str/int/float/bool/None,
    JSON objects and arrays as dicts (with attribute access) and lists, ArrayBuffers as
    memoryview, and bindings (KV, D1, R2, services, ...) as proxies whose methods take
    Python arguments and return awaitables of Python values."""

    __slots__ = ("_js",)
    __new__ = _idempotent_new

    def __init__(self, js_env=None):
        if js_env is self:
            return
        object.__setattr__(self, "_js", None if is_null(js_env) else js_env)

    @property
    def js_object(self):
        return object.__getattribute__(self, "_js")

    def _has(self, name):
        env = object.__getattribute__(self, "_js")
        return env is not None and isinstance(name, str) and bool(js.Reflect.has(env, name))

    def __getattr__(self, name):
        if name.startswith("__") or not self._has(name):
            raise AttributeError(f"env has no binding or variable named {name!r}")
        return to_python(getattr(object.__getattribute__(self, "_js"), name))

    def __setattr__(self, name, value):
        raise AttributeError("env is read-only")

    def __getitem__(self, name):
        if not self._has(name):
            raise KeyError(name)
        return self.__getattr__(name)

    def get(self, name, default=None):
        return self.__getattr__(name) if self._has(name) else default

    def __contains__(self, name):
        return self._has(name)

    def keys(self):
        env = object.__getattribute__(self, "_js")
        return [] if env is None else list(js.Object.keys(env))

    def __iter__(self):
        return iter(self.keys())

    def __dir__(self):
        return self.keys()

    def __repr__(self):
        return f"<env {', '.join(self.keys())}>"


class Context:
    """`self.ctx`: the execution context. `waitUntil` / `wait_until` accept Python
    coroutines, tasks and futures as well as JS promises; everything else on the JS
    context (passThroughOnException, props, a Durable Object's storage/id, ...) is
    reachable as an attribute."""

    __slots__ = ("_js",)
    __new__ = _idempotent_new

    def __init__(self, js_ctx=None):
        if js_ctx is self:
            return
        object.__setattr__(self, "_js", None if is_null(js_ctx) else js_ctx)

    @property
    def js_object(self):
        return object.__getattribute__(self, "_js")

    def waitUntil(self, awaitable):  # noqa: N802 - the documented JS name
        js_ctx = object.__getattribute__(self, "_js")
        if isinstance(awaitable, JsProxy):
            promise = awaitable
        elif isinstance(awaitable, PendingResult) or is_python_awaitable(awaitable):
            promise = future_to_promise(awaitable)  # runs even if JS never awaits it
        else:
            raise TypeError(
                f"waitUntil() takes a coroutine, task, future or JS promise, not "
                f"{type(awaitable).__name__}")
        if js_ctx is not None and hasattr(js_ctx, "waitUntil"):
            js_ctx.waitUntil(promise)

    wait_until = waitUntil

    def passThroughOnException(self):  # noqa: N802
        js_ctx = object.__getattribute__(self, "_js")
        if js_ctx is not None and hasattr(js_ctx, "passThroughOnException"):
            js_ctx.passThroughOnException()

    pass_through_on_exception = passThroughOnException

    def __getattr__(self, name):
        js_ctx = object.__getattribute__(self, "_js")
        if name.startswith("__") or js_ctx is None or not js.Reflect.has(js_ctx, name):
            raise AttributeError(f"ctx has no attribute {name!r}")
        from ._convert import BindingProxy
        return getattr(BindingProxy(js_ctx), name)

    def __setattr__(self, name, value):
        raise AttributeError("ctx is read-only")

    def __repr__(self):
        return "<ctx>"


def _wrap_init(cls):
    original = cls.__dict__.get("__init__")
    if original is None or getattr(original, "_kiln_wrapped", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        args = list(args)
        if args:
            args[0] = Context(args[0])
        if len(args) > 1:
            args[1] = Env(args[1])
        if "ctx" in kwargs:
            kwargs["ctx"] = Context(kwargs["ctx"])
        if "env" in kwargs:
            kwargs["env"] = Env(kwargs["env"])
        original(self, *args, **kwargs)

    __init__._kiln_wrapped = True
    cls.__init__ = __init__


class _Entrypoint:
    def __init__(self, ctx, env):
        self.ctx = Context(ctx)
        self.env = Env(env)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _wrap_init(cls)


class WorkerEntrypoint(_Entrypoint):
    """Base class of a Worker's entrypoint: `class Default(WorkerEntrypoint)` with
    `async def fetch(self, request)`, `scheduled(self, controller, env, ctx)`, ...
    `self.env` and `self.ctx` are set by `__init__(self, ctx, env)`."""


class DurableObject(_Entrypoint):
    """Base class of a Durable Object: `__init__(self, ctx, env)`; `self.ctx.storage`."""


class WorkflowEntrypoint(_Entrypoint):
    """Base class of a Workflow: implement `async def run(self, event, step)`."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        run = cls.__dict__.get("run")
        if run is not None and not getattr(run, "_kiln_wrapped", False):
            cls.run = _wrap_run(run)


def _wrap_run(run):
    @functools.wraps(run)
    async def wrapped(self, event=None, step=None, /, *args, **kwargs):
        from ._rpc import python_from_rpc, python_to_rpc
        from .workflows import WorkflowStep
        from_js = isinstance(step, JsProxy)
        if isinstance(event, JsProxy):
            event = python_from_rpc(event)
        if from_js:
            step = WorkflowStep(step)
        result = run(self, event, step, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if from_js and result is not None:
            return python_to_rpc(result)
        return result

    wrapped._kiln_wrapped = True
    return wrapped


def handler(func):
    """For module-level handlers (`on_fetch(request, env, ctx)`): the JS request becomes a
    workers Request, env an Env wrapper and ctx a Context wrapper before `func` runs."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        args = list(args)
        if args and isinstance(args[0], JsProxy) and is_js_instance(args[0], "Request"):
            from ._request import Request
            args[0] = Request(args[0])
        if len(args) > 1:
            args[1] = Env(args[1])
        if len(args) > 2:
            args[2] = Context(args[2])
        return func(*args, **kwargs)

    wrapper._kiln_handler = True
    return wrapper
