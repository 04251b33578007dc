"""Host glue: the only Python functions Kiln's JS side calls.

    add_python_modules(path, process_pth_files)           -> None
    import_packages(module_names)                         -> None
    js_globals()                                          -> [(module, file, name, JS value)]
    load_main(module_name)                                -> None
    await handle_fetch(js_request, js_env, js_ctx)        -> JS Response
    fetch_starter(js_env, settle, request_of)
                            -> start(url, method, js_ctx, token[, js_request])
                                    (start and settle's response: JS Response, or str "t"/"j" + body)
    failed_fetch(token)                                   -> the failed Task of start's token
    await handle_scheduled(js_controller, js_env, js_ctx) -> None
    await run_workflow(class_name, js_event, js_step, js_env, js_ctx) -> JS value

Dispatch follows workerd: a class `Default` (subclass of workers.WorkerEntrypoint) in the
main module is instantiated for every event as `Default(ctx, env)` (the SDK wraps env and
patches ctx.waitUntil), then `fetch(request)` gets a workers Request and
`scheduled(controller, env, ctx)` the JS objects; without one, the module-level `on_fetch` /
`on_scheduled` function gets (event, env, ctx) as JS objects unless decorated with
`@workers.handler`. Calls are relaxed, as Pyodide's relaxed_call: a handler taking fewer
positional parameters gets only those. Sync and async both work. Errors propagate to the
host, which prints them.
"""

import asyncio
import inspect
import sys
import weakref
from functools import partial
from types import CoroutineType

from pyodide.ffi import JsProxy
from pyodide.webloop import PyodideTask

import _kiln_entropy
import _kiln_eventloop
from workers import entrypoints
from workers.entrypoints import WorkerEntrypoint, WorkflowEntrypoint
from workers.request import Request
from workers.response import FetchResponse, Response
from workers.rpc import _EnvWrapper, python_from_rpc
from workers.utils import _get_js_constructor_name, _is_js_instance

_main = None
_main_name = None
_kiln_eventloop.install()


def load_main(module_name: str) -> None:
    """Import the worker's main module ("entry", "entry.py" or "src/entry.py" all name
    module `entry`; its folder must already be on sys.path). Import errors propagate."""
    global _main, _main_name
    name = str(module_name).replace("\\", "/").rsplit("/", 1)[-1]
    if name.endswith(".py"):
        name = name[:-3]
    if _main_name == name:
        return  # restored from the dedicated snapshot, which holds it imported
    try:
        # __import__, not importlib.import_module: the C import path, which -X importtime
        # (kiln profile) reports; the module is the same.
        _kiln_entropy.before_top_level()
        __import__(name)
        module = sys.modules[name]
    except BaseException as error:
        raise error.with_traceback(_user_frames(error.__traceback__))
    _main, _main_name = module, name
    _prepare_default(module)


def _prepare_default(module):
    """The first request's one-time work on the Default class, done as the main module loads,
    before the dedicated snapshot is taken: checking the class and sizing its fetch's
    arguments (inspect.signature: ~1-3 ms the first time after a restore). A restore holds the
    answers. Nothing of the user's runs; what fails is left to the first request to report."""
    try:
        cls = _default_class(module)
        if cls is None:
            return
        fetch = getattr(cls, "fetch", None)
        if inspect.isfunction(fetch):
            _positional_capacity(fetch)
        _remember_default(cls)
    except Exception:  # noqa: BLE001 - the request that needs it reports it
        pass


def import_packages(module_names) -> None:
    """Imports what the project's files import from python_modules and the stdlib, before the
    package snapshot is taken (the project's own folder is not on sys.path yet). Under the
    same rules as the top level; a module that fails is left for the main module's import,
    which reports the error where the user's code asks for it."""
    _kiln_entropy.before_top_level()
    for name in module_names:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - the real import reports it (interrupts go on)
            pass


def add_python_modules(path, process_pth_files):
    """Puts the project's python_modules/ on sys.path where workerd puts it: after the
    standard library, before site-packages (so a vendored module named like a stdlib one does
    not shadow it), processing its .pth files when python_process_pth_files is on."""
    if path in sys.path:
        sys.path.remove(path)
    at = next((i for i, entry in enumerate(sys.path) if "site-packages" in entry), len(sys.path))
    sys.path.insert(at, path)
    if process_pth_files:
        import site

        site.addsitedir(path)  # already on sys.path: this only reads the .pth files


def js_globals():
    """(module, file, name, value) for each module global holding a JS object: where a value a
    snapshot cannot hold is found, to name it in the message."""
    out = []
    for module_name, module in list(sys.modules.items()):
        namespace = getattr(module, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        file = getattr(module, "__file__", None) or ""
        for name, value in list(namespace.items()):
            if isinstance(value, JsProxy):
                out.append((module_name, file, name, value))
    return out


def _user_frames(tb):
    """Drops the leading frames of this module and of the import machinery, as Python's
    own import statement does, so a traceback starts at the user's code."""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not (name == __file__ or name.startswith("<frozen ") or "/importlib/" in name):
            break
        tb = tb.tb_next
    return tb


def _module():
    if _main is None:
        raise RuntimeError("_kiln_host.load_main() has not been called")
    return _main


def _default_class(module):
    cls = getattr(module, "Default", None)
    if inspect.isclass(cls) and issubclass(cls, WorkerEntrypoint):
        return cls
    return None


# Per handler function: inspect.signature costs tens of microseconds inside Pyodide, and the
# handler is the same function on every request (a bound method is made anew each time; its
# function is not). Weak keys: a function that goes away takes its entry with it. The last
# answer is also held as is: a weak dictionary's lookup makes a weak reference each time.
_capacities = weakref.WeakKeyDictionary()
_last_capacity = (None, None)  # (function, count)


def _positional_capacity(fn):
    """How many positional arguments `fn` takes (None: any number)."""
    global _last_capacity
    func = getattr(fn, "__func__", None)
    key = func if func is not None and getattr(fn, "__self__", None) is not None else fn
    if key is _last_capacity[0]:
        known = _last_capacity[1]
        return None if known is None else known - (key is not fn)
    try:
        known = _capacities.get(key, _capacities)
    except TypeError:  # not weakly referenceable (a builtin): not cached
        known = _capacities
    if known is not _capacities:
        _last_capacity = (key, known)
        return None if known is None else known - (key is not fn)
    try:
        sig = inspect.signature(key)
    except (TypeError, ValueError):
        return None
    count = 0
    for param in sig.parameters.values():
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            count = None
            break
        if param.kind in (inspect.Parameter.POSITIONAL_ONLY,
                          inspect.Parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    try:
        _capacities[key] = count
        _last_capacity = (key, count)
    except TypeError:
        pass
    return None if count is None else count - (key is not fn)


def _relaxed_call(fn, args):
    capacity = _positional_capacity(fn)
    return fn(*(args if capacity is None else args[:capacity]))


async def _call(fn, args):
    result = _relaxed_call(fn, args)
    if inspect.isawaitable(result):
        result = await result
    return result


_PLAIN_INIT = WorkerEntrypoint.__init__  # its SDK wrapper, which a subclass without one inherits
_OBJECT_NEW = object.__new__

# The main module's Default class, checked, and what fetch_starter's requests need of it:
# [class, its label, the function its `fetch` was when checked (None: not a plain function),
# whether that function takes the request (after self)].
_last_default = [None, None, None, False]


def _remember_default(cls):
    if cls is not _last_default[0]:
        fetch = getattr(cls, "fetch", None)
        if not inspect.isfunction(fetch):
            fetch = None
        capacity = _positional_capacity(fetch) if fetch is not None else 0
        _last_default[:] = [cls, f"{_main_name}.Default", fetch, capacity is None or capacity > 1]


def _resolve(kind, js_event, js_env, js_ctx, is_request=False):
    """(function, arguments, label) for the handler of `kind` ("fetch" / "scheduled"), as
    workerd calls them: `Default(ctx, env)` (its __init__ wraps env and patches ctx's
    waitUntil) then `fetch(request)` with the request as a workers Request, or
    `scheduled(controller, env, ctx)` with the JS objects; module-level `on_<kind>` gets
    (event, env, ctx) as JS objects. `is_request` (fetch_starter's calls): the caller already
    knows js_event's constructor is named Request (JS asks that for less than a trip from
    Python costs), and js_ctx is the host's own ExecutionContext, whose waitUntil takes Python
    awaitables (so the SDK does not ask patchWaitUntil about it)."""
    module = _module()
    cls = module.__dict__.get("Default")
    if cls is None or cls is not _last_default[0]:  # the class checked last time is not again
        cls = _default_class(module)
    if cls is not None and callable(getattr(cls, kind, None)):
        if is_request:  # worker.mjs made js_ctx: an ExecutionContext of Kiln's own
            entrypoints._host_context = js_ctx
        try:
            instance = cls(js_ctx, js_env)
        finally:
            entrypoints._host_context = None
        if kind != "fetch":
            args = (js_event, js_env, js_ctx)
        elif is_request or _is_js_instance(js_event, "Request"):
            # What python_from_rpc makes of a JS Request, without its generic to_py walk
            # (~35 us of every request inside Pyodide).
            args = (Request._of_js(js_event),)
        else:
            args = (python_from_rpc(js_event),)
        _remember_default(cls)
        return getattr(instance, kind), args, f"{_last_default[1]}.{kind}"
    legacy = getattr(module, "on_" + kind, None)
    if callable(legacy):
        return legacy, (js_event, js_env, js_ctx), f"{_main_name}.on_{kind}"
    stray = getattr(module, "Default", None)
    hint = ""
    if stray is not None and cls is None:
        hint = (f" ({_main_name}.Default exists but is not a subclass of "
                "workers.WorkerEntrypoint)")
    elif cls is not None:
        hint = f" ({_main_name}.Default has no {kind} method)"
    signature = "request" if kind == "fetch" else "controller, env, ctx"
    raise RuntimeError(
        f"Python worker module '{_main_name}' has no {kind} handler{hint}: expected a class "
        f"Default(WorkerEntrypoint) with a '{kind}(self, {signature})' method, or a "
        f"module-level 'on_{kind}' function")


def _describe(value):
    if isinstance(value, JsProxy):
        return f"a JS {_get_js_constructor_name(value) or 'object'}"
    if value is None:
        return "None"
    return f"a {type(value).__module__}.{type(value).__qualname__}".replace("a builtins.", "a ")


def _to_js_response(result, label, compact=False):
    """The JS Response a fetch handler's `result` stands for; with `compact`, a Response whose
    JS Response is not made yet comes as the string workers.Response._send_unmade gives."""
    if isinstance(result, FetchResponse):  # workers.Response, or what workers.fetch gave
        if compact and result._unmade is not None:
            unmade = result._send_unmade()
            if unmade is not None:
                return unmade
        return result.js_object
    if isinstance(result, JsProxy) and _is_js_instance(result, "Response"):
        return result
    js_response = getattr(result, "js_response", None)  # pyodide.http.FetchResponse
    if isinstance(js_response, JsProxy) and _is_js_instance(js_response, "Response"):
        return js_response
    raise TypeError(
        f"{label}() returned {_describe(result)}, but a fetch handler must return a "
        "workers.Response (or a JS Response)")


async def handle_fetch(js_request, js_env, js_ctx):
    """Run the worker's fetch handler for one JS Request; returns a JS Response."""
    return await _fetch(js_request, js_env, js_ctx, False, None)


async def _fetch(js_request, js_env, js_ctx, is_request, pending):
    # handle_fetch's work in one coroutine: each awaited layer costs a send() and a
    # StopIteration inside Pyodide on every request. `pending` is fetch_starter's (or None); with
    # `is_request` (fetch_starter's), js_request is Request._of_incoming's arguments.
    incoming = False  # args[0] is a request made without its JS Request (held there alone)
    try:
        if not _kiln_entropy._in_request_context:
            _kiln_entropy.enter_request_context()
        cls, label, function, takes_request = _last_default
        if is_request and function is not None and _main.__dict__.get("Default") is cls \
                and cls.fetch is function:
            # _resolve's work for the class checked last, whose fetch is still the function
            # sized then: ~15 fewer Python lines on every request.
            if cls.__init__ is _PLAIN_INIT and cls.__new__ is _OBJECT_NEW and type(cls) is type:
                # What cls(js_ctx, js_env) does with WorkerEntrypoint's __init__ and a ctx of
                # the host's own (its waitUntil needs no patch), without its three calls.
                instance = _OBJECT_NEW(cls)
                instance.ctx = js_ctx
                instance.env = _EnvWrapper._of(js_env)
            else:
                entrypoints._host_context = js_ctx
                try:
                    instance = cls(js_ctx, js_env)
                finally:
                    entrypoints._host_context = None
            fn = instance.fetch
            args = (Request._of_incoming(*js_request),)
            incoming = True
            label += ".fetch"
            # Sized already, unless the instance holds a fetch of its own.
            relaxed = not takes_request or getattr(fn, "__func__", None) is not function
        else:
            if is_request:  # _resolve's handlers get the JS Request itself: asked for now
                js_request = Request._of_incoming(*js_request).js_object
            fn, args, label = _resolve("fetch", js_request, js_env, js_ctx, is_request)
            relaxed = True
        try:
            result = _relaxed_call(fn, args) if relaxed else fn(*args)
            if type(result) is CoroutineType or inspect.isawaitable(result):
                result = await result
        except BaseException as error:
            raise error.with_traceback(_user_frames(error.__traceback__))
        if is_request and type(result) is Response and result._unmade is not None \
                and not result._sent:  # _to_js_response's first case, without its two calls
            result._sent = True
            response = result._unmade
        else:
            response = _to_js_response(result, label, is_request)
        if incoming:
            _hand_over(args)
    except BaseException:
        if incoming:
            _hand_over(args)
        if pending:
            pending[0](None)
        raise
    if pending:
        pending[0](response)
    return response


def _references(args):
    return sys.getrefcount(args[0])


# What _references counts for a request that only its arguments tuple holds.
_UNHELD = _references((Request.__new__(Request),))


def _hand_over(args):
    """At its handler's end, the JS Request of an incoming request (args[0], made by
    Request._of_incoming) that something still holds (a global, a task, a traceback, a
    closure): JS keeps what makes it only while the request is under way."""
    if _references(args) > _UNHELD and "_js_request" not in args[0].__dict__:
        try:
            args[0]._js_request  # noqa: B018 - asked for now
        except Exception:  # noqa: BLE001 - the instance is ending (a limit hit): nothing to keep
            pass


def fetch_starter(js_env, settle, request_of):
    """handle_fetch for one instance's requests, started eagerly as Python 3.12's eager tasks
    start: `start(url, method, js_ctx, token[, js_request[, body]])` runs the handler of the
    request whose JS Request comes with the call or else `request_of(token)` answers while it is
    under way (worker.mjs makes it when first asked; `body`: the bytes of a body that came whole,
    whose text Python reads itself), in that call until it first waits on something
    pending, so a handler that never waits answers without a round trip through the event loop
    (a setTimeout(0) per request). A pending handler's end calls `settle(token, response)`
    (None when it failed or was cancelled), never during start. start answers the JS Response,
    or None while the handler waits: its Task stays here (no Python proxy is made for JS;
    awaiting the Task from JS would cost a done callback, an event-loop round trip and
    Pyodide's thenable machinery, ~75 us a request), and a failed one is handed over by
    failed_fetch(token), whose rejection carries the error. A Response the handler made from
    text alone, whose JS Response nothing asked for, comes (from start and to settle) as a str
    instead: "t" + a text/plain;charset=UTF-8 body or "j" + an application/json one, status 200
    (workers.Response._send_unmade). The env and `settle` become Python proxies once here
    instead of on every request. Made after any snapshot is taken (a snapshot cannot hold the
    JS objects it keeps)."""

    def end(token, response):
        if response is not None:
            _waiting.pop(token, None)
        settle(token, response)

    # js_ctx: an ExecutionContext the host made, whose waitUntil takes Python awaitables.
    def start(url, method, js_ctx, token, js_request=None, body=None):
        pending = []  # `end` for this token, once the eager start has left the handler waiting
        task = PyodideTask(_fetch((url, method, token, request_of, js_request, body), js_env,
                                  js_ctx, True, pending),
                           loop=asyncio.get_event_loop(), eager_start=True)
        if not task.done():
            pending.append(partial(end, token))
        elif not task.cancelled() and task.exception() is None:
            return task.result()
        else:  # failed or cancelled before it first waited
            task.get_loop().call_soon(end, token, None)
        _waiting[token] = task
        return None

    return start


_waiting = {}  # token -> the Task of a handler fetch_starter's start left waiting, until it ends


def failed_fetch(token):
    """The Task of a fetch_starter handler that ended with `settle(token, None)`: JS awaits it
    for the error."""
    return _waiting.pop(token)


async def handle_scheduled(js_controller, js_env, js_ctx):
    """Run the worker's scheduled handler (controller has scheduledTime, cron, noRetry())."""
    _kiln_entropy.enter_request_context()
    fn, args, _label = _resolve("scheduled", js_controller, js_env, js_ctx)
    try:
        await _call(fn, args)
    except BaseException as error:
        raise error.with_traceback(_user_frames(error.__traceback__))
    return None


async def run_workflow(class_name, js_event, js_step, js_env, js_ctx):
    """Run one workflow instance: `class_name(ctx, env).run(event, step)` from the main
    module (the config's `class_name`); returns run()'s result converted for JS."""
    _kiln_entropy.enter_request_context()
    cls = getattr(_module(), class_name, None)
    if not (inspect.isclass(cls) and issubclass(cls, WorkflowEntrypoint)):
        what = "is not defined" if cls is None else "is not a subclass of workers.WorkflowEntrypoint"
        raise RuntimeError(
            f"Workflow class '{class_name}' {what} in the main module '{_main_name}' (the "
            "config's workflows[].class_name names it)")
    instance = cls(js_ctx, js_env)
    try:
        return await instance.run(js_event, js_step)
    except BaseException as error:
        raise error.with_traceback(_user_frames(error.__traceback__))
