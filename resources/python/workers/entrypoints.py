"""WorkerEntrypoint, DurableObject, WorkflowEntrypoint and `handler`, with the behaviour of
Cloudflare's `workers` package: a class's `__init__(ctx, env)` receives env wrapped
(_EnvWrapper) and the JS ctx itself, its waitUntil patched to take Python awaitables; a
Durable Object's ctx is a DurableObjectContext; a workflow's run() gets the event as Python
and `step` wrapped."""

import functools
import inspect

import _pyodide_entrypoint_helper
import js
from pyodide.ffi import create_once_callable

from .request import Request
from .rpc import _BindingWrapper, _EnvWrapper, _idempotent_new, python_from_rpc, python_to_rpc
from .utils import _is_js_instance


class DurableObjectAbort(BaseException):
    pass


class DurableObjectContext:
    """A Durable Object's ctx: the JS state's attributes, `storage` wrapped as a binding."""

    __new__ = _idempotent_new

    def __init__(self, ctx):
        if ctx is self:
            return
        self._ctx = ctx

    def __getattr__(self, name):
        result = getattr(self._ctx, name)
        if _is_js_instance(result, "DurableObjectStorage"):
            result = _BindingWrapper(result)
        setattr(self, name, result)
        return result

    def abort(self, reason=None):
        # The JS abort ends execution at once; queued as a microtask so Python unwinds first,
        # and raised as a BaseException so `except Exception` does not swallow it.
        ctx = self._ctx
        callback = create_once_callable(
            (lambda: ctx.abort()) if reason is None else (lambda: ctx.abort(reason)))
        js.queueMicrotask(callback)
        raise DurableObjectAbort(reason or "Durable Object abort requested")


def handler(func):
    """For module-level handlers (`on_fetch(request, env, ctx)`): the JS request becomes a
    workers Request and env an _EnvWrapper before `func` runs."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if args and _is_js_instance(args[0], "Request"):
            args = (Request._of_js(args[0]), *args[1:])
        if len(args) > 1:
            args = (args[0], _EnvWrapper(args[1]), *args[2:])
        return func(*args, **kwargs)

    return wrapper


# Held, not looked up on the module per request (each lookup is a trip into JS).
_patch_wait_until = _pyodide_entrypoint_helper.patchWaitUntil

# Kiln's host sets this to the ctx it is handing to a class it instantiates when that ctx is an
# ExecutionContext of Kiln's own, whose waitUntil takes Python awaitables already: patchWaitUntil
# would leave it as it is, so it is not asked (a trip into JS per request).
_host_context = None


def _wrap_class(cls, durable=False):
    """`durable`: cls is DurableObject or a subclass (said by the caller: the decorator runs
    before the name DurableObject is bound)."""
    original_init = cls.__dict__.get("__init__")
    if original_init is None:
        return cls

    def wrapped_init(self, *args, **kwargs):
        if len(args) == 2 and not durable:  # (ctx, env), as the host and workerd call it
            ctx, env = args
            if ctx is not _host_context:
                _patch_wait_until(ctx)
            original_init(self, ctx, env if isinstance(env, _EnvWrapper) else _EnvWrapper._of(env),
                          **kwargs)
            return
        args = list(args)
        if args:
            if args[0] is not _host_context:
                _patch_wait_until(args[0])
            if durable:
                args[0] = DurableObjectContext(args[0])
        if len(args) > 1:
            args[1] = _EnvWrapper(args[1])
        original_init(self, *args, **kwargs)

    cls.__init__ = wrapped_init
    return cls


def _wrap_workflow_run(cls):
    run = cls.__dict__.get("run")
    if run is None:
        return

    @functools.wraps(run)
    async def wrapped_run(self, event=None, step=None, /, *args, **kwargs):
        from ._step import WorkflowStep

        if event is not None:
            event = python_from_rpc(event)
        if step is not None:
            step = WorkflowStep(step)
        result = run(self, event, step, *args, **kwargs)
        if inspect.iscoroutine(result):
            result = await result
        return None if result is None else python_to_rpc(result)

    cls.run = wrapped_run


def _wrap_queue_handler(cls):
    queue = getattr(cls, "queue", None)
    if queue is None:
        return

    @functools.wraps(queue)
    async def wrapped_queue(self, batch, *args, **kwargs):
        result = queue(self, _BindingWrapper(batch), *args, **kwargs)
        if inspect.iscoroutine(result):
            result = await result
        return result

    cls.queue = wrapped_queue


@functools.partial(_wrap_class, durable=True)
class DurableObject:
    """Base class of a Durable Object: `__init__(self, ctx, env)`."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **_kwargs):
        _wrap_class(cls, durable=True)  # cls subclasses DurableObject


@_wrap_class
class WorkerEntrypoint:
    """Base class of a Worker's entrypoint: `class Default(WorkerEntrypoint)` with
    `async def fetch(self, request)`, `scheduled(self, controller, env, ctx)`, ..."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **_kwargs):
        _wrap_class(cls, durable=issubclass(cls, DurableObject))
        _wrap_queue_handler(cls)


@_wrap_class
class WorkflowEntrypoint:
    """Base class of a Workflow: implement `async def run(self, event, step)`."""

    def __init__(self, ctx, env):
        self.ctx = ctx
        self.env = env

    def __init_subclass__(cls, **_kwargs):
        _wrap_class(cls, durable=issubclass(cls, DurableObject))
        _wrap_workflow_run(cls)
