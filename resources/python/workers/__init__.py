"""Kiln's implementation of Cloudflare's public `workers` Python package
(workers-runtime-sdk): the same names with the same behaviour, so a worker runs unchanged
in both places.

    from workers import WorkerEntrypoint, Response

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response("Hello!")
"""

from .blob import Blob, BlobEnding, BlobValue, File
from .entrypoints import DurableObject, WorkerEntrypoint, WorkflowEntrypoint, handler
from .fetch import fetch
from .formdata import FormData, FormDataValue
from .request import Request
from .response import FetchResponse, Response
from .rpc import _EnvWrapper, python_from_rpc, python_to_rpc
from .types import Body, Context, FetchKwargs, Headers, JSBody, RequestInitCfProperties
from .utils import import_from_javascript, patch_env

__all__ = [
    "Blob",
    "BlobEnding",
    "BlobValue",
    "Body",
    "Context",
    "DurableObject",
    "FetchKwargs",
    "FetchResponse",
    "File",
    "FormData",
    "FormDataValue",
    "Headers",
    "JSBody",
    "Request",
    "RequestInitCfProperties",
    "Response",
    "WorkerEntrypoint",
    "WorkflowEntrypoint",
    "env",
    "fetch",
    "handler",
    "import_from_javascript",
    "patch_env",
    "python_from_rpc",
    "python_to_rpc",
    "waitUntil",
    "wait_until",
]


def __getattr__(key):
    # Read at each access from cloudflare:workers, so they work at the top level too.
    if key == "env":
        return _EnvWrapper(import_from_javascript("cloudflare:workers").env)
    if key in ("wait_until", "waitUntil"):
        return import_from_javascript("cloudflare:workers").waitUntil
    raise AttributeError(f"module {__name__!r} has no attribute {key!r}")
