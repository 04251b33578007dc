"""Python coroutines, tasks and futures as real JS Promises (for waitUntil, streams and
workflow callbacks), and a strong reference set so background tasks are not collected."""

import asyncio
import inspect
import traceback

import js
from pyodide.ffi import JsProxy, create_once_callable, to_js

from .utils import jsnull

_background = set()


def keep_alive(task):
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


def future_to_promise(awaitable):
    """A real JS Promise settled by a Python coroutine, task or future."""
    task = asyncio.ensure_future(awaitable)
    keep_alive(task)

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
            text = "".join(traceback.format_exception(exc))
            err = js.Error.new(text)
            name = type(exc).__name__
            js.Reflect.set(err, "name", name if name == "NonRetryableError" else "PythonError")
            reject(err)

        task.add_done_callback(settle)

    return js.Promise.new(create_once_callable(executor))


def is_python_awaitable(value):
    return not isinstance(value, JsProxy) and inspect.isawaitable(value)
