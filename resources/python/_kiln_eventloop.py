"""Pyodide's event loop with a cheaper call_soon (issue 17).

Pyodide's WebLoop turns every call_soon into its own JS macrotask: `setTimeout(cb, 0)` with
`cb` a once-callable proxy made for that one call (a new JS object, registered with a
FinalizationRegistry, destroyed after it runs). Every await that waits a turn pays for one:
a Task resuming after a Future, `asyncio.sleep(0)`, a JS promise settling.

Here call_soon keeps the same shape, one macrotask per callback in call order, made by
Pyodide's own scheduleCallback (a zero-delay setTimeout in Kiln, setImmediate in node), but
the callbacks wait in a FIFO queue and every macrotask calls the same long-lived proxy of
run_ready() with its callback's number (Kiln's JS side holds it: entrypointhelper.mjs
`scheduleReady`). Those macrotasks run in the order they were made, so JS work queued in
between (microtasks, other timers) interleaves with Python's callbacks exactly as with
Pyodide's own call_soon. call_later with a delay keeps Pyodide's path. A Task's next step
(what asyncio's C Task queues whenever it waits a turn) is queued without an asyncio.Handle:
the Task drops the one call_soon returns, so none is made, and run_ready runs the step as
Handle._run would. One callback gets no macrotask: the count-down every create_future()
future carries (_only_counts below), which runs when its future settles. run_ready() does
what Pyodide's per-call `run_handle` closure does (webloop.py); the SDK suite runs the same
scenario under both call_soons and requires the same order.

Python holds only the JS scheduler, found again by name in a restored snapshot; the proxy of
run_ready() lives on the JS side, so no snapshot holds it. A callback queued when a snapshot
was taken has no macrotask after the restore: run_ready() passes it over by its number
(Pyodide's own once-callables are lost the same way).
"""

import asyncio
from asyncio import _get_running_loop, format_helpers
from collections import deque

from pyodide.webloop import WebLoop

_ready = deque()  # (number, loop, asyncio.Handle, _HANDLE) or (number, loop, a Task's step, its context)
_queued = 0  # numbers given so far
_schedule = None  # entrypoint helper's scheduleReady(n): a macrotask that calls run_ready(n)


def run_ready(number):
    """One macrotask's worth: runs callback `number`, as Pyodide's run_handle runs one."""
    while _ready and _ready[0][0] < number:
        _ready.popleft()  # queued before a snapshot was taken: its timer did not survive
    if not _ready or _ready[0][0] != number:
        return
    _, loop, callback, context = _ready.popleft()
    if _get_running_loop() is not loop:
        loop._install_running_loop()
    loop._install_asyncgen_hooks()
    try:
        if context is _HANDLE:  # an asyncio.Handle
            if not callback.cancelled():
                callback._run()
        else:
            _run_step(loop, callback, context)
    except SystemExit as e:
        if loop._system_exit_handler:
            loop._system_exit_handler(e.code)
        else:
            raise
    except KeyboardInterrupt:
        if loop._keyboard_interrupt_handler:
            loop._keyboard_interrupt_handler()
        else:
            raise


def _run_step(loop, step, context):
    # What asyncio.Handle(step, (), loop, context=context)._run() does outside debug mode; the
    # Handle is made only to report an error (a step hands its coroutine's errors to its Task,
    # so only asyncio's own bookkeeping can raise here).
    try:
        context.run(step)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        source = format_helpers._format_callback_source(step, (), debug=False)
        loop.call_exception_handler({
            "message": f"Exception in callback {source}",
            "exception": exc,
            "handle": asyncio.Handle(step, (), loop, context=context),
        })


# Marks a _ready entry that holds an asyncio.Handle (its context is the Handle's own).
_HANDLE = object()
# The type of the callback asyncio's C Task passes to call_soon for its next step (it drops
# the Handle call_soon returns): found from the first one seen.
_step_type = None


def _is_step_type(kind):
    global _step_type
    if kind.__module__ == "_asyncio" and kind.__qualname__ == "TaskStepMethWrapper":
        _step_type = kind
        return True
    return False


def _call_soon(self, callback, *args, context=None):
    global _schedule, _queued
    if _schedule is None:
        import _pyodide_entrypoint_helper

        # False: a host whose helper has no scheduleReady gets Pyodide's own call_soon.
        _schedule = getattr(_pyodide_entrypoint_helper, "scheduleReady", None) or False
    if _schedule is False:
        return pyodide_call_soon(self, callback, *args, context=context)
    if not args and context is not None and not self._debug and (
            type(callback) is _step_type or (_step_type is None and _is_step_type(type(callback)))):
        # A Task's next step: no Handle (nothing would see it), run as Handle._run would.
        _schedule(_queued + 1)
        _queued += 1
        _ready.append((_queued, self, callback, context))
        return None
    handle = asyncio.Handle(callback, args, self, context=context)
    if getattr(callback, "__func__", None) is _decrement_in_progress and _only_counts(self, args):
        callback(*args)  # bookkeeping nothing observes: no macrotask of its own (below)
        return handle
    _schedule(_queued + 1)  # first: if it throws, nothing is queued without its macrotask
    _queued += 1
    _ready.append((_queued, self, handle, _HANDLE))
    return handle


pyodide_call_soon = WebLoop.call_soon  # Pyodide's own (the tests compare the two)

# Every future create_future() makes (one per awaited JS promise: a binding call, a body read)
# carries this done callback, so settling it queued two macrotasks: this one, and the awaiting
# Task's wake-up. For a future that is not a Task, and with no "nothing in progress" handler
# set (Kiln sets none), all it does is count down loop._in_progress, which nothing else reads:
# it runs when the future settles instead, and the wake-up keeps its place in the queue.
_decrement_in_progress = WebLoop._decrement_in_progress


def _only_counts(loop, args):
    # A Task's (create_task's) may report its unhandled exception, which depends on what is
    # attached to it by the time the callback runs: that one keeps its macrotask.
    return (loop._no_in_progress_handler is None and len(args) == 1
            and getattr(args[0], "_num_done_callbacks", None) is None)


def install():
    WebLoop.call_soon = _call_soon  # call_soon_threadsafe calls self.call_soon: this one
