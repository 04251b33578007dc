"""Python Workflows: NonRetryableError and the `step` object a WorkflowEntrypoint's
`run(self, event, step)` receives.

`@step.do(name=None, *, concurrent=False, config=None)` declares a step; its parameters
name earlier steps whose results are injected (a `ctx` parameter receives the step
context). Calling the decorated function runs the step once and returns its result.
"""

import asyncio
import inspect

from pyodide.ffi import JsException, create_proxy


class NonRetryableError(Exception):
    """Raise inside a step to fail the workflow without further retries."""


def _from_js_error(exc):
    message = getattr(exc, "message", "") or str(exc)
    name = getattr(exc, "name", "")
    lines = message.rstrip().splitlines()
    last = lines[-1] if lines else ""
    if name == "NonRetryableError" or "NonRetryableError" in last:
        return NonRetryableError(last or message)
    if name == "TypeError":
        return TypeError(message)
    if name == "RangeError":
        return ValueError(message)
    return exc


_CTX = object()


class WorkflowStep:
    """Python wrapper of the JS WorkflowStep."""

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

    @property
    def js_object(self):
        return self._js_step

    def do(self, name=None, *, concurrent=False, config=None, depends=None):
        if callable(name) and not isinstance(name, str):  # bare @step.do
            return self.do()(name)

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
            self._steps.setdefault(func.__name__, run_step)
            return run_step

        return decorator

    def _dependencies(self, func, depends):
        params = list(inspect.signature(func).parameters.values())
        if depends is not None:  # the older explicit form: depends=[step_a, step_b]
            others = [p for p in params if p.name != "ctx"]
            if len(others) != len(depends):
                raise TypeError(f"Step declares {len(others)} non-ctx parameter(s) but "
                                f"'depends' has {len(depends)} item(s)")
            it = iter(depends)
            return [_CTX if p.name == "ctx" else next(it) for p in params]
        deps = []
        for p in params:
            if p.name == "ctx":
                deps.append(_CTX)
            elif p.name in self._steps:
                deps.append(self._steps[p.name])
            else:
                raise TypeError(f"Step parameter {p.name!r} does not name an earlier step "
                                "(or ctx)")
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
        if name in self._results:
            return self._results[name]
        if name in self._in_flight:
            return await self._in_flight[name]
        task = asyncio.ensure_future(self._call_js(name, config, func, values))
        self._in_flight[name] = task
        try:
            result = await task
        finally:
            self._in_flight.pop(name, None)
        self._results[name] = result
        return result

    async def _call_js(self, name, config, func, values):
        from ._convert import to_js_value
        from ._tasks import future_to_promise
        from ._rpc import python_from_rpc, python_to_rpc

        async def body(ctx):
            args = [python_from_rpc(ctx) if v is _CTX else v for v in values]
            result = func(*args)
            if inspect.isawaitable(result):
                result = await result
            return python_to_rpc(result)

        callback = create_proxy(lambda ctx=None: future_to_promise(body(ctx)))
        try:
            if config is None:
                result = await self._js_step.do(name, callback)
            else:
                result = await self._js_step.do(name, to_js_value(config), callback)
        except JsException as exc:
            raise _from_js_error(exc) from exc
        finally:
            callback.destroy()
        return python_from_rpc(result)

    def sleep(self, name, duration):
        return self._js_step.sleep(name, duration)

    def sleep_until(self, name, timestamp):
        from ._rpc import python_to_rpc
        if not isinstance(timestamp, str):
            timestamp = python_to_rpc(timestamp)
        return self._js_step.sleepUntil(name, timestamp)

    async def wait_for_event(self, name, event_type, /, timeout="24 hours"):
        from ._convert import to_js_value
        from ._rpc import python_from_rpc
        options = to_js_value({"type": event_type, "timeout": timeout})
        return python_from_rpc(await self._js_step.waitForEvent(name, options))
