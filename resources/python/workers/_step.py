"""The `step` a WorkflowEntrypoint's `run(self, event, step)` receives: Cloudflare's
wrapper of the JS WorkflowStep, plus the source line of each step for Kiln's timeline.

`@step.do(...)` declares a step (see WorkflowStep.do for its two signatures); its
dependencies' results are passed to it, and a `ctx` parameter receives the step context.
Calling the decorated function runs the step and returns its result.
"""

import asyncio
import inspect
import sys
import traceback

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy, to_js

from .rpc import python_from_rpc, python_to_rpc
from .utils import _from_js_error, get_compat_flag, jsnull

# Step bodies running as tasks: referenced until done, so none is collected mid-step.
_running = set()


def _step_promise(awaitable):
    """A JS Promise settled by a step body (a coroutine), as Kiln's engine awaits it: the
    result as JS, or an Error carrying the Python traceback, named NonRetryableError for that
    exception (the engine stops retrying) and PythonError otherwise."""
    task = asyncio.ensure_future(awaitable)
    _running.add(task)
    task.add_done_callback(_running.discard)

    def executor(resolve, reject):
        def settle(done):
            if done.cancelled():
                reject(js.Error.new("Python task was cancelled"))
                return
            exc = done.exception()
            if exc is None:
                try:
                    resolve(to_js(done.result(), dict_converter=js.Object.fromEntries))
                except Exception:  # noqa: BLE001 - a result JS cannot hold
                    resolve(jsnull)
                return
            error = js.Error.new("".join(traceback.format_exception(exc)))
            name = type(exc).__name__
            js.Reflect.set(error, "name", name if name == "NonRetryableError" else "PythonError")
            reject(error)

        task.add_done_callback(settle)

    return js.Promise.new(create_once_callable(executor))

_CTX = object()


def _caller_source(depth=2):
    """ "file:line" of the run() code calling a step method: the studio's timeline links each
    step to the line that declared it."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


class WorkflowStep:
    """Python wrapper of the JS WorkflowStep.

    `do` has Cloudflare's two signatures, chosen as workerd chooses them: with the
    python_workflows_implicit_dependencies flag (the default from compatibility_date
    2026-02-25), `do(name=None, *, concurrent=False, config=None)` and dependencies named by
    the step function's parameters; without it, `do(name, depends=None, concurrent=False,
    config=None)` and dependencies listed in `depends`, matched to the non-ctx parameters.
    """

    def __new__(cls, js_step):
        if isinstance(js_step, cls):
            return js_step
        return object.__new__(cls)

    def __init__(self, js_step):
        if js_step is self:
            return
        self._js_step = js_step
        self._results = {}
        self._in_flight = {}
        self._steps = {}
        self._implicit = get_compat_flag("python_workflows_implicit_dependencies")

    @property
    def js_object(self):
        return self._js_step

    def do(self, *args, **kwargs):
        if self._implicit:
            if "depends" in kwargs:
                raise TypeError(
                    "step.do() got an unexpected keyword argument 'depends': with the "
                    "python_workflows_implicit_dependencies flag (implied by a compatibility_date "
                    "of 2026-02-25 or later) a step names the steps it depends on as its "
                    "parameters; add the compatibility flag "
                    "no_python_workflows_implicit_dependencies to keep depends=[...]")
            return self._do_implicit(*args, **kwargs)
        return self._do_legacy(*args, **kwargs)

    def _do_implicit(self, name=None, *, concurrent=False, config=None):
        return self._decorator(name, None, concurrent, config)

    def _do_legacy(self, name, depends=None, concurrent=False, config=None):
        return self._decorator(name, depends, concurrent, config)

    def _decorator(self, name, depends, concurrent, config):
        def decorator(func):
            step_name = func.__name__ if name is None else name

            async def run_step():
                deps = self._dependencies(func, depends)
                if concurrent:
                    values = await asyncio.gather(*(self._resolve(d) for d in deps))
                else:
                    values = [await self._resolve(d) for d in deps]
                return await self._run(step_name, config, func, values)

            run_step._step_name = step_name
            run_step.__name__ = func.__name__
            run_step.__qualname__ = func.__qualname__
            self._steps[step_name] = run_step
            return run_step

        return decorator

    def _dependencies(self, func, depends):
        params = list(inspect.signature(func).parameters.values())
        if not self._implicit:
            others = [p for p in params if p.name != "ctx"]
            if depends is None and others:
                raise TypeError(f"Step has {len(others)} non-ctx parameter(s) but no 'depends' "
                                "list provided")
            if depends is not None and len(others) != len(depends):
                raise TypeError(f"Step declares {len(others)} non-ctx parameter(s) but "
                                f"'depends' has {len(depends)} item(s)")
            it = iter(depends or ())
            return [_CTX if p.name == "ctx" else next(it) for p in params]
        deps = []
        for p in params:
            if p.name in self._steps:
                deps.append(self._steps[p.name])
            elif p.name == "ctx":
                deps.append(_CTX)
            else:
                raise TypeError(f"Received unexpected parameter {p.name}: a step's parameters "
                                "name earlier steps (by their step name) or ctx")
        return deps

    async def _resolve(self, dep):
        if dep is _CTX:
            return _CTX
        key = dep._step_name
        if key in self._results:
            return self._results[key]
        if key in self._in_flight:
            return await self._in_flight[key]
        return await dep()

    async def _run(self, name, config, func, values):
        # Each call is a step of its own, as on Cloudflare: calling a step function twice
        # runs (or replays) the step's second occurrence. Dependencies reuse a result.
        task = asyncio.ensure_future(self._call_js(name, config, func, values))
        self._in_flight[name] = task
        try:
            result = await task
        finally:
            self._in_flight.pop(name, None)
        self._results[name] = result
        return result

    async def _call_js(self, name, config, func, values):

        async def body(ctx):
            args = [python_from_rpc(ctx) if v is _CTX else v for v in values]
            result = func(*args)
            if inspect.isawaitable(result):
                result = await result
            # As Cloudflare's SDK hands a step's result to the engine: to_js with dicts as
            # objects, so a tuple is an array; what JSON cannot hold fails in the engine.
            return to_js(result, dict_converter=js.Object.fromEntries)

        callback = create_proxy(lambda ctx=None: _step_promise(body(ctx)))
        code = getattr(func, "__code__", None)
        if code is not None:  # the decorator's line (co_firstlineno counts decorators)
            self._js_step.kilnSource = f"{code.co_filename}:{code.co_firstlineno}"
        try:
            if config is None:
                result = await self._js_step.do(name, callback)
            else:
                result = await self._js_step.do(
                    name, to_js(config, dict_converter=js.Object.fromEntries), callback)
        except JsException as exc:
            raise _from_js_error(exc) from exc
        finally:
            callback.destroy()
        return python_from_rpc(result)

    def sleep(self, name, duration):
        self._js_step.kilnSource = _caller_source()
        return self._js_step.sleep(name, duration)

    def sleep_until(self, name, timestamp):
        if not isinstance(timestamp, str):
            timestamp = python_to_rpc(timestamp)
        self._js_step.kilnSource = _caller_source()
        return self._js_step.sleepUntil(name, timestamp)

    async def wait_for_event(self, name, event_type, /, timeout="24 hours"):
        options = to_js({"type": event_type, "timeout": timeout},
                        dict_converter=js.Object.fromEntries)
        self._js_step.kilnSource = _caller_source()
        return python_from_rpc(await self._js_step.waitForEvent(name, options))
