"""Kiln's implementation of Cloudflare's public `workers` Python package.

Same names and behaviour as on Cloudflare, so a worker runs unchanged in both places:

    from workers import WorkerEntrypoint, Response

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response("Hello!")
"""

from ._blob import Blob, BlobEnding, File, FormData
from ._convert import JsDict
from ._entrypoints import (
    Context,
    DurableObject,
    Env,
    WorkerEntrypoint,
    WorkflowEntrypoint,
    handler,
)
from ._headers import Headers
from ._request import Request, fetch
from ._response import FetchResponse, Response
from ._rpc import import_from_javascript, python_from_rpc, python_to_rpc
from . import workflows

__all__ = [
    "Blob",
    "BlobEnding",
    "Context",
    "DurableObject",
    "FetchResponse",
    "File",
    "FormData",
    "Headers",
    "JsDict",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
    "workflows",
]


def __getattr__(name):
    # `from workers import env, wait_until` reads the cloudflare:workers module, as on
    # Cloudflare; `workers.asgi` is imported on first use (it is the `asgi` module).
    if name == "env":
        return import_from_javascript("cloudflare:workers").env
    if name in ("waitUntil", "wait_until"):
        return import_from_javascript("cloudflare:workers").waitUntil
    if name == "asgi":
        import importlib
        return importlib.import_module(".asgi", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
